// WebSockets served by the green HTTP server: a handler upgrades its request with upgradeWebSocket and serves the
// WebSocket in the same green thread, while plain requests on the same server go on being answered.
import { strict as assert } from 'node:assert';
import { spawn } from 'verdant';
import * as http from '../../../lib/http';

describe('websocket: upgrades from http.serve', () => {
  it('upgrades a request in the handler: echo with a subprotocol and deflate, next to plain HTTP on the same port', () =>
    spawn(() => {
      const server = http.serve((req, info) => {
        if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') return { body: `plain ${new URL(req.url).pathname}` };
        const ws = http.upgradeWebSocket(req, info, { protocols: ['echo'], perMessageDeflate: true });
        for (const message of ws) ws.send(typeof message === 'string' ? `echo ${message}` : message);
        return { status: 500, body: 'never sent' };
      }, { host: '127.0.0.1', port: 0, errorLog: () => {} });
      try {
        const port = (server.address as { port: number }).port;
        const ws = http.connectWebSocket(`ws://127.0.0.1:${port}/chat?room=1`, { protocols: ['echo'], perMessageDeflate: true });
        assert.equal(ws.protocol, 'echo');
        assert.match(ws.extensions, /permessage-deflate/);
        ws.send('hello');
        assert.equal(ws.receive(), 'echo hello');
        ws.send(Buffer.from([1, 2, 3]));
        assert.deepEqual([...(ws.receive() as Uint8Array)], [1, 2, 3]);
        ws.close(1000, 'done');
        assert.equal(ws.receive(), null);
        assert.equal(ws.closeCode, 1000);
        assert.equal(http.get(`http://127.0.0.1:${port}/x`).text(), 'plain /x');
      } finally {
        server.stop({ timeout: 1 });
      }
    }));

  it('answers a request that is not an acceptable upgrade with the handshake\'s refusal, and closes it', () =>
    spawn(() => {
      const refused: unknown[] = [];
      const server = http.serve((req, info) => {
        try {
          http.upgradeWebSocket(req, info);
        } catch (error) {
          refused.push(error);
        }
        return { body: 'never sent' };
      }, { host: '127.0.0.1', port: 0, errorLog: () => {} });
      try {
        const port = (server.address as { port: number }).port;
        const res = http.get(`http://127.0.0.1:${port}/`, { headers: { upgrade: 'websocket', connection: 'Upgrade' } });
        // No Sec-WebSocket-Version: 426 and the version this server speaks.
        assert.equal(res.status, 426);
        assert.equal(res.headers.get('sec-websocket-version'), '13');
        assert.match(res.text(), /WebSocket version 13/);
        assert.equal(refused.length, 1);
        assert.ok(refused[0] instanceof http.HandshakeError);
      } finally {
        server.stop({ timeout: 1 });
      }
    }));
});

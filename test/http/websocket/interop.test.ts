// Interoperation with an independent WebSocket implementation: undici's client (Node's global WebSocket), run in
// a child process against our green server. Node 22 and later have it built in; Node 20 has the same client
// behind --experimental-websocket, so the test runs (and asserts) on every Node we support.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { spawn, subprocess } from 'verdant';
import { type WebSocket, acceptWebSocket } from '../../../lib/http/websocket';
import { startServer } from './helpers';

const fixture = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'websocket-undici-client.js');
const major = Number(process.versions.node.split('.')[0]);
const flags = major >= 22 ? [] : ['--experimental-websocket'];

describe('websocket interop', () => {
  it(`undici's WebSocket client (Node ${major}${flags.length ? ', --experimental-websocket' : ', built in'}) against the green server: subprotocol, deflate, text, binary, fragments, close`, () =>
    spawn(() => {
      const received: unknown[] = [];
      let serverSide: WebSocket | null = null;
      let offered: string | null = null;
      const server = startServer((conn, request) => {
        offered = request.headers.get('sec-websocket-extensions');
        const ws = acceptWebSocket(conn, request, { protocols: ['echo.v1'], perMessageDeflate: { threshold: 0 }, fragmentSize: 16 * 1024 });
        serverSide = ws;
        for (const message of ws) {
          received.push(typeof message === 'string' ? (message.length > 100 ? message.length : message) : message.toString('hex'));
          if (message === 'please close') ws.close(4000, 'bye from verdant');
          else ws.send(message);
        }
      });
      try {
        const result = subprocess.run(process.execPath, [...flags, fixture, `ws://127.0.0.1:${server.port}/echo`], {
          capture: true,
          encoding: 'utf8',
          timeout: 60,
        });
        assert.equal(result.returncode, 0, `${result.stdout}\n${result.stderr}`);
        const seen = JSON.parse(String(result.stdout).trim());
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');
        assert.equal(seen.protocol, 'echo.v1');
        assert.equal(seen.extensions, serverSide!.extensions, 'both sides agree on the extensions');
        // Every message was compressed if undici offered permessage-deflate (threshold 0), and it decoded them.
        assert.equal(serverSide!.compressed, /permessage-deflate/.test(offered ?? ''));
        assert.deepEqual(seen.echoes, [{ text: 'hello from undici' }, { text: 'ünïcødé ✓ 𝄞' }, { text: '350000:true' }, { bytes }]);
        assert.deepEqual(seen.close, { code: 4000, reason: 'bye from verdant', wasClean: true });
        assert.deepEqual(received, ['hello from undici', 'ünïcødé ✓ 𝄞', 350000, bytes, 'please close']);
        assert.equal(serverSide!.closeCode, 4000);
        assert.deepEqual(server.errors, []);
      } finally {
        server.close();
      }
    }));

  it("undici's client sees the server's 1009 when its message is over maxMessageSize, every time (no reset eats the close frame)", () =>
    spawn(() => {
      const codes: (number | null)[] = [];
      const server = startServer((conn, request) => {
        const ws = acceptWebSocket(conn, request, { maxMessageSize: 1024 * 1024 });
        try {
          for (const message of ws) ws.send(`unexpected ${message.length}`);
        } catch {
          // The 1009 failure: recorded below.
        }
        codes.push(ws.closeCode);
      });
      const script = `
        const url = process.argv[1];
        const seen = [];
        function once() {
          return new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => ws.send(Buffer.alloc(4 * 1024 * 1024, 120));
            ws.onclose = (event) => resolve(event.code);
            ws.onerror = () => {};
          });
        }
        (async () => {
          for (let i = 0; i < 10; i++) seen.push(await once());
          console.log(JSON.stringify(seen));
        })();`;
      try {
        const result = subprocess.run(process.execPath, [...flags, '-e', script, `ws://127.0.0.1:${server.port}/`], { capture: true, encoding: 'utf8', timeout: 120 });
        assert.equal(result.returncode, 0, `${result.stdout}\n${result.stderr}`);
        assert.deepEqual(JSON.parse(String(result.stdout).trim()), Array(10).fill(1009), 'the code each client saw');
        assert.deepEqual(codes, Array(10).fill(1009), 'the code the server recorded');
      } finally {
        server.close();
      }
    }));
});

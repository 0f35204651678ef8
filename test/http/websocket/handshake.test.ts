// The opening handshake over loopback TCP: the server's checks and refusals (requests written by hand), the
// client's checks of a server's answer (servers written by hand), subprotocols, origins, and wss: over TLS.
import { strict as assert } from 'node:assert';
import { ConnectionRefusedError, GreenSocket, SocketTimeoutError, connect, sleep, spawn } from 'verdant';
import {
  HandshakeError,
  WebSocketError,
  acceptKey,
  acceptWebSocket,
  connectWebSocket,
  readUpgradeRequest,
} from '../../../lib/http/websocket';
import { makeTlsFixtures, removeTlsFixtures } from '../../net/tls-fixtures';
import { KEY, OP, RawPeer, closeBody, echoHandler, exchange, rawFrame, startServer, upgradeRequest } from './helpers';

describe('websocket handshake: the server side', () => {
  it("answers 101 with RFC 6455's accept key for its example nonce", () =>
    spawn(() => {
      assert.equal(acceptKey(KEY), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      const server = startServer(echoHandler());
      try {
        const { status, head } = exchange(server.port, upgradeRequest());
        assert.equal(status, 101);
        assert.match(head, /\r\nUpgrade: websocket\r\n/);
        assert.match(head, /\r\nConnection: Upgrade\r\n/);
        assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=(\r\n|$)/);
        assert.doesNotMatch(head, /Sec-WebSocket-Protocol|Sec-WebSocket-Extensions/);
      } finally {
        server.close();
      }
    }));

  const refusals: [string, string, number, RegExp][] = [
    ['a POST', upgradeRequest({}, 'POST /chat HTTP/1.1'), 400, /is a GET, not POST/],
    ['HTTP/1.0', upgradeRequest({}, 'GET /chat HTTP/1.0'), 400, /needs HTTP\/1.1/],
    ['no Host', upgradeRequest({ Host: null }), 400, /no Host header/],
    ['no Upgrade', upgradeRequest({ Upgrade: null }), 400, /Upgrade: websocket/],
    ['Upgrade: h2c', upgradeRequest({ Upgrade: 'h2c' }), 400, /Upgrade: websocket/],
    ['no upgrade in Connection', upgradeRequest({ Connection: 'keep-alive' }), 400, /Connection: Upgrade/],
    ['no key', upgradeRequest({ 'Sec-WebSocket-Key': null }), 400, /Sec-WebSocket-Key/],
    ['a key of 15 bytes', upgradeRequest({ 'Sec-WebSocket-Key': Buffer.alloc(15).toString('base64') }), 400, /Sec-WebSocket-Key/],
    ['version 8', upgradeRequest({ 'Sec-WebSocket-Version': '8' }), 426, /version 13, not "8"/],
    ['no version', upgradeRequest({ 'Sec-WebSocket-Version': null }), 426, /version 13/],
    ['a malformed subprotocol list', upgradeRequest({ 'Sec-WebSocket-Protocol': 'chat, a b' }), 400, /not a list of tokens/],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400, /not an HTTP\/1.x request line/],
    ['a header line without a colon', 'GET / HTTP/1.1\r\nHost localhost\r\n\r\n', 400, /not a header line/],
  ];
  for (const [what, request, status, reason] of refusals) {
    it(`refuses ${what} with ${status} and a HandshakeError saying why`, () =>
      spawn(() => {
        const server = startServer(echoHandler());
        try {
          const response = exchange(server.port, request);
          assert.equal(response.status, status);
          assert.match(response.body, reason);
          if (status === 426) assert.match(response.head, /\r\nSec-WebSocket-Version: 13(\r\n|$)/);
          const [error] = server.errors;
          assert.ok(error instanceof HandshakeError && error instanceof WebSocketError);
          assert.equal((error as HandshakeError).status, status);
          assert.match((error as HandshakeError).reason, reason);
        } finally {
          server.close();
        }
      }));
  }

  it('refuses a head over maxHeadBytes with 431', () =>
    spawn(() => {
      // On a socket pair, so that the answer is read before the server side closes with the rest unread.
      const [a, b] = GreenSocket.pair();
      const peer = new RawPeer(b);
      peer.send(Buffer.from(upgradeRequest({ 'X-Padding': 'x'.repeat(2000) })));
      assert.throws(
        () => readUpgradeRequest(a, { maxHeadBytes: 1024 }),
        (error: unknown) => error instanceof HandshakeError && error.status === 431 && /larger than 1024 bytes/.test(error.reason),
      );
      assert.match(peer.read(46).toString(), /^HTTP\/1.1 431 Request Header Fields Too Large\r\n/);
      a.close();
      b.close();
      assert.throws(() => readUpgradeRequest(a, { maxHeadBytes: 3 }), RangeError);
    }));

  it('hands the bytes that came right behind the request to the WebSocket as its first frames', () =>
    spawn(() => {
      const server = startServer(echoHandler());
      try {
        const peer = new RawPeer(connect(['127.0.0.1', server.port], { timeout: 10 }));
        peer.send(Buffer.concat([Buffer.from(upgradeRequest()), rawFrame(OP.text, 'eager', { mask: true })]));
        let head = '';
        while (!head.endsWith('\r\n\r\n')) head += peer.read(1).toString('latin1');
        assert.match(head, /^HTTP\/1.1 101/);
        assert.equal(peer.frame().payload.toString(), 'eager');
        peer.send(rawFrame(OP.close, closeBody(1000), { mask: true }));
        assert.equal(peer.closeFrame().code, 1000);
        peer.close();
      } finally {
        server.close();
      }
    }));

  it('checks the Origin against an allow-list (403 otherwise), or a function', () =>
    spawn(() => {
      const listed = startServer(echoHandler({ origins: ['https://good.example'] }));
      const decided = startServer(echoHandler({ origins: (origin) => origin === null || origin.endsWith('.trusted.test') }));
      try {
        assert.equal(exchange(listed.port, upgradeRequest({ Origin: 'https://GOOD.example' })).status, 101);
        const evil = exchange(listed.port, upgradeRequest({ Origin: 'https://evil.example' }));
        assert.equal(evil.status, 403);
        assert.match(evil.body, /origin https:\/\/evil.example is not allowed/);
        assert.equal(exchange(listed.port, upgradeRequest()).status, 403);
        assert.equal(exchange(decided.port, upgradeRequest()).status, 101);
        assert.equal(exchange(decided.port, upgradeRequest({ Origin: 'http://a.trusted.test' })).status, 101);
        assert.equal(exchange(decided.port, upgradeRequest({ Origin: 'http://trusted.test.evil' })).status, 403);
        assert.equal((listed.errors[0] as HandshakeError).status, 403);
      } finally {
        listed.close();
        decided.close();
      }
    }));

  it('chooses a subprotocol: its own preference among those offered, or a function of the offers', () =>
    spawn(() => {
      const listed = startServer(echoHandler({ protocols: ['v2.chat', 'v1.chat'] }));
      const chooser = startServer(echoHandler({ protocols: (offered) => offered[offered.length - 1] ?? null }));
      try {
        const both = connectWebSocket(`ws://127.0.0.1:${listed.port}/`, { protocols: ['v1.chat', 'v2.chat'] });
        assert.equal(both.protocol, 'v2.chat');
        both.close();
        const one = connectWebSocket(`ws://127.0.0.1:${listed.port}/`, { protocols: 'v1.chat' });
        assert.equal(one.protocol, 'v1.chat');
        one.close();
        const none = connectWebSocket(`ws://127.0.0.1:${listed.port}/`, { protocols: ['mqtt'] });
        assert.equal(none.protocol, null);
        none.close();
        const last = connectWebSocket(`ws://127.0.0.1:${chooser.port}/`, { protocols: ['a', 'b', 'c'] });
        assert.equal(last.protocol, 'c');
        last.close();
      } finally {
        listed.close();
        chooser.close();
      }
    }));

  it('takes the request headers as a lower-cased record too (repeated fields as arrays)', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const peer = new RawPeer(b);
      const ws = acceptWebSocket(
        a,
        {
          method: 'GET',
          url: '/',
          headers: {
            host: 'x',
            upgrade: 'websocket',
            connection: ['keep-alive', 'Upgrade'],
            'sec-websocket-key': KEY,
            'sec-websocket-version': '13',
            'sec-websocket-protocol': ['one', 'two'],
          },
        },
        { protocols: ['two'], headers: { 'X-Served-By': 'verdant' } },
      );
      assert.equal(ws.protocol, 'two');
      let head = '';
      while (!head.endsWith('\r\n\r\n')) head += peer.read(1).toString('latin1');
      assert.match(head, /\r\nSec-WebSocket-Protocol: two\r\n/);
      assert.match(head, /\r\nX-Served-By: verdant\r\n/);
      peer.close();
      assert.throws(
        () => acceptWebSocket(a, { method: 'GET', url: '/', headers: {} }, { headers: { 'Bad\r\nName': 'x' } }),
        TypeError,
      );
    }));

  it('readUpgradeRequest returns null when the client leaves without a word', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      b.close();
      assert.equal(readUpgradeRequest(a), null);
      a.close();
    }));
});

describe('websocket handshake: the client side', () => {
  /** A server that answers every request with `reply(request)` and keeps the connection open a moment. */
  function answering(reply: (key: string) => string) {
    return startServer((conn, request) => {
      conn.sendAll(reply(request.headers.get('sec-websocket-key') ?? ''));
      sleep(0.2);
    });
  }
  const ok = (key: string, extra = '') =>
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${extra}\r\n`;

  const failures: [string, (key: string) => string, number, RegExp][] = [
    ['a 404', () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 404, /answered 404 Not Found instead of 101/],
    ['a wrong accept key', () => ok(KEY), 101, /Sec-WebSocket-Accept does not match/],
    ['no Upgrade header', (key) => ok(key).replace('Upgrade: websocket\r\n', ''), 101, /does not upgrade to websocket/],
    ['a subprotocol it did not offer', (key) => ok(key, 'Sec-WebSocket-Protocol: other\r\n'), 101, /"other", which was not offered/],
    ['an extension it did not offer', (key) => ok(key, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'), 101, /not offered/],
    ['not HTTP at all', () => 'SSH-2.0-OpenSSH\r\n\r\n', 0, /not an HTTP response/],
  ];
  for (const [what, reply, status, problem] of failures) {
    it(`refuses ${what} with a HandshakeError (status ${status})`, () =>
      spawn(() => {
        const server = answering(reply);
        try {
          assert.throws(
            () => connectWebSocket(`ws://127.0.0.1:${server.port}/x`, { protocols: ['chat'], timeout: 10 }),
            (error: unknown) => error instanceof HandshakeError && error.status === status && problem.test(error.message),
          );
        } finally {
          server.close();
        }
      }));
  }

  it('sends the path, query, origin and extra headers; the server sees them', () =>
    spawn(() => {
      let seen: { url: string; origin: string | null; custom: string | null; host: string | null } | null = null;
      const server = startServer((conn, request) => {
        seen = { url: request.url, origin: request.headers.get('origin'), custom: request.headers.get('x-custom'), host: request.headers.get('host') };
        // A server whose pages are served from app.test says so: by default a cross-origin upgrade is refused.
        echoHandler({ origins: ['http://app.test'] })(conn, request);
      });
      try {
        const ws = connectWebSocket(new URL(`ws://127.0.0.1:${server.port}/room/1?user=ann`), {
          origin: 'http://app.test',
          headers: { 'X-Custom': 'yes' },
        });
        ws.send('ping?');
        assert.equal(ws.receive(), 'ping?');
        ws.close();
        assert.deepEqual(seen, { url: '/room/1?user=ann', origin: 'http://app.test', custom: 'yes', host: `127.0.0.1:${server.port}` });
      } finally {
        server.close();
      }
    }));

  it('bad URLs and options are TypeErrors; network failures are the socket errors', () =>
    spawn(() => {
      assert.throws(() => connectWebSocket('http://127.0.0.1/'), /ws: or wss:, not http:/);
      assert.throws(() => connectWebSocket('ws://127.0.0.1/#frag'), /no fragment/);
      assert.throws(() => connectWebSocket('not a url'), TypeError);
      assert.throws(() => connectWebSocket('ws://127.0.0.1:1/', { protocols: ['a b'] }), TypeError);
      assert.throws(() => connectWebSocket('ws://127.0.0.1:1/', { headers: { 'Sec-WebSocket-Key': 'x' } }), /handshake's own/);
      const closed = startServer(() => {});
      const port = closed.port;
      closed.close();
      assert.throws(() => connectWebSocket(`ws://127.0.0.1:${port}/`, { timeout: 5 }), ConnectionRefusedError);
    }));

  it('timeout bounds the handshake: a server that never answers is a SocketTimeoutError', () =>
    spawn(() => {
      const silent = startServer(() => sleep(5));
      try {
        assert.throws(() => connectWebSocket(`ws://127.0.0.1:${silent.port}/`, { timeout: 0.3 }), SocketTimeoutError);
      } finally {
        silent.close();
      }
    }));
});

describe('websocket handshake: wss over green TLS', () => {
  let fixtures: ReturnType<typeof makeTlsFixtures>;
  before(() => {
    fixtures = makeTlsFixtures();
  });
  after(() => removeTlsFixtures(fixtures));

  it('connects to wss://localhost with a CA of its own, exchanges messages, and closes', () =>
    spawn(() => {
      const server = startServer(echoHandler({ perMessageDeflate: true }), { tls: fixtures.localhost });
      const port = server.port;
      try {
        const ws = connectWebSocket(`wss://localhost:${port}/secure`, { tls: { ca: fixtures.ca }, perMessageDeflate: true, timeout: 10 });
        assert.equal(ws.extensions, 'permessage-deflate');
        const big = Buffer.alloc(200000, 'tls ');
        ws.send('over TLS');
        assert.equal(ws.receive(), 'over TLS');
        ws.send(big);
        assert.ok((ws.receive() as Buffer).equals(big));
        ws.close(1000, 'done');
        assert.equal(ws.closeCode, 1000);
        // Without the CA the server's certificate is not trusted.
        assert.throws(() => connectWebSocket(`wss://localhost:${port}/`, { timeout: 10 }), /certificate/i);
      } finally {
        server.close();
      }
    }));
});

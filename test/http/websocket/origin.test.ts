// The default origin rule of the server's handshake, against cross-site WebSocket hijacking: with no `origins`
// option a browser's upgrade is accepted only from a page of the server's own origin, while clients that send no
// Origin (not browsers) connect as before. The hostile peers are real: raw TCP and node:http clients on loopback
// that forge the Origin a page on another site would carry, and headless Chromium running such a page.
import { strict as assert } from 'node:assert';
import * as nodeHttp from 'node:http';
import { Event, spawn, subprocess, wait } from 'verdant';
import * as http from '../../../lib/http';
import { HandshakeError, type WebSocket, acceptWebSocket, connectWebSocket } from '../../../lib/http/websocket';
import { makeTlsFixtures, removeTlsFixtures } from '../../net/tls-fixtures';
import { KEY, echoHandler, exchange, findChromium, runPageInChromium, startServer, upgradeRequest } from './helpers';

const refusal = (origin: string, host: string) =>
  `cross-origin WebSocket upgrade refused: ${origin} does not match host ${host}; allow it with the origins option`;

/** The handshake error a server recorded, checked to be the 403 refusal. */
function refused(errors: unknown[]): HandshakeError {
  assert.equal(errors.length, 1, `one refusal expected, got ${errors.length}`);
  const [error] = errors;
  assert.ok(error instanceof HandshakeError, `a HandshakeError expected, got ${String(error)}`);
  assert.equal(error.status, 403);
  return error;
}

/**
 * An upgrade request sent by node:http (its own HTTP implementation: Host set from the address, headers as given);
 * settles with the response, or with `upgraded` when the server switched protocols.
 */
function nodeUpgrade(port: number, headers: Record<string, string>): Promise<{ status: number; body: string; upgraded: boolean }> {
  return new Promise((resolve, reject) => {
    const request = nodeHttp.request({
      host: '127.0.0.1',
      port,
      path: '/ws',
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': KEY, 'Sec-WebSocket-Version': '13', ...headers },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: '', upgraded: true });
    });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, upgraded: false }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('websocket origins: by default only the server\'s own origin may upgrade', () => {
  it('refuses an upgrade with Origin https://evil.example (403 saying why), and no WebSocket is made', () =>
    spawn(() => {
      const made: WebSocket[] = [];
      const server = startServer((conn, request) => {
        made.push(acceptWebSocket(conn, request));
      });
      try {
        const host = `127.0.0.1:${server.port}`;
        const response = exchange(server.port, upgradeRequest({ Host: host, Origin: 'https://evil.example' }));
        assert.equal(response.status, 403);
        assert.doesNotMatch(response.head, /Upgrade: websocket|Sec-WebSocket-Accept/i);
        assert.equal(response.body, `${refusal('Origin https://evil.example', host)}\n`);
        assert.equal(refused(server.errors).reason, refusal('Origin https://evil.example', host));
        // exchange() read until the server closed: the connection was answered and dropped, never upgraded.
        assert.deepEqual(made, []);
      } finally {
        server.close();
      }
    }));

  it('refuses it on http.serve too: upgradeWebSocket with no options answers a node:http client 403, and never upgrades', () =>
    spawn(() => {
      const errors: unknown[] = [];
      const made: WebSocket[] = [];
      const server = http.serve((req, info) => {
        try {
          made.push(http.upgradeWebSocket(req, info));
        } catch (error) {
          errors.push(error);
        }
        return { body: 'never sent' };
      }, { host: '127.0.0.1', port: 0, errorLog: () => {} });
      try {
        const port = (server.address as { port: number }).port;
        const response = wait(nodeUpgrade(port, { Origin: 'https://evil.example' }));
        assert.deepEqual(response, { status: 403, body: `${refusal('Origin https://evil.example', `127.0.0.1:${port}`)}\n`, upgraded: false });
        refused(errors);
        assert.deepEqual(made, []);
        // The same server still upgrades its own origin's pages.
        assert.equal(wait(nodeUpgrade(port, { Origin: `http://127.0.0.1:${port}` })).upgraded, true);
      } finally {
        server.stop({ timeout: 1 });
      }
    }));

  it('accepts an Origin equal to the request\'s own (http://127.0.0.1:PORT), and a request with no Origin', () =>
    spawn(() => {
      const server = startServer(echoHandler());
      try {
        const host = `127.0.0.1:${server.port}`;
        assert.equal(exchange(server.port, upgradeRequest({ Host: host, Origin: `http://${host}` })).status, 101);
        assert.equal(exchange(server.port, upgradeRequest({ Host: host })).status, 101);
        // Our own client: with the page's origin as a browser would send it, and with none (its default).
        const samePage = connectWebSocket(`ws://${host}/`, { origin: `http://${host}` });
        samePage.send('same origin');
        assert.equal(samePage.receive(), 'same origin');
        samePage.close();
        const noOrigin = connectWebSocket(`ws://${host}/`);
        noOrigin.send('no origin');
        assert.equal(noOrigin.receive(), 'no origin');
        noOrigin.close();
        assert.deepEqual(server.errors, []);
      } finally {
        server.close();
      }
    }));

  it("undici's WebSocket client (Node's own, which like the ws package sends no Origin) connects to a server with no options", () =>
    spawn(() => {
      const origins: (string | null)[] = [];
      const server = startServer((conn, request) => {
        origins.push(request.headers.get('origin'));
        echoHandler()(conn, request);
      });
      const flags = Number(process.versions.node.split('.')[0]) >= 22 ? [] : ['--experimental-websocket'];
      const script = `
        const ws = new WebSocket(process.argv[1]);
        ws.onopen = () => ws.send('from a non-browser client');
        ws.onmessage = (event) => { console.log(JSON.stringify({ echo: event.data })); ws.close(); };
        ws.onerror = () => { console.log(JSON.stringify({ error: true })); process.exitCode = 1; };`;
      try {
        const result = subprocess.run(process.execPath, [...flags, '-e', script, `ws://127.0.0.1:${server.port}/`], { capture: true, encoding: 'utf8', timeout: 60 });
        assert.equal(result.returncode, 0, `${result.stdout}\n${result.stderr}`);
        assert.deepEqual(JSON.parse(String(result.stdout).trim()), { echo: 'from a non-browser client' });
        assert.deepEqual(origins, [null], 'the client sent no Origin: that is why the default lets it in');
        assert.deepEqual(server.errors, []);
      } finally {
        server.close();
      }
    }));

  it('refuses Origin: null (sandboxed iframes, file: and data: pages), which is an opaque, foreign origin', () =>
    spawn(() => {
      const server = startServer(echoHandler());
      try {
        const host = `127.0.0.1:${server.port}`;
        const response = exchange(server.port, upgradeRequest({ Host: host, Origin: 'null' }));
        assert.equal(response.status, 403);
        assert.match(response.body, /^cross-origin WebSocket upgrade refused: Origin null \(an opaque origin/);
        assert.match(refused(server.errors).reason, /does not match host 127\.0\.0\.1:\d+; allow it with the origins option$/);
      } finally {
        server.close();
      }
    }));

  it('the origins option replaces the default: a listed cross origin is accepted, and a function may accept every origin', () =>
    spawn(() => {
      const listed = startServer(echoHandler({ origins: ['https://app.example'] }));
      const everyone = startServer(echoHandler({ origins: () => true }));
      try {
        const upgrade = (port: number, origin: string) => exchange(port, upgradeRequest({ Host: `127.0.0.1:${port}`, Origin: origin })).status;
        assert.equal(upgrade(listed.port, 'https://app.example'), 101);
        assert.equal(upgrade(listed.port, 'https://evil.example'), 403);
        // Replaces, not adds to: the server's own origin now has to be listed like any other.
        assert.equal(upgrade(listed.port, `http://127.0.0.1:${listed.port}`), 403);
        assert.match((listed.errors[0] as HandshakeError).reason, /^the origin https:\/\/evil.example is not allowed$/);
        assert.equal(upgrade(everyone.port, 'https://evil.example'), 101);
        assert.equal(upgrade(everyone.port, 'null'), 101);
        assert.deepEqual(everyone.errors, []);
      } finally {
        listed.close();
        everyone.close();
      }
    }));

  // [Origin, Host, the expected status]. The connection is plain, so the browser's scheme is unknown (a proxy in
  // front may terminate TLS): host and port are compared, default ports normalised by the Origin's scheme.
  const normalisations: [string, string, number][] = [
    ['HTTP://127.0.0.1:80', '127.0.0.1', 101],
    ['http://127.0.0.1', '127.0.0.1:80', 101],
    ['http://LocalHost', 'LOCALHOST:80', 101],
    ['https://app.example', 'app.example', 101],
    ['HTTPS://APP.example:443', 'app.example', 101],
    ['http://[::1]:8080', '[::1]:8080', 101],
    ['http://127.0.0.1:8080', '127.0.0.1', 403],
    ['http://127.0.0.1', '127.0.0.1:443', 403],
    ['https://127.0.0.1', '127.0.0.1:80', 403],
    ['http://127.0.0.1.evil.example', '127.0.0.1', 403],
    ['http://evil.example@127.0.0.1', '127.0.0.1', 403],
    ['http://127.0.0.1/', '127.0.0.1', 403],
    ['chrome-extension://127.0.0.1', '127.0.0.1', 403],
  ];
  for (const [origin, host, status] of normalisations) {
    it(`${status === 101 ? 'accepts' : 'refuses'} Origin ${origin} for Host ${host} (scheme and host without regard to case, default ports normalised)`, () =>
      spawn(() => {
        const server = startServer(echoHandler());
        try {
          assert.equal(exchange(server.port, upgradeRequest({ Host: host, Origin: origin })).status, status);
          if (status === 403) assert.equal(refused(server.errors).reason, refusal(`Origin ${origin}`, host));
        } finally {
          server.close();
        }
      }));
  }
});

describe('websocket origins: over TLS the scheme counts too', () => {
  let fixtures: ReturnType<typeof makeTlsFixtures>;
  before(() => {
    fixtures = makeTlsFixtures();
  });
  after(() => removeTlsFixtures(fixtures));

  it('accepts https://localhost:PORT on a wss: connection and refuses http://localhost:PORT, a different origin', () =>
    spawn(() => {
      const server = startServer(echoHandler(), { tls: fixtures.localhost });
      try {
        const url = `wss://localhost:${server.port}/`;
        const tls = { ca: fixtures.ca };
        const secure = connectWebSocket(url, { tls, origin: `https://localhost:${server.port}`, timeout: 10 });
        secure.send('over TLS');
        assert.equal(secure.receive(), 'over TLS');
        secure.close();
        connectWebSocket(url, { tls, timeout: 10 }).close();
        // An http: page of the same host and port: the Origin's scheme is not the connection's.
        assert.throws(
          () => connectWebSocket(url, { tls, origin: `http://localhost:${server.port}`, timeout: 10 }),
          (error: unknown) => error instanceof HandshakeError && error.status === 403,
        );
        assert.equal(
          refused(server.errors).reason,
          `cross-origin WebSocket upgrade refused: Origin http://localhost:${server.port} does not match https://localhost:${server.port} (this connection is TLS); allow it with the origins option`,
        );
      } finally {
        server.close();
      }
    }));
});

// A page served from one origin (http://127.0.0.1:A) opens a WebSocket to its own server and one to another
// server (http://127.0.0.1:B, another port, so another origin), both with no options: the first is the page's
// own app, the second the hijacking attempt. The verdict goes into the DOM, which --dump-dom prints; /hold.js
// keeps the page loading until /finished is fetched, as in browser.test.ts.
function hostilePage(victimPort: number): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>verdant origins</title></head>
<body><pre id="result">pending</pre>
<script>
const out = {};
let pending = 2;
function watch(name, url) {
  const seen = { opened: false, echo: null, close: null };
  out[name] = seen;
  const ws = new WebSocket(url);
  ws.onopen = () => { seen.opened = true; ws.send('hello from ' + location.origin); };
  ws.onmessage = (event) => { seen.echo = event.data; ws.close(1000); };
  ws.onclose = (event) => {
    seen.close = event.code;
    if (--pending === 0) {
      document.getElementById('result').textContent = JSON.stringify(out);
      fetch('/finished');
    }
  };
}
watch('own', 'ws://' + location.host + '/ws');
watch('foreign', 'ws://127.0.0.1:${victimPort}/ws');
</script>
<script src="/hold.js"></script>
</body></html>`;
}

function httpResponse(type: string, body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`), bytes]);
}

describe('websocket origins in a real browser', () => {
  it('headless Chromium: a page may open a WebSocket to its own server, and is refused by another server (apt package: chromium)', () =>
    spawn(() => {
      const chromium = findChromium();
      assert.ok(chromium !== null, 'Chromium is not installed: apt-get update && apt-get install -y chromium (Debian package "chromium")');
      const victim = startServer(echoHandler());
      const finished = new Event<true>();
      const site = startServer((conn, request) => {
        if (request.url === '/') return conn.sendAll(httpResponse('text/html; charset=utf-8', hostilePage(victim.port)));
        if (request.url === '/finished') {
          finished.send(true);
          return conn.sendAll(httpResponse('text/plain', 'ok'));
        }
        if (request.url === '/hold.js') {
          finished.wait(90);
          return conn.sendAll(httpResponse('text/javascript', '// the page is done'));
        }
        if (request.url === '/ws') return echoHandler()(conn, request);
        conn.sendAll(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')); // /favicon.ico
      });
      try {
        const seen = runPageInChromium(chromium!, `http://127.0.0.1:${site.port}/`);
        const page = `http://127.0.0.1:${site.port}`;
        assert.deepEqual(seen.own, { opened: true, echo: `hello from ${page}`, close: 1000 });
        // A refused handshake is, to the page, a connection that never opened (1006).
        assert.deepEqual(seen.foreign, { opened: false, echo: null, close: 1006 });
        assert.equal(refused(victim.errors).reason, refusal(`Origin ${page}`, `127.0.0.1:${victim.port}`));
        assert.deepEqual(site.errors, []);
      } finally {
        site.close();
        victim.close();
      }
    }));
});

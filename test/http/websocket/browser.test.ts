// A real browser against the green server: headless Chromium loads a page served by a hand-written HTTP
// response, its script exchanges text, binary and large (fragmented) messages over a WebSocket with the server,
// and writes what it saw into the DOM, which --dump-dom prints. Chromium runs as a child process (verdant's
// subprocess.run blocks only the test's green thread) while the server's green threads serve it.
//
// Needs Debian's `chromium` package (apt-get install -y chromium); without it the test fails saying so.
import { strict as assert } from 'node:assert';
import { Event, spawn } from 'verdant';
import { type WebSocket, acceptWebSocket } from '../../../lib/http/websocket';
import { findChromium, runPageInChromium, startServer } from './helpers';

// The page: sends a text, a binary and a 1 MiB message, checks each echo, receives one message the server
// sends in fragments, then closes; the verdict goes into <pre id="result">, and then it fetches /finished.
//
// Chromium's --dump-dom prints the DOM once the page has loaded and its virtual time budget is spent, and a
// WebSocket does not hold virtual time. A pending script does: /hold.js is answered only once /finished was
// asked for, so the page cannot finish loading (nor be dumped) before its result is in the DOM.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>verdant websocket</title></head>
<body><pre id="result">pending</pre>
<script>
const out = { opened: false, echoes: [], pushed: null, close: null, errors: [] };
const big = 'x'.repeat(1 << 20);
const bytes = new Uint8Array(300).map((_, i) => (i * 13) & 255);
const ws = new WebSocket('ws://' + location.host + '/ws', ['verdant.test']);
ws.binaryType = 'arraybuffer';
const expected = ['héllo ✓', 'bytes', 'big'];
ws.onopen = () => {
  out.opened = true;
  out.protocol = ws.protocol;
  out.extensions = ws.extensions;
  ws.send('héllo ✓');
  ws.send(bytes.buffer);
  ws.send(big);
};
ws.onmessage = (event) => {
  if (out.echoes.length < 3) {
    const kind = expected[out.echoes.length];
    const d = event.data;
    let ok;
    if (kind === 'bytes') ok = d instanceof ArrayBuffer && new Uint8Array(d).every((b, i) => b === bytes[i]) && d.byteLength === 300;
    else if (kind === 'big') ok = d === big;
    else ok = d === 'héllo ✓';
    out.echoes.push(kind + ':' + ok);
    if (out.echoes.length === 3) ws.send('push please');
    return;
  }
  out.pushed = typeof event.data === 'string' ? event.data.length + ':' + event.data.slice(0, 12) : 'binary';
  ws.close(1000, 'done');
};
ws.onerror = () => out.errors.push('error');
ws.onclose = (event) => {
  out.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
  document.getElementById('result').textContent = JSON.stringify(out);
  fetch('/finished');
};
</script>
<script src="/hold.js"></script>
</body></html>`;

function httpResponse(status: string, type: string, body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`),
    bytes,
  ]);
}

describe('websocket in a real browser', () => {
  it('headless Chromium exchanges text, binary and a large fragmented message with the green server (apt package: chromium)', () =>
    spawn(() => {
      const chromium = findChromium();
      assert.ok(chromium !== null, 'Chromium is not installed: apt-get update && apt-get install -y chromium (Debian package "chromium")');
      const received: string[] = [];
      let serverSide: WebSocket | null = null;
      const finished = new Event<true>();
      const server = startServer((conn, request) => {
        if (request.url === '/') return conn.sendAll(httpResponse('200 OK', 'text/html; charset=utf-8', PAGE));
        if (request.url === '/finished') {
          finished.send(true);
          return conn.sendAll(httpResponse('200 OK', 'text/plain', 'ok'));
        }
        if (request.url === '/hold.js') {
          finished.wait(90);
          return conn.sendAll(httpResponse('200 OK', 'text/javascript', '// the page is done'));
        }
        if (request.url !== '/ws') return conn.sendAll(httpResponse('404 Not Found', 'text/plain', 'no such page'));
        const ws = acceptWebSocket(conn, request, {
          protocols: ['verdant.test'],
          origins: [`http://127.0.0.1:${server.port}`],
          perMessageDeflate: true,
          fragmentSize: 64 * 1024,
        });
        serverSide = ws;
        for (const message of ws) {
          received.push(typeof message === 'string' ? `text:${message.length > 50 ? message.length : message}` : `binary:${message.length}`);
          if (message === 'push please') ws.send('y'.repeat(200000), { fragmentSize: 10000 });
          else ws.send(message);
        }
      });
      try {
        const seen = runPageInChromium(chromium!, `http://127.0.0.1:${server.port}/`);
        assert.equal(seen.opened, true, JSON.stringify(seen));
        assert.equal(seen.protocol, 'verdant.test');
        assert.equal(seen.extensions, serverSide!.extensions);
        assert.match(seen.extensions, /^permessage-deflate/, 'Chromium offers permessage-deflate and the server agreed');
        assert.deepEqual(seen.echoes, ['héllo ✓:true', 'bytes:true', 'big:true']);
        assert.equal(seen.pushed, '200000:yyyyyyyyyyyy');
        assert.deepEqual(seen.close, { code: 1000, reason: 'done', wasClean: true });
        assert.deepEqual(seen.errors, []);
        assert.deepEqual(received, ['text:héllo ✓', 'binary:300', `text:${1 << 20}`, 'text:push please']);
        assert.equal(serverSide!.closeCode, 1000);
        assert.equal(serverSide!.closeReason, 'done');
      } finally {
        server.close();
      }
    }));
});

// eventlet's websocket chat, as a page in the browser: whatever one visitor sends, every visitor sees.
//   node bin/verdant.js run examples/websocket-chat.js [port]        then open http://localhost:7000/ in two tabs
// One green server serves the page at / and the WebSocket at /chat; each connection is a green thread that
// reads like blocking code (for (const message of ws) ...), and a message goes to every participant.
'use strict';
const { listen, serve, http } = require('..');
const { acceptWebSocket, readUpgradeRequest, HandshakeError } = http;

const port = Number(process.argv[2] ?? 7000);
const participants = new Set(); // the WebSockets of everyone connected

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>verdant chat</title>
<style>body{font:15px sans-serif;max-width:40em;margin:2em auto}#log{border:1px solid #ccc;height:20em;overflow:auto;padding:.5em}
input{width:80%}</style></head>
<body><h1>verdant chat</h1><div id="log"></div>
<form id="form"><input id="text" autocomplete="off" autofocus placeholder="say something"> <button>send</button></form>
<script>
const log = document.getElementById('log');
const show = (text) => { const line = document.createElement('div'); line.textContent = text; log.append(line); log.scrollTop = log.scrollHeight; };
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat');
ws.onopen = () => show('* connected');
ws.onmessage = (event) => show(event.data);
ws.onclose = (event) => show('* disconnected (' + event.code + ')');
document.getElementById('form').onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById('text');
  if (input.value) ws.send(input.value);
  input.value = '';
};
</script></body></html>`;

function respond(conn, status, type, body) {
  const bytes = Buffer.from(body, 'utf8');
  conn.sendAll(`HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`);
  conn.sendAll(bytes);
}

// Only pages served from this very host may open the chat (a browser always says which page it runs).
function sameHost(request) {
  return (origin) => {
    try {
      return origin !== null && new URL(origin).host === request.headers.get('host');
    } catch {
      return false;
    }
  };
}

function chat(conn, request) {
  let ws;
  try {
    ws = acceptWebSocket(conn, request, { origins: sameHost(request), perMessageDeflate: true });
  } catch (error) {
    if (error instanceof HandshakeError) return; // the client has its 4xx and the reason
    throw error;
  }
  participants.add(ws);
  try {
    for (const message of ws) {
      for (const participant of participants) {
        try {
          participant.send(message);
        } catch {
          participants.delete(participant); // gone; its own green thread cleans up
        }
      }
    }
  } finally {
    participants.delete(ws);
  }
}

function handle(conn) {
  const request = readUpgradeRequest(conn);
  if (request === null) return;
  if (request.url === '/chat') chat(conn, request);
  else if (request.url === '/') respond(conn, '200 OK', 'text/html; charset=utf-8', PAGE);
  else respond(conn, '404 Not Found', 'text/plain', 'not found\n');
}

const server = listen(['0.0.0.0', port]);
const actual = server.getSockName().port; // port 0 asks the kernel for a free one
console.log(`websocket chat listening on port ${actual}: open http://localhost:${actual}/ in two browser tabs`);
serve(server, handle, { onError: (error) => console.error('a connection failed:', error.message) });

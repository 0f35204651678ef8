// Server-sent events (Comet) in blocking style: each client gets a green thread whose generator sleeps between
// events, and every event is on the wire as soon as it is yielded.
//   node bin/verdant.js run examples/server-sent-events.js [port]        then: curl -N localhost:8000/ticks
// A thousand clients listening are a thousand sleeping green threads.
'use strict';
const { http, sleep } = require('..');

const port = Number(process.argv[2] ?? 8000);

function* ticks(count) {
  for (let i = 1; i <= count; i++) {
    yield `id: ${i}\ndata: ${JSON.stringify({ tick: i, at: new Date().toISOString() })}\n\n`;
    if (i < count) sleep(1);
  }
}

const server = http.serve((req) => {
  const url = new URL(req.url);
  if (url.pathname !== '/ticks') return new Response('try /ticks?count=5\n', { status: 404 });
  const count = Math.min(Number(url.searchParams.get('count') ?? 10) || 10, 1000);
  return {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' },
    body: ticks(count),
  };
}, { port });
console.log(`server-sent events listening on port ${server.address.port} (try: curl -N localhost:${server.address.port}/ticks)`);
server.wait();

/**
 * The hello-world servers bench/http.ts measures, one per process: `node dist/bench/http/servers.js <kind> <port>`.
 * Each prints `READY <port>` once it listens.
 *
 * - node-http: Node's `http.createServer`, the baseline;
 * - verdant-plain: verdant's `http.serve`, the handler returning a plain `{ headers, body }` object;
 * - verdant-response: the same, the handler returning a WHATWG `Response` (what fetch-style apps do);
 * - hono-verdant: a Hono app (`c.text(...)`) served by verdant's `http.serve(app.fetch)`;
 * - hono-node-server: the same app served by @hono/node-server, Hono's own adapter for Node's http.
 */
import * as nodeHttp from 'node:http';
import { serve as honoNodeServe } from '@hono/node-server';
import { Hono } from 'hono';
import { http, run, sleep } from '../../lib';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);
const BODY = 'Hello, World!';
const HEADERS = { 'content-type': 'text/plain' };

function verdant(handler: http.Handler): void {
  run(() => {
    http.serve(handler, { host: '127.0.0.1', port, concurrency: 10_000, keepAliveTimeout: 60 });
    console.log(`READY ${port}`);
    sleep(1e9);
  });
}

if (kind === 'node-http') {
  const server = nodeHttp.createServer((req, res) => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => console.log(`READY ${port}`));
} else if (kind === 'verdant-plain') {
  verdant(() => ({ headers: HEADERS, body: BODY }));
} else if (kind === 'verdant-response') {
  verdant(() => new Response(BODY, { headers: HEADERS }));
} else if (kind === 'hono-verdant' || kind === 'hono-node-server') {
  const app = new Hono();
  app.get('/', (c) => c.text(BODY));
  if (kind === 'hono-verdant') {
    verdant(app.fetch);
  } else {
    const server = honoNodeServe({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`READY ${port}`));
    (server as nodeHttp.Server).keepAliveTimeout = 60_000;
  }
} else {
  console.error(`unknown server kind ${kind}`);
  process.exit(2);
}

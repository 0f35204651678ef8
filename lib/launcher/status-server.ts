/**
 * The controller's status socket (`--status-listen`): the status JSON on an address of its own, loopback unless
 * told otherwise. It used to be answered on the app's own socket, where anyone who could reach the app (0.0.0.0
 * by default) could read worker pids, memory and request counts. Served with Node's http on the controller's
 * event loop: the controller runs no green threads, and the document is built from what it already knows.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListenError } from './errors';
import type { StatusDocument } from './status';

export interface StatusServer {
  /** "http://host:port/path", for the log. */
  readonly url: string;
  close(): void;
}

/** Listens on `address` and answers GET or HEAD of `path` (any query) with `status()`; 404 for other paths. */
export async function startStatusServer(
  address: { host: string; port: number },
  path: string,
  status: () => StatusDocument,
): Promise<StatusServer> {
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://status').pathname;
    response.setHeader('cache-control', 'no-store');
    if (pathname !== path) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the status is at ${path}\n`);
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET or HEAD only\n');
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(status(), null, 2)}\n`);
    }
  });
  // The status must never keep the controller alive, nor a slow client hold a socket.
  server.unref();
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new ListenError(address.host, address.port, error)));
    server.listen(address.port, address.host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}${path}`,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

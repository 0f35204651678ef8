/**
 * WebSockets on the green HTTP server: a handler turns its request into a WebSocket with
 * {@link upgradeWebSocket}, and serves it in the same green thread until it returns.
 */
import type { RequestInfo } from '../server/connection';
import { acceptWebSocket, type AcceptOptions } from './handshake';
import type { WebSocket } from './websocket';

/**
 * Takes the connection of `request` out of HTTP (`info.takeOver()`) and completes the WebSocket handshake on it
 * (see {@link acceptWebSocket}: upgrade checks, origins, subprotocols, permessage-deflate). The WebSocket owns the
 * connection until the handler returns; the server closes it then and sends nothing of its own. Without an
 * `origins` option only pages of the server's own origin (and clients that send no Origin) may connect: see
 * {@link AcceptOptions.origins}.
 *
 * A request that is not an acceptable upgrade gets its 400, 403 or 426 answer and a HandshakeError is thrown;
 * the connection is closed when the handler returns (let the error propagate, or catch it and return).
 *
 * @example
 * ```ts
 * http.serve((req, info) => {
 *   if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('not a WebSocket', { status: 426 });
 *   const ws = http.upgradeWebSocket(req, info, { protocols: ['chat'] });
 *   for (const message of ws) ws.send(message);  // an echo, until the client closes
 *   return new Response(null);  // not sent: the connection was taken over
 * }, { port: 8080 });
 * ```
 */
export function upgradeWebSocket(request: Request, info: RequestInfo, options: AcceptOptions = {}): WebSocket {
  const { socket, head } = info.takeOver();
  const url = new URL(request.url);
  return acceptWebSocket(socket, {
    method: request.method,
    url: url.pathname + url.search,
    headers: request.headers,
    httpVersion: info.httpVersion,
    leftover: head,
  }, options);
}

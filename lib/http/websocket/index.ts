/**
 * WebSockets (RFC 6455) on green sockets, in blocking style: `ws.receive()` blocks only the calling green thread
 * until a whole message has arrived, and returns null once the connection has closed.
 *
 * Organization:
 * - {@link upgradeWebSocket}: a WebSocket from a request of the green HTTP server (`http.serve`), in its handler;
 * - {@link acceptWebSocket}: the server side of the handshake, on a request parsed by an HTTP server or by
 *   {@link readUpgradeRequest} (a small head reader for standalone servers);
 * - {@link connectWebSocket}: the client, for ws: and wss: URLs;
 * - {@link WebSocket}: `receive`, `send`, `ping`, `close`, `closeCode`, `closeReason`; pings are answered,
 *   fragments reassembled, text validated, permessage-deflate (RFC 7692) applied;
 * - errors: {@link WebSocketError}, {@link HandshakeError}, {@link WebSocketProtocolError},
 *   {@link WebSocketClosedError}.
 *
 * @example
 * ```ts
 * // inside a green thread
 * serve(listen(8080), (conn) => {
 *   const request = readUpgradeRequest(conn);
 *   if (request === null) return;
 *   const ws = acceptWebSocket(conn, request);
 *   for (const message of ws) ws.send(message); // echo until the client closes
 * });
 * ```
 *
 * @packageDocumentation
 */
export { WebSocket } from './websocket';
export type { WebSocketOptions, WebSocketInit, SendOptions, Message, MessageData, WebSocketState } from './websocket';
export { acceptWebSocket, acceptKey } from './handshake';
export { upgradeWebSocket } from './upgrade';
export type { AcceptOptions } from './handshake';
export { readUpgradeRequest } from './head';
export type { UpgradeRequest, ReadRequest, ReadUpgradeRequestOptions } from './head';
export { connectWebSocket } from './client';
export type { ConnectWebSocketOptions } from './client';
export type { PerMessageDeflateOptions, DeflateAgreement } from './deflate';
export type { ByteStream } from './frame-reader';
export { WebSocketError, HandshakeError, WebSocketProtocolError, WebSocketClosedError } from './errors';
export { isValidCloseCode } from './close-code';

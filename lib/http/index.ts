/**
 * HTTP/1.1 over green sockets: the client ({@link request}, {@link get}, {@link Response},
 * {@link ConnectionPool}), the server ({@link serve}, a fetch-style handler per request in a green thread) and
 * WebSockets ({@link acceptWebSocket}, {@link connectWebSocket}, {@link WebSocket}).
 *
 * @packageDocumentation
 */
export * from './client';
export * from './server';
export * from './websocket';

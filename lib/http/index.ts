/**
 * HTTP over green sockets. For now the client ({@link request}, {@link get}, {@link Response},
 * {@link ConnectionPool}) and WebSockets ({@link acceptWebSocket}, {@link connectWebSocket}, {@link WebSocket});
 * a server will sit beside them.
 *
 * @packageDocumentation
 */
export * from './client';
export * from './websocket';

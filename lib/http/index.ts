/**
 * HTTP/1.1 over green sockets: the client ({@link request}, {@link get}, {@link Response},
 * {@link ConnectionPool}) and the server ({@link serve}, a fetch-style handler per request in a green thread).
 *
 * @packageDocumentation
 */
export * from './client';
export * from './server';

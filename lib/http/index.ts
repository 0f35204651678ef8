/**
 * HTTP over green sockets. For now the client ({@link request}, {@link get}, {@link Response},
 * {@link ConnectionPool}); a server will sit beside it.
 *
 * @packageDocumentation
 */
export * from './client';

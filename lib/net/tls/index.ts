/**
 * TLS over green fds: contexts (context.ts, with the system CAs of ca.ts), connections (socket.ts: TlsSocket,
 * wrapTls, connectTls), their typed errors (errors.ts), and the addon's TLS bindings they call (native.ts,
 * native/tls/).
 */
export { TlsSocket, wrapTls, connectTls } from './socket';
export type { WrapTlsOptions, ConnectTlsOptions, CipherInfo } from './socket';
export { TlsContext, createTlsContext } from './context';
export type { TlsContextOptions, TlsVersion, PemInput } from './context';
export { TlsError, CertificateVerificationError } from './errors';
export type { TlsErrorDetails } from './errors';

/**
 * Green networking: sockets whose blocking calls block only the calling green thread, eventlet's convenience
 * functions, a green `select`, TLS over green sockets, and name resolution.
 */
export { GreenSocket, MSG, shutdownSafe } from './socket';
export type { SocketOptions, SocketType, SendData, ConnectOptions, Shutdownable } from './socket';
export { GreenFile, LineTooLongError, DEFAULT_MAX_LINE_SIZE } from './file';
export { FileModeError } from './errors';
export type { ByteChannel, FileMode, GreenFileOptions, SeekWhence } from './file';
export { select } from '../io/select';
export type { Selectable } from '../io/select';
export { listen, connect } from './convenience';
export type { ListenOptions, ConnectToOptions } from './convenience';
export { serve, StopServe } from './serve';
export type { ServeOptions } from './serve';
export { AcceptBalance, LoadTable } from './accept-balance';
export type { AcceptGate } from './socket';
export { TlsSocket, wrapTls, connectTls, TlsContext, createTlsContext, TlsError, CertificateVerificationError } from './tls';
export type {
  WrapTlsOptions,
  ConnectTlsOptions,
  CipherInfo,
  TlsContextOptions,
  TlsVersion,
  PemInput,
  TlsErrorDetails,
} from './tls';
export * as dns from './dns';
export { DnsError } from './dns';
export type { LookupAddress, LookupOptions, ResolveOptions, ResolveRecords } from './dns';
export type { AddressInput, SocketAddress, SocketFamily } from './address';
export { SOCKET_OPTIONS } from './options';
export type { SocketOptionName } from './options';
export { setDefaultTimeout, getDefaultTimeout } from '../io/green-fd';
export {
  IOError,
  ConnectionRefusedError,
  ConnectionResetError,
  ConnectionAbortedError,
  BrokenPipeError,
  AddressInUseError,
  SocketTimeoutError,
  WouldBlockError,
  ClosedError,
} from '../io/errors';
export type { IOErrorDetails, ClosedErrorDetails } from '../io/errors';

/**
 * The TLS part of the native addon (native/tls/): contexts and connections are numbered handles; each step is
 * one non-blocking OpenSSL call returning a result (>= 0), -errno, or a tls_constants code.
 * @internal
 */
import { addon } from '../../runtime/addon';

export type TlsConstant =
  | 'WANT_READ' | 'WANT_WRITE' | 'CLOSED' | 'FAILED' | 'EOF' | 'WANT_HELLO'
  | 'VERIFY_NONE' | 'VERIFY_PEER' | 'VERIFY_REQUIRE' | 'VERIFY_RECORD' | 'TLS1_2_VERSION' | 'TLS1_3_VERSION';

/** What tls_info returns. */
export type RawTlsInfo = [
  protocol: string, cipher: string, standardCipher: string, alpn: string, servername: string, sessionReused: boolean,
  verifyResult: number, verifyName: string, verifyMessage: string, handshakeDone: boolean,
];

export interface TlsBinding {
  /** Step codes, verify modes and protocol versions of the TLS bindings (native/tls/). */
  tls_constants: Record<TlsConstant, number>;
  // TLS contexts and connections are numbered handles; each step is one non-blocking OpenSSL call returning a
  // result (>= 0), -errno, or a tls_constants code (native/tls/).
  tls_context_new(server: boolean): number;
  tls_context_free(ctx: number): void;
  /** '' or an error message. */
  tls_context_use_certificate(ctx: number, certPem: string, keyPem: string, passphrase: string | null): string;
  /** The number of certificates added, or an error message. */
  tls_context_add_ca(ctx: number, pem: string): number | string;
  /** '' or an error message. */
  tls_context_set_ciphers(ctx: number, tls12List: string, tls13Suites: string): string;
  tls_context_set_versions(ctx: number, min: number, max: number): boolean;
  tls_context_set_alpn(ctx: number, wire: Uint8Array): void;
  tls_context_set_sni_pause(ctx: number, on: boolean): void;
  /** The connection's id, or an error message. */
  tls_connection_new(ctx: number, fd: number, server: boolean): number | string;
  tls_connection_free(conn: number): void;
  tls_set_sni(conn: number, name: string): boolean;
  tls_set_verify(conn: number, mode: number, host: string, hostIsIp: boolean): boolean;
  tls_set_alpn(conn: number, wire: Uint8Array): boolean;
  tls_set_versions(conn: number, min: number, max: number): boolean;
  tls_set_session(conn: number, session: Uint8Array): boolean;
  tls_set_context(conn: number, ctx: number): boolean;
  tls_hello_servername(conn: number): string;
  tls_handshake(conn: number): number;
  tls_read(conn: number, view: ArrayBufferView, offset: number, length: number): number;
  tls_write(conn: number, view: ArrayBufferView, offset: number, length: number): number;
  /** 0: close_notify sent; 1: both ways done. */
  tls_shutdown(conn: number): number;
  tls_info(conn: number): RawTlsInfo;
  tls_error(conn: number): [library: string, reason: string, message: string];
  tls_peer_certificate(conn: number): Uint8Array | null;
  tls_get_session(conn: number): Uint8Array | null;
  tls_stats(): [contexts: number, connections: number];
}

export const native = addon as TlsBinding;

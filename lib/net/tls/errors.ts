/**
 * The typed errors of TLS: {@link TlsError} for a failed handshake, record or shutdown, and its subclass
 * {@link CertificateVerificationError} for a peer certificate that did not verify. Both are IOErrors, so code
 * that handles socket failures handles these too. (Resets, broken pipes and timeouts under TLS keep their own
 * classes: ConnectionResetError, BrokenPipeError, SocketTimeoutError.)
 */
import { constants } from 'node:os';
import { IOError, type IOErrorDetails } from '../../io/errors';

const EPROTO = -(constants.errno.EPROTO ?? 71);

export interface TlsErrorDetails extends IOErrorDetails {
  /** OpenSSL's reason for the first error it queued ("wrong version number"). */
  reason?: string;
  /** Every error OpenSSL queued, as it words them. */
  opensslMessage?: string;
}

/**
 * A TLS failure. `code` is Node's form of OpenSSL's reason (`ERR_SSL_WRONG_VERSION_NUMBER`,
 * `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`), or one of verdant's: `ERR_TLS_UNEXPECTED_EOF` (the peer closed the
 * connection without a TLS close_notify: during the handshake, or mid-stream, where the data may have been
 * truncated), `ERR_TLS_WRITE_INTERRUPTED` (a send was cut short mid-record, so the stream cannot go on). `errno`
 * is EPROTO's. Permanent: the TLS connection cannot be used any more; close it.
 */
export class TlsError extends IOError {
  /** OpenSSL's reason, when it gave one. */
  readonly reason: string | undefined;
  /** Every error OpenSSL queued, when it queued any. */
  readonly opensslMessage: string | undefined;

  constructor(code: string, syscall: string, message: string, details: TlsErrorDetails = {}) {
    super(EPROTO, syscall, details, message);
    // IOError derives `code` from the errno; a TLS failure has its own.
    Object.defineProperty(this, 'code', { value: code, enumerable: true, configurable: true, writable: false });
    this.reason = details.reason;
    this.opensslMessage = details.opensslMessage;
  }
}

/**
 * The peer's certificate did not verify: `code` (and `verifyCode`) names why, as Node does: `CERT_HAS_EXPIRED`,
 * `DEPTH_ZERO_SELF_SIGNED_CERT`, `UNABLE_TO_GET_ISSUER_CERT_LOCALLY` (unknown CA), `SELF_SIGNED_CERT_IN_CHAIN`,
 * `HOSTNAME_MISMATCH`, `IP_ADDRESS_MISMATCH`, ...; `verifyResult` is OpenSSL's X509_V_ERR_* number. Permanent.
 */
export class CertificateVerificationError extends TlsError {
  readonly verifyCode: string;
  readonly verifyResult: number;

  constructor(verifyCode: string, verifyResult: number, syscall: string, message: string, details: TlsErrorDetails = {}) {
    super(verifyCode, syscall, message, details);
    this.verifyCode = verifyCode;
    this.verifyResult = verifyResult;
  }
}

/**
 * The typed errors of WebSockets. Network failures are not here: they are the I/O errors of the socket under the
 * connection (`ConnectionRefusedError`, `SocketTimeoutError`, ... from lib/io/errors), so a caller catches
 * `IOError` for "the network failed" and {@link WebSocketError} for "the WebSocket protocol went wrong".
 */

/** Something about a WebSocket went wrong (the base of this module's errors). */
export class WebSocketError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The opening handshake failed. On the server side ({@link acceptWebSocket}, {@link readUpgradeRequest}) the
 * error response has already been written to the client: `status` is its HTTP status (400, 403 or 426) and
 * `reason` the text sent as its body. On the client side ({@link connectWebSocket}) `status` is the status the
 * server answered with (0 when the response was not HTTP at all, 101 when it was an upgrade that broke the
 * rules). Permanent: the connection cannot become a WebSocket.
 */
export class HandshakeError extends WebSocketError {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, options?: { cause?: unknown }) {
    super(`WebSocket handshake failed${status ? ` (${status})` : ''}: ${reason}`, options);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * The peer broke RFC 6455 (or RFC 7692), or sent a message over the size limit. The connection has been failed:
 * a close frame with `closeCode` (1002 protocol error, 1007 invalid payload data, 1009 message too big) was sent
 * and the socket closed. Permanent.
 */
export class WebSocketProtocolError extends WebSocketError {
  readonly closeCode: number;

  constructor(closeCode: number, problem: string) {
    super(`WebSocket closed with ${closeCode}: ${problem}`);
    this.closeCode = closeCode;
  }
}

/**
 * A send, ping or close on a WebSocket whose closing handshake has started (by either side) or whose connection
 * is gone. `closeCode` and `closeReason` are the WebSocket's at the time (null while the handshake is still
 * under way). Permanent.
 */
export class WebSocketClosedError extends WebSocketError {
  readonly closeCode: number | null;
  readonly closeReason: string;

  constructor(what: string, closeCode: number | null, closeReason: string) {
    super(`${what}: the WebSocket is ${closeCode === null ? 'closing' : `closed (${closeCode}${closeReason ? ` ${closeReason}` : ''})`}`);
    this.closeCode = closeCode;
    this.closeReason = closeReason;
  }
}

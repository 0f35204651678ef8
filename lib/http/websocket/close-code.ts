/**
 * Close frames (RFC 6455 §5.5.1, §7.4): which status codes may be sent and received, and the payload's layout
 * (a 2-byte code, then a UTF-8 reason).
 */
import { isUtf8 } from 'node:buffer';

/** The code a close frame without a payload stands for (never sent on the wire). */
export const NO_STATUS = 1005;
/** The code of a connection that ended without a close frame (never sent on the wire). */
export const ABNORMAL = 1006;
/** The longest reason that fits in a control frame beside its code. */
export const MAX_REASON_BYTES = 123;

/**
 * True for a code a close frame may carry: 1000-1003 and 1007-1014 (those IANA has registered for the wire),
 * and 3000-4999 (libraries, frameworks and applications). 1004, 1005, 1006 and 1015 are reserved or stand for
 * conditions that are never sent, and everything else below 3000 is unassigned.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** A received close frame's payload, taken apart; a string says what is wrong with it (and which code to fail with). */
export function parseClosePayload(payload: Buffer): { code: number; reason: string } | { failCode: number; problem: string } {
  if (payload.length === 0) return { code: NO_STATUS, reason: '' };
  if (payload.length === 1) return { failCode: 1002, problem: 'a close frame with a 1-byte payload' };
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) return { failCode: 1002, problem: `a close frame with the invalid status code ${code}` };
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) return { failCode: 1007, problem: 'a close frame whose reason is not UTF-8' };
  return { code, reason: reason.toString('utf8') };
}

/** The payload of a close frame we send; throws for a code or reason the caller may not send. */
export function closePayload(code: number, reason: string): Buffer {
  if (!Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new RangeError(`a WebSocket close code is 1000-1003, 1007-1014 or 3000-4999, not ${code}`);
  }
  if (typeof reason !== 'string') throw new TypeError(`a WebSocket close reason is a string, not ${typeof reason}`);
  const bytes = Buffer.from(reason, 'utf8');
  if (bytes.length > MAX_REASON_BYTES) {
    throw new RangeError(`a WebSocket close reason is at most ${MAX_REASON_BYTES} bytes of UTF-8, not ${bytes.length}`);
  }
  const payload = Buffer.allocUnsafe(2 + bytes.length);
  payload.writeUInt16BE(code, 0);
  bytes.copy(payload, 2);
  return payload;
}

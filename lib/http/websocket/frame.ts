/**
 * RFC 6455 §5 framing: opcodes, the frame header, masking, and the encoding of outgoing frames. Reading frames
 * off a stream is {@link FrameReader}'s job (lib/http/websocket/frame-reader.ts); what a frame means is the
 * WebSocket's.
 */
import { randomFillSync } from 'node:crypto';

export const enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** The largest payload of a control frame (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** A frame header as received. */
export interface FrameHeader {
  readonly fin: boolean;
  /** RSV1: a compressed message's first frame under permessage-deflate. */
  readonly rsv1: boolean;
  /** RSV2 and RSV3, which no extension we speak uses. */
  readonly rsv23: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /**
   * The payload length (the WebSocket checks it against its limit before the payload is read); -1 when the
   * 64-bit length had its most significant bit set, which §5.2 forbids.
   */
  readonly length: number;
}

/** True for close, ping and pong. */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** The opcodes RFC 6455 defines; the rest are reserved and fail the connection. */
export function isKnownOpcode(opcode: number): boolean {
  return opcode <= Opcode.Binary || (opcode >= Opcode.Close && opcode <= Opcode.Pong);
}

/** XORs `data` in place with the 4-byte `key` (masking and unmasking are the same operation). */
export function applyMask(data: Uint8Array, key: Uint8Array): void {
  const n = data.length;
  let i = 0;
  // Payloads may be megabytes: past an unaligned start, four bytes at a time through 32-bit words, with the key
  // rotated to the word boundary.
  if (n >= 64) {
    for (; (data.byteOffset + i) % 4 !== 0; i++) data[i] ^= key[i & 3];
    const rotated = new Uint8Array(4);
    for (let j = 0; j < 4; j++) rotated[j] = key[(i + j) & 3];
    const k = new Uint32Array(rotated.buffer)[0];
    const words = new Uint32Array(data.buffer, data.byteOffset + i, (n - i) >>> 2);
    for (let w = 0; w < words.length; w++) words[w] ^= k;
    i += words.length * 4;
  }
  for (; i < n; i++) data[i] ^= key[i & 3];
}

/**
 * One frame ready for the wire: the header, then `payload` (masked with a fresh random key when `mask` is
 * true, as a client must; the caller's bytes are never modified). Small frames come back as a single buffer so
 * that they go out in one write.
 */
export function encodeFrame(opcode: number, fin: boolean, rsv1: boolean, payload: Uint8Array, mask: boolean): Buffer[] {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const headerLength = 2 + extended + (mask ? 4 : 0);
  const copyPayload = mask || length <= 16 * 1024;
  const out = Buffer.allocUnsafe(headerLength + (copyPayload ? length : 0));
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (extended === 0) out[1] = maskBit | length;
  else if (extended === 2) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = maskBit | 127;
    out.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  if (!copyPayload) return [out, Buffer.from(payload.buffer, payload.byteOffset, length)];
  out.set(payload, headerLength);
  if (mask) {
    const key = out.subarray(headerLength - 4, headerLength);
    randomFillSync(key);
    applyMask(out.subarray(headerLength), key);
  }
  return [out];
}

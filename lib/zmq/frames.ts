/**
 * Frames of a message as callers give them, checked before they reach zeromq (which would send `{}` or `3` as
 * text, or nothing for an empty list, rather than refuse them).
 *
 * @internal
 */

import { describeValue } from '../runtime/describe';

/** One frame of a message: bytes, or a string sent as UTF-8. */
export type Frame = Buffer | ArrayBufferView | ArrayBuffer | string;

/** Throws a TypeError naming `what` unless `frame` is a {@link Frame}. */
export function checkFrame(frame: unknown, what: string): asserts frame is Frame {
  if (typeof frame === 'string' || ArrayBuffer.isView(frame) || frame instanceof ArrayBuffer) return;
  throw new TypeError(`${what} takes a Buffer, a TypedArray, an ArrayBuffer or a string (one frame), not ${describeValue(frame)}`);
}

/** Throws unless `frames` is a non-empty array of {@link Frame}s. */
export function checkFrames(frames: unknown, what: string): asserts frames is Frame[] {
  if (!Array.isArray(frames)) throw new TypeError(`${what} takes an array of frames, not ${describeValue(frames)}`);
  if (frames.length === 0) throw new RangeError(`${what} takes at least one frame (a ZeroMQ message has one or more)`);
  frames.forEach((frame, i) => checkFrame(frame, `${what} (frame ${i})`));
}

/** A subscription prefix: bytes or a string. */
export function checkPrefix(prefix: unknown, what: string): asserts prefix is Buffer | string {
  if (typeof prefix === 'string' || Buffer.isBuffer(prefix)) return;
  throw new TypeError(`${what} takes a string or a Buffer (a topic prefix), not ${describeValue(prefix)}`);
}

/**
 * The `recv(n)` / `read(n)` shape shared by sockets, pipes and TLS: a fresh Buffer holding what arrived, read
 * without keeping a buffer while the green thread waits.
 */

/** The largest read a single call may ask for. */
export const MAX_READ = 0x7fffffff;

const SCRATCH_SIZE = 65536;
// Shared by every green fd of this thread: a read writes into it only in the syscall that returns the bytes, and
// they are copied out before anything can switch, so no other green thread sees them.
const scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);

/** Throws a RangeError naming `what` unless `size` is an integer from 0 to {@link MAX_READ}. */
export function checkReadSize(size: number, what: string): void {
  if (!Number.isInteger(size) || size < 0 || size > MAX_READ) {
    throw new RangeError(`${what}: the size must be an integer from 0 to ${MAX_READ}, not ${size}`);
  }
}

/**
 * Reads at most `size` bytes with `read(view, length)` (which waits as needed and returns the count) and returns
 * them as a Buffer of their own. Up to 64 KiB go through the scratch buffer, so a green thread parked in a read
 * holds no buffer (most of an idle connection's memory otherwise); larger reads get their own, and are copied out
 * when it came back mostly empty, so a kept result does not pin the whole allocation.
 */
export function readFresh(size: number, read: (view: Buffer, length: number) => number): Buffer {
  if (size > SCRATCH_SIZE) {
    const buffer = Buffer.allocUnsafe(size);
    const n = read(buffer, size);
    return n === size || n * 2 >= size ? buffer.subarray(0, n) : Buffer.from(buffer.subarray(0, n));
  }
  const n = read(scratch, size);
  const out = Buffer.allocUnsafe(n);
  scratch.copy(out, 0, 0, n);
  return out;
}

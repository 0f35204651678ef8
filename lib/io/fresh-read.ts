/**
 * The buffer of a `recv(n)` / `read(n)` that returns a fresh Buffer (sockets, pipes, TLS): a read into
 * {@link freshTarget}, then {@link freshCopy} of what arrived, so that a green thread parked in a read holds no
 * buffer of its own (most of an idle connection's memory otherwise). Two plain calls around the caller's own
 * read loop (GreenFd.readFresh, TlsSocket.recv), so no callback is made per read.
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
 * Where a read of at most `size` bytes goes: up to 64 KiB the shared scratch buffer; larger reads get their own.
 * Read into it, then pass it with the count to {@link freshCopy} before anything can switch.
 */
export function freshTarget(size: number): Buffer {
  return size > SCRATCH_SIZE ? Buffer.allocUnsafe(size) : scratch;
}

/**
 * The `n` bytes a read put into `target` (from {@link freshTarget} for `size`) as a Buffer of their own: copied
 * out of the scratch buffer; a buffer of its own is returned as it is, or copied out when it came back mostly
 * empty, so a kept result does not pin the whole allocation.
 */
export function freshCopy(target: Buffer, size: number, n: number): Buffer {
  if (target !== scratch) return n === size || n * 2 >= size ? target.subarray(0, n) : Buffer.from(target.subarray(0, n));
  const out = Buffer.allocUnsafe(n);
  scratch.copy(out, 0, 0, n);
  return out;
}

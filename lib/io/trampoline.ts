/**
 * trampoline: wait for an fd, eventlet's primitive under every green socket.
 */
import { expiredTimeout } from '../time/timeout';
import { checkTimeout } from '../runtime/seconds';
import { TIMED_OUT, waitFd } from '../runtime/hub';

export interface TrampolineOptions {
  read?: boolean;
  write?: boolean;
  /** Seconds; absent or null: no limit. When it passes first, a {@link Timeout} raises. */
  timeout?: number | null;
  /** Let other green threads wait on the same fd and event at the same time (otherwise a ConcurrentWaitError). */
  shared?: boolean;
  /** false: this wait alone does not keep the process alive. */
  ref?: boolean;
}

/**
 * Parks the current green thread until `fd` is readable (`read`) or writable (`write`). Returns the readiness
 * bits (READ 1, WRITE 2, HANGUP 4, ERROR 8). The fd should be non-blocking; after the wait, retry the syscall.
 *
 * Raises a Timeout when `timeout` passes, IOClosed if the fd is closed through the hub meanwhile, and
 * ConcurrentWaitError when another green thread already waits for the same event on it.
 *
 * Switch point: always.
 */
export function trampoline(fd: number, options: TrampolineOptions): number {
  if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`trampoline takes an fd (an integer >= 0), not ${String(fd)}`);
  if (!options || (!options.read && !options.write)) throw new TypeError('trampoline needs read: true or write: true');
  checkTimeout(options.timeout, 'trampoline');
  const ready = waitFd(fd, options);
  if (ready === TIMED_OUT) {
    const what = options.read && options.write ? 'read or write' : options.read ? 'read' : 'write';
    throw expiredTimeout(options.timeout!, `timed out after ${options.timeout} s waiting to ${what} fd ${fd}`);
  }
  return ready;
}

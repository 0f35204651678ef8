/**
 * select: eventlet.green.select's `select(readers, writers, errors, timeout)`. It says which of the given fds (or
 * objects with a `fileno()`: sockets, pipes, files) are ready, parking only the calling green thread until one is.
 *
 * What is ready is read with poll(2) and a zero timeout (native/io `io_poll`), so an answer never waits and names
 * every ready fd, as the system's select does. The waiting is the hub's: one short-lived greenlet per fd parks on
 * it (`waitFd`, shared with any other waiter) and wakes the caller with the readiness it saw, which the caller
 * adds to what it finds when it looks again.
 */
import { IOClosed } from '../runtime/errors';
import { Greenlet } from '../runtime/greenlet';
import {
  ERROR,
  HANGUP,
  READ,
  TIMED_OUT,
  WRITE,
  interrupt,
  park,
  requireGreen,
  scheduleStart,
  unscheduleStart,
  waitFd,
  wake,
} from '../runtime/hub';
import { native } from './native';
import { checkTimeout } from '../runtime/seconds';
import { ClosedError, IOError, ioError } from './errors';

const C = native.io_constants;
// Ready means a call would not wait: as select(2) (Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET), and a hung-up
// fd writable too (a write fails at once), as Python's selectors count it, so a wait that saw only a hangup ends.
const READABLE = C.POLLIN | C.POLLHUP | C.POLLERR;
const WRITABLE = C.POLLOUT | C.POLLERR | C.POLLHUP;
const EXCEPTIONAL = C.POLLPRI;

/** What select takes: an fd, or an object with a `fileno()` method returning one (GreenSocket, GreenPipe, GreenFile). */
export type Selectable = number | { fileno(): number };

/**
 * Which of `readers` are ready to read, `writers` to write, and `errors` have an exceptional condition
 * (out-of-band data), as three arrays of the items given (each in its list's order): eventlet's green
 * `select.select`. When none is, the calling green thread parks until one is or `timeout` seconds pass (then three
 * empty arrays); `null` (the default) waits without limit, and 0 only looks. Other green threads run meanwhile.
 *
 * A socket whose peer hung up, or that failed, counts as readable (a read then says so), as with the system's
 * select. The hub waits for readability and writability only, so an fd in `errors` and in no other list is
 * reported when select looks: at once, when another fd wakes it, and when the timeout ends (eventlet's select
 * ignores `errors` altogether).
 *
 * Errors: TypeError for an item that is not an fd or has no `fileno()` returning an integer (and for bad lists or
 * timeout); RangeError for a negative fd; {@link ClosedError} for an object already closed (`fileno()` -1), or
 * closed by another green thread while select waits on it; IOError EBADF for an fd that is not open.
 *
 * Switch point: when nothing is ready and `timeout` is not 0 (on the main stack, that is a HubBlockingError).
 */
export function select<R extends Selectable, W extends Selectable, E extends Selectable>(
  readers: Iterable<R>,
  writers: Iterable<W>,
  errors: Iterable<E>,
  timeout: number | null = null,
): [R[], W[], E[]] {
  checkTimeout(timeout, 'select');
  const lists = [listOf(readers, 'readers'), listOf(writers, 'writers'), listOf(errors, 'errors')] as const;
  const fds = lists.map((list) => list.map(filenoOf));
  // fd -> the poll events asked for it, in all three lists together.
  const wanted = new Map<number, number>();
  for (const [i, events] of [C.POLLIN, C.POLLOUT, EXCEPTIONAL].entries()) {
    for (const fd of fds[i]) wanted.set(fd, (wanted.get(fd) ?? 0) | events);
  }
  // `seen`: what woke a wait, reported even if another green thread has taken the data since (as eventlet does,
  // and as the system's select, which tells of a moment): looking again alone could wait forever then.
  const answer = (seen?: Readiness): [R[], W[], E[]] | null => {
    const ready = pollNow(wanted);
    if (seen !== undefined) ready.set(seen.fd, (ready.get(seen.fd) ?? 0) | seen.events);
    const pick = <T>(list: T[], i: number, mask: number) => list.filter((_, j) => ((ready.get(fds[i][j]) ?? 0) & mask) !== 0);
    const result: [R[], W[], E[]] = [pick(lists[0], 0, READABLE), pick(lists[1], 1, WRITABLE), pick(lists[2], 2, EXCEPTIONAL)];
    return result[0].length + result[1].length + result[2].length > 0 ? result : null;
  };
  const now = answer();
  if (now !== null || timeout === 0) return now ?? [[], [], []];
  const self = requireGreen('select');
  const deadline = timeout === null ? -1 : performance.now() + timeout * 1000;
  for (;;) {
    const left = deadline < 0 ? null : Math.max(0, deadline - performance.now()) / 1000;
    const woken = waitForAny(self, wanted, left);
    if (woken instanceof SelectClosed) {
      throw new ClosedError('select', true, { what: closedWhat(lists, fds, woken.fd) });
    }
    const ready = answer(woken === TIMED_OUT ? undefined : woken);
    if (ready !== null) return ready;
    if (woken === TIMED_OUT) return [[], [], []];
  }
}

function listOf<T>(items: Iterable<T>, what: string): T[] {
  if (items === null || typeof (items as Partial<Iterable<T>>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`select: ${what} must be an array (or another iterable), not ${items === null ? 'null' : typeof items}`);
  }
  return Array.isArray(items) ? items : [...items];
}

// The fd of an item, checked as eventlet's get_fileno does (and refusing what poll would only report as invalid).
function filenoOf(item: Selectable): number {
  if (typeof item === 'number') {
    if (!Number.isInteger(item)) throw new TypeError(`select: an fd is an integer, not ${item}`);
    if (item < 0) throw new RangeError(`select: an fd cannot be negative (${item})`);
    return item;
  }
  const fileno = (item as { fileno?: unknown } | null)?.fileno;
  if (typeof fileno !== 'function') {
    throw new TypeError(`select: expected an fd (an integer) or an object with a fileno() method, got ${describe(item)}`);
  }
  const fd: unknown = fileno.call(item);
  if (typeof fd !== 'number' || !Number.isInteger(fd)) throw new TypeError(`select: fileno() must return an integer, not ${describe(fd)}`);
  if (fd < 0) throw new ClosedError('select', false, { what: `${(item as object).constructor?.name ?? 'object'} (fileno() ${fd})` });
  return fd;
}

// What a ClosedError names for `fd`, closed while select waited: the class of the item that had it, and the fd.
function closedWhat(lists: readonly Selectable[][], fds: number[][], fd: number): string {
  for (const [i, list] of lists.entries()) {
    const j = fds[i].indexOf(fd);
    const item = list[j];
    if (j >= 0 && typeof item === 'object' && item !== null) return `${item.constructor?.name ?? 'object'} with fd ${fd}`;
  }
  return `fd ${fd}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  // A class with its own toString (GreenSocket's names its fd and address) says more than its name.
  if (typeof value === 'object') {
    const text = String(value);
    return text.startsWith('[object ') ? `an instance of ${value.constructor?.name ?? 'Object'}` : text;
  }
  return `a ${typeof value}`;
}

// fd -> revents of the fds that have any, right now.
function pollNow(wanted: Map<number, number>): Map<number, number> {
  const list = new Int32Array(wanted.size * 2);
  let i = 0;
  for (const [fd, events] of wanted) {
    list[i++] = fd;
    list[i++] = events;
  }
  const r = native.io_poll(list);
  if (r < 0) throw ioError(r, 'poll');
  const ready = new Map<number, number>();
  for (let j = 0; j < list.length; j += 2) {
    const revents = list[j + 1];
    if (revents & C.POLLNVAL) throw new IOError(-C.EBADF, 'select', {}, `select: fd ${list[j]} is not open`);
    if (revents !== 0) ready.set(list[j], revents);
  }
  return ready;
}

/** What a helper hands the caller when the fd it watched was closed through the hub. */
class SelectClosed {
  constructor(readonly fd: number) {}
}

/** What a helper hands the caller when its fd became ready: the poll(2) bits of the hub's readiness bits. */
class Readiness {
  readonly events: number;
  constructor(
    readonly fd: number,
    bits: number,
  ) {
    this.events =
      (bits & READ ? C.POLLIN : 0) | (bits & WRITE ? C.POLLOUT : 0) | (bits & HANGUP ? C.POLLHUP : 0) | (bits & ERROR ? C.POLLERR : 0);
  }
}

// Raised in helpers still waiting once the caller has its answer. Internal: the helpers catch it, so it cannot
// reach a user (a plain Error on purpose).
const STOP = new Error('select: done');

/**
 * Parks `self` until one of the fds is ready for what it was asked for (returns its Readiness), `timeout` passes
 * (TIMED_OUT), or one is closed under it (a SelectClosed). One helper greenlet per fd does the waiting.
 */
function waitForAny(self: Greenlet, wanted: Map<number, number>, timeout: number | null): Readiness | typeof TIMED_OUT | SelectClosed {
  const state = { done: false };
  const helpers: Greenlet[] = [];
  try {
    for (const [fd, events] of wanted) {
      const read = (events & C.POLLIN) !== 0;
      const write = (events & C.POLLOUT) !== 0;
      // Waiting for readability instead would spin on an fd that is readable but has no out-of-band data.
      if (!read && !write) continue;
      const helper = new Greenlet(() => watch(fd, read, write, self, state), Greenlet.getMain());
      helpers.push(helper);
      scheduleStart(helper);
    }
    const woken = park('select', timeout);
    if (woken instanceof Error) throw woken; // a helper's wait failed (EPERM for a regular file, say)
    return woken as Readiness | typeof TIMED_OUT | SelectClosed;
  } finally {
    state.done = true;
    for (const helper of helpers) stop(helper);
  }
}

function watch(fd: number, read: boolean, write: boolean, caller: Greenlet, state: { done: boolean }): void {
  let outcome: unknown;
  try {
    const bits = waitFd(fd, { read, write, shared: true }) as number; // no timeout: never TIMED_OUT
    outcome = new Readiness(fd, bits);
  } catch (error) {
    if (error === STOP) return;
    outcome = error instanceof IOClosed ? new SelectClosed(fd) : error;
  }
  // A caller that already has its answer may be waiting on something else by now.
  if (!state.done) wake(caller, outcome);
}

function stop(helper: Greenlet): void {
  if (helper.dead) return;
  if (!helper.started) {
    unscheduleStart(helper);
    helper.close();
  } else {
    interrupt(helper, STOP);
  }
}

/**
 * The hub, seen from TypeScript: how a green thread waits and how it is woken.
 *
 * The hub is Node's own event loop on the main stack, driven by the native hub (native/hub): a green thread
 * parks there (`park`, `waitFd`) and main runs the loop; when the wait ends, the native hub switches straight
 * back into the green thread. Everything that blocks in verdant (sleep, Event, Queue, locks, sockets, promises)
 * is a `park` plus a rule for who calls `wake`.
 *
 * Rules for code built on this module:
 * - A waker must only wake a greenlet that still waits on *its* object: keep a waiter list and remove yourself
 *   from it in a `finally` around `park`.
 * - `park` can end in an exception instead of a value: a kill, or a {@link Timeout} armed around the wait.
 *   A value delivered by `wake` at the same moment is then dropped, so hand over *signals* ("an item may be
 *   there"), not ownership; on the way out with an exception, pass an undelivered signal on to the next waiter.
 * - Waits on fds are one-shot: after readiness, retry the syscall; on EAGAIN, wait again.
 *
 * @internal Used by lib/; the public surface is lib/runtime/greenthread.ts, lib/time and lib/sync.
 */
import { getSystemErrorName } from 'node:util';
import { settings } from './config';
import { ConcurrentWaitError, FdWaitError, HubBlockingError, IOClosed } from './errors';
import { Greenlet, getCurrent, leaveForHub, receiveTransfer, resumedFromHub, waitReason } from './greenlet';
import { native } from './native';
import { ALARM_ID, ERRNO, sharedState } from './shared-state';

/** Readiness bits of an fd wait (native/hub/poller.h). */
export const READ = 1;
export const WRITE = 2;
export const HANGUP = 4;
export const ERROR = 8;
/** With READ, from `afterEagain` waits: the peer shut down its write side (end of stream follows the data). */
export const PEER_CLOSED = 16;

/** What `native.hub_park` returns besides readiness bits (native/hub/hub.h `WakeCode`). */
const enum Wake {
  Timeout = 0,
  ByWake = -1,
  FdClosed = -2,
  Alarm = -3,
  SwitchedIn = -4,
  Collision = -5,
  Failed = -6,
}

const UNREF = 16;
const SHARED = 32;
const EDGE = 64;

/** Returned by {@link park} when its timeout passed first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** What an alarm raises when it fires (a Timeout): the error, or null if it was cancelled meanwhile. */
export interface AlarmOwner {
  fire(): unknown;
}

const main = Greenlet.getMain();
// The hot native entry points, read once: the addon's exports object is large enough for V8 to keep it in
// dictionary mode, which makes every property load on it a slow lookup.
const hubPark = native.hub_park;
const hubWake = native.hub_wake;
// Values handed to parked greenlets by wake(), taken when they resume.
const delivered = new Map<Greenlet, unknown>();
// Errors to raise in greenlets at their current or next wait (kill), ahead of any value.
const interrupts = new Map<Greenlet, unknown>();
// Parked greenlets whose wait does not keep the process alive (they are not "stuck" at exit).
const unrefWaiters = new Set<Greenlet>();
const alarms = new Map<number, AlarmOwner>();
let started = false;
let pollerName = '';
let startFailureHandler: (g: Greenlet, message: string) => void = () => {};

/** Starts this thread's native hub (once). */
export function ensureHub(): void {
  if (started) return;
  pollerName = native.hub_init((g, message) => startFailureHandler(g as Greenlet, message));
  started = true;
}

/** @internal lib/runtime/greenthread.ts fails green threads that could not get a stack to start on. */
export function onStartFailure(handler: (g: Greenlet, message: string) => void): void {
  startFailureHandler = handler;
}

/** The name of the poller this thread's hub uses (`'epoll'` or `'kqueue'`); empty before the hub starts. */
export function poller(): string {
  return pollerName;
}

/**
 * The current green thread, or a {@link HubBlockingError} naming `operation` when called on the main stack.
 */
export function requireGreen(operation: string): Greenlet {
  const self = getCurrent();
  if (self === main) throw new HubBlockingError(operation);
  return self;
}

/**
 * Parks the current green thread until {@link wake} (returns the value given to it), `timeout` seconds pass
 * (returns {@link TIMED_OUT}), or an interrupt or alarm raises in it. `reason` says what it waits on, for dumps.
 * `ref: false`: this wait alone does not keep the process alive. A `timeout` of 0 is a yield: the thread is
 * ready at once and returns TIMED_OUT on the next loop turn; `wake` cannot reach it meanwhile.
 *
 * Switch point: always.
 */
export function park(reason: string, timeout?: number | null, ref = true): unknown {
  const self = requireGreen(reason);
  return parkOn(self, -1, ref ? 0 : UNREF, timeout === undefined || timeout === null ? -1 : timeout, reason);
}

/** Lets every other ready green thread and the event loop run once, then continues. Switch point: always. */
export function yieldNow(): void {
  const self = requireGreen('sleep(0)');
  parkOn(self, -1, 0, 0, 'sleep(0)');
}

export interface FdWaitOptions {
  read?: boolean;
  write?: boolean;
  /** Seconds; absent or null: no limit. */
  timeout?: number | null;
  /** Other green threads may wait on the same fd and event at the same time. */
  shared?: boolean;
  /** This wait alone does not keep the process alive. */
  ref?: boolean;
  /**
   * The caller just got EAGAIN from the fd (or a short read of a stream), and tells the hub about the fd's
   * opening and closing ({@link fdOpened}, {@link fdClosed}): the hub then watches the fd edge-triggered, with no
   * syscall per wait. Waits without it arm the fd once, and see readiness that is already there.
   */
  afterEagain?: boolean;
}

/**
 * Parks the current green thread until `fd` is ready for what `options` asks. Returns the readiness bits
 * ({@link READ}, {@link WRITE}, plus {@link HANGUP}/{@link ERROR} when the peer hung up or the fd failed), or
 * {@link TIMED_OUT}. Throws {@link IOClosed} if the fd is closed through {@link fdClosed} meanwhile, and
 * {@link ConcurrentWaitError} if another green thread already waits for the same event on it.
 *
 * Switch point: always.
 */
export function waitFd(fd: number, options: FdWaitOptions): number | typeof TIMED_OUT {
  const events = (options.read ? READ : 0) | (options.write ? WRITE : 0);
  const what = `${events === READ ? 'read' : events === WRITE ? 'write' : 'read/write'} fd ${fd}`;
  const self = requireGreen(`waiting to ${what}`);
  let flags = events;
  if (options.ref === false) flags |= UNREF;
  if (options.shared || !settings.preventMultipleWaiters) flags |= SHARED;
  if (options.afterEagain) flags |= EDGE;
  const timeout = options.timeout === undefined || options.timeout === null ? -1 : options.timeout;
  return parkOn(self, fd, flags, timeout, what) as number | typeof TIMED_OUT;
}

function parkOn(self: Greenlet, fd: number, flags: number, timeout: number, reason: string): unknown {
  if (interrupts.size !== 0 && interrupts.has(self)) throw takeInterrupt(self);
  ensureHub();
  self[waitReason] = reason;
  if (flags & UNREF) unrefWaiters.add(self);
  leaveForHub();
  let code: number;
  try {
    code = hubPark(fd, flags, timeout);
  } finally {
    resumedFromHub(self);
    self[waitReason] = undefined;
    if (flags & UNREF) unrefWaiters.delete(self);
  }
  if (interrupts.size !== 0 && interrupts.has(self)) {
    delivered.delete(self);
    throw takeInterrupt(self);
  }
  if (code > 0) return code;
  switch (code) {
    case Wake.Timeout:
      return TIMED_OUT;
    case Wake.ByWake: {
      const value = delivered.get(self);
      delivered.delete(self);
      return value;
    }
    case Wake.Alarm: {
      const id = sharedState[ALARM_ID];
      const owner = alarms.get(id);
      alarms.delete(id);
      const error = owner?.fire() ?? null;
      if (error !== null) throw error;
      // Cancelled between firing and delivery (cannot happen: cancel withdraws it); wait again.
      return parkOn(self, fd, flags, timeout, reason);
    }
    case Wake.SwitchedIn:
      // Someone switched here directly (Greenlet.switch/throw): their value or error is what this wait returns.
      return receiveTransfer();
    case Wake.FdClosed:
      throw new IOClosed(fd);
    case Wake.Collision:
      throw collision(self, fd, flags);
    case Wake.Failed: {
      const errno = sharedState[ERRNO];
      const name = getSystemErrorName(-errno);
      throw new FdWaitError(fd, -errno, name);
    }
    default:
      // cannot happen: the native hub returns only the Wake codes above (an addon out of step with lib/ would).
      throw new Error(`verdant: unknown wake code ${code} from the native hub`);
  }
}

function takeInterrupt(self: Greenlet): unknown {
  const error = interrupts.get(self);
  interrupts.delete(self);
  return error;
}

function collision(self: Greenlet, fd: number, flags: number): ConcurrentWaitError {
  const waiters = native.hub_fd_waiters(fd);
  const others: string[] = [];
  for (let i = 0; i < waiters.length; i += 2) {
    if (((waiters[i + 1] as number) & flags & (READ | WRITE)) !== 0) others.push(describeGreenlet(waiters[i]));
  }
  const verb = flags & READ ? 'read' : 'write';
  return new ConcurrentWaitError(
    `${describeGreenlet(self)} cannot wait to ${verb} fd ${fd}: ${others.join(', ')} already waits to ${verb} it. ` +
      'Only one green thread at a time may read (or write) an fd; share it through a Queue or a Pool, or ' +
      'pass { shared: true } if the waits really are meant to overlap.',
  );
}

/** A short name for a greenlet in messages: its `name` if it has one. */
export function describeGreenlet(g: unknown): string {
  if (g === main) return 'the main greenlet';
  const name = (g as { name?: unknown } | null)?.name;
  const kind = g instanceof Greenlet ? g.constructor.name : 'greenlet';
  return typeof name === 'string' && name !== '' ? `${kind} "${name}"` : `a ${kind}`;
}

/**
 * Resumes a parked greenlet with `value` at the next dispatch (as the return value of its {@link park}).
 * Returns false, and does nothing, if it is not parked.
 */
export function wake(g: Greenlet, value?: unknown): boolean {
  if (!hubWake(g)) return false;
  if (value !== undefined) delivered.set(g, value);
  return true;
}

/**
 * Makes `error` raise in `g` at its current wait (waking it) or, if it is not waiting now, at its next one.
 * A value already delivered to it and not yet received is dropped.
 */
export function interrupt(g: Greenlet, error: unknown): void {
  interrupts.set(g, error);
  hubWake(g);
}

/** Withdraws an interrupt that has not been raised yet. */
export function withdrawInterrupt(g: Greenlet): boolean {
  return interrupts.delete(g);
}

/** Where the hub has `g`: not at all, parked, ready to run, or scheduled to start on a timer. */
export function phaseOf(g: Greenlet): 'none' | 'parked' | 'ready' | 'scheduled' {
  if (!started) return 'none';
  return (['none', 'parked', 'ready', 'scheduled'] as const)[native.hub_phase(g)];
}

/** What a parked greenlet waits on ('sleep', 'Event.wait', 'read fd 7', ...), or undefined. */
export function waitReasonOf(g: Greenlet): string | undefined {
  return g[waitReason];
}

/** True while `g` is parked in a wait that does not keep the process alive. */
export function isUnrefWait(g: Greenlet): boolean {
  return unrefWaiters.has(g);
}

/** Starts a never-started greenlet from the hub, after `delay` seconds (0: at the next dispatch). */
export function scheduleStart(g: Greenlet, delay = 0, ref = true): void {
  ensureHub();
  if (!native.hub_schedule(g, delay, ref)) throw new TypeError('only a new, unscheduled greenlet can be scheduled');
}

/** Cancels a pending start; false if there was none. */
export function unscheduleStart(g: Greenlet): boolean {
  return started && native.hub_unschedule(g);
}

/** Arms an alarm that raises `owner.fire()` in `g` after `seconds`. Returns its id. */
export function startAlarm(g: Greenlet, seconds: number, owner: AlarmOwner, ref = true): number {
  ensureHub();
  const id = native.hub_alarm_start(g, seconds, ref);
  alarms.set(id, owner);
  return id;
}

/** Disarms an alarm; false if it already raised (or never existed). */
export function cancelAlarm(id: number): boolean {
  alarms.delete(id);
  return started && native.hub_alarm_cancel(id);
}

/**
 * Tells the hub that `fd` is about to be closed: green threads waiting on it resume with {@link IOClosed}, and
 * the poller forgets it. Call it before closing any fd that green threads may wait on.
 */
export function fdClosed(fd: number): void {
  if (started) native.hub_fd_closed(fd);
}

/**
 * Tells the hub that `fd` is a new fd: whatever it knew about an older fd of that number (closed without
 * {@link fdClosed}) is dropped. Owners of fds that wait with `afterEagain` call it when they take an fd.
 */
export function fdOpened(fd: number): void {
  if (started) native.hub_fd_opened(fd);
}

/** The fd waits in the hub now. */
export function listeners(): Array<{ fd: number; read: boolean; write: boolean; greenlet: Greenlet | null }> {
  if (!started) return [];
  const flat = native.hub_listeners();
  const out = [];
  for (let i = 0; i < flat.length; i += 3) {
    const events = flat[i + 1] as number;
    out.push({
      fd: flat[i] as number,
      read: (events & READ) !== 0,
      write: (events & WRITE) !== 0,
      greenlet: flat[i + 2] as Greenlet | null,
    });
  }
  return out;
}

/** The timers in the hub now, soonest first. */
export function timers(): Array<{
  secondsLeft: number;
  kind: 'timeout' | 'start' | 'alarm';
  /** Null when the greenlet's object is already being collected. */
  greenlet: Greenlet | null;
}> {
  if (!started) return [];
  const flat = native.hub_timers();
  const kinds = ['timeout', 'start', 'alarm'] as const;
  const out = [];
  for (let i = 0; i < flat.length; i += 4) {
    out.push({ secondsLeft: flat[i] as number, kind: kinds[flat[i + 1] as number], greenlet: flat[i + 2] as Greenlet | null });
  }
  return out.sort((a, b) => a.secondsLeft - b.secondsLeft);
}

/** Counters of this thread's hub, for tests and benchmarks. */
export function hubStats(): { turns: number; resumes: number; fdEvents: number; timersFired: number; ready: number } {
  if (!started) return { turns: 0, resumes: 0, fdEvents: 0, timersFired: 0, ready: 0 };
  const [turns, resumes, fdEvents, timersFired, ready] = native.hub_stats();
  return { turns, resumes, fdEvents, timersFired, ready };
}

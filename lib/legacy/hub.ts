/**
 * `api.getHub()`, `api.useHub()`, `api.getDefaultHub()`: the hub as an object, for code written against
 * eventlet's hub interface. verdant has exactly one hub per thread (the native one, driving Node's event loop),
 * so these expose it rather than choose among several.
 */
import { ensureHub, hubStats, listeners, poller, timers } from '../runtime/hub';
import { HubNotAvailableError } from './errors';
import { type Timer, callAfter } from './timers';

/** This thread's hub, seen through eventlet's early interface. */
export class Hub {
  /** @internal Use {@link getHub}. */
  constructor() {}

  /** The poller the hub multiplexes fds with: `'epoll'` on Linux, `'kqueue'` on the BSDs and macOS. */
  get poller(): string {
    ensureHub();
    return poller();
  }

  /** eventlet's `hub.schedule_call`: {@link callAfter}. */
  scheduleCall<A extends unknown[]>(seconds: number, fn: (...args: A) => unknown, ...args: A): Timer {
    return callAfter(seconds, fn, ...args);
  }

  /** The fd waits in the hub now: which fd, for reading or writing, and which green thread waits. */
  listeners(): ReturnType<typeof listeners> {
    return listeners();
  }

  /** The hub's timers now, soonest first (sleeps, timeouts, scheduled starts). */
  timers(): ReturnType<typeof timers> {
    return timers();
  }

  /** Counters: loop turns, resumes, fd events, timers fired, green threads ready. */
  stats(): ReturnType<typeof hubStats> {
    return hubStats();
  }
}

const hub = new Hub();

/** This thread's hub (the same object every time). Switch point: never. */
export function getHub(): Hub {
  return hub;
}

/** eventlet's `get_default_hub`: the only hub there is, {@link getHub}'s. */
export function getDefaultHub(): Hub {
  return hub;
}

/**
 * eventlet's `use_hub(name)`: accepts no name, `'default'`, or the name of this platform's poller, which all mean
 * the hub verdant already runs; any other name is a {@link HubNotAvailableError}, so a program that relies on a
 * hub of its own learns at once.
 */
export function useHub(name?: string): void {
  if (name === undefined || name === 'default') return;
  const available = hub.poller;
  if (name !== available) throw new HubNotAvailableError(String(name), available);
}

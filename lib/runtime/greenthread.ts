/**
 * Green threads: greenlets that the hub starts and resumes, as eventlet's greenthread module.
 *
 * `spawn(fn, ...args)` returns a {@link GreenThread} that starts at the hub's next dispatch; its parent is the
 * hub (main), so when it blocks, the event loop runs, and when the wait ends, the hub switches back into it.
 * Its result or error goes to `wait()`, to `link` callbacks and to `then` (a GreenThread is a thenable: async
 * code can `await spawn(fn)`). `spawnN` is the light form with no result: an error it throws is an uncaught
 * exception, as in a callback.
 */
import { settings } from './config';
import { GreenletExit } from './errors';
import { Greenlet, getCurrent } from './greenlet';
import {
  describeGreenlet,
  interrupt,
  park,
  phaseOf,
  requireGreen,
  scheduleStart,
  onStartFailure,
  unscheduleStart,
  wake,
  yieldNow,
} from './hub';
import { GreenletError } from './errors';
import { checkSeconds } from './seconds';

/** A function called with the green thread when it finishes, then the extra arguments given to `link`. */
export type LinkCallback<T, A extends unknown[] = unknown[]> = (gt: GreenThread<T>, ...args: A) => void;

const main = Greenlet.getMain();
/** Every green thread (spawn, spawnN) not yet finished, in spawn order. */
export const liveGreenThreads = new Set<Greenlet>();
/** Where each live green thread was spawned, when {@link settings.captureSpawnSites} is on. */
export const spawnSites = new WeakMap<Greenlet, string>();
let nextId = 1;
/** The extra arguments of a link that has none. */
const NO_ARGS: readonly unknown[] = Object.freeze([]);

let finishUnstarted: (gt: GreenThread, error: unknown) => void;
let bindToSpawner: (gt: GreenThread<any>, spawner: Greenlet) => void;
let watchFinish: (gt: GreenThread<any>, callback: (gt: GreenThread<any>) => void) => void;

/**
 * A green thread: runs `fn(...args)` on a greenlet started by the hub. Create it with {@link spawn} or
 * {@link spawnAfter}.
 */
export class GreenThread<T = unknown> extends Greenlet<void, void> implements PromiseLike<T> {
  /** A name for dumps and messages; `green-<n>` unless set. */
  name: string;
  #fn: ((...args: any[]) => T) | undefined;
  #args: unknown[] | undefined;
  // spawnAfterLocal's spawner: if it has died by the start, the function never runs.
  #spawner: Greenlet | null = null;
  #finished = false;
  #failed = false;
  #result: unknown;
  // Both made on first use: most green threads never get a waiter, and get one or two links (a pool's slot
  // release, spawnN's failure report), which an idle connection's green thread holds for as long as it is parked.
  #waiters: Greenlet[] | null = null;
  // Flat pairs: callback, its extra arguments, callback, arguments...
  #links: Array<LinkCallback<T, any[]> | readonly unknown[]> | null = null;
  // Someone will see the outcome (wait, link, then): a failure is then not reported on its own.
  #observed = false;

  /** @internal Use {@link spawn}. */
  constructor(fn: (...args: any[]) => T, args: unknown[]) {
    super(undefined, main);
    this.#fn = fn;
    this.#args = args;
    this.name = `green-${nextId++}`;
  }

  /** @internal The greenlet body: runs the function and publishes its outcome. */
  override run(): void {
    const fn = this.#fn!;
    const args = this.#args!;
    this.#fn = this.#args = undefined;
    if (this.#spawner !== null) {
      const spawnerDied = this.#spawner.dead;
      this.#spawner = null;
      if (spawnerDied) return this.#finish(true, new GreenletExit());
    }
    let failed = false;
    let result: unknown;
    try {
      result = fn(...args);
    } catch (error) {
      failed = true;
      result = error;
    }
    this.#finish(failed, result);
  }

  #finish(failed: boolean, result: unknown): void {
    this.#finished = true;
    this.#failed = failed;
    this.#result = result;
    liveGreenThreads.delete(this);
    const waiters = this.#waiters;
    const links = this.#links;
    this.#waiters = this.#links = null;
    if (waiters !== null) for (const waiter of waiters) wake(waiter);
    if (links !== null) {
      for (let i = 0; i < links.length; i += 2) {
        callLink(links[i] as LinkCallback<T, any[]>, this, links[i + 1] as readonly unknown[]);
      }
    }
    if (failed && !this.#observed && !(result instanceof GreenletExit)) {
      // Like an unhandled rejection, but not fatal: eventlet and gevent print it and go on.
      console.error(`verdant: ${describeGreenlet(this)} failed and nobody waits for it:`, result);
    }
  }

  /** True once the function has returned or thrown, or the thread was killed. */
  override get dead(): boolean {
    return this.#finished || super.dead;
  }

  /**
   * Blocks until the green thread finishes; returns its result or throws its error (a {@link GreenletExit} if it
   * was killed).
   *
   * Switch point: when it has not finished yet.
   */
  wait(): T {
    this.#observed = true;
    if (!this.#finished) {
      const self = requireGreen('GreenThread.wait()');
      if (self === this) throw new GreenletError('a green thread cannot wait for itself to finish');
      (this.#waiters ??= []).push(self);
      try {
        while (!this.#finished) park('GreenThread.wait');
      } finally {
        const i = this.#waiters?.indexOf(self) ?? -1;
        if (i >= 0) this.#waiters!.splice(i, 1);
      }
    }
    if (this.#failed) throw this.#result;
    return this.#result as T;
  }

  /**
   * Calls `callback(thisThread, ...args)` when the green thread finishes (in the finishing green thread, right
   * after its function returns), or at once if it already has. An error the callback throws is an uncaught
   * exception.
   */
  link<A extends unknown[]>(callback: LinkCallback<T, A>, ...args: A): void {
    if (typeof callback !== 'function') throw new TypeError('link takes a function');
    this.#observed = true;
    this.#whenFinished(callback, args.length === 0 ? NO_ARGS : args);
  }

  #whenFinished(callback: LinkCallback<T, any[]>, args: readonly unknown[]): void {
    if (this.#finished) {
      callLink(callback, this, args);
    } else if (this.#links === null) {
      this.#links = [callback, args];
    } else {
      // concat makes an array of the exact size; push would grow it to 22 slots for a second link (a pool's
      // spawnN thread has two), held for as long as the thread lives.
      this.#links = this.#links.concat([callback, args]);
    }
  }

  /** Removes a callback added with `link`; false if it was not linked. */
  unlink(callback: LinkCallback<T, any[]>): boolean {
    const links = this.#links;
    if (links === null) return false;
    for (let i = 0; i < links.length; i += 2) {
      if (links[i] === callback) {
        links.splice(i, 2);
        return true;
      }
    }
    return false;
  }

  /** Kills the green thread: see {@link kill}. */
  kill(error?: unknown): void {
    kill(this, error);
  }

  /**
   * Kills the green thread only if it has not started yet; otherwise does nothing. Returns whether it killed.
   */
  cancel(error?: unknown): boolean {
    if (this.started || this.dead) return false;
    kill(this, error);
    return true;
  }

  /** Settles with the result, or rejects with the error, when the green thread finishes. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#observed = true;
    const settled = new Promise<T>((resolve, reject) => {
      const settle = () => (this.#failed ? reject(this.#result) : resolve(this.#result as T));
      this.#whenFinished(settle, NO_ARGS);
    });
    return settled.then(onFulfilled, onRejected);
  }

  static {
    finishUnstarted = (gt, error) => gt.#finish(true, error);
    bindToSpawner = (gt, spawner) => {
      gt.#spawner = spawner;
    };
    watchFinish = (gt, callback) => gt.#whenFinished(callback, NO_ARGS);
  }
}

/**
 * @internal Calls `callback(gt)` when `gt` finishes (at once if it has), as {@link GreenThread.link} does, but
 * without counting as someone who sees the outcome: a failure that nobody waits for is still reported. For the
 * bookkeeping of libraries (a pool freeing the thread's slot), which must not silence the thread's errors.
 */
export function onFinish(gt: GreenThread<any>, callback: (gt: GreenThread<any>) => void): void {
  watchFinish(gt, callback);
}

function callLink<T>(callback: LinkCallback<T, any[]>, gt: GreenThread<T>, args: readonly unknown[]): void {
  try {
    callback(gt, ...args);
  } catch (error) {
    reportUncaught(error);
  }
}

function reportUncaught(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${what} takes a function, not ${typeof fn}`);
}

function register(g: Greenlet): void {
  liveGreenThreads.add(g);
  if (settings.captureSpawnSites) {
    const site = new Error().stack ?? '';
    spawnSites.set(g, site.split('\n').slice(3).join('\n'));
  }
}

/**
 * Starts `fn(...args)` in a new green thread at the hub's next dispatch (not before this call returns).
 * Callable from green threads and from the main stack.
 */
export function spawn<T, A extends unknown[]>(fn: (...args: A) => T, ...args: A): GreenThread<T> {
  checkFunction(fn, 'spawn');
  const gt = new GreenThread<T>(fn as (...args: any[]) => T, args);
  register(gt);
  scheduleStart(gt);
  return gt;
}

/** Like {@link spawn}, but the green thread starts after `seconds`. */
export function spawnAfter<T, A extends unknown[]>(seconds: number, fn: (...args: A) => T, ...args: A): GreenThread<T> {
  checkSeconds(seconds, 'spawnAfter');
  checkFunction(fn, 'spawnAfter');
  const gt = new GreenThread<T>(fn as (...args: any[]) => T, args);
  register(gt);
  scheduleStart(gt, seconds);
  return gt;
}

/**
 * Like {@link spawnAfter}, but the function does not run if the green thread that called this has finished by
 * then, as eventlet's `spawn_after_local`: for work that only makes sense while its spawner lives (a heartbeat,
 * a retry). The green thread then ends as a cancelled one does: `wait()` throws a {@link GreenletExit}.
 * Called on the main stack, whose life is the process's, it is `spawnAfter`.
 */
export function spawnAfterLocal<T, A extends unknown[]>(seconds: number, fn: (...args: A) => T, ...args: A): GreenThread<T> {
  checkSeconds(seconds, 'spawnAfterLocal');
  checkFunction(fn, 'spawnAfterLocal');
  const gt = new GreenThread<T>(fn as (...args: any[]) => T, args);
  const spawner = getCurrent();
  if (spawner !== main) bindToSpawner(gt, spawner);
  register(gt);
  scheduleStart(gt, seconds);
  return gt;
}

/**
 * Starts `fn(...args)` in a new green thread with no result to wait for: the lightest way to run something
 * concurrently. An error it throws is an uncaught exception. Returns the greenlet.
 */
export function spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): Greenlet {
  checkFunction(fn, 'spawnN');
  const g: Greenlet = new Greenlet(() => {
    try {
      fn(...args);
    } catch (error) {
      if (!(error instanceof GreenletExit)) reportUncaught(error);
    } finally {
      liveGreenThreads.delete(g);
    }
  }, main);
  register(g);
  scheduleStart(g);
  return g;
}

/**
 * Ends a green thread by raising `error` (default: a {@link GreenletExit}) in it, where it waits. Its `finally`
 * blocks run; waiters on a killed GreenThread see the error. A green thread that has not started never runs; a
 * finished one is left alone. Killing the current green thread raises at once.
 *
 * Switch point: in a green thread, the caller resumes after the killed thread has had its turn.
 */
export function kill(g: Greenlet, error: unknown = new GreenletExit()): void {
  if (!(g instanceof Greenlet)) throw new TypeError('kill takes a greenlet or green thread');
  if (g.dead) return;
  if (!g.started) {
    unscheduleStart(g);
    liveGreenThreads.delete(g);
    g.close();
    if (g instanceof GreenThread) finishUnstarted(g, error);
    return;
  }
  const self = getCurrent();
  if (g === self) throw error;
  const phase = phaseOf(g);
  if (phase === 'parked' || phase === 'ready') {
    interrupt(g, error);
    if (self !== main) yieldNow();
  } else {
    // Suspended outside the hub, in a plain switch: raise there now.
    g.throw(error);
  }
}

onStartFailure((g, message) => {
  liveGreenThreads.delete(g);
  const error = new GreenletError(message);
  g.close();
  if (g instanceof GreenThread) {
    finishUnstarted(g, error);
  } else {
    reportUncaught(error);
  }
});

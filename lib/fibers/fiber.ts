/**
 * node-fibers' `Fiber`, behaviour for behaviour, on verdant's greenlets.
 *
 * A fiber is a greenlet whose parent is, each time, whoever called `run()` (or `throwInto()`, `reset()`):
 * `Fiber.yield(v)` switches to that caller, whose `run()` returns `v`; the next `run(w)` switches back and the
 * pending `yield` returns `w`. When the function returns, the greenlet is finished and the fiber goes back to its
 * unstarted state: `run()` starts the function again on a fresh (pooled) stack.
 *
 * What the fiber's own stack refers to is the {@link FiberCore}; the `Fiber` object the application holds is
 * reachable from the core only through a `WeakRef`. So when the application drops every reference to a suspended
 * fiber, the `Fiber` object is collected, and a `FinalizationRegistry` unwinds the fiber (its `finally` blocks run,
 * as in node-fibers) instead of leaving its stack mapped until exit.
 *
 * @example
 * ```js
 * const Fiber = require('verdant/fibers');
 * const fib = Fiber(() => { let [a, b] = [0, 1]; for (;;) { Fiber.yield(a); [a, b] = [b, a + b]; } });
 * [fib.run(), fib.run(), fib.run(), fib.run()];  // [0, 1, 1, 2]
 * fib.reset();                                    // unwinds the generator
 * ```
 */
import { getConfig, configure } from '../runtime/config';
import { Greenlet, getCurrent } from '../runtime/greenlet';
import { FiberNotYieldingError, FiberRunningError, FiberZombieError, NoFiberError } from './errors';

/** The function a fiber runs; it receives the value of the `run()` that started it. */
export type FiberFunction = (value?: any) => any;

/** A fiber: see {@link FiberConstructor}. */
export interface Fiber {
  /**
   * Starts the fiber (its function receives `value`) or resumes it (its pending `Fiber.yield()` returns `value`).
   * Returns what the fiber yields next, or its function's return value when it finishes; throws what its function
   * throws. A finished fiber is reset and may be run again. Throws {@link FiberRunningError} if the fiber is
   * running. Switch point: always.
   */
  run(value?: unknown): any;
  /**
   * Makes the fiber's pending `Fiber.yield()` throw `error` and resumes it; returns what it yields next or
   * returns, or throws what it does not handle (`error` itself, typically). {@link FiberNotYieldingError} if the
   * fiber is not suspended in a yield. Switch point: always.
   */
  throwInto(error?: unknown): any;
  /**
   * Unwinds a suspended fiber: its pending yield (and every later one) throws a {@link FiberZombieError} until
   * its function ends; then the fiber is unstarted again. Returns the function's return value (undefined when the
   * zombie error ended it), or throws any other error it ended with. Does nothing for an unstarted fiber;
   * {@link FiberNotYieldingError} for a running one. Switch point: when the fiber is suspended.
   */
  reset(): any;
  /** True from the first `run()` until the function returns or throws. */
  readonly started: boolean;
}

/** The `Fiber` export: callable with or without `new`, with node-fibers' statics. */
export interface FiberConstructor {
  (fn: FiberFunction): Fiber;
  new (fn: FiberFunction): Fiber;
  readonly prototype: Fiber;
  /**
   * Suspends the current fiber and hands `value` to whoever called its `run()`; returns the value of the `run()`
   * that resumes it (or throws what `throwInto()` throws in). {@link NoFiberError} outside a fiber.
   * Switch point: always.
   */
  yield(value?: unknown): any;
  /** The running fiber; undefined on the main stack and in green threads that are not fibers. */
  readonly current: Fiber | undefined;
  /**
   * How many finished stacks are kept for new fibers to reuse: verdant's per-thread stack pool
   * (`configure({ stackPoolSize })`), shared with every greenlet. node-fibers' default of 120 is applied when
   * this module loads, unless the pool was configured to something else first.
   */
  poolSize: number;
  /** How many times a fiber has been started (each `run()` of an unstarted fiber), in this thread. */
  readonly fibersCreated: number;
  readonly FiberRunningError: typeof FiberRunningError;
  readonly FiberNotYieldingError: typeof FiberNotYieldingError;
  readonly NoFiberError: typeof NoFiberError;
  readonly FiberZombieError: typeof FiberZombieError;
}

const enum State {
  Unstarted,
  Running,
  Yielding,
}

// How control came back to a run()/throwInto()/reset() caller when the fiber finished.
interface Outcome {
  threw: boolean;
  value: unknown;
}

/**
 * @internal The state of a fiber that its own stack may refer to. Holds the application's `Fiber` object only
 * weakly, so that a suspended fiber nobody else references can be collected and unwound.
 */
export class FiberCore {
  state = State.Unstarted;
  greenlet: FiberGreenlet | null = null;
  // Set while the fiber is being unwound: every yield throws it.
  zombie: FiberZombieError | null = null;
  // How many arguments the starting run() had: fn gets exactly those.
  startArgs: unknown[] = [];
  readonly handle: WeakRef<FiberImpl>;

  constructor(
    readonly fn: FiberFunction,
    handle: FiberImpl,
  ) {
    this.handle = new WeakRef(handle);
  }

  /** Switches into the fiber (a start, a resume, or an error thrown at its yield) from its caller. */
  enter(handle: FiberImpl | null, throwing: boolean, value: unknown): unknown {
    let g = this.greenlet;
    if (g === null) {
      g = this.greenlet = new FiberGreenlet(this);
      created++;
      if (handle !== null) orphans.register(handle, this, this);
    }
    g.parent = getCurrent();
    this.state = State.Running;
    let received: unknown;
    try {
      received = throwing ? g.throw(value) : g.switch(value);
    } catch (error) {
      // Refused before the fiber started (no stack for it, say): it is still unstarted.
      if (!g.started) this.finish();
      throw error;
    }
    if (g.dead) {
      const outcome = received as Outcome;
      if (outcome.threw) throw outcome.value;
      return outcome.value;
    }
    // A fiber that blocked in verdant's hub while run from the main stack comes back here without yielding: it
    // goes on running on its own (docs/fibers.md, "Differences").
    return (this.state as State) === State.Yielding ? received : undefined;
  }

  /** The fiber's function has ended: back to unstarted, on the fiber's own side. */
  finish(): void {
    this.state = State.Unstarted;
    this.greenlet = null;
    orphans.unregister(this);
  }
}

/** @internal The greenlet a started fiber runs on. */
class FiberGreenlet extends Greenlet {
  constructor(readonly core: FiberCore) {
    super();
  }

  override run(value: unknown): Outcome {
    const core = this.core;
    try {
      // node-fibers calls the function with the global object as `this`, and with run()'s argument only if given.
      const args = core.startArgs;
      core.startArgs = [];
      const fn = core.fn as (...args: unknown[]) => unknown;
      return { threw: false, value: fn.apply(globalThis, args.length === 0 ? args : [value]) };
    } catch (error) {
      return { threw: true, value: error };
    } finally {
      core.finish();
    }
  }
}

let created = 0;

class FiberImpl implements Fiber {
  readonly #core: FiberCore;

  constructor(fn: FiberFunction) {
    this.#core = new FiberCore(fn, this);
  }

  run(value?: unknown): any {
    const core = this.#core;
    if (core.state === State.Running) throw new FiberRunningError();
    if (arguments.length > 1) throw new TypeError('run() expects 1 or no arguments');
    if (core.state === State.Unstarted) core.startArgs = arguments.length === 0 ? [] : [value];
    return core.enter(this, false, value);
  }

  throwInto(error?: unknown): any {
    const core = this.#core;
    if (core.state !== State.Yielding) throw new FiberNotYieldingError();
    if (arguments.length > 1) throw new TypeError('throwInto() expects 1 or no arguments');
    return core.enter(this, true, error);
  }

  reset(): any {
    const core = this.#core;
    if (core.state === State.Unstarted) return undefined;
    if (core.state !== State.Yielding) throw new FiberNotYieldingError();
    if (arguments.length > 0) throw new TypeError('reset() expects no arguments');
    return unwind(core, this);
  }

  get started(): boolean {
    return this.#core.state !== State.Unstarted;
  }
}

// Throws a zombie error in at the fiber's yield and runs it until its function ends.
function unwind(core: FiberCore, handle: FiberImpl | null): unknown {
  const zombie = (core.zombie = new FiberZombieError());
  try {
    return core.enter(handle, true, zombie);
  } catch (error) {
    if (error === zombie) return undefined;
    throw error;
  } finally {
    core.zombie = null;
  }
}

function fiberYield(value?: unknown): any {
  const g = getCurrent();
  if (!(g instanceof FiberGreenlet)) throw new NoFiberError();
  const core = g.core;
  if (core.zombie !== null) throw core.zombie;
  if (arguments.length > 1) throw new TypeError('yield() expects 1 or no arguments');
  core.state = State.Yielding;
  // The parent is whoever called run(): its switch returns `value`.
  return g.parent!.switch(value);
}

// A suspended fiber whose Fiber object was collected: nothing can resume it, so unwind it (its finally blocks run)
// rather than keep its stack until exit. Runs from the registry's cleanup task on the main stack; an error the
// fiber ends with (other than the zombie error) has nobody to go to and becomes an uncaught exception.
const orphans = new FinalizationRegistry<FiberCore>((core) => unwindOrphan(core));

function unwindOrphan(core: FiberCore): void {
  if (core.state !== State.Yielding) return;
  if (getCurrent() !== Greenlet.getMain()) {
    setImmediate(unwindOrphan, core);
    return;
  }
  try {
    unwind(core, null);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/** @internal The core of the running fiber, or null: for verdant/fibers/future. */
export function currentFiberCore(): FiberCore | null {
  const g = getCurrent();
  return g instanceof FiberGreenlet ? g.core : null;
}

/** The Fiber export: `Fiber(fn)` and `new Fiber(fn)` both make a fiber. */
export const Fiber = function Fiber(fn: FiberFunction): Fiber {
  if (arguments.length !== 1) throw new TypeError('Fiber expects 1 argument');
  if (typeof fn !== 'function') throw new TypeError('Fiber expects a function');
  return new FiberImpl(fn);
} as unknown as FiberConstructor;

Object.defineProperty(Fiber, 'prototype', { value: FiberImpl.prototype });
Object.defineProperty(FiberImpl.prototype, 'constructor', { value: Fiber, writable: true, configurable: true });
Object.defineProperties(Fiber, {
  yield: { value: fiberYield, writable: true, configurable: true, enumerable: true },
  current: {
    get: () => {
      const g = getCurrent();
      return g instanceof FiberGreenlet ? g.core.handle.deref() : undefined;
    },
    configurable: true,
    enumerable: true,
  },
  poolSize: {
    get: () => getConfig().stackPoolSize,
    set: (size: number) => configure({ stackPoolSize: size }),
    configurable: true,
    enumerable: true,
  },
  fibersCreated: { get: () => created, configurable: true, enumerable: true },
  // The error classes, for `instanceof` (non-enumerable: node-fibers' Fiber had no such members).
  FiberRunningError: { value: FiberRunningError, configurable: true, writable: true },
  FiberNotYieldingError: { value: FiberNotYieldingError, configurable: true, writable: true },
  NoFiberError: { value: NoFiberError, configurable: true, writable: true },
  FiberZombieError: { value: FiberZombieError, configurable: true, writable: true },
});

// node-fibers' default pool size, unless the application configured verdant's pool already.
const VERDANT_DEFAULT_POOL = 256;
const FIBERS_DEFAULT_POOL = 120;
if (getConfig().stackPoolSize === VERDANT_DEFAULT_POOL) configure({ stackPoolSize: FIBERS_DEFAULT_POOL });

/**
 * Greenlets: stackful coroutines with explicit switching, as in Python's greenlet.
 *
 * A greenlet runs a function on a machine stack of its own. `g.switch(v)` suspends the current greenlet in the
 * middle of whatever it is doing and resumes `g`, which sees `v` as the value of its own pending `switch()` (or as
 * the argument of its function, the first time). Every thread has a main greenlet, the code that runs on the
 * thread's own stack; it is the default parent of the greenlets created there.
 *
 * The native addon only moves control between stacks; everything that decides *where* control goes and *what*
 * it carries is here: values and exceptions travel through this module's state, parents and dead greenlets are
 * resolved before the native switch, tracing happens here.
 *
 * @example
 * ```ts
 * import { Greenlet } from 'verdant';
 * const g = new Greenlet((x: number) => {
 *   const y = Greenlet.getCurrent().parent!.switch(x * 2) as number;
 *   return y + 1;
 * });
 * g.switch(20);   // 40: g switched back to main with 40
 * g.switch(41);   // 42: g returned, its result goes to its parent
 * g.dead;         // true
 * ```
 */
import { GreenletError, GreenletExit } from './errors';
import { applyDefaults } from './config';
import { native } from './native';
import { sharedState, HUB_SWITCH, MAIN_IN_HUB } from './shared-state';
import { depthFields, initAsyncStack, popAbove, pushBack, stackLengthIndex, type SavedScopes } from './async-stack';
import { describeValue } from './describe';

/** What a switch carries: a value to return from the pending switch, or an error to throw there. */
const enum Transfer {
  Value,
  Throw,
}

/** Events reported to the function installed with {@link settrace}. */
export type TraceEvent = 'switch' | 'throw';
export type Tracer = (event: TraceEvent, args: { origin: Greenlet; target: Greenlet }) => void;

export interface GreenletOptions {
  /**
   * Bytes of stack this greenlet's JavaScript may use (rounded up to pages; committed lazily as it is used); the
   * stack also reserves the V8 margin and a guard page. Defaults to the global default ({@link configure},
   * 224 KiB). At least 64 KiB.
   */
  stackSize?: number;
}

// The single-threaded hand-off between the switcher and the greenlet it resumes. Only one greenlet runs at a time
// on a thread, and the receiver reads these immediately after it regains control.
let transferKind: Transfer = Transfer.Value;
let transferValue: unknown;
let tracer: Tracer | null = null;

const MAIN = Symbol('main greenlet');

/**
 * @internal What a greenlet parked in the hub waits on (lib/runtime/hub.ts). A field rather than a map entry:
 * it is written twice per wait, on the hottest path of the hub.
 */
export const waitReason: unique symbol = Symbol('verdant.waitReason');
const MIN_STACK_SIZE = 64 * 1024;
const MAX_STACK_SIZE = 1024 * 1024 * 1024;

const NativeGreenletHandle = native.GreenletHandle;
// Read once: property loads on the (large, dictionary-mode) exports object are slow on the switch path.
const nativeSwitch = native.greenlet_switch;

// Set by the static block of Greenlet.
let bootstrap: (this: Greenlet) => Greenlet;
let isDead: (g: Greenlet) => boolean;
let parentOf: (g: Greenlet) => Greenlet | null;
let createMain: () => Greenlet;
let leaveAsyncScopes: (g: Greenlet) => void;
let enterAsyncScopes: (g: Greenlet) => void;

// Node's async-hooks stack (lib/runtime/async-stack.ts): found and validated once, here on the thread's own stack
// before any greenlet exists. Read into constants because they are read on every switch.
initAsyncStack();
const asyncDepth = depthFields;
const STACK_LENGTH = stackLengthIndex;

/**
 * A stackful coroutine. Not started until it is first switched to.
 */
export class Greenlet<TArg = any, TResult = any> extends NativeGreenletHandle {
  #run: ((value: TArg) => TResult) | undefined;
  #parent: Greenlet | null;
  #started = false;
  #dead = false;
  // The async-hooks stack depth when this greenlet last gained control, and the entries above it that it took off
  // the stack when it last switched out (lib/runtime/async-stack.ts).
  #asyncBase = 0;
  #asyncSaved: SavedScopes | null = null;
  /** @internal */
  [waitReason]: string | undefined = undefined;

  /**
   * @param run - called with the value of the first switch to this greenlet; its return value is switched to
   *   the parent. Subclasses may override {@link Greenlet.run} instead.
   * @param parent - where control goes when `run` returns or throws; defaults to the current greenlet.
   */
  constructor(run?: (value: TArg) => TResult, parent?: Greenlet | null, options?: GreenletOptions);
  constructor(
    run?: ((value: TArg) => TResult) | typeof MAIN,
    parent?: Greenlet | null,
    options: GreenletOptions = {},
  ) {
    super(run === MAIN ? 0 : checkStackSize(options.stackSize));
    if (run === MAIN) {
      this.#parent = null;
      this.#started = true;
      return;
    }
    if (run !== undefined && typeof run !== 'function') {
      throw new TypeError(`run must be a function, not ${describeValue(run)}`);
    }
    this.#run = run;
    this.#parent = parent === undefined || parent === null ? getCurrent() : checkParent(this, parent);
  }

  /**
   * The function the greenlet runs; by default the one given to the constructor. Override it in a subclass to
   * make greenlet types.
   */
  run(value: TArg): TResult {
    if (this.#run === undefined) throw new TypeError('this greenlet has no run function');
    return this.#run(value);
  }

  /**
   * Transfers control to this greenlet, handing it `value`; returns the value that is switched back to the
   * caller later (or throws the error thrown back to it).
   *
   * If this greenlet has finished, control goes to its parent (and up to the first live one). Switching to the
   * current greenlet returns `value` at once.
   *
   * Switch point: always (unless switching to itself).
   */
  switch(value?: TArg | unknown): unknown {
    return switchTo(liveTarget(this), Transfer.Value, value);
  }

  /**
   * Raises `error` (by default a new {@link GreenletExit}) inside this greenlet, where it is suspended (or at its
   * start, if it never ran), and transfers control there. Returns what is later switched back to the caller.
   *
   * A `GreenletExit` that the greenlet does not catch ends it and is returned to its parent as a value.
   *
   * Switch point: always (unless it targets the current greenlet, where the error is thrown at once).
   */
  throw(error: unknown = new GreenletExit()): unknown {
    return switchTo(liveTarget(this), Transfer.Throw, error);
  }

  /**
   * Makes a suspended greenlet unwind: raises {@link GreenletExit} at its suspension point, so its `finally`
   * blocks run, and comes back here when it is done. A greenlet that never started just becomes dead. Closing
   * a dead greenlet does nothing.
   *
   * Switch point: when the greenlet is suspended.
   */
  close(): void {
    if (this.#dead) return;
    if (!this.#started) {
      this.#dead = true;
      return;
    }
    if (this === current) throw new GreenletExit();
    // Like greenlet's kill on collection: the unwinding greenlet reports back to whoever closed it, unless the
    // closer descends from it (that would make the parent chain a cycle); then it reports to its own parent.
    if (!isAncestorOf(this, current)) this.#parent = current;
    this.throw(new GreenletExit());
  }

  /** The greenlet that receives control (and the result) when this one finishes. `null` only for main. */
  get parent(): Greenlet | null {
    return this.#parent;
  }

  set parent(parent: Greenlet | null) {
    if (this.#parent === null) throw new TypeError('the main greenlet has no parent to change');
    this.#parent = checkParent(this, parent);
  }

  /** True once the greenlet's function has returned or thrown (never for a main greenlet). */
  get dead(): boolean {
    return this.#dead;
  }

  /** True once the greenlet has been switched to (always for a main greenlet). */
  get started(): boolean {
    return this.#started;
  }

  /** True while the greenlet has started and not finished. */
  get active(): boolean {
    return this.#started && !this.#dead;
  }

  /** True for the main greenlet of a thread. */
  get isMain(): boolean {
    return this.#parent === null;
  }

  /** The greenlet running now. */
  static getCurrent(): Greenlet {
    return current;
  }

  /** The main greenlet of this thread. */
  static getMain(): Greenlet {
    return main;
  }

  static #bootstrap(this: Greenlet): Greenlet {
    current = this;
    this.#started = true;
    this.#asyncBase = asyncDepth[STACK_LENGTH];
    let kind = transferKind;
    let value = transferValue;
    transferValue = undefined;
    if (sharedState[HUB_SWITCH] !== 0) {
      // Started by the hub (spawn), not by a switch: nothing was transferred.
      sharedState[HUB_SWITCH] = 0;
      kind = Transfer.Value;
      value = undefined;
    }
    let resultKind = Transfer.Value;
    let result: unknown;
    try {
      if (kind === Transfer.Throw) throw value;
      result = this.run(value);
    } catch (error) {
      if (error instanceof GreenletExit) {
        result = error;
      } else {
        resultKind = Transfer.Throw;
        result = error;
      }
    }
    this.#dead = true;
    this.#run = undefined;
    const parent = liveTarget(this.#parent!);
    if (tracer !== null) callTracer('switch', this, parent);
    current = parent;
    if (parent === main && sharedState[MAIN_IN_HUB] !== 0) {
      // Main is running the event loop, not waiting in a switch(): nobody receives the result. An error must not
      // vanish: it becomes an uncaught exception, as a throwing callback would.
      if (resultKind === Transfer.Throw) reportUncaught(result);
      transferKind = Transfer.Value;
      transferValue = undefined;
      return parent;
    }
    transferKind = resultKind;
    transferValue = result;
    return parent;
  }

  // The module functions below need the private state; this hands them accessors without making any of it public.
  static {
    bootstrap = Greenlet.#bootstrap;
    isDead = (g) => g.#dead;
    parentOf = (g) => g.#parent;
    createMain = () => new Greenlet(MAIN as never);
    // A greenlet switching out takes the async scopes it entered itself (those above its base) off Node's stack,
    // so that whatever runs next finds the stack as it was when this greenlet gained control; it puts them back
    // when it gains control again, on top of whatever stack it finds then. Main is the bottom of every stack
    // and is left alone. When the mechanism is off, the depth always reads 0 and nothing happens here: the native
    // guard then refuses the switch. Tested by test/runtime/async-scopes.test.ts.
    leaveAsyncScopes = (g) => {
      if (asyncDepth[STACK_LENGTH] > g.#asyncBase) g.#asyncSaved = popAbove(g.#asyncBase);
    };
    enterAsyncScopes = (g) => {
      g.#asyncBase = asyncDepth[STACK_LENGTH];
      const saved = g.#asyncSaved;
      if (saved !== null) {
        g.#asyncSaved = null;
        pushBack(saved);
      }
    };
  }
}

function liveTarget(g: Greenlet): Greenlet {
  while (isDead(g)) g = parentOf(g)!;
  return g;
}

// Precondition: target is live. After it returns, the caller is the current greenlet again.
function switchTo(target: Greenlet, kind: Transfer, value: unknown): unknown {
  const origin = current;
  if (target === origin) {
    if (kind === Transfer.Throw) throw value;
    return value;
  }
  if (tracer !== null) callTracer(kind === Transfer.Throw ? 'throw' : 'switch', origin, target);
  transferKind = kind;
  transferValue = value;
  const green = origin !== main;
  if (green) leaveAsyncScopes(origin);
  // Whoever runs next may be main resuming in the hub, where no switch() of ours returns to set this.
  current = target;
  try {
    nativeSwitch(target);
  } finally {
    // Also when the switch was refused: the scopes go back where they were.
    current = origin;
    if (green) enterAsyncScopes(origin);
  }
  return receiveTransfer();
}

/**
 * @internal Takes what was switched to the current greenlet: returns the value, or throws the error. For
 * lib/runtime/hub.ts, whose parked greenlets can be switched to directly.
 */
export function receiveTransfer(): unknown {
  const received = transferValue;
  transferValue = undefined;
  if (transferKind === Transfer.Throw) {
    transferKind = Transfer.Value;
    throw received;
  }
  return received;
}

/**
 * @internal Control is about to leave `from` for main through the hub (lib/runtime/hub.ts parks it); `current`
 * must read main while main runs, and nothing is transferred.
 */
export function leaveForHub(): void {
  leaveAsyncScopes(current);
  current = main;
  transferKind = Transfer.Value;
  transferValue = undefined;
}

/** @internal The parked greenlet `g` has control again. */
export function resumedFromHub(g: Greenlet): void {
  current = g;
  enterAsyncScopes(g);
}

/**
 * @internal Runs `fn` with the current greenlet's own async scopes taken off Node's stack, as if it had switched
 * out; for native code that switches out and back without running any of our JavaScript between (the stack
 * peeks of lib/debug/dump.ts).
 */
export function outsideOwnAsyncScopes<T>(fn: () => T): T {
  const self = current;
  if (self === main) return fn();
  leaveAsyncScopes(self);
  try {
    return fn();
  } finally {
    enterAsyncScopes(self);
  }
}

// An error nobody can receive, raised as an uncaught exception from a fresh tick (Node prints it and exits,
// unless the application handles 'uncaughtException').
function reportUncaught(error: unknown): void {
  process.nextTick(() => {
    throw error;
  });
}

function callTracer(event: TraceEvent, origin: Greenlet, target: Greenlet): void {
  tracer!(event, { origin, target });
}

function isAncestorOf(ancestor: Greenlet, g: Greenlet): boolean {
  for (let p: Greenlet | null = g; p !== null; p = parentOf(p)) {
    if (p === ancestor) return true;
  }
  return false;
}

function checkParent(child: Greenlet, parent: unknown): Greenlet {
  if (!(parent instanceof Greenlet)) {
    throw new TypeError(`parent must be a Greenlet, not ${describeValue(parent)}`);
  }
  if (isAncestorOf(child, parent)) {
    throw new TypeError('cyclic parent chain: a greenlet cannot be its own ancestor');
  }
  return parent;
}

function checkStackSize(size: number | undefined): number {
  if (size === undefined) return 0;
  if (!Number.isInteger(size) || size < MIN_STACK_SIZE || size > MAX_STACK_SIZE) {
    throw new RangeError(
      `stackSize must be an integer number of bytes from ${MIN_STACK_SIZE} to ${MAX_STACK_SIZE}, not ${describeValue(size)}`,
    );
  }
  return size;
}

/** The greenlet running now. */
export function getCurrent(): Greenlet {
  return current;
}

/**
 * Installs `callback` to be called on every switch and throw between greenlets of this thread, with the event
 * and the origin and target greenlets, just before control moves. Returns the previous tracer. `null` removes
 * it. An error thrown by the tracer propagates out of the switch, which then does not happen.
 */
export function settrace(callback: Tracer | null): Tracer | null {
  if (callback !== null && typeof callback !== 'function') {
    throw new TypeError(`settrace takes a function or null, not ${describeValue(callback)}`);
  }
  const previous = tracer;
  tracer = callback;
  return previous;
}

applyDefaults();
native.greenlet_set_entry(bootstrap as (this: object) => object, GreenletError);
const main: Greenlet = createMain();
native.greenlet_adopt_main(main);
let current: Greenlet = main;

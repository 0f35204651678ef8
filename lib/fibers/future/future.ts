/**
 * node-fibers' Future: a value or error that arrives later, which a fiber can wait for without blocking anything
 * else. Resolved once, with `return(value)` or `throw(error)`, typically from a node-style callback
 * (`resolver()`), a promise (`fromPromise`) or another fiber (`task`).
 *
 * Waiting: in a fiber, `wait()` yields the fiber and the resolution resumes it (`fiber.run()`), as in node-fibers;
 * in a verdant green thread that is not a fiber, it parks the thread in the hub until the resolution wakes it; on
 * the main stack it throws.
 */
import { getCurrent, Greenlet } from '../../runtime/greenlet';
import { park, wake } from '../../runtime/hub';
import { Fiber } from '../fiber';
import { NoFiberError } from '../errors';

/** A node-style callback: `(error, value)`. */
export type NodeCallback<T = any> = (error: any, value?: T) => void;

/** `future.return()` or `future.throw()` on a future that is resolved already. Permanent: a programming error. */
export class FutureResolvedError extends Error {
  constructor() {
    super('Future resolved more than once');
    this.name = 'FutureResolvedError';
  }
}

/** `future.get()` before the future resolved. Permanent: a programming error. */
export class FutureNotReadyError extends Error {
  constructor() {
    super('Future must resolve before value is ready');
    this.name = 'FutureNotReadyError';
  }
}

/**
 * What {@link Future.fromPromise} throws when the promise was rejected with a falsy reason (`undefined`, `null`,
 * `0`, `''`, `false`), which would otherwise be thrown as is and look like no error at all. `reason` holds it.
 * Other reasons are thrown as they are.
 *
 * Permanent for that future; whether the work behind the promise can be retried depends on the work.
 */
export class PromiseRejectedError extends Error {
  /** The falsy value the promise was rejected with. */
  readonly reason: unknown;

  constructor(reason: unknown) {
    super(`promise rejected with ${typeof reason === 'string' ? JSON.stringify(reason) : String(reason)}`);
    this.name = new.target.name;
    this.reason = reason;
  }
}

// A registered resolution callback: either a node-style callback, or (errors to a future, values to a function).
type Listener = [onBoth: NodeCallback | Future, onValue?: (value: any) => void];

/** A value or error to come: see the module documentation. */
export class Future<T = any> {
  #resolved = false;
  #value: T | undefined = undefined;
  #error: unknown = undefined;
  #listeners: Listener[] | null = null;

  /**
   * The value, or throws the error the future resolved with. {@link FutureNotReadyError} if it has not resolved.
   * Switch point: never.
   */
  get(): T {
    if (!this.#resolved) throw new FutureNotReadyError();
    if (this.#error !== undefined) throw this.#error;
    return this.#value as T;
  }

  /**
   * Resolves the future with `value` and calls its callbacks now, in the order they were added (resuming the
   * fibers that wait). A callback that throws does not stop the others: its error is rethrown on the next tick,
   * as an uncaught exception. {@link FutureResolvedError} if resolved already. Switch point: when a fiber waits.
   */
  return(value?: T): void {
    if (this.#resolved) throw new FutureResolvedError();
    this.#value = value;
    this.#settle();
  }

  /**
   * Resolves the future with `error` (which must be truthy, as in node-fibers: a TypeError otherwise); see
   * {@link Future.return}.
   */
  throw(error: unknown): void {
    if (this.#resolved) throw new FutureResolvedError();
    if (!error) throw new TypeError('Must throw non-empty error');
    this.#error = error;
    this.#settle();
  }

  #settle(): void {
    this.#resolved = true;
    const listeners = this.#listeners;
    this.#listeners = null;
    if (listeners === null) return;
    for (const listener of listeners) {
      try {
        this.#deliver(listener);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }

  #deliver([onBoth, onValue]: Listener): void {
    if (onValue === undefined) {
      (onBoth as NodeCallback)(this.#error, this.#value);
    } else if (this.#error !== undefined) {
      (onBoth as Future).throw(this.#error);
    } else {
      onValue(this.#value);
    }
  }

  /** True once `return()` or `throw()` was called. */
  isResolved(): boolean {
    return this.#resolved;
  }

  /** A node-style callback that resolves this future: `throw(error)` if error is truthy, else `return(value)`. */
  resolver(): NodeCallback<T> {
    return (error, value) => {
      if (error) this.throw(error);
      else this.return(value);
    };
  }

  /**
   * Calls `callback(error, value)` when the future resolves (now, if it has). With two arguments, errors go to
   * the future `errors` (its `throw`) and values to `onValue`. Returns this future.
   */
  resolve(callback: NodeCallback<T>): this;
  resolve(errors: Future, onValue: (value: T) => void): this;
  resolve(first: NodeCallback<T> | Future, onValue?: (value: T) => void): this {
    const listener: Listener = [first, onValue];
    if (onValue === undefined ? typeof first !== 'function' : !(first instanceof Future) || typeof onValue !== 'function') {
      throw new TypeError('resolve() takes a callback, or a future for errors and a callback for values');
    }
    if (this.#resolved) this.#deliver(listener);
    else (this.#listeners ??= []).push(listener);
    return this;
  }

  /** Calls `callback(value)` if the future resolves with a value; errors are ignored. Returns this future. */
  resolveSuccess(callback: (value: T) => void): this {
    return this.resolve((error, value) => {
      if (!error) callback(value as T);
    });
  }

  /** Resolves `other` the same way as this future, when this one resolves. */
  proxy(other: Future<T>): void {
    this.resolve((error, value) => {
      if (error) other.throw(error);
      else other.return(value);
    });
  }

  /** Throws this future's error into `futures` (a future or an array of them) if it resolves with one. */
  proxyErrors(futures: Future | Future[]): this {
    return this.resolve((error) => {
      if (!error) return;
      for (const f of Array.isArray(futures) ? futures : [futures]) f.throw(error);
    });
  }

  /** Nobody will wait for this future: if it resolves with an error, that error becomes an uncaught exception. */
  detach(): void {
    this.resolve((error) => {
      if (error) throw error;
    });
  }

  /** A promise settled the way this future resolves. */
  promise(): Promise<T> {
    return new Promise((resolvePromise, reject) => {
      this.resolve((error, value) => (error ? reject(error) : resolvePromise(value as T)));
    });
  }

  /**
   * Blocks the current fiber (or green thread) until the future resolves; returns its value or throws its error.
   * Outside a fiber or green thread, a {@link NoFiberError}. Switch point: unless resolved already.
   */
  wait(): T {
    if (!this.#resolved) Future.wait(this);
    return this.get();
  }

  /**
   * Blocks until every future given (arrays are flattened) has resolved; does not throw their errors (`get()` each
   * one for that). A task future that has not started yet runs right here, in the current fiber, instead of in a
   * fiber of its own. A TypeError for anything that is not a future; a {@link NoFiberError} outside a fiber or
   * green thread. Switch point: unless all are resolved.
   */
  static wait(...futures: (Future | Future[])[]): void {
    const pending: Future[] = [];
    let inline: TaskFuture | null = null;
    const add = (f: unknown) => {
      if (Array.isArray(f)) return f.forEach(add);
      if (!(f instanceof Future)) throw new TypeError(`${String(f)} is not a future`);
      if (f.isResolved()) return;
      if (inline === null && f instanceof TaskFuture && !f.started) inline = f;
      else pending.push(f);
    };
    futures.forEach(add);
    const fiber = Fiber.current;
    const self = getCurrent();
    if (fiber === undefined && self === Greenlet.getMain()) throw new NoFiberError("Can't wait without a fiber");
    // Registered before the inline task runs: it may resolve them while it runs. Only our own suspension below is
    // ended by a resolution: not the running fiber, nor another wait the inline task blocks in.
    let left = pending.length;
    let suspended = false;
    const onResolved = () => {
      if (--left > 0 || !suspended) return;
      if (fiber !== undefined) fiber.run();
      else wake(self);
    };
    for (const f of pending) f.resolve(onResolved);
    if (inline !== null) (inline as TaskFuture).runHere();
    if (left === 0) return;
    // In a fiber, as in node-fibers: yield once; whoever resumes the fiber ends the wait. In a green thread: park
    // until the last one resolved (a kill or Timeout raises out of the park).
    do {
      suspended = true;
      try {
        if (fiber !== undefined) Fiber.yield();
        else park('Future.wait');
      } finally {
        suspended = false;
      }
    } while (fiber === undefined && left > 0);
  }

  /** A future resolved the way `promise` settles (a falsy rejection reason becomes a {@link PromiseRejectedError}). */
  static fromPromise<T>(promise: PromiseLike<T>): Future<T> {
    if (promise === null || typeof promise !== 'object' || typeof promise.then !== 'function') {
      throw new TypeError('fromPromise() takes a promise');
    }
    const future = new Future<T>();
    promise.then(
      (value) => future.return(value),
      (reason) => future.throw(reason || new PromiseRejectedError(reason)),
    );
    return future;
  }

  /**
   * Runs `fn` in a fiber of its own, from the next tick (or right in the fiber that waits for it first), and
   * returns a future of its result.
   */
  static task<R>(fn: () => R): Future<R> {
    if (typeof fn !== 'function') throw new TypeError('task() takes a function');
    return new TaskFuture<R>(fn, undefined, []);
  }
}

/** @internal A function call run in a fiber of its own: `Future.task`, `fn.future()(...)`. */
export class TaskFuture<T = any> extends Future<T> {
  started = false;

  constructor(
    private readonly fn: (...args: any[]) => T,
    private readonly context: unknown,
    private readonly args: unknown[],
  ) {
    super();
    process.nextTick(() => {
      if (this.started) return;
      this.started = true;
      Fiber(() => this.#call()).run();
    });
  }

  /** Runs the call in the current fiber (Future.wait's shortcut). */
  runHere(): void {
    this.started = true;
    this.#call();
  }

  #call(): void {
    let value: T;
    try {
      value = this.fn.apply(this.context, this.args);
    } catch (error) {
      this.throw(error);
      return;
    }
    this.return(value);
  }
}

/**
 * DAGPool: green threads bound by data dependencies instead of a concurrency limit, as eventlet's
 * `eventlet.dagpool.DAGPool`.
 *
 * Every green thread of the pool has a key, and its return value becomes the value of that key. A green thread
 * names the keys it depends on, and iterates over their `[key, value]` pairs as they become available, in the
 * order they do: so a graph of work in which one result feeds several consumers, and one consumer needs several
 * results, is spawned all at once and each node runs as soon as its inputs are there. Values can also be preloaded
 * or posted from outside, and read with blocking `get`, `wait` and `waitEach`.
 */
import { GreenletExit } from '../runtime/errors';
import { Greenlet, getCurrent } from '../runtime/greenlet';
import { GreenThread, onFinish, spawn } from '../runtime/greenthread';
import { park, requireGreen, wake } from '../runtime/hub';
import { Collision, PropagateError, describeKey } from './errors';

/** The `results` a DAGPool green thread iterates: `[key, value]` of its dependencies, as they become available. */
export type DagResults<K, V> = IterableIterator<[K, V]>;

/** A DAGPool green thread's function: `fn(key, results, ...args)`; what it returns becomes the key's value. */
export type DagFunction<K, V, A extends unknown[] = []> = (key: K, results: DagResults<K, V>, ...args: A) => V;

/** Initial values of a DAGPool: a Map, an iterable of `[key, value]` pairs, or a plain object. */
export type DagPreload<K, V> = ReadonlyMap<K, V> | Iterable<readonly [K, V]> | { readonly [key: string]: V };

/** Options of {@link DAGPool.post}. */
export interface DagPostOptions {
  /** Replace a value the key already has, instead of throwing {@link Collision}. Default false. */
  replace?: boolean;
}

interface Running<K, V> {
  readonly thread: GreenThread<unknown>;
  // The keys the thread still waits for: the very set its `results` iterator takes keys out of.
  readonly pending: Set<K>;
}

/**
 * A pool of green threads that wait for each other's results (eventlet's DAGPool).
 *
 * ```ts
 * const pool = new DAGPool<string, number>({ a: 1 });
 * const sum = (key: string, results: DagResults<string, number>) => {
 *   let total = 0;
 *   for (const [, value] of results) total += value;   // blocks until each dependency has a value
 *   return total;
 * };
 * pool.spawn('b', ['a'], sum);        // 1
 * pool.spawn('c', ['a', 'b'], sum);   // 2, once b is done
 * pool.get('c');                      // blocks until c has a value: 2
 * ```
 *
 * Rules, as in eventlet:
 * - Keys are compared as Map keys are. A key has at most one green thread and one value: a second `spawn` or
 *   `post` of it throws {@link Collision} (a green thread may `post` its own key, and then its return value is
 *   dropped; `post(key, value, { replace: true })` replaces a value).
 * - A green thread that throws gets a {@link PropagateError} (its key, the error) as its value: getting that
 *   value throws it, so a failure runs down the graph, each dependent wrapping it in a PropagateError of its own
 *   unless it catches it.
 * - A green thread that is killed ({@link DAGPool.kill}, or `kill()` on it) leaves no value: whoever waits for its
 *   key waits on until someone posts one.
 * - `waitEach`, `wait` and `get` wait for keys that nobody has spawned or posted yet, too: {@link
 *   DAGPool.waitingFor} shows what a stuck graph waits for.
 *
 * Calls that would block throw `HubBlockingError` on the main stack; `spawn`, `post`, `poll` and the counts work
 * there.
 *
 * @typeParam K - the keys.
 * @typeParam V - the values.
 */
export class DAGPool<K = unknown, V = unknown> {
  readonly #values = new Map<K, V | PropagateError>();
  readonly #running = new Map<K, Running<K, V>>();
  // The green threads parked until one of these keys has a value.
  readonly #watchers = new Map<K, Set<Greenlet>>();

  /** @param preload - values available from the start. */
  constructor(preload?: DagPreload<K, V>) {
    if (preload === undefined || preload === null) return;
    if (typeof (preload as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of preload as Iterable<readonly [K, V]>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError('DAGPool: a preload iterable must give [key, value] pairs');
        }
        this.#values.set(pair[0], pair[1]);
      }
    } else if (typeof preload === 'object') {
      for (const [key, value] of Object.entries(preload)) this.#values.set(key as K, value as V);
    } else {
      throw new TypeError(`DAGPool takes a Map, an iterable of [key, value] pairs or an object, not ${typeof preload}`);
    }
  }

  /**
   * Starts `fn(key, results, ...args)` in a new green thread of the pool (at the hub's next dispatch). `results`
   * gives the `[key, value]` pair of each key in `depends` as soon as it has a value, in the order they come; its
   * `next()` blocks until the next one does, and throws the {@link PropagateError} of a dependency that failed.
   * What `fn` returns becomes the value of `key`; an error it throws becomes a PropagateError value. Throws
   * {@link Collision} if `key` already has a green thread or a value.
   *
   * Switch point: never.
   */
  spawn<A extends unknown[]>(key: K, depends: Iterable<K>, fn: DagFunction<K, V, A>, ...args: A): void {
    checkFunction(fn, 'DAGPool.spawn');
    if (this.#running.has(key) || this.#values.has(key)) {
      const has = this.#running.has(key) ? 'a running green thread' : 'a value';
      throw new Collision(key, `DAGPool.spawn: key ${describeKey(key)} already has ${has}`);
    }
    const pending = new Set(iterableOf(depends, 'DAGPool.spawn: depends'));
    const results = this.#each(pending);
    const thread = spawn(() => this.#run(key, fn, results, args));
    thread.name = `DAGPool[${describeKey(key)}]`;
    this.#running.set(key, { thread, pending });
    // However the thread ends (also killed by someone else before it started), it no longer runs for `key`.
    onFinish(thread, () => {
      if (this.#running.get(key)?.thread === thread) this.#running.delete(key);
    });
  }

  /**
   * {@link DAGPool.spawn} for each entry of `depends` (key to the keys it depends on), each with `fn` and
   * `args`. Throws {@link Collision} at the first key that has a green thread or a value; the keys before it
   * were spawned.
   *
   * Switch point: never.
   */
  spawnMany<A extends unknown[]>(
    depends: ReadonlyMap<K, Iterable<K>> | { readonly [key: string]: Iterable<K> },
    fn: DagFunction<K, V, A>,
    ...args: A
  ): void {
    const entries = depends instanceof Map ? [...depends] : Object.entries(depends as object);
    for (const [key, deps] of entries) this.spawn(key as K, deps as Iterable<K>, fn, ...args);
  }

  /**
   * Kills the green thread spawned with `key`, which then leaves no value for it (post one if anyone waits for
   * it). The pool forgets the thread at once, so `key` can be spawned or posted again. Throws a RangeError if no
   * green thread of the pool with that key is running.
   *
   * Switch point: in a green thread, as `kill`: the caller resumes after the killed thread has unwound.
   */
  kill(key: K): void {
    const entry = this.#running.get(key);
    if (entry === undefined) throw new RangeError(`DAGPool.kill: no green thread of the pool runs with key ${describeKey(key)}`);
    this.#running.delete(key);
    entry.thread.kill();
  }

  /**
   * Stores `value` for `key` and wakes whoever waits for it. A value that is a {@link PropagateError} is thrown
   * to whoever gets it. Throws {@link Collision} if another green thread than the caller runs with `key` (kill it
   * first), or if `key` has a value already and `replace` is not set. After a replace, green threads already woken
   * for the old value may see either; later readers see the new one.
   *
   * Switch point: never.
   */
  post(key: K, value: V | PropagateError, options?: DagPostOptions): void {
    const entry = this.#running.get(key);
    if (entry !== undefined && entry.thread !== getCurrent()) {
      throw new Collision(
        key,
        `DAGPool.post: key ${describeKey(key)} has a running green thread, whose result will be its value ` +
          '(kill(key) it first to post one instead)',
      );
    }
    if (this.#values.has(key) && options?.replace !== true) {
      throw new Collision(key, `DAGPool.post: key ${describeKey(key)} already has a value (pass { replace: true } to replace it)`);
    }
    this.#store(key, value);
  }

  /**
   * The value of `key`, waiting until it has one (eventlet's `pool[key]`). Throws its {@link PropagateError} if
   * its green thread failed.
   *
   * Switch point: when `key` has no value yet.
   */
  get(key: K): V {
    if (!this.#values.has(key)) this.#waitForAny(new Set([key]), 'DAGPool.get');
    return unwrap(this.#values.get(key)!);
  }

  /**
   * The value of `key` if it has one, else `notReady` (default undefined); never waits (eventlet's
   * `get(key, default)`). Throws the key's {@link PropagateError} if its green thread failed.
   */
  poll(key: K): V | undefined;
  poll<D>(key: K, notReady: D): V | D;
  poll<D>(key: K, notReady?: D): V | D | undefined {
    return this.#values.has(key) ? unwrap(this.#values.get(key)!) : notReady;
  }

  /**
   * Waits until every key of `keys` (default: every key the pool knows, spawned, posted or preloaded) has a
   * value, and returns them in a Map. Throws the {@link PropagateError} of a key whose green thread failed (which
   * one, if several did, is not specified).
   *
   * Switch point: when some of the keys have no value yet.
   */
  wait(keys?: Iterable<K>): Map<K, V> {
    return new Map(this.waitEach(keys));
  }

  /** {@link DAGPool.wait} for every key the pool knows (eventlet's `waitall`). */
  waitAll(): Map<K, V> {
    return this.wait();
  }

  /**
   * An iterator over `[key, value]` for each key of `keys` (default: every key the pool knows now), each given as
   * soon as it has a value: first those that have one already, then the others in the order they come. `next()`
   * blocks until the next value is there, and throws the {@link PropagateError} of a key whose green thread
   * failed (which ends the iteration). An empty `keys` gives nothing.
   *
   * Switch point: in `next()`, when no requested key not yet given has a value.
   */
  waitEach(keys?: Iterable<K>): IterableIterator<[K, V]> {
    return this.#each(this.#keySet(keys, 'DAGPool.waitEach'));
  }

  /**
   * Like {@link DAGPool.waitEach}, but gives only the keys that have a proper value, skipping (not throwing)
   * those whose green thread failed; it still ends only when every key has a value.
   */
  waitEachSuccess(keys?: Iterable<K>): IterableIterator<[K, V]> {
    return this.#successes(this.#keySet(keys, 'DAGPool.waitEachSuccess'));
  }

  /**
   * Like {@link DAGPool.waitEach}, but gives only the keys whose green thread failed, with their
   * {@link PropagateError} as the value (given, not thrown); it still ends only when every key has a value.
   */
  waitEachException(keys?: Iterable<K>): IterableIterator<[K, PropagateError]> {
    return this.#failures(this.#keySet(keys, 'DAGPool.waitEachException'));
  }

  /** The keys that have a value now (a snapshot). */
  keys(): K[] {
    return [...this.#values.keys()];
  }

  /** The `[key, value]` pairs available now (a snapshot); throws the first {@link PropagateError} among them. */
  items(): Array<[K, V]> {
    return [...this.#values].map(([key, value]) => [key, unwrap(value)]);
  }

  /** How many green threads of the pool run (including those waiting for their dependencies). */
  running(): number {
    return this.#running.size;
  }

  /** The keys of the green threads that run (a snapshot). */
  runningKeys(): K[] {
    return [...this.#running.keys()];
  }

  /**
   * How many green threads of the pool still wait for a dependency that has no value. Green threads outside
   * the pool waiting in `get`, `wait` or `waitEach` are not counted.
   */
  waiting(): number {
    return this.waitingFor().size;
  }

  /**
   * The keys a green thread of the pool still waits for, for finding why a graph is stuck. With `key`: the keys
   * its green thread waits for that have no value yet (empty once it has all it asked for, or when it finished
   * or `key` was posted); throws a RangeError for a key the pool knows nothing of. Without: a Map from the key of
   * every green thread that still waits for something to those keys.
   */
  waitingFor(key: K): Set<K>;
  waitingFor(): Map<K, Set<K>>;
  waitingFor(...args: [] | [K]): Set<K> | Map<K, Set<K>> {
    if (args.length > 0) {
      const key = args[0] as K;
      const entry = this.#running.get(key);
      if (entry !== undefined) return this.#missing(entry.pending);
      if (this.#values.has(key)) return new Set();
      throw new RangeError(`DAGPool.waitingFor: the pool has no green thread and no value with key ${describeKey(key)}`);
    }
    const out = new Map<K, Set<K>>();
    for (const [k, entry] of this.#running) {
      const missing = this.#missing(entry.pending);
      if (missing.size > 0) out.set(k, missing);
    }
    return out;
  }

  // The body of every green thread of the pool.
  #run<A extends unknown[]>(key: K, fn: DagFunction<K, V, A>, results: DagResults<K, V>, args: A): void {
    let value: V | PropagateError;
    try {
      value = fn(key, results, ...args);
    } catch (error) {
      if (error instanceof GreenletExit) {
        // Killed: no value. (kill() has already forgotten the thread; a GreenletExit thrown some other way has not.)
        this.#forget(key);
        throw error;
      }
      value = new PropagateError(key, error);
    }
    // A thread that was killed and caught it, after another thread took its key, has no say on that key.
    if (!this.#forget(key) && this.#running.has(key)) return;
    // A thread that posted its own value keeps it; its return value is dropped, as in eventlet.
    if (!this.#values.has(key)) this.#store(key, value);
  }

  // Drops the running entry of `key` if it belongs to the current green thread; true if it did.
  #forget(key: K): boolean {
    const entry = this.#running.get(key);
    if (entry === undefined || entry.thread !== getCurrent()) return false;
    this.#running.delete(key);
    return true;
  }

  #store(key: K, value: V | PropagateError): void {
    this.#values.set(key, value);
    const watchers = this.#watchers.get(key);
    if (watchers !== undefined) for (const g of watchers) wake(g);
  }

  #keySet(keys: Iterable<K> | undefined, what: string): Set<K> {
    if (keys !== undefined) return new Set(iterableOf(keys, what));
    return new Set([...this.#running.keys(), ...this.#values.keys()]);
  }

  #missing(pending: Set<K>): Set<K> {
    const missing = new Set<K>();
    for (const k of pending) if (!this.#values.has(k)) missing.add(k);
    return missing;
  }

  // waitEach: the raw pairs, PropagateError values thrown.
  *#each(pending: Set<K>): Generator<[K, V], void, undefined> {
    for (const [key, value] of this.#eachRaw(pending)) yield [key, unwrap(value)];
  }

  *#successes(pending: Set<K>): Generator<[K, V], void, undefined> {
    for (const [key, value] of this.#eachRaw(pending)) if (!(value instanceof PropagateError)) yield [key, value];
  }

  *#failures(pending: Set<K>): Generator<[K, PropagateError], void, undefined> {
    for (const [key, value] of this.#eachRaw(pending)) if (value instanceof PropagateError) yield [key, value];
  }

  // Gives `[key, value]` for each key of `pending` as it gets a value, taking the key out of `pending` (the set a
  // running thread's entry shares, so waitingFor sees what it still waits for).
  *#eachRaw(pending: Set<K>): Generator<[K, V | PropagateError], void, undefined> {
    for (;;) {
      for (const key of [...pending]) {
        if (pending.has(key) && this.#values.has(key)) {
          pending.delete(key);
          yield [key, this.#values.get(key)!];
        }
      }
      if (pending.size === 0) return;
      this.#waitForAny(pending, 'DAGPool.waitEach');
    }
  }

  // Parks the current green thread until one of `keys` has a value.
  #waitForAny(keys: Set<K>, reason: string): void {
    const self = requireGreen(`${reason}()`);
    for (const key of keys) {
      let watchers = this.#watchers.get(key);
      if (watchers === undefined) this.#watchers.set(key, (watchers = new Set()));
      watchers.add(self);
    }
    try {
      while (!this.#anyReady(keys)) park(reason);
    } finally {
      for (const key of keys) {
        const watchers = this.#watchers.get(key);
        if (watchers === undefined) continue;
        watchers.delete(self);
        if (watchers.size === 0) this.#watchers.delete(key);
      }
    }
  }

  #anyReady(keys: Set<K>): boolean {
    for (const key of keys) if (this.#values.has(key)) return true;
    return false;
  }
}

function unwrap<V>(value: V | PropagateError): V {
  if (value instanceof PropagateError) throw value;
  return value;
}

function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${what} takes a function, not ${fn === null ? 'null' : typeof fn}`);
}

function iterableOf<K>(value: Iterable<K>, what: string): Iterable<K> {
  if (value === null || value === undefined || typeof (value as Iterable<K>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${what} must be an iterable of keys, not ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

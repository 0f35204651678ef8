/**
 * tpool proxies: eventlet's `tpool.Proxy` for JavaScript. An object that lives in a tpool worker thread, used from
 * green threads through a JS `Proxy` whose every operation runs in that worker and blocks only the calling green
 * thread.
 *
 * Why the object lives in the worker: eventlet's Proxy wraps an object of the calling thread and runs its methods
 * in pool threads, which share the object's memory. Worker threads share no objects, so here the object is made
 * in a worker (from a module's export, or from a value copied there) and stays there; only arguments and plain
 * results cross, structured-cloned. All calls on an object run in its worker (its home), one at a time.
 *
 * - Reading a property is a round trip; a property holding a function reads as a local stub that calls the method
 *   there (with the object as `this`), so `p.method(x)` is two round trips, and a kept stub one per call. `new
 *   p.Class(x)` constructs there.
 * - Results that are plain data (primitives; arrays, plain objects, Maps, Sets of plain data all the way down;
 *   Dates, RegExps, buffers, errors) come back as copies; anything else (class instances, functions, iterators)
 *   stays there and comes back as a proxy, and so do results matched by `autowrap` (type or class names),
 *   `autowrapNames` (the property or method name) or `autowrapCall` (calling the proxy itself).
 * - The same object always comes back as the same proxy while that proxy is alive, so `===` and `==` between
 *   proxies compare the objects' identities. `==` with a primitive, `String(p)`, `${p}` and `+p` convert the
 *   object there (Symbol.toPrimitive). `for...of` iterates there, one round trip per step. `'k' in p`, `delete
 *   p.k`, `p.k = v`, `Object.keys(p)` work there.
 * - Errors thrown there come back as their class when it is a standard one or verdant's (./remote-error.ts).
 * - A proxy passed as an argument to a method of an object of the same worker arrives as the object itself.
 * - The object is released in the worker when its proxy is garbage-collected (FinalizationRegistry) or disposed
 *   (`p[Symbol.dispose]()`, `using`); a worker holding objects for live proxies stays alive.
 *
 * Limits, because JS has no hooks for them: a proxy is always truthy; `typeof` is 'function' only for proxied
 * functions, and `Array.isArray(p)` is false; `then` reads as undefined (a proxy is never a thenable, so Promise
 * machinery never blocks on it); symbol-keyed properties other than the iterator are local to the proxy;
 * `util.inspect`/`console.log` show a label without asking the worker (they may run on the main stack); a stub
 * ignores the `this` it is called with. Every remote operation needs a green thread: on the main stack it throws
 * HubBlockingError.
 */
import { inspect } from 'node:util';
import { TpoolProxyDisposedError } from './errors';
import { callWorker, thePool } from './execute';
import type { WorkerHome } from './pool';
import type { MethodWire, ProxyOp, StepWire, Wire, WireArguments, WrapRule } from './protocol';
import { resolveModuleRef, type ModuleRef } from './task';

/** How a proxy treats results ({@link proxy}, {@link proxyValue}); eventlet's `autowrap` and `autowrap_names`. */
export interface ProxyOptions {
  /**
   * Type or class names whose values come back as proxies even when they could be copied: a `typeof` name
   * (`'number'`, `'string'`) or the name of the value's class or of a base class (`'Map'`, `'Array'`, `'Cursor'`),
   * as eventlet's isinstance check. Proxies of results keep this setting.
   */
  autowrap?: Iterable<string>;
  /** Property and method names whose values (for a method: whose results) always come back as proxies. */
  autowrapNames?: Iterable<string>;
  /** What calling the proxy itself returns always comes back as a proxy (eventlet: `'__call__'` in autowrap_names). */
  autowrapCall?: boolean;
  /** Put the object in the worker that holds this proxy's object, so that one can be passed to the other. */
  sameWorkerAs?: object;
}

type Primitive = string | number | bigint | boolean | symbol | null | undefined;
type IsAny<T> = 0 extends 1 & T ? true : false;
type Boxed<T> = T extends string
  ? String
  : T extends number
    ? Number
    : T extends bigint
      ? BigInt
      : T extends boolean
        ? Boolean
        : T extends symbol
          ? Symbol
          : {};
/** Arguments: what the function takes, or a proxy of it (a proxy of the same worker arrives as the object). */
type RemoteArguments<A extends unknown[]> = { [I in keyof A]: A[I] | Remote<A[I]> };
type RemoteFunction<A extends unknown[], R> = (...args: RemoteArguments<A>) => Remote<Awaited<R>>;
type RemoteMembers<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? RemoteFunction<A, R> : Remote<T[K]>;
};
type RemoteCall<T> = T extends (...args: infer A) => infer R ? RemoteFunction<A, R> : unknown;
type RemoteConstruct<T> = T extends abstract new (...args: infer A) => infer I
  ? new (...args: RemoteArguments<A>) => Proxied<I>
  : unknown;
/** Sync and async iterables are iterated with `for...of`, in the worker. */
type RemoteIterable<T> =
  T extends Iterable<infer X> ? Iterable<Remote<X>> : T extends AsyncIterable<infer X> ? Iterable<Remote<X>> : unknown;

/**
 * The type of a result from a proxied object, by default: primitives come back as they are, objects as
 * {@link Proxied} (plain data comes back as a copy of the same shape, so the type fits both). Results that
 * `autowrap` keeps in the worker are proxies whatever their type says.
 */
export type Remote<T> = IsAny<T> extends true ? any : T extends Primitive ? T : Proxied<T>;

/**
 * The type of a proxy of a `T`: its members, with methods returning {@link Remote} results (a Promise is awaited
 * in the worker) and taking proxies where they take objects; callable, constructible and iterable when `T` is;
 * and disposable.
 */
export type Proxied<T> =
  IsAny<T> extends true
    ? any
    : RemoteMembers<T extends Primitive ? Boxed<T> : T> &
        RemoteCall<T> &
        RemoteConstruct<T> &
        RemoteIterable<T> &
        Disposable;

/** A proxy's reference to its object: the worker, the object's id there, and how many references came with it. */
interface Handle {
  readonly home: WorkerHome;
  readonly id: number;
  /** The key of its entry in the home's table. */
  readonly key: string;
  /** References to the object the worker sent and this proxy absorbed; given back all at once on release. */
  received: number;
  /** Calls using it that are queued or running; its release waits for them. */
  inFlight: number;
  released: boolean;
}

/** The result options, with a key telling equal settings apart (a proxy is reused only with equal settings). */
interface Settings {
  readonly autowrap: string[];
  readonly autowrapNames: ReadonlySet<string>;
  readonly autowrapCall: boolean;
  readonly key: string;
  /** The settings of the proxies of results: eventlet passes autowrap on, not the names. */
  child?: Settings;
}

interface State {
  readonly handle: Handle;
  /** The object's type, `Pattern`, `function wrapped`, `number`: for messages and inspect. */
  readonly label: string;
  readonly settings: Settings;
  readonly stubs: Map<string, (...args: unknown[]) => unknown>;
  /** The proxy (set once made); whatever keeps the state keeps the proxy and so its object. */
  self: object;
  toPrimitive?: (hint: 'string' | 'number' | 'default') => unknown;
  dispose?: () => void;
  iterate?: () => RemoteIterator;
}

/** Per worker: the live proxy of each object (by id and settings), so that the same object gives the same proxy. */
const tables = new WeakMap<WorkerHome, Map<string, { ref: WeakRef<object>; handle: Handle }>>();
const byProxy = new WeakMap<object, State>();
const byTarget = new WeakMap<object, State>();
const registry = new FinalizationRegistry<Handle>((handle) => release(handle));

/**
 * A proxy of the module `module` (`{ module }` or `'module'`), or of its export `name` (`{ module, name }` or
 * `'module#name'`), loaded in a tpool worker thread; `module` is resolved as for {@link execute}. A proxied class
 * or factory makes further objects there: `const db = new (tpool.proxy('./db.js#Connection'))(url)`.
 *
 * ```ts
 * const re = tpool.proxy<typeof import('./patterns')>('./patterns.js');
 * const pattern = re.compile('(.)(.)');   // a class instance: a proxy too
 * pattern.groups;                         // 2, read in the worker
 * ```
 *
 * Blocks the calling green thread while the worker loads the module. Errors: Node's for a module that cannot be
 * loaded, a TypeError for a missing export.
 *
 * Switch point: always (unless the arguments are rejected at once).
 */
export function proxy<T = any>(target: ModuleRef | string, options: ProxyOptions = {}): Proxied<T> {
  const { file, name } = resolveModuleRef(target);
  const what = name === null ? `proxy the module ${file}` : `proxy "${name}" from ${file}`;
  return create(what, { op: 'create', file, name }, options) as Proxied<T>;
}

/**
 * A proxy of a copy of `value` (structured-cloned) made in a tpool worker thread: eventlet's `Proxy(value)` for
 * values that can cross threads. Changes through the proxy change the copy, not `value`.
 *
 * Switch point: always (unless the arguments are rejected at once).
 */
export function proxyValue<T>(value: T, options: ProxyOptions = {}): Proxied<T> {
  if (isProxy(value)) throw new TypeError('tpool.proxyValue: the value is a tpool proxy already');
  return create('proxy a value', { op: 'adopt', value }, options) as Proxied<T>;
}

/** True for tpool proxies (of objects, functions and values; not for the method stubs their properties give). */
export function isProxy(value: unknown): boolean {
  return byProxy.has(value as object);
}

/**
 * The class of tpool proxies, for `p instanceof tpool.Proxy` (eventlet's `isinstance(p, tpool.Proxy)`). Not
 * constructible: proxies come from {@link proxy} and {@link proxyValue}.
 */
export class TpoolProxy {
  private constructor() {
    throw new TypeError('tpool.Proxy is not constructible: use tpool.proxy(module) or tpool.proxyValue(value)');
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return isProxy(value);
  }
}

function create(what: string, op: ProxyOp, options: ProxyOptions): object {
  const settings = settingsOf(options);
  const accept = (value: unknown, home: WorkerHome) => fromWire(value as Wire, home, settings) as object;
  if (options.sameWorkerAs === undefined) {
    return callWorker(`tpool: ${what}`, what, { kind: 'proxy', op }, { spread: true }, accept);
  }
  const near = byProxy.get(options.sameWorkerAs);
  if (near === undefined) throw new TypeError('tpool proxy options: sameWorkerAs must be a tpool proxy');
  return invoke([near], what, op, accept);
}

function settingsOf(options: ProxyOptions): Settings {
  if (options === null || typeof options !== 'object') throw new TypeError('tpool proxy options must be an object');
  const strings = (value: Iterable<string> | undefined, name: string): string[] => {
    if (value === undefined) return [];
    if (typeof value === 'string' || typeof value?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`tpool proxy options: ${name} must be an iterable of strings (e.g. an array)`);
    }
    const list = [...value];
    for (const item of list) {
      if (typeof item !== 'string') {
        throw new TypeError(`tpool proxy options: ${name} holds a ${typeof item}, not only strings`);
      }
    }
    return list;
  };
  return makeSettings(
    strings(options.autowrap, 'autowrap'),
    new Set(strings(options.autowrapNames, 'autowrapNames')),
    options.autowrapCall === true,
  );
}

function makeSettings(autowrap: string[], autowrapNames: ReadonlySet<string>, autowrapCall: boolean): Settings {
  const key = JSON.stringify([autowrap, [...autowrapNames].sort(), autowrapCall]);
  return { autowrap, autowrapNames, autowrapCall, key };
}

function childSettings(settings: Settings): Settings {
  settings.child ??= makeSettings(settings.autowrap, new Set(), false);
  return settings.child;
}

function wrapRule(settings: Settings, force: boolean): WrapRule {
  return { types: settings.autowrap, force };
}

function isMethod(value: unknown): value is MethodWire {
  return (value as MethodWire | null)?.kind === 'method';
}

/** A value from the worker: a copy, or the proxy of an object that stays there. */
function fromWire(wire: Wire, home: WorkerHome, settings: Settings): unknown {
  switch (wire.kind) {
    case 'copy':
      return wire.value;
    case 'buffer':
      return Buffer.from(wire.value.buffer, wire.value.byteOffset, wire.value.byteLength);
    case 'remote':
      return proxyFor(home, wire, settings);
  }
}

/** The live proxy of that object with those settings, or a new one. */
function proxyFor(home: WorkerHome, wire: Extract<Wire, { kind: 'remote' }>, settings: Settings): object {
  let table = tables.get(home);
  if (table === undefined) tables.set(home, (table = new Map()));
  const key = `${wire.id}/${settings.key}`;
  const entry = table.get(key);
  const existing = entry?.ref.deref();
  if (existing !== undefined) {
    entry!.handle.received++;
    return existing;
  }
  // An entry whose proxy was collected but not yet finalized is replaced; its finalizer gives back its own count.
  if (entry === undefined) thePool().hold(home);
  const handle: Handle = { home, id: wire.id, key, received: 1, inFlight: 0, released: false };
  const made = makeProxy(handle, wire.callable, wire.label, settings);
  table.set(key, { ref: new WeakRef(made), handle });
  registry.register(made, handle, handle);
  return made;
}

function makeProxy(handle: Handle, callable: boolean, label: string, settings: Settings): object {
  // A bound function is callable and constructible and has no non-configurable own property (no `prototype`),
  // so the traps may report whatever the remote object has without breaking the Proxy invariants.
  const target: object = callable ? function () {}.bind(null) : {};
  const state: State = { handle, label, settings, stubs: new Map(), self: target };
  Object.defineProperty(target, inspect.custom, {
    value: () => `[tpool.Proxy ${label}${handle.released ? ' (disposed)' : ''}]`,
    configurable: true,
  });
  const made = new Proxy(target, handler);
  state.self = made;
  byProxy.set(made, state);
  byTarget.set(target, state);
  return made;
}

const handler: ProxyHandler<object> = {
  get(target, key) {
    const state = byTarget.get(target)!;
    if (typeof key === 'symbol') return symbolProperty(state, target, key);
    if (key === 'then') return undefined;
    const wrap = wrapRule(state.settings, state.settings.autowrapNames.has(key));
    const op: ProxyOp = { op: 'get', id: state.handle.id, key, wrap };
    return invoke([state], `read "${key}" of ${nameOf(state)}`, op, (value, home) => member(state, key, value, home));
  },
  set(target, key, value) {
    if (typeof key === 'symbol') return Reflect.set(target, key, value);
    const state = byTarget.get(target)!;
    const { wire, states } = toWire([value], state);
    const op: ProxyOp = { op: 'set', id: state.handle.id, key, value: wire };
    invoke(states, `assign "${key}" of ${nameOf(state)}`, op, () => true);
    return true;
  },
  has(target, key) {
    const state = byTarget.get(target)!;
    if (key === Symbol.iterator) return isIterable(state);
    if (typeof key === 'symbol') return Reflect.has(target, key);
    const op: ProxyOp = { op: 'has', id: state.handle.id, key };
    return invoke([state], `look for "${key}" in ${nameOf(state)}`, op, (found) => found === true);
  },
  deleteProperty(target, key) {
    if (typeof key === 'symbol') return Reflect.deleteProperty(target, key);
    const state = byTarget.get(target)!;
    const op: ProxyOp = { op: 'delete', id: state.handle.id, key };
    return invoke([state], `delete "${key}" of ${nameOf(state)}`, op, () => true);
  },
  ownKeys(target) {
    const state = byTarget.get(target)!;
    const op: ProxyOp = { op: 'keys', id: state.handle.id };
    return invoke([state], `list the keys of ${nameOf(state)}`, op, (keys) => keys as string[]);
  },
  getOwnPropertyDescriptor(target, key) {
    if (typeof key === 'symbol') return Reflect.getOwnPropertyDescriptor(target, key);
    const state = byTarget.get(target)!;
    const op: ProxyOp = { op: 'describe', id: state.handle.id, key, wrap: wrapRule(state.settings, false) };
    const found = invoke([state], `describe "${key}" of ${nameOf(state)}`, op, (reply, home) => {
      if (reply === null) return undefined;
      const { enumerable, value } = reply as { enumerable: boolean; value: Wire | MethodWire };
      return { enumerable, value: member(state, key, value, home) };
    });
    // Reported configurable: the local target does not have the property, and may not claim more.
    return found === undefined ? undefined : { ...found, writable: true, configurable: true };
  },
  defineProperty() {
    throw new TypeError('a tpool proxy does not support Object.defineProperty: assign the property instead');
  },
  setPrototypeOf() {
    return false;
  },
  preventExtensions() {
    return false;
  },
  apply(target, _thisArg, args) {
    const state = byTarget.get(target)!;
    return callRemote(state, null, args);
  },
  construct(target, args) {
    const state = byTarget.get(target)!;
    return constructRemote(state, null, args);
  },
};

function nameOf(state: State): string {
  return `a proxied ${state.label}`;
}

/** A property's value from the worker: the method stub for a function, else the value (copy or proxy). */
function member(state: State, key: string, value: unknown, home: WorkerHome): unknown {
  return isMethod(value) ? stubFor(state, key) : result(state)(value, home);
}

/** Decodes results of operations on `state`'s object: their proxies get the settings of its results. */
function result(state: State): (value: unknown, home: WorkerHome) => unknown {
  const settings = childSettings(state.settings);
  return (value, home) => fromWire(value as Wire, home, settings);
}

/** The symbols a proxy answers itself: conversion, disposal, and iteration (which asks the worker). */
function symbolProperty(state: State, target: object, key: symbol): unknown {
  if (key === Symbol.toPrimitive) return (state.toPrimitive ??= (hint) => toPrimitive(state, hint));
  if (key === Symbol.dispose) return (state.dispose ??= () => dispose(state));
  if (key === Symbol.iterator) return isIterable(state) ? (state.iterate ??= () => iterate(state)) : undefined;
  return Reflect.get(target, key);
}

/** The local stand-in for a method: calls `key` on the object there, or constructs with it under `new`. */
function stubFor(state: State, key: string): (...args: unknown[]) => unknown {
  let stub = state.stubs.get(key);
  if (stub === undefined) {
    stub = function (...args: unknown[]): unknown {
      return new.target === undefined ? callRemote(state, key, args) : constructRemote(state, key, args);
    };
    Object.defineProperty(stub, 'name', { value: key });
    state.stubs.set(key, stub);
  }
  return stub;
}

function callRemote(state: State, key: string | null, args: unknown[]): unknown {
  const { wire, states } = toWire(args, state);
  const settings = state.settings;
  const force = key === null ? settings.autowrapCall : settings.autowrapNames.has(key);
  const what = key === null ? `call ${nameOf(state)}` : `call "${key}" on ${nameOf(state)}`;
  const op: ProxyOp = { op: 'call', id: state.handle.id, key, args: wire, wrap: wrapRule(settings, force) };
  return invoke(states, what, op, result(state));
}

function constructRemote(state: State, key: string | null, args: unknown[]): object {
  const { wire, states } = toWire(args, state);
  const what = key === null ? `construct ${nameOf(state)}` : `construct "${key}" of ${nameOf(state)}`;
  const op: ProxyOp = { op: 'construct', id: state.handle.id, key, args: wire };
  return invoke(states, what, op, result(state)) as object;
}

/**
 * Arguments for a call on `state`'s object: proxies of objects of the same worker travel as references (and are
 * kept alive by the call); everything else is cloned.
 */
function toWire(args: unknown[], state: State): { wire: WireArguments; states: State[] } {
  const refs: WireArguments['refs'] = [];
  const states = [state];
  const values = args.map((arg, index) => {
    const other = byProxy.get(arg as object);
    if (other === undefined) return arg;
    if (other.handle.home !== state.handle.home) {
      throw new TypeError(
        `a tpool proxy passed to ${nameOf(state)} lives in another worker thread: objects meet only in the same ` +
          'worker (make one with the option sameWorkerAs, or get it from a method of the other)',
      );
    }
    refs.push([index, other.handle.id]);
    states.push(other);
    return null;
  });
  return { wire: { values, refs }, states };
}

/**
 * Runs `op` in the home worker of `states[0]` and waits for it; `accept` decodes the reply when it arrives. The
 * proxies in `states` stay alive, and their release waits, until the call is over.
 */
function invoke<T>(states: State[], what: string, op: ProxyOp, accept: (value: unknown, home: WorkerHome) => T): T {
  for (const state of states) {
    if (state.handle.released) throw new TpoolProxyDisposedError(`cannot ${what}: the proxy was disposed`);
  }
  for (const state of states) state.handle.inFlight++;
  try {
    const placement = { home: states[0].handle.home, retain: states };
    return callWorker(`tpool proxy: ${what}`, what, { kind: 'proxy', op }, placement, accept);
  } finally {
    for (const state of states) {
      const handle = state.handle;
      if (--handle.inFlight === 0 && handle.released) giveBack(handle);
    }
  }
}

function toPrimitive(state: State, hint: 'string' | 'number' | 'default'): unknown {
  const what = `convert ${nameOf(state)} to a primitive`;
  return invoke([state], what, { op: 'primitive', id: state.handle.id, hint }, (value) => value);
}

function isIterable(state: State): boolean {
  const key = { symbol: 'iterator' } as const;
  const op: ProxyOp = { op: 'get', id: state.handle.id, key, wrap: wrapRule(state.settings, false) };
  return invoke([state], `look for the iterator of ${nameOf(state)}`, op, (value) => isMethod(value));
}

function iterate(state: State): RemoteIterator {
  const what = `iterate over ${nameOf(state)}`;
  const iterator = invoke([state], what, { op: 'iterate', id: state.handle.id }, result(state));
  return new RemoteIterator(byProxy.get(iterator as object)!);
}

/** An iteration running in the worker: each step is one round trip. */
class RemoteIterator implements IterableIterator<unknown> {
  readonly #state: State;
  #done = false;

  constructor(state: State) {
    this.#state = state;
  }

  next(): IteratorResult<unknown> {
    if (this.#done) return { done: true, value: undefined };
    const state = this.#state;
    const op: ProxyOp = { op: 'next', id: state.handle.id, wrap: wrapRule(state.settings, false) };
    const decode = result(state);
    const step = invoke([state], `step ${nameOf(state)}`, op, (value, home) => {
      const { done, value: item } = value as StepWire;
      return { done, value: decode(item, home) };
    });
    if (step.done) this.#done = true;
    return step as IteratorResult<unknown>;
  }

  /** Ends the iteration early (`break` out of `for...of`): the iterator's `return()` runs there. */
  return(value?: unknown): IteratorResult<unknown> {
    const state = this.#state;
    if (!this.#done && !state.handle.released) {
      this.#done = true;
      invoke([state], `end the iteration of ${nameOf(state)}`, { op: 'return', id: state.handle.id }, () => null);
    }
    return { done: true, value };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

function dispose(state: State): void {
  if (state.handle.released) return;
  registry.unregister(state.handle);
  release(state.handle);
}

/** The proxy is gone or disposed: its table entry goes, and its references go back once no call uses them. */
function release(handle: Handle): void {
  if (handle.released) return;
  handle.released = true;
  const table = tables.get(handle.home);
  if (table?.get(handle.key)?.handle === handle) {
    table.delete(handle.key);
    thePool().unhold(handle.home);
  }
  if (handle.inFlight === 0) giveBack(handle);
}

function giveBack(handle: Handle): void {
  thePool().post(handle.home, { kind: 'release', id: handle.id, count: handle.received });
}

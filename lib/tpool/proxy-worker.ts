/**
 * The worker side of tpool proxies: the table of objects this worker holds for proxies in the calling thread, and
 * the operations on them (./protocol.ts, ProxyOp).
 *
 * An object enters the table when it is sent to the calling thread as a reference (a Wire of kind 'remote'), and
 * gets an id; the same object always gets the same id, so the calling thread can hand back the same proxy. The
 * table counts the references sent for each id, and the calling thread gives them back (a ReleaseRequest) when
 * its proxies are disposed or garbage-collected; at zero the object leaves the table. Counting sends rather than
 * keeping a flag makes a release that crosses a new send of the same object harmless.
 *
 * @internal Runs in worker threads only.
 */
import { types } from 'node:util';
import type { MethodWire, ProxyOp, StepWire, WireArguments, WireKey, Wire, WrapRule } from './protocol';
import { exportNamed, load } from './load';

const objects = new Map<number, unknown>();
const outstanding = new Map<number, number>();
const idOf = new Map<object, number>();
let nextId = 1;

/** Objects currently in the table, for tests of releasing. */
export function heldObjectCount(): number {
  return objects.size;
}

/** The calling thread dropped `count` references to `id`. */
export function releaseObject(id: number, count: number): void {
  const left = (outstanding.get(id) ?? 0) - count;
  if (left > 0) {
    outstanding.set(id, left);
    return;
  }
  const value = objects.get(id);
  objects.delete(id);
  outstanding.delete(id);
  if (isObjectLike(value)) idOf.delete(value);
}

function isObjectLike(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function register(value: unknown, sent: number[]): number {
  let id = isObjectLike(value) ? idOf.get(value) : undefined;
  if (id === undefined) {
    id = nextId++;
    objects.set(id, value);
    if (isObjectLike(value)) idOf.set(value, id);
  }
  outstanding.set(id, (outstanding.get(id) ?? 0) + 1);
  sent.push(id);
  return id;
}

function lookup(id: number): unknown {
  if (!objects.has(id)) throw new ReferenceError(`tpool proxy: object #${id} is no longer held by this worker`);
  return objects.get(id);
}

/**
 * Runs one operation. Everything it reads from the table is read before its first `await`, so a release that
 * arrives while it waits cannot take its objects away. `sent` receives the id of every reference in the answer,
 * so that an answer that cannot be posted can give them back.
 */
export async function runProxyOp(op: ProxyOp, sent: number[]): Promise<unknown> {
  switch (op.op) {
    case 'create': {
      const module = await load(op.file);
      const value = op.name === null ? module : exportNamed(module, op.file, op.name);
      return remote(value, sent);
    }
    case 'adopt':
      return remote(op.value, sent);
    case 'get': {
      const target = lookup(op.id);
      const value = read(target, op.key);
      return typeof value === 'function' ? METHOD : encode(value, op.wrap, sent);
    }
    case 'set': {
      const target = lookup(op.id) as Record<string, unknown>;
      target[op.key] = argumentsOf(op.value)[0]; // strict mode: a failed assignment throws, as it would here
      return true;
    }
    case 'has':
      return op.key in Object(lookup(op.id));
    case 'delete':
      delete (lookup(op.id) as Record<string, unknown>)[op.key];
      return true;
    case 'keys':
      return Object.getOwnPropertyNames(Object(lookup(op.id)));
    case 'describe': {
      const target = lookup(op.id);
      const descriptor = Object.getOwnPropertyDescriptor(Object(target), op.key);
      if (descriptor === undefined) return null;
      const value = 'value' in descriptor ? descriptor.value : (target as Record<string, unknown>)[op.key];
      const encoded = typeof value === 'function' ? METHOD : encode(value, op.wrap, sent);
      return { enumerable: descriptor.enumerable === true, value: encoded };
    }
    case 'call': {
      const target = lookup(op.id);
      const args = argumentsOf(op.args);
      const fn = op.key === null ? target : (target as Record<string, unknown>)[op.key];
      if (typeof fn !== 'function') throw new TypeError(`${describe(target, op.key)} is not a function`);
      const result = await Reflect.apply(fn, op.key === null ? undefined : target, args);
      return encode(result, op.wrap, sent);
    }
    case 'construct': {
      const target = lookup(op.id);
      const args = argumentsOf(op.args);
      const ctor = op.key === null ? target : (target as Record<string, unknown>)[op.key];
      if (typeof ctor !== 'function') throw new TypeError(`${describe(target, op.key)} is not a constructor`);
      return remote(Reflect.construct(ctor, args), sent);
    }
    case 'iterate': {
      const target = lookup(op.id) as Record<symbol, unknown>;
      const method = target[Symbol.iterator] ?? target[Symbol.asyncIterator];
      if (typeof method !== 'function') throw new TypeError(`${describe(target, null)} is not iterable`);
      return remote(method.call(target), sent);
    }
    case 'next': {
      const iterator = lookup(op.id) as Iterator<unknown>;
      if (typeof iterator?.next !== 'function') throw new TypeError(`${describe(iterator, 'next')} is not a function`);
      // An async iterator's step is a Promise; a sync iterator's step is awaited harmlessly.
      const step = await iterator.next();
      return { done: step.done === true, value: encode(step.value, op.wrap, sent) } satisfies StepWire;
    }
    case 'return': {
      const iterator = lookup(op.id) as Iterator<unknown>;
      if (typeof iterator?.return === 'function') await iterator.return();
      return null;
    }
    case 'primitive':
      return toPrimitive(lookup(op.id), op.hint);
  }
}

const METHOD: MethodWire = { kind: 'method' };

function read(target: unknown, key: WireKey): unknown {
  const object = target as Record<PropertyKey, unknown>;
  if (typeof key === 'string') return object[key];
  return object[Symbol.iterator] ?? object[Symbol.asyncIterator];
}

function argumentsOf(wire: WireArguments): unknown[] {
  const values = wire.values;
  for (const [index, id] of wire.refs) values[index] = lookup(id);
  return values;
}

function describe(target: unknown, key: string | null): string {
  return key === null ? `the proxied ${labelOf(target)}` : `${labelOf(target)}.${key}`;
}

/** The value as a reference: it stays here. */
function remote(value: unknown, sent: number[]): Wire {
  return { kind: 'remote', id: register(value, sent), callable: typeof value === 'function', label: labelOf(value) };
}

/** The value as a copy when it is plain data and no rule says to keep it here; otherwise as a reference. */
function encode(value: unknown, wrap: WrapRule, sent: number[]): Wire {
  if (wrap.force || matchesType(value, wrap.types) || !isPlainData(value, new Set())) return remote(value, sent);
  if (Buffer.isBuffer(value)) return { kind: 'buffer', value };
  return { kind: 'copy', value };
}

/** True when `value`'s type, its class or one of its base classes is named in `names` (eventlet's isinstance). */
function matchesType(value: unknown, names: readonly string[]): boolean {
  if (names.length === 0) return false;
  if (names.includes(typeof value)) return true;
  if (value === null || value === undefined) return names.includes(String(value));
  for (let proto = Object.getPrototypeOf(Object(value)); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
    if (typeof ctor === 'function' && names.includes(ctor.name)) return true;
  }
  return false;
}

/**
 * True for data that structured cloning copies without losing anything: primitives (not symbols), and arrays,
 * plain objects, Maps and Sets made of such data all the way down, Dates, RegExps, ArrayBuffers and views, boxed
 * primitives and errors. Functions, class instances (their methods would be lost), Promises, iterators,
 * WeakMaps... are not.
 */
function isPlainData(value: unknown, seen: Set<object>): boolean {
  if (!isObjectLike(value)) return typeof value !== 'symbol';
  if (typeof value === 'function') return false;
  if (seen.has(value)) return true;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value)) return proto === Array.prototype && value.every((item) => isPlainData(item, seen));
  if (proto === Object.prototype || proto === null) {
    if (types.isModuleNamespaceObject(value)) return false;
    return Object.values(value).every((item) => isPlainData(item, seen));
  }
  if (types.isMap(value)) {
    return proto === Map.prototype && [...value].every(([k, v]) => isPlainData(k, seen) && isPlainData(v, seen));
  }
  if (types.isSet(value)) return proto === Set.prototype && [...value].every((item) => isPlainData(item, seen));
  if (types.isDate(value)) return proto === Date.prototype;
  if (types.isRegExp(value)) return proto === RegExp.prototype;
  return (
    types.isArrayBuffer(value) ||
    types.isSharedArrayBuffer(value) ||
    types.isArrayBufferView(value) ||
    types.isBoxedPrimitive(value) ||
    types.isNativeError(value)
  );
}

/** The value's type for messages and for inspecting proxies: its class name, `function f`, `string`. */
function labelOf(value: unknown): string {
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'function';
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  if (types.isModuleNamespaceObject(value)) return 'Module';
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : Object.prototype.toString.call(value).slice(8, -1);
}

/** JavaScript's ToPrimitive (with OrdinaryToPrimitive), applied here where the object lives. */
function toPrimitive(value: unknown, hint: 'string' | 'number' | 'default'): unknown {
  if (!isObjectLike(value)) return value;
  const object = value as Record<PropertyKey, unknown>;
  const exotic = object[Symbol.toPrimitive];
  if (exotic !== undefined && exotic !== null) {
    if (typeof exotic !== 'function') throw new TypeError('Symbol.toPrimitive is not a function');
    const result = exotic.call(value, hint);
    if (!isObjectLike(result)) return result;
    throw new TypeError('Cannot convert object to primitive value');
  }
  for (const name of hint === 'string' ? ['toString', 'valueOf'] : ['valueOf', 'toString']) {
    const method = object[name];
    if (typeof method === 'function') {
      const result = method.call(value);
      if (!isObjectLike(result)) return result;
    }
  }
  throw new TypeError(`Cannot convert ${labelOf(value)} to primitive value`);
}

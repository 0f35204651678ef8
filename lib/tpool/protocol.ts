/**
 * The messages between the pool and its worker threads (lib/tpool/worker.ts): calls of module exports
 * (tpool.execute), operations on proxied objects (tpool.proxy), and releases of proxied objects.
 *
 * @internal
 */
import type { SerializedError } from './remote-error';

/** Pool → worker: run `name` from `file` with `args` (structured-cloned). */
export interface TaskRequest {
  kind: 'task';
  file: string;
  name: string;
  args: unknown[];
}

/** Pool → worker: one operation on an object living in this worker (./proxy-worker.ts). */
export interface ProxyRequest {
  kind: 'proxy';
  op: ProxyOp;
}

/**
 * Proxy → worker, no reply: the calling thread dropped `count` of the references to object `id` it was sent.
 * The worker forgets the object when every reference it sent has come back this way.
 */
export interface ReleaseRequest {
  kind: 'release';
  id: number;
  count: number;
}

export type Request = TaskRequest | ProxyRequest | ReleaseRequest;

/** Worker → pool: the result, the error thrown, or the non-Error value thrown. Release requests get no reply. */
export type Reply =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw-error'; error: SerializedError }
  | { kind: 'threw-value'; value: unknown };

/**
 * Which results stay in the worker behind a proxy although they could be copied: `force` for all (a name listed in
 * `autowrapNames`, a call with `autowrapCall`), otherwise those whose type or class name is in `types`.
 */
export interface WrapRule {
  types: string[];
  force: boolean;
}

/** Arguments: the cloned values, and which of them stand for proxied objects of the same worker (index, id). */
export interface WireArguments {
  values: unknown[];
  refs: Array<[index: number, id: number]>;
}

/** A property key: a string, or the iteration protocol (the object's `Symbol.iterator` or `Symbol.asyncIterator`). */
export type WireKey = string | { symbol: 'iterator' };

/** Operations on the object `id` of the worker, and the two ways to put an object there. */
export type ProxyOp =
  /** The export `name` of `file` (the module itself for null) becomes a proxied object. */
  | { op: 'create'; file: string; name: string | null }
  /** The (cloned) value becomes a proxied object. */
  | { op: 'adopt'; value: unknown }
  /** `object[key]`: a Wire, or `{ kind: 'method' }` for a function (called later with 'call' and the key). */
  | { op: 'get'; id: number; key: WireKey; wrap: WrapRule }
  | { op: 'set'; id: number; key: string; value: WireArguments }
  | { op: 'has'; id: number; key: string }
  | { op: 'delete'; id: number; key: string }
  /** The own string keys. */
  | { op: 'keys'; id: number }
  /** An own property: null, or `{ enumerable, value }` with the value as `get` answers it. */
  | { op: 'describe'; id: number; key: string; wrap: WrapRule }
  /** `object[key](...args)`, or `object(...args)` for a null key. */
  | { op: 'call'; id: number; key: string | null; args: WireArguments; wrap: WrapRule }
  /** `new object[key](...args)`, or `new object(...args)` for a null key; the result always stays there. */
  | { op: 'construct'; id: number; key: string | null; args: WireArguments }
  /** Starts an iteration: the iterator, proxied (the object itself when it is its own iterator). */
  | { op: 'iterate'; id: number }
  /** The next step of the iterator `id`: `{ done, value }`, the value as a Wire. */
  | { op: 'next'; id: number; wrap: WrapRule }
  /** Ends the iteration early (the iterator's `return()`). */
  | { op: 'return'; id: number }
  /** The object as a primitive, as JavaScript's ToPrimitive does with `hint`. */
  | { op: 'primitive'; id: number; hint: 'string' | 'number' | 'default' };

/**
 * A value coming back from a proxied object: a copy (plain data); a Buffer, which structured cloning would turn
 * into a Uint8Array; or an object that stays in the worker, named by its id there.
 */
export type Wire =
  | { kind: 'copy'; value: unknown }
  | { kind: 'buffer'; value: Uint8Array }
  | { kind: 'remote'; id: number; callable: boolean; label: string };

/** The answer of 'get' and 'describe' for a property holding a function: the caller calls it by its key. */
export interface MethodWire {
  kind: 'method';
}

/** The answer of 'next'. */
export interface StepWire {
  done: boolean;
  value: Wire;
}

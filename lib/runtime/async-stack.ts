/**
 * Node's async-hooks id stack, seen from greenlets: lets a greenlet that suspends inside async scopes it entered
 * itself (`AsyncResource.runInAsyncScope`, an `EventEmitterAsyncResource` handler) take those scopes' entries
 * off the stack while it is away and put them back when it resumes.
 *
 * Why: Node keeps one async-hooks stack per environment, a LIFO of (execution id, trigger id, resource). A greenlet
 * that switched out with its own entries still on top would leave them under whatever runs next, and the next
 * native pop (a callback scope closing) finds the wrong id on top and aborts the process. So when a greenlet
 * switches out, the entries above its base (the depth when it last gained control) are popped and kept with the
 * greenlet; when it regains control they are pushed again on top of its new base. Then every scope's own pop, when
 * the greenlet finally leaves the scope, finds its own id on top, as Node requires.
 *
 * How we reach the stack: it lives in `internalBinding('async_wrap')` (typed arrays shared with the native
 * AsyncHooks, and native push/pop functions), which user code cannot reach, and whose C++ layout is not public.
 * `process.binding('async_wrap')` exists on Node 20 and 22 only and prints a deprecation warning. What works on
 * every line from 20 to 26, silently and with public APIs only, is the inspector protocol: a session in this
 * thread asks for the closure scope of `async_hooks.executionAsyncId` (a function of Node's
 * `internal/async_hooks` module, whose scope holds the binding as `async_wrap`), and hands the binding back to us.
 * The session is closed again at once; this happens once per thread, when the greenlet runtime loads (about a
 * millisecond on Node 20, a few on 24 and 26).
 *
 * Then the binding is validated before it is trusted: its shape, and a live probe that enters an AsyncResource
 * scope, pops and pushes its entry through the binding, and checks every public view of the stack
 * (`executionAsyncId`, `triggerAsyncId`, `executionAsyncResource`) before, between and after. If the inspector is
 * missing (a Node built without it, the permission model) or anything differs, the mechanism stays off and the
 * native guard keeps refusing such switches with a catchable `GreenletError` ("fail closed");
 * {@link asyncStackSupport} says why.
 *
 * @internal Used by lib/runtime/greenlet.ts.
 */
import { AsyncResource, executionAsyncId, executionAsyncResource, triggerAsyncId } from 'node:async_hooks';

/** Whether greenlets carry their own async scopes across switches, and if not, why. */
export interface AsyncStackSupport {
  /** True when the entries a greenlet pushed are saved at switch-out and restored when it resumes. */
  saved: boolean;
  /** Why not, when `saved` is false. */
  reason?: string;
}

/** The part of Node's `internalBinding('async_wrap')` this module uses. */
interface AsyncWrapBinding {
  async_hook_fields: Uint32Array;
  async_id_fields: Float64Array;
  execution_async_resources: unknown[];
  pushAsyncContext(asyncId: number, triggerAsyncId: number): void;
  popAsyncContext(asyncId: number): boolean;
  executionAsyncResource(index: number): unknown;
  constants: { kStackLength: number; kExecutionAsyncId: number; kTriggerAsyncId: number };
}

/**
 * The entries a suspended greenlet took off the stack, bottom first: execution id, trigger id and resource for
 * each, flattened.
 */
export type SavedScopes = unknown[];

/** Thrown (and caught here) when the binding cannot be reached or does not behave as validated. */
class AsyncStackUnavailable extends Error {}

let binding: AsyncWrapBinding | null = null;
let unavailableReason = '';
let STACK_LENGTH = 0;
let EXECUTION_ID = 0;
let TRIGGER_ID = 0;

/**
 * The Uint32Array holding the stack's depth at {@link stackLengthIndex}, read on every switch. When the mechanism
 * is off it is a private array that always reads 0: no greenlet then ever appears to be above its base, and the
 * native guard refuses the switch instead.
 */
export let depthFields: Uint32Array = new Uint32Array(1);
export let stackLengthIndex = 0;

/** Whether greenlets carry their own async scopes across switches on this thread, and if not, why. */
export function asyncStackSupport(): AsyncStackSupport {
  return binding !== null ? { saved: true } : { saved: false, reason: unavailableReason };
}

/**
 * Pops the entries above `base` and returns them, bottom first. Precondition: the stack is deeper than `base`.
 */
export function popAbove(base: number): SavedScopes {
  const b = binding!;
  const ids = b.async_id_fields;
  const resources = b.execution_async_resources;
  const saved: SavedScopes = [];
  for (let depth = depthFields[STACK_LENGTH]; depth > base; depth--) {
    const asyncId = ids[EXECUTION_ID];
    // An entry pushed by native code (a callback scope) keeps its resource on the native side only.
    const resource = resources[depth - 1] ?? b.executionAsyncResource(depth - 1);
    saved.push(resource, ids[TRIGGER_ID], asyncId);
    // The native pop checks the id against the top, trims the resource lists and restores the ids below.
    b.popAsyncContext(asyncId);
  }
  return saved.reverse();
}

/** Pushes `saved` (from {@link popAbove}) back on top of the stack, bottom first. */
export function pushBack(saved: SavedScopes): void {
  const b = binding!;
  const resources = b.execution_async_resources;
  for (let i = 0; i < saved.length; i += 3) {
    // Where Node's own JS push keeps the resource; the native push grows the id stack when it is full.
    resources[depthFields[STACK_LENGTH]] = saved[i + 2];
    b.pushAsyncContext(saved[i] as number, saved[i + 1] as number);
  }
}

// Asks the inspector for the closure of `executionAsyncId`, which holds Node's `async_wrap` binding.
function reachBinding(): unknown {
  let inspector: typeof import('node:inspector');
  try {
    inspector = require('node:inspector');
  } catch (error) {
    throw new AsyncStackUnavailable(`node:inspector is not available (${(error as Error).message})`);
  }
  const session = new inspector.Session();
  session.connect();
  // A non-enumerable global for the few statements the protocol needs to name our objects by; removed at once.
  const key = `__verdantAsyncStack${process.pid}_${Math.floor(Math.random() * 2 ** 32)}`;
  const mailbox: { probe: unknown; found: unknown } = { probe: executionAsyncId, found: undefined };
  Object.defineProperty(globalThis, key, { value: mailbox, configurable: true });
  try {
    const post = (method: string, params: object): any => {
      let answer: any;
      let failure: Error | null = null;
      let answered = false;
      session.post(method, params, (error, result) => {
        answered = true;
        failure = error;
        answer = result;
      });
      // In-thread sessions answer synchronously; anything else is not the protocol we know.
      if (!answered) throw new AsyncStackUnavailable(`the inspector did not answer ${method} synchronously`);
      if (failure !== null) throw new AsyncStackUnavailable(`${method} failed: ${(failure as Error).message}`);
      return answer;
    };
    const fn = post('Runtime.evaluate', { expression: `globalThis[${JSON.stringify(key)}].probe` }).result;
    const internals = post('Runtime.getProperties', { objectId: fn.objectId, ownProperties: true });
    const scopes = (internals.internalProperties ?? []).find((p: any) => p.name === '[[Scopes]]');
    if (scopes === undefined) throw new AsyncStackUnavailable('executionAsyncId has no [[Scopes]]');
    const list = post('Runtime.getProperties', { objectId: scopes.value.objectId, ownProperties: true }).result;
    for (const scope of list) {
      if (scope.value?.description !== 'Closure') continue;
      const vars = post('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true }).result;
      const asyncWrap = vars.find((v: any) => v.name === 'async_wrap');
      if (asyncWrap?.value?.objectId === undefined) continue;
      post('Runtime.callFunctionOn', {
        objectId: asyncWrap.value.objectId,
        functionDeclaration: 'function (key) { globalThis[key].found = this; }',
        arguments: [{ value: key }],
      });
      return mailbox.found;
    }
    throw new AsyncStackUnavailable("no closure of executionAsyncId holds Node's async_wrap binding");
  } finally {
    delete (globalThis as Record<string, unknown>)[key];
    session.disconnect();
  }
}

function checkShape(candidate: unknown): AsyncWrapBinding {
  const b = candidate as AsyncWrapBinding;
  const ok =
    typeof b === 'object' && b !== null &&
    b.async_hook_fields instanceof Uint32Array &&
    b.async_id_fields instanceof Float64Array &&
    Array.isArray(b.execution_async_resources) &&
    typeof b.pushAsyncContext === 'function' &&
    typeof b.popAsyncContext === 'function' &&
    typeof b.executionAsyncResource === 'function' &&
    typeof b.constants === 'object' && b.constants !== null &&
    [b.constants.kStackLength, b.constants.kExecutionAsyncId, b.constants.kTriggerAsyncId].every(
      (i) => Number.isInteger(i) && i >= 0,
    ) &&
    b.constants.kStackLength < b.async_hook_fields.length &&
    Math.max(b.constants.kExecutionAsyncId, b.constants.kTriggerAsyncId) < b.async_id_fields.length;
  if (!ok) throw new AsyncStackUnavailable('the async_wrap binding does not have the expected shape');
  return b;
}

// Enters a scope through the public API, then takes its entry off and puts it back through the binding, checking
// the public views of the stack at every step. Any difference means the binding is not what we think it is.
function probe(b: AsyncWrapBinding): void {
  const { kStackLength, kExecutionAsyncId, kTriggerAsyncId } = b.constants;
  const fields = b.async_hook_fields;
  const expect = (condition: boolean, what: string) => {
    if (!condition) throw new AsyncStackUnavailable(`the async_wrap binding failed its probe: ${what}`);
  };
  const outer = { depth: fields[kStackLength], id: executionAsyncId(), trigger: triggerAsyncId() };
  const outerResource = executionAsyncResource();
  expect(b.async_id_fields[kExecutionAsyncId] === outer.id, 'execution id field');
  expect(b.async_id_fields[kTriggerAsyncId] === outer.trigger, 'trigger id field');
  const resource = new AsyncResource('VERDANT_ASYNC_STACK_PROBE', { requireManualDestroy: true });
  try {
    resource.runInAsyncScope(() => {
      expect(fields[kStackLength] === outer.depth + 1, 'depth inside a scope');
      expect(executionAsyncId() === resource.asyncId(), 'execution id inside a scope');
      expect(b.execution_async_resources[outer.depth] === resource, 'resource inside a scope');
      STACK_LENGTH = kStackLength;
      EXECUTION_ID = kExecutionAsyncId;
      TRIGGER_ID = kTriggerAsyncId;
      depthFields = fields;
      binding = b;
      let saved: SavedScopes;
      try {
        saved = popAbove(outer.depth);
      } catch (error) {
        throw new AsyncStackUnavailable(`popping through the binding failed: ${(error as Error).message}`);
      }
      const popped =
        fields[kStackLength] === outer.depth && executionAsyncId() === outer.id &&
        triggerAsyncId() === outer.trigger && executionAsyncResource() === outerResource;
      pushBack(saved);
      expect(popped, 'the stack after popping the scope');
      expect(saved.length === 3 && saved[2] === resource, 'the saved entry');
      expect(
        fields[kStackLength] === outer.depth + 1 && executionAsyncId() === resource.asyncId() &&
          triggerAsyncId() === resource.triggerAsyncId() && executionAsyncResource() === resource,
        'the stack after pushing the scope back',
      );
    });
    expect(fields[kStackLength] === outer.depth && executionAsyncId() === outer.id, 'the stack after the scope');
  } finally {
    resource.emitDestroy();
  }
}

function turnOff(reason: string): void {
  binding = null;
  unavailableReason = reason;
  depthFields = new Uint32Array(1);
  stackLengthIndex = 0;
}

/** @internal Finds and validates the binding (once per thread, on the thread's own stack, before any greenlet). */
export function initAsyncStack(): void {
  if (process.env.VERDANT_ASYNC_STACK === 'off') {
    turnOff('VERDANT_ASYNC_STACK=off');
    return;
  }
  try {
    probe(checkShape(reachBinding()));
    stackLengthIndex = STACK_LENGTH;
  } catch (error) {
    if (!(error instanceof AsyncStackUnavailable)) throw error;
    turnOff(error.message);
  }
}

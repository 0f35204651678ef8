/**
 * Errors across the thread boundary: a worker sends the error its task threw as plain data (name, message, stack,
 * own properties, cause), and the calling thread rebuilds an Error of the same name and message whose stack shows
 * both sides: where it was thrown in the worker, then where the call (tpool.execute, a proxy) was made. Standard
 * classes (TypeError, RangeError, ...) and verdant's own (Timeout, ...; ./error-classes.ts) come back as
 * themselves; other classes as an Error with their name.
 *
 * @internal
 */
import { types } from 'node:util';
import { blankVerdantError, verdantClassOf } from './error-classes';

/** An error as data that survives structured cloning. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string;
  /** Own enumerable properties that can be cloned (code, errno, path, ...). */
  props: Record<string, unknown>;
  /** The verdant class of the error (`module#Export`), if it is one of verdant's. */
  verdantClass?: string;
  cause?: { error: SerializedError } | { value: unknown };
}

/** The line between the worker's frames and the caller's in a rebuilt stack. */
export const STACK_JOIN = '    --- raised in a tpool worker thread; the call was made at: ---';

const standard: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** True for Error objects, including ones from other realms. */
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * `error` as data. `hideFrames` drops stack lines that mention it (the worker script's own frames), which say
 * nothing about the task.
 */
export function serializeError(error: Error, hideFrames?: string, depth = 0): SerializedError {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === 'cause' || key === 'stack' || key === 'message' || key === 'name') continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) props[key] = value;
  }
  let stack = typeof error.stack === 'string' ? error.stack : `${error.name}: ${error.message}`;
  if (hideFrames !== undefined) stack = stack.split('\n').filter((line) => !line.includes(hideFrames)).join('\n');
  const serialized: SerializedError = { name: String(error.name), message: String(error.message), stack, props };
  const verdantClass = verdantClassOf(error);
  if (verdantClass !== undefined) serialized.verdantClass = verdantClass;
  if ('cause' in error && depth < 8) {
    const cause = error.cause;
    if (isError(cause)) serialized.cause = { error: serializeError(cause, hideFrames, depth + 1) };
    else if (cloneable(cause)) serialized.cause = { value: cause };
  }
  return serialized;
}

/**
 * Rebuilds a serialized error, as an instance of its class when that is a standard one or one of verdant's. With
 * `callerStack` (a stack captured where the call was made), the stack is the worker's followed by the caller's
 * frames.
 */
export function reviveError(serialized: SerializedError, callerStack?: string): Error {
  const verdant =
    serialized.verdantClass === undefined ? undefined : blankVerdantError(serialized.verdantClass, serialized.message);
  const error = verdant ?? new (standard[serialized.name] ?? Error)(serialized.message);
  if (error.name !== serialized.name) {
    Object.defineProperty(error, 'name', { value: serialized.name, writable: true, configurable: true });
  }
  Object.assign(error, serialized.props);
  if (serialized.cause !== undefined) {
    const cause = 'error' in serialized.cause ? reviveError(serialized.cause.error) : serialized.cause.value;
    Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true });
  }
  const callerFrames = callerStack?.split('\n').slice(1).join('\n');
  error.stack = callerFrames ? `${serialized.stack}\n${STACK_JOIN}\n${callerFrames}` : serialized.stack;
  return error;
}

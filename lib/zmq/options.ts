/**
 * Options of zeromq sockets and contexts, by their property names (`linger`, `sendHighWaterMark`, `ioThreads`,
 * ...): zeromq keeps them as accessors on its classes, so an unknown name would silently become a plain property
 * of the object (or fail with "object is not extensible"). These checks name the problem instead.
 *
 * @internal
 */
import { fromZeromq } from './errors';
import { describeValue } from '../runtime/describe';

/** A value of a ZeroMQ option. */
export type OptionValue = number | boolean | string | Buffer | null;

// Accessors of zeromq's classes that are state, not options.
const NOT_OPTIONS = new Set(['closed', 'readable', 'writable', 'events', 'context', 'constructor']);

function accessor(target: object, name: string): PropertyDescriptor | undefined {
  if (NOT_OPTIONS.has(name)) return undefined;
  for (let proto = Object.getPrototypeOf(target); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor !== undefined) return descriptor.get !== undefined || descriptor.set !== undefined ? descriptor : undefined;
  }
  return undefined;
}

/** Sets zeromq option `name` of `target`; `what` names the call in errors. */
export function setOption(target: object, name: unknown, value: unknown, what: string): void {
  if (typeof name !== 'string') throw new TypeError(`${what} takes an option name (a string), not ${describeValue(name)}`);
  const descriptor = accessor(target, name);
  if (descriptor === undefined) throw new TypeError(`${what}: unknown option '${name}'`);
  if (descriptor.set === undefined) throw new TypeError(`${what}: option '${name}' is read-only`);
  try {
    (target as Record<string, unknown>)[name] = value;
  } catch (error) {
    throw fromZeromq(error, `${what} ${name}`);
  }
}

/** Reads zeromq option `name` of `target`. */
export function getOption(target: object, name: unknown, what: string): OptionValue {
  if (typeof name !== 'string') throw new TypeError(`${what} takes an option name (a string), not ${describeValue(name)}`);
  const descriptor = accessor(target, name);
  if (descriptor?.get === undefined) {
    throw new TypeError(`${what}: ${descriptor === undefined ? 'unknown option' : 'write-only option'} '${name}'`);
  }
  try {
    return (target as Record<string, OptionValue>)[name];
  } catch (error) {
    throw fromZeromq(error, `${what} ${name}`);
  }
}

/** Throws a RangeError naming `what` unless `value` is an integer number of milliseconds >= -1 (-1: forever). */
export function checkMillis(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -1) {
    throw new RangeError(`${what} takes an integer number of milliseconds >= -1 (-1: no limit), not ${describeValue(value)}`);
  }
}

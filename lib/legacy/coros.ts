/**
 * eventlet's `coros` module: `event()`, `CoroutinePool`, `Actor`.
 */
import { Event } from '../sync/event';

export { CoroutinePool } from './coroutine-pool';
export { Actor } from './actor';
export { Event };

/**
 * eventlet's `coros.event()`: a one-shot outcome. `send(v)` once (a second send throws EventAlreadySentError
 * until `reset()`); `wait()` any number of times, always the same value. The modern {@link Event}.
 */
export function event<T = unknown>(): Event<T> {
  return new Event<T>();
}

/**
 * eventlet's `channel` module: `channel()`, a rendezvous with no buffer.
 */
import { Channel } from '../sync/channel';

export { Channel };

/**
 * eventlet's `channel.channel()`: `send(v)` blocks until a receiver takes v, `receive()` until a sender sends;
 * `balance` is senders waiting minus receivers waiting. The modern {@link Channel}.
 */
export function channel<T = unknown>(): Channel<T> {
  return new Channel<T>();
}

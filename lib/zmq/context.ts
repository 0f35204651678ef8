/**
 * The ZeroMQ context, as pyzmq's `zmq.Context`: it makes green sockets, and `destroy` closes them all.
 */
import type { SocketType } from './constants';
import { type ZeromqContext, type ZeromqModule, type ZeromqSocket, type ZeromqSocketClassName, loadZeromq } from './driver';
import { ZmqError } from './errors';
import { type OptionValue, checkMillis, getOption, setOption } from './options';
import { Socket, type SocketOptions } from './socket';
import { describeValue } from '../runtime/describe';

/** Options of a new context: zeromq's context options by their property names. */
export interface ContextOptions {
  /** Background I/O threads (libzmq's default: 1). */
  ioThreads?: number;
  maxSockets?: number;
  maxMessageSize?: number;
  ipv6?: boolean;
  /** false: sockets of this context do not hold the process at exit for unsent messages (zeromq's default: true). */
  blocky?: boolean;
}

let shared: Context | null = null;
// Set while Context.instance() makes the context around zeromq's own default one.
let wrappingDefault = false;

/**
 * A ZeroMQ context: the background I/O threads of its sockets. Most programs need one, the shared
 * {@link Context.instance} (zeromq's default context, which `zmq.socket()` uses); a `new Context()` has its own
 * I/O threads.
 *
 * Loads the `zeromq` package (an optional peer dependency) on first use.
 */
export class Context {
  readonly #zeromq: ZeromqModule;
  readonly #native: ZeromqContext;
  readonly #sockets = new Set<Socket>();
  #closed = false;

  /** The shared context (pyzmq's `Context.instance()`); after it is destroyed, a new one. */
  static instance(): Context {
    if (shared === null || shared.closed) {
      wrappingDefault = true;
      try {
        shared = new Context();
      } finally {
        wrappingDefault = false;
      }
    }
    return shared;
  }

  /** A new context with its own I/O threads; `options` as {@link ContextOptions}. */
  constructor(options: ContextOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`Context takes an options object, not ${describeValue(options)}`);
    this.#zeromq = loadZeromq();
    this.#native = wrappingDefault ? this.#zeromq.context : new this.#zeromq.Context();
    for (const [name, value] of Object.entries(options)) if (value !== undefined) this.set(name, value);
  }

  /** True once {@link destroy}ed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A green socket of `type` (`zmq.REQ`, `'pub'`, ...) in this context; `options` as {@link SocketOptions}. */
  socket(type: SocketType, options?: SocketOptions): Socket {
    return new Socket(this, type, options);
  }

  /** Sets a context option by zeromq's name (`ioThreads`, `maxSockets`, `blocky`, ...). */
  set(name: keyof ContextOptions | string, value: OptionValue): void {
    setOption(this.#native, name, value, 'Context.set');
  }

  /** Reads a context option by zeromq's name. */
  get(name: keyof ContextOptions | string): OptionValue {
    return getOption(this.#native, name, 'Context.get');
  }

  /**
   * Closes every socket of this context (green threads waiting on them raise ZmqClosedError), with `linger`
   * (milliseconds) if given, and refuses new sockets, as pyzmq's `destroy(linger)`.
   */
  destroy(options: { linger?: number } = {}): void {
    if (options === null || typeof options !== 'object') throw new TypeError(`destroy takes { linger }, not ${describeValue(options)}`);
    if (options.linger !== undefined) checkMillis(options.linger, 'destroy: linger');
    this.#closed = true;
    for (const socket of [...this.#sockets]) socket.close(options);
  }

  toString(): string {
    return `zmq.Context(${this.#sockets.size} sockets${this.#closed ? ', destroyed' : ''})`;
  }

  /** @internal Socket's constructor: the zeromq socket of class `className`, recorded as open here. */
  open(socket: Socket, className: ZeromqSocketClassName): ZeromqSocket {
    if (this.#closed) throw new ZmqError('ENOTSUP', 'socket', { reason: 'the context was destroyed' });
    const z = new this.#zeromq[className]({ context: this.#native });
    this.#sockets.add(socket);
    return z;
  }

  /** @internal Socket's close(). */
  forget(socket: Socket): void {
    this.#sockets.delete(socket);
  }
}

/** A green socket in the shared context: `Context.instance().socket(type, options)`. */
export function socket(type: SocketType, options?: SocketOptions): Socket {
  return Context.instance().socket(type, options);
}

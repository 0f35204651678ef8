/**
 * The green ZeroMQ socket, as eventlet's `eventlet.green.zmq.Socket`: pyzmq's calls, blocking only the calling
 * green thread.
 *
 * How it waits (eventlet's design, on zeromq v6): every zeromq send and receive is made with a timeout of 0, so
 * it completes (or fails with EAGAIN) at the moment it is called and zeromq never watches the socket itself.
 * When a call would have to wait, the green thread waits on the socket's ZMQ_FD in verdant's hub, then checks
 * ZMQ_EVENTS and tries again. Nothing is ever pending inside zeromq, so an interrupted wait (a Timeout, a kill)
 * leaves nothing behind: the message stays queued in libzmq for the next receive.
 *
 * The one window: zeromq reports an outcome through a Promise, which settles a microtask later. While a green
 * thread waits for that microtask the message is already out of libzmq; if the wait is interrupted, the message
 * is kept on the socket (in `#inbox`) and the next receive returns it first. One such take at a time, so
 * messages keep their order.
 *
 * ZMQ_FD is edge-triggered: any call into the socket (send, receive, ZMQ_EVENTS) may consume the signal another
 * green thread waits for. So whoever reads ZMQ_EVENTS wakes the parked green threads that the events concern
 * (`#signal`), as eventlet wakes the other side after each send and recv.
 */
import { IOClosed } from '../runtime/errors';
import type { Greenlet } from '../runtime/greenlet';
import { waitFor } from '../runtime/completion';
import { fdClosed, fdOpened, park, requireGreen, waitFd, wake } from '../runtime/hub';
import { Deadline } from '../sync/waiters';
import {
  EVENTS,
  LAST_ENDPOINT,
  POLLIN,
  POLLOUT,
  RCVMORE,
  RCVTIMEO,
  SNDTIMEO,
  SUBSCRIBE,
  TYPE,
  UNSUBSCRIBE,
  type SocketType,
} from './constants';
import type { Context } from './context';
import type { ZeromqFrames, ZeromqSocket, ZeromqSocketClassName } from './driver';
import { ZmqAgainError, ZmqClosedError, ZmqError, fromZeromq, isZeromqAgain } from './errors';
import { type Frame, checkFrame, checkFrames, checkPrefix } from './frames';
import { describeValue } from '../runtime/describe';
import { type OptionValue, checkMillis, getOption, setOption } from './options';

/** Options of a new socket: zeromq's socket options by their property names. */
export interface SocketOptions {
  /** Milliseconds queued messages are kept after close (-1: until sent; zeromq's default). */
  linger?: number;
  sendHighWaterMark?: number;
  receiveHighWaterMark?: number;
  sendBufferSize?: number;
  receiveBufferSize?: number;
  /** Milliseconds a blocking send may wait before ZmqAgainError (-1, the default: no limit). */
  sendTimeout?: number;
  /** Milliseconds a blocking receive may wait before ZmqAgainError (-1, the default: no limit). */
  receiveTimeout?: number;
  routingId?: string | null;
  immediate?: boolean;
  reconnectInterval?: number;
  ipv6?: boolean;
  /** Any other option of zeromq's socket classes, by its property name. */
  [option: string]: OptionValue | undefined;
}

/** The options of `recv`, `recvMultipart`, `recvJson`. */
export interface RecvOptions {
  /** false: raise {@link ZmqAgainError} instead of waiting (pyzmq's NOBLOCK). Default true. */
  block?: boolean;
}

/** The options of `send` and its family. */
export interface SendOptions {
  /** false: raise {@link ZmqAgainError} instead of waiting (pyzmq's NOBLOCK). Default true. */
  block?: boolean;
}

/** The options of `send` for one frame. */
export interface SendFrameOptions extends SendOptions {
  /** More frames of this message follow (pyzmq's SNDMORE): the frame is held until the last one. */
  more?: boolean;
}

/**
 * A green thread waiting on a socket: in its line of receivers or senders, or in a poll(). Whoever sees the
 * socket become ready wakes it, if `parked`.
 *
 * @internal
 */
export interface SocketWaiter {
  readonly greenlet: Greenlet;
  /** True while it is parked waiting for readiness, and may be woken to look again. */
  parked: boolean;
}

interface Kind {
  readonly className: ZeromqSocketClassName;
  readonly sends: boolean;
  readonly receives: boolean;
}

const KINDS: Readonly<Record<SocketType, Kind>> = {
  pair: { className: 'Pair', sends: true, receives: true },
  pub: { className: 'Publisher', sends: true, receives: false },
  sub: { className: 'Subscriber', sends: false, receives: true },
  req: { className: 'Request', sends: true, receives: true },
  rep: { className: 'Reply', sends: true, receives: true },
  dealer: { className: 'Dealer', sends: true, receives: true },
  router: { className: 'Router', sends: true, receives: true },
  pull: { className: 'Pull', sends: false, receives: true },
  push: { className: 'Push', sends: true, receives: false },
  xpub: { className: 'XPublisher', sends: true, receives: true },
  xsub: { className: 'XSubscriber', sends: true, receives: true },
};

/** libzmq's option numbers for what zeromq has no property for. */
const ZMQ_FD = 14;
const ZMQ_EVENTS = 15;

/** An attempt found the socket not ready. */
const AGAIN: unique symbol = Symbol('again');

/** The outcome of one zeromq receive, on its way to the green thread that made it. */
interface Take {
  message: Buffer[] | null;
  error: unknown;
  settled: boolean;
  /** The green thread is parked waiting for it. */
  parked: boolean;
  /** The green thread left (interrupted) before it settled: the message goes to the socket's inbox. */
  abandoned: boolean;
}

function isSocketType(type: unknown): type is SocketType {
  return typeof type === 'string' && Object.hasOwn(KINDS, type);
}

function checkAddress(address: unknown, what: string): asserts address is string {
  if (typeof address !== 'string' || address === '') {
    throw new TypeError(`${what} takes an endpoint ("tcp://127.0.0.1:5555", "ipc:///tmp/sock", "inproc://name"), not ${describeValue(address)}`);
  }
}

function readOptions<K extends string>(options: unknown, keys: readonly K[], what: string): Partial<Record<K, boolean>> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new TypeError(`${what} takes an options object, not ${describeValue(options)}`);
  const read: Partial<Record<K, boolean>> = {};
  for (const key of keys) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${what}: ${key} must be a boolean, not ${describeValue(value)}`);
    read[key] = value as boolean | undefined;
  }
  return read;
}

const noop = (): void => {};

/**
 * A ZeroMQ socket whose blocking calls block only the calling green thread. Make one with
 * {@link Context.socket} or `zmq.socket(type, options)`.
 *
 * Messages are pyzmq's: `send(frame, { more: true })` adds a frame, `recv()` returns one frame (with `rcvmore`
 * telling whether more follow), `sendMultipart` / `recvMultipart` whole messages.
 *
 * Waiting: several green threads may receive (or send) on one socket at once; they are served in the order they
 * came. A receive interrupted by a Timeout or a kill loses nothing: the next receive gets the message. A send
 * interrupted while it waited for room was not sent; one interrupted in the instant its message was handed to
 * libzmq was sent (see docs/zmq.md). Closing the socket wakes its waiters with {@link ZmqClosedError}.
 *
 * Calls that may wait must run in a green thread (also `block: false` ones: zeromq reports an outcome a
 * microtask later).
 */
export class Socket {
  /** The socket type ('req', 'pub', ...). */
  readonly type: SocketType;
  /** The context the socket belongs to. */
  readonly context: Context;
  readonly #kind: Kind;
  readonly #z: ZeromqSocket;
  readonly #fd: number;
  #closed = false;
  #receiveTimeout = -1;
  #sendTimeout = -1;
  /** Messages taken out of libzmq for a receiver that was interrupted before it got them; served first. */
  #inbox: Buffer[][] = [];
  /** The frames after the one `recv()` returned, of the message being read. */
  #inFrames: Buffer[] = [];
  /** Frames sent with `more: true`, held until the message's last frame. */
  #outFrames: Frame[] = [];
  /** A take is between libzmq and its green thread (see the module comment). */
  #taking = false;
  /** A bind or unbind in progress: zeromq refuses every other call meanwhile (EBUSY). */
  #blocked: Promise<void> | null = null;
  readonly #receivers: SocketWaiter[] = [];
  readonly #senders: SocketWaiter[] = [];
  readonly #pollWatches = new Map<SocketWaiter, number>();

  /**
   * A socket of `type` in `context` (pyzmq's `zmq.Socket(ctx, zmq.REQ)`); `options` are set before anything
   * else (see {@link SocketOptions}).
   */
  constructor(context: Context, type: SocketType, options: SocketOptions = {}) {
    if (!isSocketType(type)) {
      throw new TypeError(`unknown ZeroMQ socket type ${describeValue(type)}: one of ${Object.keys(KINDS).join(', ')}`);
    }
    if (options === null || typeof options !== 'object') throw new TypeError(`socket options must be an object, not ${describeValue(options)}`);
    this.type = type;
    this.context = context;
    this.#kind = KINDS[type];
    this.#z = context.open(this, this.#kind.className);
    // Every zeromq call returns at once; waiting is done here, on the ZMQ_FD (see the module comment).
    if (this.#kind.receives) this.#z.receiveTimeout = 0;
    if (this.#kind.sends) this.#z.sendTimeout = 0;
    this.#fd = this.#z.getInt32Option(ZMQ_FD);
    // A new fd to the hub, whatever an earlier fd of that number left behind.
    fdOpened(this.#fd);
    try {
      for (const [name, value] of Object.entries(options)) if (value !== undefined) this.setsockopt(name, value);
    } catch (error) {
      this.close({ linger: 0 });
      throw error;
    }
  }

  /** True once {@link close}d (or its context destroyed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the message being read with {@link recv} has more frames (pyzmq's RCVMORE). */
  get rcvmore(): boolean {
    return this.#inFrames.length > 0;
  }

  /** The endpoint of the last bind or connect (with the port a `:*` bind got); null before any. */
  get lastEndpoint(): string | null {
    return this.getsockopt(LAST_ENDPOINT);
  }

  /**
   * Binds to `address` ("tcp://127.0.0.1:5555", "tcp://*:*", "ipc:///tmp/s", "inproc://name"). Blocks the green
   * thread while zeromq binds (it resolves names off the main thread). If the wait is interrupted the bind goes
   * on; other calls on the socket wait for it.
   */
  bind(address: string): void {
    this.#endpointChange('bind', address);
  }

  /**
   * Binds to a port the system picks on `address` ("tcp://127.0.0.1") and returns it, as pyzmq's
   * `bind_to_random_port` (the port range is the system's ephemeral range).
   */
  bindToRandomPort(address: string): number {
    checkAddress(address, 'bindToRandomPort');
    this.bind(`${address}:*`);
    const port = /:(\d+)$/.exec(this.lastEndpoint ?? '');
    if (port === null) {
      throw new ZmqError('EINVAL', 'bindToRandomPort', { address, reason: `no port in the bound endpoint ${String(this.lastEndpoint)}` });
    }
    return Number(port[1]);
  }

  /** Stops listening on `address`. Blocks the green thread as {@link bind} does. */
  unbind(address: string): void {
    this.#endpointChange('unbind', address);
  }

  /** Connects to `address`; the connection is made (and remade) in the background. Does not block. */
  connect(address: string): void {
    this.#endpointCall('connect', address, () => this.#z.connect(address));
  }

  /** Drops the connection to `address` made by {@link connect}. */
  disconnect(address: string): void {
    this.#endpointCall('disconnect', address, () => this.#z.disconnect(address));
  }

  /** SUB sockets: receive messages starting with any of `prefixes` (no prefix: all messages). */
  subscribe(...prefixes: Array<string | Buffer>): void {
    this.#subscription('subscribe', prefixes);
  }

  /** SUB sockets: stop receiving messages for these prefixes. */
  unsubscribe(...prefixes: Array<string | Buffer>): void {
    this.#subscription('unsubscribe', prefixes);
  }

  /**
   * Sets a socket option: pyzmq's names (`zmq.LINGER`, `zmq.SUBSCRIBE`, ...) are zeromq's property names
   * (`'linger'`, `'subscribe'`), and any other zeromq socket option is taken by its property name. Times are in
   * milliseconds.
   */
  setsockopt(name: typeof SUBSCRIBE | typeof UNSUBSCRIBE, value: string | Buffer): void;
  setsockopt<K extends keyof SocketOptions & string>(name: K, value: Exclude<SocketOptions[K], undefined>): void;
  setsockopt(name: string, value: OptionValue): void {
    this.#usable('setsockopt');
    switch (name) {
      case SUBSCRIBE:
      case UNSUBSCRIBE:
        this.#subscription(name, [value]);
        return;
      case RCVTIMEO:
        checkMillis(value, `setsockopt ${name}`);
        this.#receiveTimeout = value;
        return;
      case SNDTIMEO:
        checkMillis(value, `setsockopt ${name}`);
        this.#sendTimeout = value;
        return;
      case EVENTS:
      case RCVMORE:
      case TYPE:
        throw new TypeError(`setsockopt: option '${name}' is read-only`);
      default:
        this.#awaitUnblocked('setsockopt');
        setOption(this.#z, name, value, 'setsockopt');
    }
  }

  /**
   * Reads a socket option (see {@link setsockopt}). Besides zeromq's: `zmq.EVENTS` (POLLIN | POLLOUT: what the
   * socket can do now without waiting), `zmq.RCVMORE`, `zmq.TYPE`.
   */
  getsockopt(name: typeof EVENTS): number;
  getsockopt(name: typeof RCVMORE): boolean;
  getsockopt(name: typeof TYPE): SocketType;
  getsockopt(name: typeof LAST_ENDPOINT): string | null;
  getsockopt<K extends keyof SocketOptions & string>(name: K): Exclude<SocketOptions[K], undefined>;
  getsockopt(name: string): OptionValue;
  getsockopt(name: string): OptionValue {
    this.#usable('getsockopt');
    switch (name) {
      case EVENTS:
        return this.pollEvents('getsockopt');
      case RCVMORE:
        return this.rcvmore;
      case TYPE:
        return this.type;
      case RCVTIMEO:
        return this.#receiveTimeout;
      case SNDTIMEO:
        return this.#sendTimeout;
      default:
        this.#awaitUnblocked('getsockopt');
        return getOption(this.#z, name, 'getsockopt');
    }
  }

  /**
   * Sends one frame. With `more: true` it is held and the message goes on with the next `send` (pyzmq's
   * SNDMORE); the frame without `more` sends the whole message, which ZeroMQ delivers whole or not at all.
   * Blocks (this green thread) while the socket has no room (its high-water mark); `block: false` raises
   * {@link ZmqAgainError} instead. Strings are sent as UTF-8.
   */
  send(frame: Frame, options?: SendFrameOptions): void {
    const { more, block } = readOptions(options, ['more', 'block'], 'send');
    checkFrame(frame, 'send');
    this.#usable('send', this.#kind.sends);
    if (more) this.#outFrames.push(frame);
    else this.#sendMessage([frame], block !== false);
  }

  /** Sends a message of several frames (after any held with `more: true`). */
  sendMultipart(frames: Frame[], options?: SendOptions): void {
    const { block } = readOptions(options, ['block'], 'sendMultipart');
    checkFrames(frames, 'sendMultipart');
    this.#usable('sendMultipart', this.#kind.sends);
    this.#sendMessage(frames, block !== false);
  }

  /** Sends `value` as JSON text in one frame. */
  sendJson(value: unknown, options?: SendFrameOptions): void {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`sendJson cannot encode ${describeValue(value)} as JSON`);
    this.send(text, options);
  }

  /**
   * Receives one frame: the next frame of the message being read, or the first of the next message (check
   * {@link rcvmore} for more). Blocks (this green thread) until there is a message; `block: false` raises
   * {@link ZmqAgainError} instead; past the socket's `receiveTimeout` it raises one with `isTimeout` true.
   */
  recv(options?: RecvOptions): Buffer {
    const { block } = readOptions(options, ['block'], 'recv');
    this.#usable('recv', this.#kind.receives);
    const next = this.#inFrames.shift();
    if (next !== undefined) return next;
    const [first, ...rest] = this.#receiveMessage(block !== false);
    this.#inFrames = rest;
    return first;
  }

  /** Receives a whole message, or the rest of the one {@link recv} started reading. */
  recvMultipart(options?: RecvOptions): Buffer[] {
    const { block } = readOptions(options, ['block'], 'recvMultipart');
    this.#usable('recvMultipart', this.#kind.receives);
    if (this.#inFrames.length > 0) {
      const rest = this.#inFrames;
      this.#inFrames = [];
      return rest;
    }
    return this.#receiveMessage(block !== false);
  }

  /** Receives one frame as text. */
  recvString(options?: RecvOptions & { encoding?: BufferEncoding }): string {
    return this.recv(options).toString(options?.encoding ?? 'utf8');
  }

  /** Receives one frame of JSON text and parses it. */
  recvJson(options?: RecvOptions): unknown {
    return JSON.parse(this.recvString(options));
  }

  /**
   * Closes the socket; green threads waiting on it raise {@link ZmqClosedError}. `linger` (milliseconds) sets
   * how long unsent messages are kept trying (pyzmq's `close(linger)`); by default the socket's option. Closing
   * twice does nothing.
   */
  close(options: { linger?: number } = {}): void {
    if (options === null || typeof options !== 'object') throw new TypeError(`close takes { linger }, not ${describeValue(options)}`);
    if (options.linger !== undefined) checkMillis(options.linger, 'close: linger');
    if (this.#closed) return;
    if (options.linger !== undefined) setOption(this.#z, 'linger', options.linger, 'close');
    this.#closed = true;
    this.#inbox = [];
    this.#inFrames = [];
    this.#outFrames = [];
    // Before zeromq closes: libzmq closes the ZMQ_FD later, from its reaper thread, and the number may be reused.
    fdClosed(this.#fd);
    this.#z.close();
    for (const waiter of [...this.#receivers, ...this.#senders]) if (waiter.parked) wake(waiter.greenlet);
    for (const watch of this.#pollWatches.keys()) if (watch.parked) wake(watch.greenlet);
    this.context.forget(this);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `zmq.Socket(${this.type}${this.#closed ? ', closed' : ''})`;
  }

  /**
   * POLLIN | POLLOUT: what this socket can do now without waiting. Reading ZMQ_EVENTS may consume the ZMQ_FD
   * signal that parked green threads wait for, so it wakes those the events concern.
   *
   * @internal For poll() and getsockopt(EVENTS).
   */
  pollEvents(operation: string, whileWaiting = false): number {
    if (this.#closed) throw new ZmqClosedError(operation, whileWaiting);
    const events = this.#readiness() | (this.#inFrames.length > 0 ? POLLIN : 0);
    return events & ((this.#kind.receives ? POLLIN : 0) | (this.#kind.sends ? POLLOUT : 0));
  }

  /** @internal poll(): wakes `watch` whenever this socket may have become ready for `events`. */
  addPollWatch(watch: SocketWaiter, events: number): void {
    this.#pollWatches.set(watch, events);
  }

  /** @internal */
  removePollWatch(watch: SocketWaiter): void {
    this.#pollWatches.delete(watch);
  }

  /**
   * Parks until the ZMQ_FD signals (something changed: check {@link pollEvents}), `timeout` seconds pass, or
   * someone wakes the green thread. Returns at once if the socket is closed, or is closed meanwhile.
   *
   * @internal For poll().
   */
  waitSignal(timeout: number | null): void {
    if (this.#closed) return;
    try {
      waitFd(this.#fd, { read: true, shared: true, timeout });
    } catch (error) {
      if (!(error instanceof IOClosed && this.#closed)) throw error;
    }
  }

  #usable(operation: string, allowed = true): void {
    if (this.#closed) throw new ZmqClosedError(operation, false);
    if (!allowed) {
      throw new ZmqError('ENOTSUP', operation, {
        reason: `a ${this.type.toUpperCase()} socket cannot ${this.#kind.sends ? 'receive' : 'send'}`,
      });
    }
  }

  /** Waits (this green thread) for a bind or unbind in progress to end. */
  #awaitUnblocked(operation: string): void {
    while (this.#blocked !== null) {
      const blocked = this.#blocked;
      waitFor<void>(`zmq ${operation} (after a bind or unbind in progress)`, (resolve) => {
        blocked.then(resolve);
      });
      if (this.#closed) throw new ZmqClosedError(operation, true);
    }
  }

  #endpointChange(operation: 'bind' | 'unbind', address: string): void {
    checkAddress(address, operation);
    this.#usable(operation);
    this.#awaitUnblocked(operation);
    let promise: Promise<void>;
    try {
      promise = operation === 'bind' ? this.#z.bind(address) : this.#z.unbind(address);
    } catch (error) {
      throw fromZeromq(error, operation, address);
    }
    const blocked: Promise<void> = promise.then(noop, noop).then(() => {
      if (this.#blocked === blocked) this.#blocked = null;
      // Whoever waited for the bind to end tries again now.
      this.#signal(POLLIN | POLLOUT);
    });
    this.#blocked = blocked;
    try {
      waitFor<void>(`zmq ${operation} ${address}`, (resolve, reject) => {
        promise.then(resolve, reject);
      });
    } catch (error) {
      throw this.#closed ? new ZmqClosedError(operation, true) : fromZeromq(error, operation, address);
    }
    if (this.#closed) throw new ZmqClosedError(operation, true);
  }

  #endpointCall(operation: string, address: string, call: () => void): void {
    checkAddress(address, operation);
    this.#usable(operation);
    this.#awaitUnblocked(operation);
    try {
      call();
    } catch (error) {
      throw fromZeromq(error, operation, address);
    }
    this.#afterCall();
  }

  #subscription(operation: 'subscribe' | 'unsubscribe', prefixes: unknown[]): void {
    this.#usable(operation);
    if (this.type !== 'sub') {
      throw new ZmqError('EINVAL', operation, { reason: `only SUB sockets ${operation}, not ${this.type.toUpperCase()}` });
    }
    prefixes.forEach((prefix) => checkPrefix(prefix, operation));
    this.#awaitUnblocked(operation);
    const z = this.#z as Required<ZeromqSocket>;
    try {
      if (operation === 'subscribe') z.subscribe(...(prefixes as Array<string | Buffer>));
      else z.unsubscribe(...(prefixes as Array<string | Buffer>));
    } catch (error) {
      throw fromZeromq(error, operation);
    }
    this.#afterCall();
  }

  /** Reads ZMQ_EVENTS (plus the inbox) and wakes the parked green threads those events concern. */
  #readiness(): number {
    if (this.#closed) return 0;
    const events = (this.#blocked === null ? this.#z.getInt32Option(ZMQ_EVENTS) & (POLLIN | POLLOUT) : 0) | (this.#inbox.length > 0 ? POLLIN : 0);
    this.#signal(events);
    return events;
  }

  /** Wakes the first receiver (POLLIN), the first sender (POLLOUT) and the polls that `events` concern. */
  #signal(events: number): void {
    if (events & POLLIN) wakeParked(this.#receivers[0]);
    if (events & POLLOUT) wakeParked(this.#senders[0]);
    for (const [watch, wanted] of this.#pollWatches) if (wanted & events) wakeParked(watch);
  }

  /** After a call into libzmq, which may have consumed a ZMQ_FD signal: lets parked waiters look again. */
  #afterCall(): void {
    if (this.#receivers.some((w) => w.parked) || this.#senders.some((w) => w.parked) || this.#pollWatches.size > 0) {
      this.#readiness();
    }
  }

  #receiveMessage(block: boolean): Buffer[] {
    if (!block || this.#receiveTimeout === 0) {
      const message = this.#attemptReceive();
      if (message === AGAIN) throw new ZmqAgainError('recv', block ? 0 : undefined);
      return message;
    }
    return this.#inLine(this.#receivers, 'recv', POLLIN, this.#receiveTimeout, () => this.#attemptReceive());
  }

  #sendMessage(frames: Frame[], block: boolean): void {
    const held = this.#outFrames;
    this.#outFrames = [];
    const message = held.length === 0 ? frames : [...held, ...frames];
    try {
      if (!block || this.#sendTimeout === 0) {
        if (this.#attemptSend(message) === AGAIN) throw new ZmqAgainError('send', block ? 0 : undefined);
        return;
      }
      this.#inLine(this.#senders, 'send', POLLOUT, this.#sendTimeout, () => this.#attemptSend(message));
    } catch (error) {
      // Not sent: the frames held with `more: true` stay, so that sending the last frame again sends it all.
      if (error instanceof ZmqAgainError && this.#outFrames.length === 0) this.#outFrames = held;
      throw error;
    }
  }

  /**
   * Waits in `line` (first come, first served) until `attempt`, made by the first in line whenever the socket may
   * be ready for `interest`, returns something else than AGAIN; ZmqAgainError after `timeoutMs` (-1: never).
   */
  #inLine<T>(line: SocketWaiter[], operation: string, interest: number, timeoutMs: number, attempt: () => T | typeof AGAIN): T {
    const waiter: SocketWaiter = { greenlet: requireGreen(`zmq ${operation}`), parked: false };
    const deadline = timeoutMs < 0 ? null : Deadline.after(timeoutMs / 1000);
    line.push(waiter);
    // ZMQ_EVENTS promises that the next attempt succeeds; `retried` keeps a broken promise from spinning.
    let retried = false;
    try {
      for (;;) {
        if (this.#closed) throw new ZmqClosedError(operation, true);
        // Only the first in line tries, and not while a bind is under way or (receivers) a take: those wake the
        // first in line when they end.
        const busy = this.#blocked !== null || (line === this.#receivers && this.#taking);
        const free = line[0] === waiter && !busy;
        if (free) {
          const result = attempt();
          if (result !== AGAIN) return result;
          if (this.#closed) continue;
          // Read ZMQ_EVENTS right before waiting on the ZMQ_FD: it clears the signal, and shows a readiness that
          // came (and was signalled) since the attempt.
          if (this.#readiness() & interest && !retried) {
            retried = true;
            continue;
          }
        }
        retried = false;
        const remaining = deadline === null ? null : deadline.remaining();
        if (remaining === 0) throw new ZmqAgainError(operation, timeoutMs);
        waiter.parked = true;
        try {
          if (free) waitFd(this.#fd, { read: true, shared: true, timeout: remaining });
          else park(`zmq ${operation} (waiting for its turn)`, remaining);
        } catch (error) {
          if (!(error instanceof IOClosed && this.#closed)) throw error;
        } finally {
          waiter.parked = false;
        }
      }
    } finally {
      line.splice(line.indexOf(waiter), 1);
      // The next in line looks now: it may be ready already (this one may have left with a Timeout).
      wakeParked(line[0]);
    }
  }

  /** One message from the inbox or from libzmq, or AGAIN. */
  #attemptReceive(): Buffer[] | typeof AGAIN {
    const kept = this.#inbox.shift();
    if (kept !== undefined) return kept;
    if (this.#taking || this.#blocked !== null) return AGAIN;
    const self = requireGreen('zmq recv');
    let promise: Promise<Buffer[]>;
    try {
      promise = this.#z.receive();
    } catch (error) {
      throw fromZeromq(error, 'recv');
    }
    this.#taking = true;
    const take: Take = { message: null, error: undefined, settled: false, parked: false, abandoned: false };
    const settle = (message: Buffer[] | null, error: unknown): void => {
      this.#taking = false;
      if (take.abandoned) {
        // Its receiver left: keep the message for the next receive. (Errors are about that moment; not kept.)
        if (message !== null && !this.#closed) this.#inbox.push(message);
      } else {
        take.settled = true;
        take.message = message;
        take.error = error;
        if (take.parked) wake(self);
      }
      // Receivers that waited for this take to end look again.
      this.#signal(this.#inbox.length > 0 ? POLLIN : 0);
      wakeParked(this.#receivers[0]);
    };
    promise.then(
      (message) => settle(message, undefined),
      (error: unknown) => settle(null, error),
    );
    this.#afterCall();
    let received = false;
    try {
      while (!take.settled) {
        take.parked = true;
        park('zmq recv');
        take.parked = false;
      }
      received = true;
    } finally {
      take.parked = false;
      if (!received) {
        if (!take.settled) take.abandoned = true;
        else if (take.message !== null && !this.#closed) {
          // Settled, but a Timeout or kill raised in this thread before it ran: the message goes back, first.
          this.#inbox.unshift(take.message);
          this.#signal(POLLIN);
        }
      }
    }
    if (take.message !== null) return take.message;
    if (isZeromqAgain(take.error)) return AGAIN;
    throw fromZeromq(take.error, 'recv');
  }

  /** Hands `message` to libzmq, or AGAIN if it has no room. */
  #attemptSend(message: Frame[]): void | typeof AGAIN {
    if (this.#blocked !== null) return AGAIN;
    requireGreen('zmq send');
    let promise: Promise<void>;
    try {
      promise = this.#z.send(message as ZeromqFrames);
    } catch (error) {
      throw fromZeromq(error, 'send');
    }
    this.#afterCall();
    try {
      waitFor<void>('zmq send', (resolve, reject) => {
        promise.then(resolve, reject);
      });
    } catch (error) {
      if (isZeromqAgain(error)) return AGAIN;
      throw fromZeromq(error, 'send');
    }
  }
}

function wakeParked(waiter: SocketWaiter | undefined): void {
  if (waiter?.parked) wake(waiter.greenlet);
}

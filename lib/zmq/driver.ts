/**
 * The ZeroMQ binding: the `zeromq` package (v6, which ships its own libzmq), loaded the first time a context or a
 * socket is made, so that verdant loads without it (it is an optional peer dependency). The types here are the
 * parts of zeromq's API that lib/zmq uses, so verdant's own types do not need zeromq installed either.
 *
 * @internal
 */
import { ZeromqNotInstalledError } from './errors';

/** A message as zeromq takes it: one frame per element. */
export type ZeromqFrames = Array<Buffer | ArrayBufferView | ArrayBuffer | string>;

/**
 * The parts of a zeromq v6 socket that lib/zmq uses. Options are plain properties (`linger`,
 * `sendHighWaterMark`, ...), read and written by name.
 */
export interface ZeromqSocket {
  readonly closed: boolean;
  /** Whether a receive would complete at once (ZMQ_EVENTS has POLLIN). */
  readonly readable: boolean;
  /** Whether a send would complete at once (ZMQ_EVENTS has POLLOUT). */
  readonly writable: boolean;
  /** Milliseconds a send / receive started from now on may wait; -1 forever, 0 not at all. */
  sendTimeout: number;
  receiveTimeout: number;
  bind(address: string): Promise<void>;
  unbind(address: string): Promise<void>;
  connect(address: string): void;
  disconnect(address: string): void;
  /** Only one may be pending at a time (EBUSY otherwise); it cannot be cancelled. */
  send(message: ZeromqFrames): Promise<void>;
  /** Only one may be pending at a time (EBUSY otherwise); it cannot be cancelled. */
  receive(): Promise<Buffer[]>;
  close(): void;
  subscribe?(...prefixes: Array<Buffer | string>): void;
  unsubscribe?(...prefixes: Array<Buffer | string>): void;
  /**
   * Reads an integer option by libzmq's number. Protected in zeromq's types (meant for subclasses); lib/zmq
   * reads ZMQ_FD and ZMQ_EVENTS with it, which zeromq has no property for.
   */
  getInt32Option(option: number): number;
}

/** A zeromq socket class (`Pull`, `Push`, ...). */
export type ZeromqSocketClass = new (options?: { context?: ZeromqContext }) => ZeromqSocket;

/** A zeromq context; its options are plain properties (`ioThreads`, `maxSockets`, `blocky`, ...). */
export type ZeromqContext = object;

/** The names of the zeromq socket classes lib/zmq maps its socket types to. */
export type ZeromqSocketClassName =
  | 'Pair'
  | 'Publisher'
  | 'Subscriber'
  | 'Request'
  | 'Reply'
  | 'Dealer'
  | 'Router'
  | 'Pull'
  | 'Push'
  | 'XPublisher'
  | 'XSubscriber';

/** The zeromq module: its socket classes, its context class, and the default context. */
export type ZeromqModule = Record<ZeromqSocketClassName, ZeromqSocketClass> & {
  /** The libzmq version ("4.3.5"). */
  readonly version: string;
  readonly context: ZeromqContext;
  Context: new () => ZeromqContext;
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireZeromq = (): unknown => require('zeromq');

let loader: () => unknown = requireZeromq;
let loaded: ZeromqModule | undefined;

/** zeromq, required on first use. Throws a {@link ZeromqNotInstalledError} when it is missing or too old. */
export function loadZeromq(): ZeromqModule {
  if (loaded !== undefined) return loaded;
  let module: unknown;
  try {
    module = loader();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'zeromq'/.test(String((error as Error).message))) {
      throw new ZeromqNotInstalledError('missing', error);
    }
    throw error;
  }
  // zeromq 5 and older had another API (`zmq.socket('req')` with callbacks): say so rather than fail later.
  const candidate = module as Partial<ZeromqModule> | null;
  if (
    typeof candidate?.Pull !== 'function' ||
    typeof candidate.Pull.prototype.getInt32Option !== 'function' ||
    typeof candidate.Context !== 'function' ||
    typeof candidate.context !== 'object'
  ) {
    throw new ZeromqNotInstalledError('too old');
  }
  loaded = candidate as ZeromqModule;
  return loaded;
}

/**
 * @internal Tests: replace how zeromq is required (to simulate a missing or old package); `null` restores the
 * real `require('zeromq')`. Either way the next {@link loadZeromq} loads afresh.
 */
export function setZeromqLoader(replacement: (() => unknown) | null): void {
  loader = replacement ?? requireZeromq;
  loaded = undefined;
}

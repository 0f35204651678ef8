/**
 * lib/zmq: green ZeroMQ, as eventlet's `eventlet.green.zmq`: pyzmq's sockets, whose blocking calls block only
 * the calling green thread. Built on the `zeromq` package (v6, which ships libzmq), an optional peer dependency
 * loaded on first use.
 *
 * Organization:
 * - {@link Context} (`Context.instance()`, `new Context()`, `ctx.socket(type)`, `ctx.destroy()`) and
 *   {@link socket} (a socket in the shared context) (context.ts);
 * - {@link Socket}: `bind`, `connect`, `send(frame, { more, block })`, `recv({ block })`, `sendMultipart`,
 *   `recvMultipart`, `subscribe`, `setsockopt`/`getsockopt`, `close` (socket.ts);
 * - {@link poll} and {@link Poller} (poll.ts);
 * - pyzmq's names: socket types (`REQ`, `PUB`, ...), option names (`LINGER`, `SUBSCRIBE`, ...), `POLLIN`,
 *   `POLLOUT` (constants.ts);
 * - errors: {@link ZmqError}, {@link ZmqAgainError}, {@link ZmqClosedError}, {@link ZeromqNotInstalledError}
 *   (errors.ts).
 *
 * Durations are milliseconds here, as in ZeroMQ, pyzmq and zeromq (`linger`, `receiveTimeout`, poll timeouts);
 * verdant's own `Timeout` and `sleep` stay in seconds.
 *
 * @example
 * ```ts
 * const { spawn, zmq } = require('verdant');
 * spawn(() => {
 *   const rep = zmq.socket(zmq.REP);
 *   rep.bind('tcp://127.0.0.1:5555');
 *   for (;;) rep.send(`echo ${rep.recvString()}`);
 * });
 * spawn(() => {
 *   const req = zmq.socket(zmq.REQ);
 *   req.connect('tcp://127.0.0.1:5555');
 *   req.send('hello');
 *   console.log(req.recvString()); // echo hello
 * });
 * ```
 *
 * @packageDocumentation
 */
export { Context, socket } from './context';
export type { ContextOptions } from './context';
export { Socket } from './socket';
export type { SocketOptions, RecvOptions, SendOptions, SendFrameOptions } from './socket';
export { poll, Poller } from './poll';
export type { PollItem, PollResult } from './poll';
export { ZmqError, ZmqAgainError, ZmqClosedError, ZeromqNotInstalledError } from './errors';
export type { ZmqErrorDetails } from './errors';
export type { Frame } from './frames';
export type { OptionValue } from './options';
export {
  PAIR,
  PUB,
  SUB,
  REQ,
  REP,
  DEALER,
  ROUTER,
  PULL,
  PUSH,
  XPUB,
  XSUB,
  XREQ,
  XREP,
  POLLIN,
  POLLOUT,
  LINGER,
  SNDHWM,
  RCVHWM,
  SNDBUF,
  RCVBUF,
  SNDTIMEO,
  RCVTIMEO,
  ROUTING_ID,
  IDENTITY,
  IMMEDIATE,
  RECONNECT_IVL,
  LAST_ENDPOINT,
  TYPE,
  SUBSCRIBE,
  UNSUBSCRIBE,
  EVENTS,
  RCVMORE,
} from './constants';
export type { SocketType } from './constants';

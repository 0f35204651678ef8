/**
 * pyzmq's names, so that eventlet code reads the same: socket types (`zmq.REQ`), option names (`zmq.LINGER`)
 * and poll flags (`zmq.POLLIN`). Types and options are strings here (the names zeromq itself uses), so
 * `ctx.socket(zmq.REQ)` and `ctx.socket('req')` are the same call.
 */

/** The socket types: pyzmq's, by their lowercase names. */
export type SocketType = 'pair' | 'pub' | 'sub' | 'req' | 'rep' | 'dealer' | 'router' | 'pull' | 'push' | 'xpub' | 'xsub';

export const PAIR = 'pair';
export const PUB = 'pub';
export const SUB = 'sub';
export const REQ = 'req';
export const REP = 'rep';
export const DEALER = 'dealer';
export const ROUTER = 'router';
export const PULL = 'pull';
export const PUSH = 'push';
export const XPUB = 'xpub';
export const XSUB = 'xsub';
/** Old names of DEALER and ROUTER, which eventlet still aliases. */
export const XREQ = DEALER;
export const XREP = ROUTER;

/** Poll flags (pyzmq's values): a message can be received / sent without waiting. */
export const POLLIN = 1;
export const POLLOUT = 2;

// Option names: pyzmq's constants, whose values are the property names of zeromq's sockets. `setsockopt` and
// `getsockopt` take either (and any other zeromq option by its property name).
export const LINGER = 'linger';
export const SNDHWM = 'sendHighWaterMark';
export const RCVHWM = 'receiveHighWaterMark';
export const SNDBUF = 'sendBufferSize';
export const RCVBUF = 'receiveBufferSize';
export const SNDTIMEO = 'sendTimeout';
export const RCVTIMEO = 'receiveTimeout';
export const ROUTING_ID = 'routingId';
/** pyzmq's older name of ROUTING_ID. */
export const IDENTITY = ROUTING_ID;
export const IMMEDIATE = 'immediate';
export const RECONNECT_IVL = 'reconnectInterval';
export const LAST_ENDPOINT = 'lastEndpoint';
export const TYPE = 'type';
/** Set-only: adds / removes a subscription prefix (SUB sockets). */
export const SUBSCRIBE = 'subscribe';
export const UNSUBSCRIBE = 'unsubscribe';
/** Read-only: POLLIN | POLLOUT, what the socket could do now without waiting. */
export const EVENTS = 'events';
/** Read-only: whether the message being received has more frames. */
export const RCVMORE = 'rcvmore';

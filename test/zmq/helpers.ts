/**
 * Helpers of the zmq suites (test/zmq, test/eventlet/zmq.test.ts): sockets on loopback TCP ports the system
 * picks, closed after each test.
 */
import { zmq } from 'verdant';

/** Sockets made by a test, closed (linger 0) by {@link closeAll}. */
export class SocketSet {
  readonly #sockets: zmq.Socket[] = [];

  constructor(readonly context: zmq.Context = zmq.Context.instance()) {}

  /** A socket of `type`, with linger 0 so that a test's unsent messages never hold the process. */
  socket(type: zmq.SocketType, options: zmq.SocketOptions = {}): zmq.Socket {
    const sock = this.context.socket(type, { linger: 0, ...options });
    this.#sockets.push(sock);
    return sock;
  }

  /** `type1` bound to a loopback port, `type2` connected to it, and the port. */
  pair(type1: zmq.SocketType, type2: zmq.SocketType): [zmq.Socket, zmq.Socket, number] {
    const s1 = this.socket(type1);
    const port = s1.bindToRandomPort('tcp://127.0.0.1');
    const s2 = this.socket(type2);
    s2.connect(`tcp://127.0.0.1:${port}`);
    return [s1, s2, port];
  }

  closeAll(): void {
    for (const sock of this.#sockets.splice(0)) sock.close({ linger: 0 });
  }
}

/** Received frames as strings. */
export function texts(frames: Buffer[]): string[] {
  return frames.map((frame) => frame.toString());
}

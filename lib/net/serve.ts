/**
 * serve(sock, handler): eventlet's accept loop. Each connection runs `handler(conn, address)` in a green thread
 * of a pool; the connection, and any file the handler made from it (`makefile`), is closed when the handler
 * returns. A handler stops the whole server by throwing {@link StopServe}.
 */
import { interrupt, requireGreen } from '../runtime/hub';
import { GreenPool } from '../pool/greenpool';
import { sleep } from '../time/sleep';
import { ClosedError, IOError } from '../io/errors';
import type { SocketAddress } from './address';
import type { AcceptBalance } from './accept-balance';
import type { GreenSocket } from './socket';

/** Thrown by a handler (or raised into the serving green thread) to make {@link serve} return. */
export class StopServe extends Error {
  constructor(message = 'stop serving') {
    super(message);
    this.name = 'StopServe';
  }
}

export interface ServeOptions {
  /** How many connections are handled at once; more wait in the backlog. Default 1000. */
  concurrency?: number;
  /**
   * Told about an error a handler threw (other than StopServe); the connection is closed either way and serving
   * goes on. Default: print it to stderr.
   */
  onError?: (error: unknown, address: SocketAddress) => void;
  /**
   * Take turns with other processes accepting from the same listening socket, so that connections spread evenly
   * over them (see {@link AcceptBalance}). Default: none, take every connection this process finds.
   */
  balance?: AcceptBalance;
}

// Errors of accept that mean "out of file descriptors or memory": wait and retry instead of spinning on a
// listener that stays readable.
const RESOURCE_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);
const BACKOFF_START = 0.005;
const BACKOFF_MAX = 1;

/**
 * Accepts connections on `sock` forever, handling each in its own green thread (at most `concurrency` at once).
 * When a handler returns (or throws), its connection is closed with the files made from it. Returns when a
 * handler throws {@link StopServe}, or when `sock` is closed (by another green thread, say).
 * Running out of file descriptors slows accepting down (5 ms doubling to 1 s between tries) rather than spin.
 *
 * Switch point: always.
 */
export function serve(
  sock: GreenSocket,
  handler: (conn: GreenSocket, address: SocketAddress) => unknown,
  options: ServeOptions = {},
): void {
  const server = requireGreen('serve');
  const pool = new GreenPool(options.concurrency ?? 1000);
  const onError = options.onError ?? reportHandlerError;
  let backoff = BACKOFF_START;
  let stopped: StopServe | null = null;
  const balance = options.balance;
  let open = 0;
  const handle = (conn: GreenSocket, address: SocketAddress) => {
    try {
      handler(conn, address);
    } catch (error) {
      if (error instanceof StopServe) {
        if (stopped === null) {
          stopped = error;
          interrupt(server, error);
        }
      } else {
        onError(error, address);
      }
    } finally {
      // With the files the handler made from it: left open, they would keep the connection open (see makefile).
      conn.closeWithFiles();
      balance?.update(--open);
    }
  };
  balance?.start();
  try {
    for (;;) {
      let accepted: [GreenSocket, SocketAddress];
      try {
        accepted = sock.accept(balance);
        backoff = BACKOFF_START;
      } catch (error) {
        if (error instanceof StopServe) return;
        if (error instanceof ClosedError) return;
        if (error instanceof IOError && RESOURCE_ERRORS.has(error.code)) {
          sleep(backoff);
          backoff = Math.min(backoff * 2, BACKOFF_MAX);
          continue;
        }
        throw error;
      }
      balance?.update(++open);
      try {
        pool.spawnN(handle, accepted[0], accepted[1]);
      } catch (error) {
        accepted[0].close();
        balance?.update(--open);
        if (error instanceof StopServe) return;
        throw error;
      }
    }
  } finally {
    // The other processes stop waiting for this one to take its turn.
    balance?.stop();
  }
}

function reportHandlerError(error: unknown, address: SocketAddress): void {
  const who = 'path' in address ? address.path || 'a unix peer' : `${address.address}:${address.port}`;
  process.stderr.write(`verdant serve: the handler for ${who} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
}


/**
 * backdoor.serve: a TCP server whose every connection gets a JavaScript REPL inside the live process, as
 * eventlet's `backdoor`. Each connection runs in a green thread of its own, and so does everything typed there.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as vm from 'node:vm';
import { dumpGreenThreads } from '../debug/dump';
import { IOError } from '../io/errors';
import type { AddressInput, SocketAddress } from '../net/address';
import { formatAddress } from '../net/address';
import { listen } from '../net/convenience';
import { serve as serveConnections } from '../net/serve';
import type { GreenSocket } from '../net/socket';
import { GreenletExit } from '../runtime/errors';
import { type Greenlet, getCurrent } from '../runtime/greenlet';
import { type GreenThread, kill, spawn } from '../runtime/greenthread';
import { checkSeconds } from '../time/seconds';
import { backdoorAddress } from './address';
import { type LineChannel, printer, runRepl } from './repl';

export interface BackdoorOptions {
  /** Names the code typed can use, by reference (live objects, not copies): `{ app, pool, sleep }`. */
  locals?: Record<string, unknown>;
  /**
   * A shared secret: the first line a client sends must be exactly this, or the connection is closed. Nothing,
   * not even the banner, is sent before it.
   */
  token?: string;
  /** Sent to each client before the first prompt; default: the Node version and the process id. */
  banner?: string;
  /** Allow an address other machines can reach (default false: such an address is a BackdoorBindError). */
  allowRemote?: boolean;
  /** Seconds a client has to send its token before it is disconnected; default 30. */
  authTimeout?: number;
}

/** The running backdoor, returned by {@link serve}. */
export class BackdoorServer {
  /** Where it listens (the real port when 0 was asked for). */
  readonly address: SocketAddress;
  readonly #listener: GreenSocket;
  readonly #acceptor: GreenThread<void>;
  readonly #sessions = new Set<Greenlet>();
  #closed = false;

  /** @internal Use {@link serve}. */
  constructor(listener: GreenSocket, session: (conn: GreenSocket, peer: SocketAddress) => void) {
    this.#listener = listener;
    this.address = listener.getSockName();
    const sessions = this.#sessions;
    const handler = (conn: GreenSocket, peer: SocketAddress) => {
      const self = getCurrent();
      (self as GreenThread).name = `backdoor session ${formatAddress(peer)}`;
      sessions.add(self);
      try {
        session(conn, peer);
      } finally {
        sessions.delete(self);
      }
    };
    this.#acceptor = spawn(serveConnections, listener, handler, { onError: reportSessionError });
    this.#acceptor.name = `backdoor on ${formatAddress(this.address)}`;
  }

  /** True once {@link BackdoorServer.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many clients are connected now. */
  get connections(): number {
    return this.#sessions.size;
  }

  /**
   * Stops listening and ends every open session (its green thread is killed where it waits, even in the middle
   * of code a client typed). Idempotent; callable from the main stack.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const session of [...this.#sessions]) kill(session);
  }
}

/**
 * Starts a backdoor on `address` and returns at once; connections are accepted and served by green threads.
 *
 * ```ts
 * const door = backdoor.serve(3000, { locals: { app, sleep }, token: process.env.BACKDOOR_TOKEN });
 * // elsewhere: nc 127.0.0.1 3000, type the token, then JavaScript: app.stats(), dumpGreenThreads(), sleep(1)
 * door.close();
 * ```
 *
 * A port alone listens on 127.0.0.1 only. Each client gets a context of its own (its variables do not leak into
 * another client's) holding `locals`, `dumpGreenThreads`, `print(...values)` (output to that client) and `_`.
 * The context is a `vm` context, which separates names, not privileges: the code typed can reach the whole
 * process, so the backdoor's protection is where it listens and its token.
 *
 * Errors: {@link BackdoorBindError} for a non-loopback address without `allowRemote`; TypeError or RangeError
 * for bad options; the socket errors of `listen` (AddressInUseError, ...).
 *
 * Switch point: never.
 */
export function serve(address: AddressInput, options: BackdoorOptions = {}): BackdoorServer {
  const { locals, token, banner, allowRemote, authTimeout } = checkOptions(options);
  const listener = listen(backdoorAddress(address, allowRemote));
  const expected = token === undefined ? null : digest(token);
  return new BackdoorServer(listener, (conn) => {
    const file = conn.makefile('rw', { encoding: 'utf8' });
    const channel: LineChannel = {
      readline: () => file.readline() as string,
      write: (text) => {
        file.write(text);
        file.flush();
      },
    };
    if (expected !== null) {
      conn.setTimeout(authTimeout);
      const offered = channel.readline().replace(/\r?\n$/, '');
      conn.setTimeout(null);
      if (!timingSafeEqual(digest(offered), expected)) {
        channel.write('backdoor: wrong token\n');
        return;
      }
    }
    const context = vm.createContext({ dumpGreenThreads, print: printer(channel), _: undefined, ...locals });
    channel.write(banner);
    runRepl(channel, context);
  });
}

// Compared as digests, so the comparison takes the same time whatever the lengths.
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

// A client that hangs up, times out on its token, or is ended by close() is no error worth a report.
function reportSessionError(error: unknown, peer: SocketAddress): void {
  if (error instanceof GreenletExit || error instanceof IOError) return;
  process.stderr.write(`verdant backdoor: the session of ${formatAddress(peer)} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
}

function checkOptions(options: BackdoorOptions): Required<Omit<BackdoorOptions, 'token'>> & { token: string | undefined } {
  if (options === null || typeof options !== 'object') throw new TypeError('backdoor.serve options must be an object');
  const { locals = {}, token, allowRemote = false, authTimeout = 30 } = options;
  if (locals === null || typeof locals !== 'object') throw new TypeError('backdoor.serve: locals must be an object of names');
  if (token !== undefined && (typeof token !== 'string' || token === '' || /[\r\n]/.test(token))) {
    throw new TypeError('backdoor.serve: token must be a non-empty string on one line');
  }
  if (typeof allowRemote !== 'boolean') throw new TypeError('backdoor.serve: allowRemote must be true or false');
  checkSeconds(authTimeout, 'backdoor.serve authTimeout');
  const banner = options.banner ?? `verdant backdoor: Node ${process.version}, pid ${process.pid}. Type .help for help.\n`;
  if (typeof banner !== 'string') throw new TypeError('backdoor.serve: banner must be a string');
  return { locals, token, banner: banner === '' || banner.endsWith('\n') ? banner : `${banner}\n`, allowRemote, authTimeout };
}

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
import type { GreenFile } from '../net/file';
import type { GreenSocket } from '../net/socket';
import { GreenletExit } from '../runtime/errors';
import { type Greenlet, getCurrent } from '../runtime/greenlet';
import { type GreenThread, kill, spawn } from '../runtime/greenthread';
import { checkSeconds } from '../runtime/seconds';
import { Timeout } from '../time/timeout';
import { backdoorAddress } from './address';
import { BackdoorAuthError, BackdoorAuthTimeoutError, BackdoorTokenTooLongError, BackdoorWrongTokenError } from './errors';
import { TOKEN_LINE_LIMIT, readBoundedLine, readInputLine } from './lines';
import { type LineChannel, printer, runRepl } from './repl';

export interface BackdoorOptions {
  /** Names the code typed can use, by reference (live objects, not copies): `{ app, pool, sleep }`. */
  locals?: Record<string, unknown>;
  /**
   * A shared secret: the first line a client sends must be exactly this, or the connection is closed. Nothing,
   * not even the banner, is sent before it. At most 1022 bytes in UTF-8 (a RangeError otherwise): the token line,
   * CR LF included, may not pass 1 KiB, and a client whose first line does is disconnected without the rest
   * being read.
   */
  token?: string;
  /** Sent to each client before the first prompt; default: the Node version and the process id. */
  banner?: string;
  /** Allow an address other machines can reach (default false: such an address is a BackdoorBindError). */
  allowRemote?: boolean;
  /**
   * Seconds from the moment a client connects by which its whole token line must have arrived, or it is
   * disconnected; default 30. A deadline, not an idle timeout: a client that sends one byte at a time is cut off
   * at the same moment as one that sends nothing.
   */
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
 * What a client may send is bounded: before its token, one line of at most 1 KiB within `authTimeout` seconds
 * of connecting; after it, REPL lines of at most 1 MiB each (a longer one ends the session with a message).
 * Neither is read further than its limit.
 *
 * Errors: {@link BackdoorBindError} for a non-loopback address without `allowRemote`; TypeError or RangeError
 * for bad options (a token over 1022 bytes is a RangeError); the socket errors of `listen` (AddressInUseError,
 * ...).
 *
 * Switch point: never.
 */
export function serve(address: AddressInput, options: BackdoorOptions = {}): BackdoorServer {
  const { locals, token, banner, allowRemote, authTimeout } = checkOptions(options);
  const listener = listen(backdoorAddress(address, allowRemote));
  const expected = token === undefined ? null : digest(token);
  return new BackdoorServer(listener, (conn) => {
    // Binary, so that line limits count bytes; a buffer the size of the token line limit, so that a client
    // that has not authenticated makes the server read no more than that. It grows for longer REPL lines.
    const file = conn.makefile('rw', { bufferSize: TOKEN_LINE_LIMIT });
    const channel: LineChannel = {
      readline: () => readInputLine(file),
      write: (text) => {
        file.write(text);
        file.flush();
      },
    };
    if (expected !== null) {
      try {
        authenticate(file, expected, authTimeout);
      } catch (error) {
        if (error instanceof BackdoorAuthError) refuse(channel, error);
        throw error;
      }
    }
    const context = vm.createContext({ dumpGreenThreads, print: printer(channel), _: undefined, ...locals });
    channel.write(banner);
    runRepl(channel, context);
  });
}

/**
 * Reads the token line and checks it; throws a {@link BackdoorAuthError} saying why the client is refused. The
 * deadline is a Timeout armed as the session starts (right after accept) and bounding every read of the line
 * together: a socket timeout would bound each recv alone, which a client dripping bytes resets forever.
 */
function authenticate(file: GreenFile, expected: Buffer, seconds: number): void {
  const deadline = new Timeout(seconds, new BackdoorAuthTimeoutError(seconds));
  let line: Buffer | null;
  try {
    line = readBoundedLine(file, TOKEN_LINE_LIMIT);
  } finally {
    deadline.cancel();
  }
  if (line === null) throw new BackdoorTokenTooLongError(TOKEN_LINE_LIMIT);
  const offered = line.toString('utf8').replace(/\r?\n$/, '');
  if (!timingSafeEqual(digest(offered), expected)) throw new BackdoorWrongTokenError();
}

// Tells a refused client why, when it finished a line (or ran past the limit). One that has not is told nothing,
// as nothing is sent before the token.
function refuse(channel: LineChannel, error: BackdoorAuthError): void {
  if (error instanceof BackdoorWrongTokenError) channel.write('backdoor: wrong token\n');
  else if (error instanceof BackdoorTokenTooLongError) channel.write(`backdoor: token line longer than ${error.limit} bytes\n`);
}

// Compared as digests, so the comparison takes the same time whatever the lengths.
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

// A client that hangs up, fails to authenticate, or is ended by close() is no error worth a report.
function reportSessionError(error: unknown, peer: SocketAddress): void {
  if (error instanceof GreenletExit || error instanceof IOError || error instanceof BackdoorAuthError) return;
  process.stderr.write(`verdant backdoor: the session of ${formatAddress(peer)} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
}

function checkOptions(options: BackdoorOptions): Required<Omit<BackdoorOptions, 'token'>> & { token: string | undefined } {
  if (options === null || typeof options !== 'object') throw new TypeError('backdoor.serve options must be an object');
  const { locals = {}, token, allowRemote = false, authTimeout = 30 } = options;
  if (locals === null || typeof locals !== 'object') throw new TypeError('backdoor.serve: locals must be an object of names');
  if (token !== undefined && (typeof token !== 'string' || token === '' || /[\r\n]/.test(token))) {
    throw new TypeError('backdoor.serve: token must be a non-empty string on one line');
  }
  // The token line, CR LF included, must fit the limit, or the right token would be turned away as too long.
  if (token !== undefined && Buffer.byteLength(token, 'utf8') > TOKEN_LINE_LIMIT - 2) {
    throw new RangeError(`backdoor.serve: token must be at most ${TOKEN_LINE_LIMIT - 2} bytes in UTF-8, not ${Buffer.byteLength(token, 'utf8')}`);
  }
  if (typeof allowRemote !== 'boolean') throw new TypeError('backdoor.serve: allowRemote must be true or false');
  checkSeconds(authTimeout, 'backdoor.serve authTimeout');
  const banner = options.banner ?? `verdant backdoor: Node ${process.version}, pid ${process.pid}. Type .help for help.\n`;
  if (typeof banner !== 'string') throw new TypeError('backdoor.serve: banner must be a string');
  return { locals, token, banner: banner === '' || banner.endsWith('\n') ? banner : `${banner}\n`, allowRemote, authTimeout };
}

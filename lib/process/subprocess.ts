/**
 * Subprocess: a child process whose standard streams are green pipes (Python's `subprocess.Popen`). The parent
 * ends of its pipes are {@link GreenPipe}s read and written with non-blocking syscalls, not Node streams; Node's
 * `child_process.spawn` only starts the child (handing it the other ends by fd number) and reports its exit.
 * libuv reaps the child when it exits, so none is left a zombie, whether it is waited for or not.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { waitFor } from '../runtime/completion';
import { requireGreen } from '../runtime/hub';
import { Event } from '../sync/event';
import { checkTimeout } from '../runtime/seconds';
import { Communication, OutputLimitReached } from './communicate';
import {
  type CapturedOutput,
  CommunicationStartedError,
  DEFAULT_MAX_OUTPUT_SIZE,
  OutputTooLargeError,
  SpawnError,
  SubprocessTimeoutError,
} from './errors';
import type { GreenPipe, PipeData } from './pipe';
import { type StderrOption, type StdioOption, StdioWiring, checkStdio } from './stdio';

export interface SubprocessOptions {
  /** Default `'inherit'`. */
  stdin?: StdioOption;
  /** Default `'inherit'`; `'pipe'` to read it (`subprocess.stdout`, or {@link Subprocess.communicate}). */
  stdout?: StdioOption;
  /** Default `'inherit'`; `'stdout'` sends it wherever stdout goes. */
  stderr?: StderrOption;
  /** The child's working directory; default the parent's. */
  cwd?: string;
  /** The child's environment; default the parent's (`process.env`). */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs `command` through a shell (`true`: /bin/sh; or the shell's path). Node joins `command` and `args` with
   * spaces, so pass the whole command line as `command`, quoted for the shell.
   */
  shell?: boolean | string;
  /** With an encoding, {@link Subprocess.communicate} returns (and takes) strings instead of Buffers. */
  encoding?: BufferEncoding;
  /**
   * The most bytes {@link Subprocess.communicate} (and {@link run}) holds of each captured stream; past it, an
   * {@link OutputTooLargeError}. Default 64 MiB ({@link DEFAULT_MAX_OUTPUT_SIZE}); `null` for no limit, as in
   * Python. Reading `subprocess.stdout` yourself is not limited.
   */
  maxOutputSize?: number | null;
}

export interface CommunicateOptions {
  /** Seconds to wait for the output and the exit; default no limit. */
  timeout?: number | null;
}

/** How a child ended. */
interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
}

export class Subprocess {
  /** The program (or, with `shell`, the command line). */
  readonly command: string;
  readonly args: readonly string[];
  /** The child's process id. */
  readonly pid: number;
  /** The parent's end of the child's stdin, when `stdin: 'pipe'`; write to it, then close it. */
  readonly stdin: GreenPipe | null;
  /** The parent's end of the child's stdout, when `stdout: 'pipe'`. */
  readonly stdout: GreenPipe | null;
  /** The parent's end of the child's stderr, when `stderr: 'pipe'`. */
  readonly stderr: GreenPipe | null;
  readonly encoding: BufferEncoding | undefined;
  readonly #maxOutputSize: number | null;
  readonly #child: ChildProcess;
  readonly #exited = new Event<void>();
  #exit: Exit | null = null;
  #communication: Communication | null = null;

  /**
   * Starts `command` with `args` and returns once the child runs. A program that cannot be started (`ENOENT`,
   * `EACCES`, ...) throws a {@link SpawnError}, with every pipe made for it closed.
   *
   * Must run in a green thread (a HubBlockingError on the main stack): Node reports whether the start worked
   * a moment later, and this waits for it. Switch point: always.
   */
  constructor(command: string, args?: readonly string[], options?: SubprocessOptions);
  constructor(command: string, options?: SubprocessOptions);
  constructor(command: string, argsOrOptions?: readonly string[] | SubprocessOptions, maybeOptions?: SubprocessOptions) {
    const [args, options] = Array.isArray(argsOrOptions)
      ? [argsOrOptions as readonly string[], maybeOptions ?? {}]
      : [[] as readonly string[], (argsOrOptions as SubprocessOptions | undefined) ?? {}];
    checkArguments(command, args, options);
    requireGreen('new Subprocess()');
    this.command = command;
    this.args = [...args];
    this.encoding = options.encoding;
    this.#maxOutputSize = options.maxOutputSize === undefined ? DEFAULT_MAX_OUTPUT_SIZE : options.maxOutputSize;

    const stdio = new StdioWiring(options.stdin ?? 'inherit', options.stdout ?? 'inherit', options.stderr ?? 'inherit');
    let child: ChildProcess;
    try {
      child = spawnChild(command, this.args, {
        stdio: stdio.childSlots,
        cwd: options.cwd,
        env: options.env,
        shell: options.shell,
        windowsHide: true,
      });
    } catch (error) {
      stdio.closeAll();
      throw spawnError(error, command, this.args);
    } finally {
      // The child has its copies (libuv forked synchronously); the parent's must go, or the child's stdin
      // would never reach end of stream and its output pipes never report it.
      stdio.closeChildEnds();
    }
    // Errors after the start (a failed kill) must not go unhandled; they surface through the calls that caused them.
    child.on('error', () => {});
    child.once('exit', (status: number | null, signal: NodeJS.Signals | null) => {
      this.#exit = { status, signal };
      this.#exited.send();
    });
    try {
      waitFor(
        `spawn ${command}`,
        (resolve, reject) => {
          child.once('spawn', resolve);
          child.once('error', reject);
        },
        // Interrupted (killed, a Timeout) before Node said: nobody will own the child, so end it if it started.
        () => child.once('spawn', () => child.kill('SIGKILL')),
      );
    } catch (error) {
      stdio.closeAll();
      throw spawnError(error, command, this.args);
    }
    this.#child = child;
    this.pid = child.pid!;
    [this.stdin, this.stdout, this.stderr] = stdio.parentEnds;
  }

  /** The exit status, or -signal number when a signal ended the child (Python's convention); null while it runs. */
  get returncode(): number | null {
    return this.#exit === null ? null : returncodeOf(this.#exit);
  }

  /** The exit status; null while it runs or when a signal ended it. */
  get exitCode(): number | null {
    return this.#exit?.status ?? null;
  }

  /** The signal that ended the child (`'SIGTERM'`), or null. */
  get signalCode(): NodeJS.Signals | null {
    return this.#exit?.signal ?? null;
  }

  /** The {@link Subprocess.returncode} if the child has exited, else null. Never blocks. */
  poll(): number | null {
    return this.returncode;
  }

  /**
   * Waits for the child to exit and returns its {@link Subprocess.returncode}. With `timeout` (seconds), throws
   * a {@link SubprocessTimeoutError} when it passes first; the child keeps running.
   *
   * Waiting with `stdout: 'pipe'` and nobody reading it can deadlock: a child blocked on a full pipe never
   * exits. Use {@link Subprocess.communicate} then.
   *
   * Switch point: unless the child has exited.
   */
  wait(timeout?: number | null): number {
    checkTimeout(timeout, 'Subprocess.wait');
    if (this.#exit === null) {
      requireGreen('Subprocess.wait()');
      this.#exited.wait(timeout);
      if (this.#exit === null) throw new SubprocessTimeoutError(this.command, this.args, timeout!);
    }
    return returncodeOf(this.#exit!);
  }

  /**
   * Writes `input` (if any) to the child's stdin and closes it, reads its stdout and stderr to end of stream,
   * and waits for it to exit; returns `[stdout, stderr]` (null for a stream that is not piped; strings with
   * an `encoding`). The three run concurrently, so a child writing lots to stderr cannot deadlock it. A child
   * that exits without reading all its input is not an error.
   *
   * Each captured stream is held up to the `maxOutputSize` option (64 MiB by default); a child that writes more
   * makes it throw an {@link OutputTooLargeError} at once, with the output read so far, without killing it.
   *
   * With `timeout`, throws a {@link SubprocessTimeoutError} carrying the output read so far when it passes
   * first. The child keeps running and the readers keep reading: kill it (or not), then call `communicate()`
   * again (without input) for the complete output, as in Python (a later call given input throws a
   * {@link CommunicationStartedError}):
   *
   * ```ts
   * try {
   *   [out, err] = proc.communicate(input, { timeout: 5 });
   * } catch (error) {
   *   if (!(error instanceof SubprocessTimeoutError)) throw error;
   *   proc.kill();
   *   [out, err] = proc.communicate();
   * }
   * ```
   *
   * Switch point: always, unless no stream is piped and the child has exited.
   */
  communicate(input?: PipeData | null, options: CommunicateOptions = {}): [stdout: CapturedOutput, stderr: CapturedOutput] {
    const timeout = options.timeout;
    checkTimeout(timeout, 'Subprocess.communicate');
    requireGreen('Subprocess.communicate()');
    const deadline = timeout === undefined || timeout === null ? -1 : performance.now() + timeout * 1000;
    let communication = this.#communication;
    if (communication === null) {
      communication = this.#communication = this.#startCommunication(input);
    } else if (input !== undefined && input !== null) {
      throw new CommunicationStartedError(this.command, this.args);
    }
    const left = () => (deadline < 0 ? null : Math.max(0, deadline - performance.now()) / 1000);
    const timedOut = () => {
      const [stdout, stderr] = communication.outputs(this.encoding);
      return new SubprocessTimeoutError(this.command, this.args, timeout!, stdout, stderr);
    };
    let done: boolean;
    try {
      done = communication.waitDone(left());
    } catch (error) {
      if (!(error instanceof OutputLimitReached)) throw error;
      const [stdout, stderr] = communication.outputs(this.encoding);
      throw new OutputTooLargeError(this.command, this.args, error.stream, error.limit, stdout, stderr);
    }
    if (!done) throw timedOut();
    if (this.#exit === null) {
      this.#exited.wait(left());
      if (this.#exit === null) throw timedOut();
    }
    return communication.outputs(this.encoding);
  }

  /**
   * Sends `signal` (a name, `'SIGTERM'`, or a number) to the child. Does nothing once it has exited, so a
   * reused pid is never signalled.
   */
  sendSignal(signal: NodeJS.Signals | number): void {
    if (this.#exit !== null) return;
    this.#child.kill(signal);
  }

  /** Sends SIGTERM: asks the child to end. */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /**
   * Sends `signal`, SIGTERM by default as Node's `ChildProcess.kill` (Python's `kill()` sends SIGKILL: pass
   * `'SIGKILL'` for a child that may ignore SIGTERM). Does nothing once it has exited.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): void {
    this.sendSignal(signal);
  }

  /**
   * Closes the parent's ends of the pipes (green threads blocked on them wake with a ClosedError). Does not
   * wait for the child or end it. Closing twice is harmless.
   */
  close(): void {
    this.stdin?.close();
    this.stdout?.close();
    this.stderr?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    const state = this.#exit === null ? 'running' : `returncode ${returncodeOf(this.#exit)}`;
    return `Subprocess(pid ${this.pid}, ${this.command}, ${state})`;
  }

  #startCommunication(input: PipeData | null | undefined): Communication {
    let bytes: Uint8Array | null = null;
    if (input !== undefined && input !== null) {
      if (this.stdin === null) throw new TypeError("communicate: sending input needs stdin: 'pipe'");
      if (typeof input === 'string') bytes = Buffer.from(input, this.encoding ?? 'utf8');
      else if (ArrayBuffer.isView(input)) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      else throw new TypeError(`communicate: input is a string, a Buffer or a typed array, not ${typeof input}`);
    }
    // Python flushes and closes an unused stdin too, so the child reads end of stream.
    const stdin = this.stdin !== null && !this.stdin.closed ? this.stdin : null;
    const stdout = this.stdout !== null && !this.stdout.closed ? this.stdout : null;
    const stderr = this.stderr !== null && !this.stderr.closed ? this.stderr : null;
    return new Communication(`subprocess ${this.pid}`, stdin, bytes, stdout, stderr, this.#maxOutputSize);
  }
}

/**
 * Starts a child process: `new Subprocess(command, args, options)`, named for symmetry with `spawn` (green
 * threads) and Node's `child_process.spawn`.
 */
export function spawnProcess(command: string, args?: readonly string[], options?: SubprocessOptions): Subprocess {
  return new Subprocess(command, args ?? [], options);
}

/** @internal Python's returncode: the status, or -signal number. */
export function returncodeOf(exit: Exit): number {
  if (exit.status !== null) return exit.status;
  const number = exit.signal === null ? undefined : osConstants.signals[exit.signal];
  return number === undefined ? -1 : -number;
}

function checkArguments(command: unknown, args: unknown, options: SubprocessOptions): void {
  if (typeof command !== 'string' || command.length === 0) throw new TypeError('the command must be a non-empty string');
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new TypeError('args must be an array of strings');
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  if (options.stdin !== undefined) checkStdio('stdin', options.stdin);
  if (options.stdout !== undefined) checkStdio('stdout', options.stdout);
  if (options.stderr !== undefined) checkStdio('stderr', options.stderr);
  if (options.encoding !== undefined && !Buffer.isEncoding(options.encoding)) throw new TypeError(`unknown encoding ${options.encoding}`);
  const limit = options.maxOutputSize;
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number') throw new TypeError(`maxOutputSize must be a number of bytes or null, not ${typeof limit}`);
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`maxOutputSize must be an integer from 0, not ${limit}`);
  }
}

// Node's spawn errors (ErrnoException: errno, code, syscall 'spawn <file>') as a SpawnError; anything else
// (a TypeError for a bad option) as it is.
function spawnError(error: unknown, command: string, args: readonly string[]): unknown {
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (!(error instanceof Error) || typeof errno !== 'number' || errno >= 0) return error;
  return new SpawnError(errno, command, args, error);
}

/**
 * The typed errors of subprocesses, as Python's `subprocess` sorts them: the program could not be started
 * ({@link SpawnError}, an {@link IOError}), a wait ran out of time ({@link SubprocessTimeoutError}), a checked
 * run exited non-zero ({@link CalledProcessError}).
 */
import { IOError } from '../io/errors';

/** What a captured stream holds: bytes, or text when an `encoding` was given; null when it was not captured. */
export type CapturedOutput = Buffer | string | null;

/** The base of the subprocess errors that are not I/O errors. */
export class SubprocessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A `wait` or `communicate` (or `run` with a `timeout`) did not finish in time, as Python's `TimeoutExpired`.
 * After `wait` and `communicate` the child is still running: kill it (or wait again) yourself. `stdout` and
 * `stderr` hold what `communicate` had read by then; calling `communicate` again goes on from there.
 *
 * Transient: the same wait may succeed later.
 */
export class SubprocessTimeoutError extends SubprocessError {
  readonly command: string;
  readonly args: readonly string[];
  /** The limit that passed, in seconds. */
  readonly timeout: number;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;

  constructor(command: string, args: readonly string[], timeout: number, stdout: CapturedOutput = null, stderr: CapturedOutput = null) {
    super(`${describeCommand(command, args)} timed out after ${timeout} s`);
    this.command = command;
    this.args = args;
    this.timeout = timeout;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/**
 * A second (or later) `communicate` was given `input`: only the first call sends input (it writes it to the
 * child's stdin and closes it); later calls, after a timeout, go on reading what the first one started. As
 * Python's "Cannot send input after starting communication".
 *
 * Permanent for that subprocess: retrying with input cannot help; call `communicate()` again without input.
 */
export class CommunicationStartedError extends SubprocessError {
  readonly command: string;
  readonly args: readonly string[];

  constructor(command: string, args: readonly string[]) {
    super(
      `communicate refused: input can only be given to the first communicate() call, and communication with ` +
        `${describeCommand(command, args)} has already started (call communicate() again without input)`,
    );
    this.command = command;
    this.args = args;
  }
}

/** The default {@link SubprocessOptions.maxOutputSize}: 64 MiB for each captured stream. */
export const DEFAULT_MAX_OUTPUT_SIZE = 64 * 1024 * 1024;

/**
 * A captured stream (stdout or stderr) grew past `maxOutputSize` in `communicate` (or `run`). The parent stops
 * reading that stream and closes its end, so a child that goes on writing to it gets EPIPE (or SIGPIPE); the
 * child is not killed by `communicate` (`run` kills it). `stdout` and `stderr` hold what was read, the stream
 * that overflowed cut at the limit.
 *
 * Permanent: the child wrote more than the caller accepts.
 */
export class OutputTooLargeError extends SubprocessError {
  readonly command: string;
  readonly args: readonly string[];
  /** The stream that went past the limit. */
  readonly stream: 'stdout' | 'stderr';
  /** The `maxOutputSize` it went past, in bytes. */
  readonly limit: number;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;

  constructor(
    command: string,
    args: readonly string[],
    stream: 'stdout' | 'stderr',
    limit: number,
    stdout: CapturedOutput = null,
    stderr: CapturedOutput = null,
  ) {
    super(`${describeCommand(command, args)} wrote more than ${limit} bytes to ${stream} (maxOutputSize)`);
    this.command = command;
    this.args = args;
    this.stream = stream;
    this.limit = limit;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/**
 * A run with `check: true` (or {@link checkOutput}) ended with a non-zero status or by a signal, as Python's
 * `CalledProcessError`. Carries the status and what was captured.
 *
 * Permanent: the process has finished.
 */
export class CalledProcessError extends SubprocessError {
  readonly command: string;
  readonly args: readonly string[];
  /** The exit status, or -signal number when a signal ended it (Python's convention). */
  readonly returncode: number;
  /** The exit status; null when a signal ended it. */
  readonly status: number | null;
  /** The signal that ended it, or null. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;

  constructor(
    command: string,
    args: readonly string[],
    exit: { returncode: number; status: number | null; signal: NodeJS.Signals | null },
    stdout: CapturedOutput = null,
    stderr: CapturedOutput = null,
  ) {
    const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with status ${exit.status}`;
    super(`${describeCommand(command, args)} ${how}`);
    this.command = command;
    this.args = args;
    this.returncode = exit.returncode;
    this.status = exit.status;
    this.signal = exit.signal;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/**
 * The child could not be started: `code` says why (`ENOENT`: no such program or working directory, `EACCES`:
 * not executable, `EAGAIN`/`EMFILE`: out of processes or file descriptors). No process exists and every pipe
 * made for it is closed.
 *
 * Permanent for that command line.
 */
export class SpawnError extends IOError {
  readonly command: string;
  readonly args: readonly string[];

  constructor(errno: number, command: string, args: readonly string[], cause?: unknown) {
    super(errno, `spawn ${command}`, { cause });
    this.command = command;
    this.args = args;
  }
}

function describeCommand(command: string, args: readonly string[]): string {
  const line = [command, ...args].join(' ');
  return `command '${line.length > 200 ? `${line.slice(0, 200)}...` : line}'`;
}

/**
 * run and checkOutput: start a child, feed it, collect its output and wait for it in one call (Python's
 * `subprocess.run` and `subprocess.check_output`), on {@link Subprocess}.
 */
import { CalledProcessError, type CapturedOutput, OutputTooLargeError, SubprocessTimeoutError } from './errors';
import type { PipeData } from './pipe';
import { Subprocess, type SubprocessOptions } from './subprocess';

export interface RunOptions extends SubprocessOptions {
  /** Written to the child's stdin, which is then closed; implies `stdin: 'pipe'`. */
  input?: PipeData;
  /** Captures stdout and stderr (`stdout: 'pipe', stderr: 'pipe'`), as Python's `capture_output`. */
  capture?: boolean;
  /**
   * Seconds the whole run may take. When they pass, the child is killed (SIGKILL) and waited for, and a
   * {@link SubprocessTimeoutError} with the output read so far is thrown.
   */
  timeout?: number | null;
  /** Throws a {@link CalledProcessError} when the child exits non-zero or is killed by a signal. */
  check?: boolean;
}

/** What {@link run} returns, as Python's `CompletedProcess`. */
export interface CompletedProcess {
  command: string;
  args: readonly string[];
  pid: number;
  /** The exit status, or -signal number when a signal ended the child. */
  returncode: number;
  /** The exit status; null when a signal ended the child. */
  status: number | null;
  /** The signal that ended the child, or null. */
  signal: NodeJS.Signals | null;
  /** What the child wrote to stdout, when captured; else null. */
  stdout: CapturedOutput;
  /** What the child wrote to stderr, when captured; else null. */
  stderr: CapturedOutput;
}

/**
 * Runs `command` to completion and returns how it ended with what it wrote. Streams are inherited unless
 * captured (`capture: true`, or `stdout: 'pipe'`...), as in Python. If anything interrupts the run (a timeout,
 * output past `maxOutputSize`, the calling green thread being killed), the child is killed with SIGKILL.
 *
 * ```ts
 * const { status, stdout } = run('git', ['rev-parse', 'HEAD'], { capture: true, encoding: 'utf8', check: true });
 * ```
 *
 * Switch point: always. Throws {@link SpawnError}, {@link SubprocessTimeoutError}, {@link OutputTooLargeError} (the
 * child killed), {@link CalledProcessError}.
 */
export function run(command: string, args: readonly string[] = [], options: RunOptions = {}): CompletedProcess {
  const { input, capture, timeout, check, ...spawnOptions } = options;
  if (input !== undefined && spawnOptions.stdin === undefined) spawnOptions.stdin = 'pipe';
  if (capture) {
    if (spawnOptions.stdout !== undefined || spawnOptions.stderr !== undefined) {
      throw new TypeError('run: capture cannot be combined with stdout or stderr');
    }
    spawnOptions.stdout = spawnOptions.stderr = 'pipe';
  }
  const child = new Subprocess(command, args, spawnOptions);
  let stdout: CapturedOutput;
  let stderr: CapturedOutput;
  try {
    [stdout, stderr] = child.communicate(input, { timeout });
  } catch (error) {
    child.kill('SIGKILL');
    // Python waits too, so the timeout leaves no running child; the pipes are not drained (a grandchild
    // holding them open would make that wait forever).
    if (error instanceof SubprocessTimeoutError || error instanceof OutputTooLargeError) child.wait();
    throw error;
  } finally {
    child.close();
  }
  const returncode = child.returncode!;
  const result: CompletedProcess = {
    command,
    args: child.args,
    pid: child.pid,
    returncode,
    status: child.exitCode,
    signal: child.signalCode,
    stdout,
    stderr,
  };
  if (check && returncode !== 0) throw new CalledProcessError(command, child.args, result, stdout, stderr);
  return result;
}

/**
 * Runs `command` and returns its stdout, throwing a {@link CalledProcessError} (with the output) unless it
 * exits with 0, as Python's `check_output`. Options as {@link run}'s; stdout is always captured.
 *
 * Switch point: always.
 */
export function checkOutput(command: string, args: readonly string[] = [], options: Omit<RunOptions, 'check' | 'capture'> = {}): Buffer | string {
  if (options.stdout !== undefined && options.stdout !== 'pipe') throw new TypeError('checkOutput captures stdout: do not set it');
  return run(command, args, { ...options, stdout: 'pipe', check: true }).stdout!;
}

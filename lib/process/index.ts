/**
 * Green subprocesses: child processes whose stdin, stdout and stderr are green pipes, so that waiting on a
 * child or on its output blocks only the calling green thread (Python's `subprocess`, eventlet's
 * `green.subprocess`).
 *
 * Organization:
 * - {@link Subprocess} (Python's `Popen`; also {@link spawnProcess}): `communicate`, `wait`, `poll`, `kill`;
 * - {@link run} and {@link checkOutput}: a whole run in one call;
 * - {@link GreenPipe}: one end of an OS pipe, read and written with non-blocking syscalls;
 * - the errors: {@link SpawnError}, {@link SubprocessTimeoutError}, {@link OutputTooLargeError},
 *   {@link CalledProcessError}, {@link CommunicationStartedError}.
 *
 * @example
 * ```ts
 * import { spawn, Subprocess, run } from 'verdant';
 *
 * spawn(() => {
 *   const proc = new Subprocess('tr', ['a-z', 'A-Z'], { stdin: 'pipe', stdout: 'pipe', encoding: 'utf8' });
 *   const [out] = proc.communicate('hello\n');   // 'HELLO\n'
 *   const { stdout } = run('uname', [], { capture: true, encoding: 'utf8', check: true });
 * });
 * ```
 *
 * @packageDocumentation
 */
export { GreenPipe } from './pipe';
export type { PipeData, OpenMode } from './pipe';
export { Subprocess, spawnProcess } from './subprocess';
export type { SubprocessOptions, CommunicateOptions } from './subprocess';
export type { StdioOption, StderrOption } from './stdio';
export { run, checkOutput } from './run';
export type { RunOptions, CompletedProcess } from './run';
export {
  SubprocessError,
  SubprocessTimeoutError,
  OutputTooLargeError,
  CalledProcessError,
  SpawnError,
  CommunicationStartedError,
  DEFAULT_MAX_OUTPUT_SIZE,
} from './errors';
export type { CapturedOutput } from './errors';

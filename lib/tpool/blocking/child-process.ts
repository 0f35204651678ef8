/**
 * The rows of the blocking-function table for `child_process`: `spawnSync`, `execSync` and `execFileSync`, run
 * as an ordinary child process whose output is collected while the calling green thread waits.
 *
 * Faithful for the common options: `cwd`, `env`, `argv0`, `uid`, `gid`, `shell`, `windowsHide`, `input`,
 * `encoding`, `timeout`, `killSignal`, `maxBuffer`, and `stdio` given as 'pipe', 'inherit', 'ignore', fds or an
 * array of those. The results have the shapes of the sync functions (spawnSync's `{pid, output, stdout, stderr,
 * status, signal, error?}`; execSync's stdout, or an Error carrying those fields); `timeout` and `maxBuffer` fail
 * with the same ETIMEDOUT/ENOBUFS errors. Other `stdio` values (streams, 'ipc') are left to the blocking originals.
 * If the waiting green thread leaves early (a Timeout, a kill), the child gets `killSignal`.
 *
 * @internal Part of ./table.ts.
 */
import * as childProcess from 'node:child_process';
import { constants } from 'node:os';
import type { Counterpart, Done } from './counterpart';

// What spawnSync gives as stdout and stderr when the program could not start: null up to Node 20, undefined
// (output[1] of a null output) from Node 21 on.
const NO_OUTPUT_STREAM = Number(process.versions.node.split('.')[0]) >= 21 ? undefined : null;

type StdioSlot = 'pipe' | 'inherit' | 'ignore' | number | null | undefined;

interface SyncOptions extends childProcess.SpawnOptions {
  input?: string | NodeJS.ArrayBufferView;
  encoding?: BufferEncoding | 'buffer' | null;
  maxBuffer?: number;
}

/** What spawnSync returns. */
interface SpawnResult {
  pid: number;
  output: Array<Buffer | string | null> | null;
  stdout: Buffer | string | null;
  stderr: Buffer | string | null;
  status: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

const DEFAULT_MAX_BUFFER = 1024 * 1024;

/** The stdio slots the collecting implementation reproduces; anything else runs the blocking original. */
function collectable(options: SyncOptions | undefined | null): boolean {
  const stdio = options?.stdio;
  if (stdio === undefined || stdio === null) return true;
  const slots: unknown[] = typeof stdio === 'string' ? [stdio] : Array.isArray(stdio) ? stdio : [stdio];
  return slots.every(
    (slot) =>
      slot === 'pipe' ||
      slot === 'inherit' ||
      slot === 'ignore' ||
      slot === null ||
      slot === undefined ||
      (typeof slot === 'number' && Number.isInteger(slot) && slot >= 0),
  );
}

function stdioSlots(options: SyncOptions): StdioSlot[] {
  const stdio = options.stdio ?? 'pipe';
  const slots = (typeof stdio === 'string' ? [stdio, stdio, stdio] : [...(stdio as StdioSlot[])]) as StdioSlot[];
  while (slots.length < 3) slots.push(undefined);
  const normalized = slots.map((slot, i) => (slot === null || slot === undefined ? (i < 3 ? 'pipe' : 'ignore') : slot));
  // As in spawnSync, `input` replaces whatever stdin was.
  if (options.input !== undefined && options.input !== null) normalized[0] = 'pipe';
  return normalized;
}

/** An error like the ones spawnSync reports (`spawnSync /bin/sh ETIMEDOUT`, with errno/code/syscall/path). */
function spawnSyncError(code: string, file: string, spawnargs: string[]): NodeJS.ErrnoException {
  const errno = (constants.errno as Record<string, number | undefined>)[code];
  // A plain Error on purpose: the patched spawnSync reports what Node's own reports, field for field.
  const error = new Error(`spawnSync ${file} ${code}`) as NodeJS.ErrnoException & { spawnargs: string[] };
  if (errno !== undefined) error.errno = -errno;
  error.code = code;
  error.syscall = `spawnSync ${file}`;
  error.path = file;
  error.spawnargs = spawnargs;
  return error;
}

function inputBuffer(input: unknown, encoding: SyncOptions['encoding']): Buffer {
  if (typeof input === 'string') return Buffer.from(input, encoding && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const error = new TypeError(
    'The "options.stdio[0]" property must be of type string or an instance of Buffer, TypedArray, or DataView',
  ) as NodeJS.ErrnoException;
  error.code = 'ERR_INVALID_ARG_TYPE';
  throw error;
}

/**
 * spawnSync's work without blocking: spawns `file`, feeds `input`, collects the piped output, enforces `timeout`
 * and `maxBuffer`, and calls `done` with spawnSync's result. Returns a function that kills the child.
 */
function spawnCollecting(file: string, args: readonly string[], options: SyncOptions, done: (r: SpawnResult) => void) {
  const { input, encoding, maxBuffer = DEFAULT_MAX_BUFFER, timeout, killSignal = 'SIGTERM', ...spawnOptions } = options;
  const stdio = stdioSlots(options);
  const stdin = input === undefined || input === null ? null : inputBuffer(input, encoding);
  const child = childProcess.spawn(file, args, { ...spawnOptions, stdio: stdio as childProcess.StdioOptions });
  const chunks: Buffer[][] = stdio.map(() => []);
  const sizes = stdio.map(() => 0);
  let failure: Error | undefined;
  let finished = false;
  const spawnargs = () => child.spawnargs.slice(1);
  const stop = (code: string) => {
    failure ??= spawnSyncError(code, child.spawnfile, spawnargs());
    child.kill(killSignal);
  };
  const timer = timeout !== undefined && timeout > 0 ? setTimeout(() => stop('ETIMEDOUT'), timeout) : undefined;

  stdio.forEach((slot, i) => {
    const stream = child.stdio[i];
    if (i === 0 || slot !== 'pipe' || !stream) return;
    stream.on('data', (chunk: Buffer) => {
      chunks[i].push(chunk);
      sizes[i] += chunk.length;
      if (sizes[i] > maxBuffer) stop('ENOBUFS');
    });
  });
  if (child.stdin) {
    child.stdin.on('error', () => {}); // EPIPE from a child that does not read its input, as spawnSync ignores it
    child.stdin.end(stdin ?? undefined);
  }
  const finish = (result: SpawnResult) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(result);
  };
  child.on('error', (error: NodeJS.ErrnoException) => {
    if (child.pid !== undefined) return; // a failed kill of a running child: its 'close' still comes
    const spawnError = spawnSyncError(error.code ?? 'UNKNOWN', child.spawnfile, spawnargs());
    finish({
      error: spawnError,
      status: null,
      signal: null,
      output: null,
      pid: 0,
      stdout: NO_OUTPUT_STREAM as null,
      stderr: NO_OUTPUT_STREAM as null,
    });
  });
  child.on('close', (status, signal) => {
    const decode = encoding && encoding !== 'buffer';
    const output = stdio.map((slot, i) => {
      if (i === 0 || slot !== 'pipe') return null;
      const all = Buffer.concat(chunks[i]);
      return decode ? all.toString(encoding) : all;
    });
    const result: SpawnResult = {
      status: failure === undefined ? status : null,
      signal,
      output,
      pid: child.pid ?? 0,
      stdout: output[1] ?? null,
      stderr: output[2] ?? null,
    };
    if (failure !== undefined) result.error = failure;
    finish(result);
  });
  return () => {
    clearTimeout(timer);
    if (!finished) child.kill(killSignal);
  };
}

/** The `(file, args?, options?)` of spawnSync and execFileSync, normalized. */
function spawnArguments(args: unknown[]): [string, string[], SyncOptions] {
  const [file, second, third] = args;
  if (Array.isArray(second)) return [file as string, second, (third ?? {}) as SyncOptions];
  if (second !== null && typeof second === 'object') return [file as string, [], second as SyncOptions];
  return [file as string, [], (third ?? {}) as SyncOptions];
}

/** The error execSync and execFileSync throw for a failed run, as Node's checkExecSyncError builds it. */
function execSyncError(result: SpawnResult, command: string): Error | undefined {
  if (result.error) return Object.assign(result.error, result);
  if (result.status === 0) return undefined;
  let message = `Command failed: ${command}`;
  if (result.stderr && result.stderr.length > 0) message += `\n${result.stderr.toString()}`;
  return Object.assign(new Error(message), result); // a plain Error, as Node's own execSync throws
}

/** execSync and execFileSync: spawnSync, then stderr echoed unless stdio was given, then stdout or the error. */
function finishExec(options: SyncOptions, command: string, done: Done) {
  return (result: SpawnResult) => {
    if (!options.stdio && result.stderr && result.stderr.length > 0) process.stderr.write(result.stderr);
    const error = execSyncError(result, command);
    if (error !== undefined) done(error);
    else done(null, result.stdout);
  };
}

function validateCommand(command: unknown): asserts command is string {
  if (typeof command === 'string') return;
  const error = new TypeError(
    `The "command" argument must be of type string. Received ${command === null ? 'null' : typeof command}`,
  ) as NodeJS.ErrnoException;
  error.code = 'ERR_INVALID_ARG_TYPE';
  throw error;
}

const spawnSync: Counterpart = {
  module: 'childProcess',
  property: 'spawnSync',
  name: 'child_process.spawnSync',
  original: childProcess.spawnSync,
  handles: (args) => collectable(spawnArguments(args)[2]),
  start(args, done) {
    const [file, fileArgs, options] = spawnArguments(args);
    return spawnCollecting(file, fileArgs, options, (result) => done(null, result));
  },
};

const execSync: Counterpart = {
  module: 'childProcess',
  property: 'execSync',
  name: 'child_process.execSync',
  original: childProcess.execSync,
  handles: (args) => collectable(args[1] as SyncOptions | undefined),
  start(args, done) {
    const [command, given] = args as [unknown, SyncOptions | undefined];
    validateCommand(command);
    const options: SyncOptions = { ...given, shell: typeof given?.shell === 'string' ? given.shell : true };
    return spawnCollecting(command, [], options, finishExec(options, command, done));
  },
};

const execFileSync: Counterpart = {
  module: 'childProcess',
  property: 'execFileSync',
  name: 'child_process.execFileSync',
  original: childProcess.execFileSync,
  handles: (args) => collectable(spawnArguments(args)[2]),
  start(args, done) {
    const [file, fileArgs, options] = spawnArguments(args);
    const command = [options.argv0 || file, ...fileArgs].join(' ');
    return spawnCollecting(file, fileArgs, options, finishExec(options, command, done));
  },
};

/** The child_process rows. */
export const childProcessCounterparts: Counterpart[] = [spawnSync, execSync, execFileSync];

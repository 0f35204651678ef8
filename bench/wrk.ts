/**
 * What the HTTP benchmarks share: running wrk and reading its report, and starting server processes that print a
 * ready line. wrk comes from Debian (`apt-get install -y wrk`); {@link hasWrk} lets a benchmark say it is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface WrkResult {
  requests: number;
  perSecond: number;
  /** Latency percentiles in milliseconds (with `latency: true`), else NaN. */
  p50: number;
  p99: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  /** Responses with a status other than 2xx or 3xx. */
  non2xx: number;
}

export interface WrkOptions {
  connections: number;
  seconds: number;
  /** Adds `--latency` and fills in p50 and p99. */
  latency?: boolean;
  /** Pins wrk to this CPU (with taskset, when it works here). */
  cpu?: number;
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}

/** Whether processes can be pinned to CPUs 0 and 1 (two cores at least, and taskset present). */
export const canPin = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** `command`, run on `cpu` when pinning works. */
export function pinned(cpu: number | undefined, command: string[]): string[] {
  return cpu !== undefined && canPin ? ['taskset', '-c', String(cpu), ...command] : command;
}

function millis(text: string | undefined): number {
  const match = text === undefined ? null : /^([\d.]+)(us|ms|s)$/.exec(text);
  if (match === null) return NaN;
  return Number(match[1]) * { us: 1e-3, ms: 1, s: 1e3 }[match[2] as 'us' | 'ms' | 's'];
}

export function parseWrk(out: string): WrkResult {
  const number = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: number(/(\d+) requests in/),
    perSecond: number(/Requests\/sec:\s+([\d.]+)/),
    p50: millis(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
    p99: millis(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    connectErrors: Number(errors?.[1] ?? 0),
    readErrors: Number(errors?.[2] ?? 0),
    writeErrors: Number(errors?.[3] ?? 0),
    timeouts: Number(errors?.[4] ?? 0),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
  };
}

/** Socket errors and non-2xx/3xx responses of a run: what a correct server under this load never has. */
export function failures(r: WrkResult): number {
  return r.connectErrors + r.readErrors + r.writeErrors + r.timeouts + r.non2xx;
}

/** Runs wrk -t1 against `port` on loopback; its parsed report. */
export function wrk(port: number, options: WrkOptions): Promise<WrkResult> {
  const args = ['wrk', '-t1', `-c${options.connections}`, `-d${options.seconds}s`, ...(options.latency ? ['--latency'] : []), `http://127.0.0.1:${port}/`];
  const [cmd, ...rest] = pinned(options.cpu, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(parseWrk(out)) : reject(new Error(`wrk exited with ${code}: ${out}`))));
  });
}

export interface StartedServer {
  child: ChildProcess;
  /** The port, from group 1 of the ready pattern. */
  port: number;
  /** Everything the server printed so far (stdout and stderr). */
  output: () => string;
}

/** Starts a server process and resolves once its output (on `stream`) matches `ready`, whose group 1 is the port. */
export function startServer(command: string[], ready: RegExp, stream: 'stdout' | 'stderr' = 'stdout', env: NodeJS.ProcessEnv = process.env): Promise<StartedServer> {
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  let text = '';
  const output = () => text;
  child.stderr!.on('data', (d) => (text += d));
  child.stdout!.on('data', (d) => (text += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command.join(' ')} did not start:\n${text}`)), 20000);
    child[stream]!.on('data', () => {
      const match = ready.exec(text);
      if (match === null) return;
      clearTimeout(timer);
      resolve({ child, port: Number(match[1]), output });
    });
    child.on('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}:\n${text}`)));
  });
}

/** SIGTERM, and the exit code once it exited. */
export function stopServer(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU time (user + system) a process has used so far, in seconds, from /proc: CPU per request stays meaningful
 * when other work shares the machine, which requests per second do not.
 */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // Counting from the state (field 3 of stat(5)), utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

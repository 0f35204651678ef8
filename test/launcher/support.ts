/**
 * Helpers of the launcher suites: a fixture app written to a scratch directory, `verdant serve` started as a
 * real process on a free port (port 0: the controller binds once and prints the port), its log lines awaited,
 * and a load generator of Node http clients (keep-alive ones and fresh-connection ones) that records every
 * failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root (dist/test/launcher is three levels below it). */
export const root = path.join(__dirname, '..', '..', '..');
const VERDANT = path.join(root, 'bin', 'verdant.js');
const LIB = path.join(root, 'dist', 'lib', 'index.js');

export function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-launcher-'));
}

/**
 * The fixture app's source, version `version`: `/` answers `{ pid, version }`; `/slow?ms=N` sleeps (a green
 * sleep) first; `/spin?ms=N` keeps the CPU busy first; `/tpool` tells the tpool size and UV_THREADPOOL_SIZE.
 */
export function appSource(version: number, topLevel = ''): string {
  return `'use strict';
const { sleep, tpool } = require(${JSON.stringify(LIB)});
const VERSION = ${version};
${topLevel}
module.exports = (req) => {
  const url = new URL(req.url);
  const ms = Number(url.searchParams.get('ms') ?? 0);
  if (url.pathname === '/slow') sleep(ms / 1000);
  if (url.pathname === '/spin') { const end = Date.now() + ms; while (Date.now() < end); }
  const body = url.pathname === '/tpool'
    ? { size: tpool.stats().size, uv: process.env.UV_THREADPOOL_SIZE }
    : { pid: process.pid, version: VERSION };
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
};
`;
}

/** Writes `source` to `file` atomically (a rename), as editors and deploy tools do. */
export function writeApp(file: string, source: string): void {
  fs.writeFileSync(`${file}.tmp`, source);
  fs.renameSync(`${file}.tmp`, file);
}

/** A running `verdant serve`. */
export class Serve {
  readonly child: ChildProcess;
  port = 0;
  /** The status socket's port, when started with --status-listen. */
  statusPort = 0;
  #stderr = '';
  #stdout = '';
  #waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /**
   * `activation` starts it as systemd's socket activation would: `fd` becomes its fd 3, and LISTEN_PID (its own
   * pid, through a shell that execs it) and LISTEN_FDS (`count`, default 1) say so.
   */
  constructor(args: string[], options: { cwd?: string; activation?: { fd: number; count?: number } } = {}) {
    const command = [process.execPath, VERDANT, 'serve', ...args];
    const activation = options.activation;
    this.child = activation === undefined
      ? spawn(command[0], command.slice(1), { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('/bin/sh', ['-c', `export LISTEN_PID=$$ LISTEN_FDS=${activation.count ?? 1}; exec "$@"`, 'sh', ...command], {
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe', activation.fd],
      });
    const changed = () => {
      const waiters = this.#waiters;
      this.#waiters = [];
      waiters.forEach((w) => w());
    };
    this.child.stderr!.on('data', (d) => {
      this.#stderr += String(d);
      if (process.env.VERDANT_TEST_VERBOSE) process.stderr.write(String(d));
      changed();
    });
    this.child.stdout!.on('data', (d) => {
      this.#stdout += String(d);
      changed();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      resolve({ code, signal });
      changed();
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get stdout(): string {
    return this.#stdout;
  }

  /** Waits until the controller's stderr matches `pattern` (from `after` on); the match. */
  async waitFor(pattern: RegExp, timeout = 15000, after = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const match = this.#stderr.slice(after).match(pattern);
      if (match !== null) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`verdant serve exited before printing ${pattern}; it said:\n${this.#stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`verdant serve did not print ${pattern} within ${timeout} ms; it said:\n${this.#stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the listening line and the first generation's readiness; sets {@link Serve.port}. */
  async ready(timeout = 15000): Promise<this> {
    const match = await this.waitFor(/listening on https?:\/\/[^\s]+:(\d+) /, timeout);
    this.port = Number(match[1]);
    await this.waitFor(/generation 1 ready/, timeout);
    // Printed before any worker starts, so it is there by now.
    const status = /status on http:\/\/[^\s]+:(\d+)\//.exec(this.#stderr);
    if (status !== null) this.statusPort = Number(status[1]);
    return this;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** Kills it (and so, through the IPC channel closing, its workers) if a test left it running. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** One GET; rejects on any error. */
export function get(port: number, pathname: string, options: { agent?: http.Agent | false; timeout?: number } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const agent = options.agent ?? false;
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent, headers: agent === false ? { connection: 'close' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeout ?? 10000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** What a load run saw. */
export interface LoadResult {
  /** Requests answered 200. */
  ok: number;
  /** Requests answered with another status. */
  non2xx: number;
  /** Connections refused (ECONNREFUSED). */
  refused: number;
  /** Every other failure: resets, hang-ups, timeouts, with their messages. */
  errors: string[];
  /** Versions answered, per client, in order. */
  versions: number[][];
  /** Worker pids that answered. */
  pids: Set<number>;
}

/**
 * Runs `keepAlive` clients on keep-alive connections (an agent with one socket each) and `fresh` clients that
 * open a new connection per request, each sending GETs of `pathname` back to back until stopped.
 */
export function startLoad(port: number, options: { keepAlive: number; fresh: number; pathname?: string }): { stop(): Promise<LoadResult>; result: LoadResult } {
  const result: LoadResult = { ok: 0, non2xx: 0, refused: 0, errors: [], versions: [], pids: new Set() };
  let running = true;
  const client = async (agent: http.Agent | false, index: number) => {
    const versions: number[] = (result.versions[index] = []);
    while (running) {
      try {
        const res = await get(port, options.pathname ?? '/', { agent });
        if (res.status !== 200) {
          result.non2xx++;
          continue;
        }
        const body = JSON.parse(res.body) as { pid: number; version: number };
        result.ok++;
        versions.push(body.version);
        result.pids.add(body.pid);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED') result.refused++;
        else result.errors.push(`${code ?? ''} ${(error as Error).message}`);
      }
    }
    if (agent !== false) agent.destroy();
  };
  const clients: Promise<void>[] = [];
  for (let i = 0; i < options.keepAlive; i++) clients.push(client(new http.Agent({ keepAlive: true, maxSockets: 1 }), clients.length));
  for (let i = 0; i < options.fresh; i++) clients.push(client(false, clients.length));
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(clients);
      return result;
    },
  };
}

export const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `verdant serve` with `args` to its end; its exit code and output (for command-line errors). */
export function runToEnd(args: string[], timeout = 15000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const serve = new Serve(args);
  const timer = setTimeout(() => serve.kill(), timeout);
  return serve.exited.then(({ code }) => {
    clearTimeout(timer);
    return { code, stdout: serve.stdout, stderr: serve.stderr };
  });
}

/** A test's scratch directory with the fixture app (version 1) in it, and the servers it started. */
export interface ScratchApp {
  dir: string;
  /** The app file, `dir`/app.js. */
  app: string;
  /** Starts `verdant serve args` in `dir`; it is killed after the test. */
  serve(args: string[], options?: { activation?: { fd: number; count?: number } }): Serve;
}

/** Registers the hooks that give every test of the calling `describe` a fresh {@link ScratchApp}. */
export function useScratchApp(): ScratchApp {
  const running: Serve[] = [];
  const scratch: ScratchApp = {
    dir: '',
    app: '',
    serve(args, options = {}) {
      const s = new Serve(args, { cwd: scratch.dir, ...options });
      running.push(s);
      return s;
    },
  };
  beforeEach(() => {
    scratch.dir = scratchDir();
    scratch.app = path.join(scratch.dir, 'app.js');
    writeApp(scratch.app, appSource(1));
  });
  afterEach(() => {
    running.splice(0).forEach((s) => s.kill());
    fs.rmSync(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}

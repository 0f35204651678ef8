/**
 * The controller of `verdant serve`: binds the listening socket once, keeps `processes` workers serving on it,
 * and replaces them (on SIGHUP, on a file change with `--reload`, past a recycling limit, or when one dies)
 * without ever closing the socket, so that no connection is refused and no request lost.
 *
 * # Why child_process and an inherited fd, not cluster
 * Node's `cluster` either accepts every connection in the primary and passes it over IPC (round-robin: an extra
 * hop, and the primary a bottleneck), or shares the listening handle with a `net.Server` in each worker. Our
 * workers accept on a raw fd with green sockets, not with libuv's `net`, so neither fits. Instead the controller
 * binds with a GreenSocket it never accepts on, and passes the fd to each worker as fd 3 (`stdio`); every worker
 * accepts from the same kernel queue. The controller holds the socket for its whole life: connections that
 * arrive while workers come and go wait in the backlog until one accepts them. The workers take turns through a
 * load table the controller passes as fd 4 (./balance.ts, lib/net/accept-balance.ts), so that connections spread
 * evenly over them rather than landing on whichever runs.
 *
 * # Replacing workers
 * The controller reconciles toward `processes` workers of the current generation that are not retiring.
 * Missing ones are started; each one that becomes ready lets one outdated (older generation) or retiring
 * worker go: it is told to `stop`, drains (in-flight requests finish; idle keep-alive connections may send one
 * last request, answered with `Connection: close`) and exits. So serving capacity never drops during a
 * reload, and if the new code fails to load, the old workers keep serving while the new ones are retried.
 *
 * A worker that dies young (before it is ready, or within 5 s of it) delays the next start: 0, then 0.5 s
 * doubling up to 30 s. A reload starts the count again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { formatAddress, type SocketAddress } from '../net/address';
import { listen } from '../net/convenience';
import type { GreenSocket } from '../net/socket';
import { activatedSocket } from './activation';
import { WorkerSlots } from './balance';
import { type StatusServer, startStatusServer } from './status-server';
import { ListenError } from './errors';
import type { ServeConfig } from './options';
import { removePidFile, writePidFile } from './pidfile';
import {
  EXIT_START_FAILED,
  WORKER_CONFIG_ENV,
  isMessage,
  type ControllerMessage,
  type WorkerConfig,
  type WorkerMessage,
  type WorkerStats,
} from './protocol';
import { RestartBackoff, recycleReason } from './recycle';
import { buildStatus, type StatusDocument, type WorkerView } from './status';
import { watchTree, type TreeWatch } from './watch';

/** Seconds past the graceful timeout before a stopping worker that has not exited is killed. */
const DEADMAN_MARGIN = 2;
/** Seconds between a worker's stats messages. */
const STATS_INTERVAL = 1;
const WORKER_MAIN = path.join(__dirname, 'worker-main.js');

interface Worker extends WorkerView {
  readonly child: ChildProcess;
  state: WorkerView['state'];
  readyAt: number | null;
  stats: WorkerStats;
  retiring: string | null;
  /** The error it reported before exiting, when the app could not be loaded. */
  failure: string | null;
  deadman: NodeJS.Timeout | null;
  /** Its slot in the accept balance table, or null when it accepts unbalanced. */
  slot: number | null;
}

/** Options of {@link Controller} besides the command line's. */
export interface ControllerOptions {
  /** Where the controller's lines go. Default: stderr. */
  log?: (line: string) => void;
}

/** The `verdant serve` controller process; {@link Controller.run} until it stops. */
export class Controller {
  readonly #config: ServeConfig;
  readonly #log: (line: string) => void;
  readonly #workers = new Map<number, Worker>();
  readonly #backoff = new RestartBackoff();
  readonly #startedAt = performance.now();
  #listener: GreenSocket | null = null;
  #slots: WorkerSlots | null = null;
  #statusServer: StatusServer | null = null;
  #generation = 1;
  /** The generation whose "ready" line was printed. */
  #announced = 0;
  /** No worker starts before this time (performance.now()), while workers die young. */
  #holdUntil = 0;
  #holdTimer: NodeJS.Timeout | null = null;
  #watch: TreeWatch | null = null;
  #shuttingDown = false;
  #lastFailure: string | null = null;
  #finished: ((code: number) => void) | null = null;
  readonly #signalHandlers: [NodeJS.Signals, () => void][] = [];

  constructor(config: ServeConfig, options: ControllerOptions = {}) {
    this.#config = config;
    this.#log = options.log ?? ((line) => process.stderr.write(`verdant serve: ${line}\n`));
  }

  /** Where the socket listens (after {@link Controller.run} started). */
  get address(): SocketAddress | null {
    return this.#listener?.getSockName() ?? null;
  }

  /**
   * Binds, writes the pid file, starts the workers and serves until SIGTERM or SIGINT; resolves with the exit
   * code (0 after a graceful stop, 1 when a second signal forced it).
   *
   * # Errors
   * Rejects with {@link ListenError} (the host does not resolve, the port is taken) or {@link PidFileError}
   * before anything starts.
   */
  async run(): Promise<number> {
    const { host, port } = this.#config;
    this.#listener = activatedSocket();
    const activated = this.#listener !== null;
    if (this.#listener === null) {
      try {
        // Resolved here, with Node's own lookup: the controller runs on the main stack, where a green lookup
        // cannot wait.
        const address = isIP(host) !== 0 ? host : (await lookup(host)).address;
        this.#listener = listen({ host: address, port }, { backlog: 1024 });
      } catch (error) {
        throw new ListenError(host, port, error);
      }
    }
    try {
      if (this.#config.statusListen !== null) {
        this.#statusServer = await startStatusServer(this.#config.statusListen, this.#config.statusPath, () => this.status());
      }
      if (this.#config.pidFile !== null) writePidFile(this.#config.pidFile);
    } catch (error) {
      this.#listener.close();
      this.#statusServer?.close();
      throw error;
    }
    try {
      this.#slots = WorkerSlots.create(this.#config.processes);
    } catch (error) {
      // Balancing only spreads connections more evenly; without it the workers still serve.
      this.#log(`cannot set up accept balancing (${error instanceof Error ? error.message : String(error)}); workers accept unbalanced`);
    }
    const done = new Promise<number>((resolve) => (this.#finished = resolve));
    this.#on('SIGHUP', () => this.reload('SIGHUP'));
    this.#on('SIGTERM', () => this.shutdown('SIGTERM'));
    this.#on('SIGINT', () => this.shutdown('SIGINT'));
    if (this.#config.reload) {
      const ignore = [this.#config.accessLog, this.#config.pidFile].filter((f): f is string => f !== null && f !== '-');
      this.#watch = watchTree(path.dirname(this.#config.app), () => this.reload('a file changed'), { ignore });
    }
    const where = this.#listener.getSockName();
    const scheme = this.#config.tls === null ? 'http' : 'https';
    const url = 'path' in where ? `${scheme}+unix:${formatAddress(where)}` : `${scheme}://${formatAddress(where)}`;
    this.#log(
      `listening on ${url}${activated ? ' (socket activation)' : ''} ` +
        `(controller pid ${process.pid}, ${this.#config.processes} worker${this.#config.processes === 1 ? '' : 's'})`,
    );
    if (this.#statusServer !== null) this.#log(`status on ${this.#statusServer.url}`);
    this.#reconcile();
    return await done;
  }

  /** Starts a new generation of workers with freshly loaded code; the old ones drain once the new are ready. */
  reload(why: string): void {
    if (this.#shuttingDown) return;
    this.#generation++;
    this.#backoff.reset();
    this.#holdUntil = 0;
    this.#log(`${why}: reloading, starting generation ${this.#generation}`);
    this.#reconcile();
  }

  /** Stops every worker gracefully, then closes the socket and removes the pid file. A second call forces. */
  shutdown(why: string): void {
    if (this.#shuttingDown) {
      this.#log(`${why} again: killing ${this.#workers.size} worker(s) now`);
      for (const w of this.#workers.values()) w.child.kill('SIGKILL');
      this.#finish(1);
      return;
    }
    this.#shuttingDown = true;
    this.#watch?.close();
    if (this.#holdTimer !== null) clearTimeout(this.#holdTimer);
    this.#log(`${why}: stopping ${this.#workers.size} worker(s)`);
    for (const w of this.#workers.values()) if (w.state !== 'stopping') this.#stop(w, 'shutdown');
    // The workers close their copies of the listening socket as they stop accepting; once ours is closed too, the
    // port stops listening then, and a new connection is refused at once (a client or a load balancer tries
    // elsewhere) instead of waiting in a backlog nobody accepts from, to be reset when the last worker exits.
    this.#listener?.close();
    if (this.#workers.size === 0) this.#finish(0);
  }

  /** The status document, as the status socket answers it. */
  status(): StatusDocument {
    const views = [...this.#workers.values()].map((w) => ({
      ...w,
      retiring: w.retiring ?? (w.generation < this.#generation ? 'reload' : null),
    }));
    const { processes } = this.#config;
    return buildStatus({ pid: process.pid, startedAt: this.#startedAt, generation: this.#generation, processes }, views);
  }

  #on(signal: NodeJS.Signals, handler: () => void): void {
    process.on(signal, handler);
    this.#signalHandlers.push([signal, handler]);
  }

  #finish(code: number): void {
    if (this.#finished === null) return;
    const finished = this.#finished;
    this.#finished = null;
    for (const [signal, handler] of this.#signalHandlers) process.off(signal, handler);
    this.#listener?.close();
    this.#statusServer?.close();
    this.#slots?.close();
    if (this.#config.pidFile !== null) removePidFile(this.#config.pidFile);
    this.#log(code === 0 ? 'stopped' : 'stopped by force');
    finished(code);
  }

  #spawn(): void {
    const c = this.#config;
    const config: WorkerConfig = {
      app: c.app,
      generation: this.#generation,
      concurrency: c.concurrency,
      accessLog: c.accessLog,
      livePath: c.livePath,
      readyPath: c.readyPath,
      tls: c.tls,
      gracefulTimeout: c.gracefulTimeout,
      maxRequests: c.maxRequests,
      statsInterval: STATS_INTERVAL,
      balance: null,
    };
    const slot = this.#slots?.take() ?? null;
    if (slot !== null) config.balance = { slots: this.#slots!.slots, slot };
    const env: NodeJS.ProcessEnv = { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(config) };
    if (c.threads !== null) {
      // Both pools behind tpool.execute: worker threads for JS tasks, libuv's threadpool for Node's *Sync twins.
      env.VERDANT_TPOOL_SIZE = String(c.threads);
      env.UV_THREADPOOL_SIZE = String(c.threads);
    }
    // The worker's fd 3 is the listening socket, fd 4 the balance table (or nothing); fd 5 the IPC channel.
    // --inspect would clash on its port.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect'));
    const child = spawn(process.execPath, [...execArgv, WORKER_MAIN], {
      stdio: ['ignore', 'inherit', 'inherit', this.#listener!.fileno(), slot === null ? 'ignore' : this.#slots!.fd, 'ipc'],
      env,
    });
    if (child.pid === undefined) {
      if (slot !== null) this.#slots!.release(slot);
      // fork failed (EAGAIN, ENOMEM): its 'error' event says why; count it as a worker that died young.
      child.once('error', (error) => {
        this.#log(`could not start a worker: ${error.message}`);
        this.#heldBack(this.#backoff.exited(null));
        this.#reconcile();
      });
      return;
    }
    const w: Worker = {
      child,
      pid: child.pid,
      generation: this.#generation,
      startedAt: performance.now(),
      state: 'starting',
      readyAt: null,
      stats: { requests: 0, rss: 0, connections: 0 },
      retiring: null,
      failure: null,
      deadman: null,
      slot,
    };
    this.#workers.set(w.pid, w);
    child.on('message', (message: unknown) => {
      if (isMessage<WorkerMessage>(message)) this.#onMessage(w, message);
    });
    child.on('error', () => {}); // a send to a worker that is exiting; its 'exit' follows
    child.once('exit', (code, signal) => this.#onExit(w, code, signal));
  }

  #onMessage(w: Worker, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        if (w.state !== 'starting') return;
        w.state = 'ready';
        w.readyAt = performance.now();
        this.#log(`worker ${w.pid} ready (generation ${w.generation})`);
        this.#reconcile();
        return;
      case 'stats':
        w.stats = { requests: message.requests, rss: message.rss, connections: message.connections };
        this.#checkRecycling();
        return;
      case 'failed':
        w.failure = message.error;
        return;
    }
  }

  #onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(w.pid);
    if (w.deadman !== null) clearTimeout(w.deadman);
    if (w.slot !== null) this.#slots?.release(w.slot);
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    if (this.#shuttingDown) {
      if (this.#workers.size === 0) this.#finish(0);
      return;
    }
    if (w.state === 'stopping') {
      this.#log(`worker ${w.pid} (generation ${w.generation}) exited (${how})`);
      this.#reconcile();
      return;
    }
    const readyFor = w.readyAt === null ? null : (performance.now() - w.readyAt) / 1000;
    const delay = this.#backoff.exited(readyFor);
    if (w.failure !== null || code === EXIT_START_FAILED) {
      const failure = w.failure ?? 'no error reported';
      const same = failure === this.#lastFailure;
      this.#lastFailure = failure;
      this.#log(`worker ${w.pid} (generation ${w.generation}) could not start${same ? ' (the same error again)' : `:\n${failure}`}`);
    } else {
      this.#log(`worker ${w.pid} (generation ${w.generation}) exited unexpectedly (${how})`);
    }
    const serving = [...this.#workers.values()].filter((o) => o.state === 'ready');
    const keeps = serving.length > 0 ? `; ${serving.length} worker(s) keep serving` : '';
    this.#log(`starting a replacement ${delay > 0 ? `in ${delay} s` : 'now'}${keeps}`);
    this.#heldBack(delay);
    this.#reconcile();
  }

  /** Holds new starts back for `delay` seconds (the reconcile that follows starts them when it ends). */
  #heldBack(delay: number): void {
    if (delay <= 0) return;
    this.#holdUntil = Math.max(this.#holdUntil, performance.now() + delay * 1000);
  }

  /** Starts the workers missing from the current generation, and lets one old worker go per ready new one. */
  #reconcile(): void {
    if (this.#shuttingDown) return;
    const { processes } = this.#config;
    const all = [...this.#workers.values()];
    const fresh = all.filter((w) => w.generation === this.#generation && w.retiring === null && w.state !== 'stopping');
    const missing = processes - fresh.length;
    if (missing > 0) {
      const wait = this.#holdUntil - performance.now();
      if (wait > 0) {
        if (this.#holdTimer === null) {
          this.#holdTimer = setTimeout(() => {
            this.#holdTimer = null;
            this.#reconcile();
          }, wait);
        }
      } else {
        for (let i = 0; i < missing; i++) this.#spawn();
      }
    }
    const readyFresh = fresh.filter((w) => w.state === 'ready').length;
    const leaving = all.filter((w) => w.state !== 'stopping' && (w.generation < this.#generation || w.retiring !== null));
    // Workers of an old generation that are still loading serve nobody yet: stop them at once.
    for (const w of leaving) if (w.state === 'starting') this.#stop(w, 'reload');
    const oldReady = leaving
      .filter((w) => w.state === 'ready')
      .sort((a, b) => a.generation - b.generation || a.startedAt - b.startedAt);
    let excess = readyFresh + oldReady.length - processes;
    for (const w of oldReady) {
      if (excess-- <= 0) break;
      this.#stop(w, w.retiring ?? 'reload');
    }
    if (readyFresh === processes && this.#announced < this.#generation) {
      this.#announced = this.#generation;
      this.#log(`generation ${this.#generation} ready (${processes} worker${processes === 1 ? '' : 's'})`);
    }
  }

  /** Marks the first worker past a recycling limit as retiring (one at a time, so capacity never dips). */
  #checkRecycling(): void {
    if (this.#shuttingDown) return;
    const all = [...this.#workers.values()];
    if (all.some((w) => w.retiring !== null && w.state !== 'stopping')) return;
    const now = performance.now();
    for (const w of all) {
      if (w.state !== 'ready' || w.generation !== this.#generation || w.readyAt === null) continue;
      const reason = recycleReason(this.#config, { requests: w.stats.requests, rss: w.stats.rss, age: (now - w.readyAt) / 1000 });
      if (reason === null) continue;
      w.retiring = reason;
      this.#log(`worker ${w.pid} reached ${reason}: starting its replacement`);
      this.#reconcile();
      return;
    }
  }

  #stop(w: Worker, reason: string): void {
    w.state = 'stopping';
    if (reason !== 'shutdown') this.#log(`stopping worker ${w.pid} (generation ${w.generation}, ${reason})`);
    this.#send(w, { type: 'stop' });
    w.deadman = setTimeout(() => {
      this.#log(`worker ${w.pid} did not exit within --graceful-timeout: killing it`);
      w.child.kill('SIGKILL');
    }, (this.#config.gracefulTimeout + DEADMAN_MARGIN) * 1000);
  }

  #send(w: Worker, message: ControllerMessage): void {
    if (!w.child.connected) {
      if (message.type === 'stop') w.child.kill('SIGTERM');
      return;
    }
    // A worker whose channel closes under us (it is exiting) still gets SIGTERM: it means stop too.
    w.child.send(message, (error) => {
      if (error !== null && message.type === 'stop') w.child.kill('SIGTERM');
    });
  }
}

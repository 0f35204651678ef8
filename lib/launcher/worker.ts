/**
 * A worker process of `verdant serve`: loads the app, serves it with the green HTTP server on the listening
 * socket it inherited as fd 3 (taking turns with the other workers through the table at fd 4), reports to the controller over the IPC channel, and drains and exits when told
 * to stop (or when the controller goes away).
 *
 * Signals: SIGINT and SIGHUP are ignored (a terminal sends them to the whole process group; the controller
 * decides what they mean and tells each worker); SIGTERM stops this worker gracefully, as a `stop` message does.
 */
import * as fs from 'node:fs';
import type { AccessLogOption, Handler, RequestInfo } from '../http/server';
import { serve } from '../http/server';
import { AcceptBalance, LoadTable } from '../net/accept-balance';
import { GreenSocket } from '../net/socket';
import { wait } from '../runtime/promise';
import { run } from '../runtime/run';
import { Event } from '../sync/event';
import { loadApp } from './app';
import { BALANCE_FD } from './balance';
import { UsageError } from './errors';
import {
  EXIT_START_FAILED,
  LISTEN_FD,
  WORKER_CONFIG_ENV,
  isMessage,
  type ControllerMessage,
  type WorkerConfig,
  type WorkerMessage,
  type WorkerStats,
} from './protocol';

/**
 * Seconds a keep-alive connection may stay idle; also the grace a draining worker gives idle connections to
 * send one last request, so that a reload closes no idle connection sooner than the server would have anyway.
 */
const KEEP_ALIVE_TIMEOUT = 5;

function send(message: WorkerMessage, then?: () => void): void {
  if (process.send === undefined || !process.connected) {
    then?.();
    return;
  }
  try {
    process.send(message, undefined, undefined, () => then?.());
  } catch {
    then?.(); // the channel closed under us: the controller is gone
  }
}

function readConfig(): WorkerConfig {
  const text = process.env[WORKER_CONFIG_ENV];
  if (text === undefined) throw new UsageError(`verdant serve worker: started without ${WORKER_CONFIG_ENV}; run it through verdant serve`);
  delete process.env[WORKER_CONFIG_ENV];
  return JSON.parse(text) as WorkerConfig;
}

/** The access log option for http.serve, and how to flush it before exiting. */
function openAccessLog(target: string | null): { option: AccessLogOption | undefined; close(): void } {
  if (target === null) return { option: undefined, close() {} };
  if (target === '-') return { option: { format: 'combined', stream: process.stdout }, close() {} };
  // Opened here, synchronously, so that a bad path fails the start with its error. Each process appends
  // (O_APPEND): a buffered batch of lines goes out in one write, never interleaved with another worker's.
  const stream = fs.createWriteStream('', { fd: fs.openSync(target, 'a') });
  return {
    option: { format: 'combined', stream },
    close() {
      wait(new Promise<void>((resolve) => stream.end(resolve)));
    },
  };
}

/** Runs this process as a worker; the entry point is ./worker-main.ts. */
export function runWorker(): void {
  const config = readConfig();
  process.title = `verdant serve worker (generation ${config.generation})`;
  process.argv = [process.argv[0], config.app];
  const stopRequested = new Event<void>();
  const requestStop = () => {
    if (!stopRequested.ready()) stopRequested.send();
  };
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', requestStop);
  process.on('disconnect', requestStop);
  process.on('message', (message: unknown) => {
    if (!isMessage<ControllerMessage>(message)) return;
    if (message.type === 'stop') requestStop();
  });
  run(() => serveApp(config, stopRequested));
}

function serveApp(config: WorkerConfig, stopRequested: Event<void>): void {
  let requests = 0;
  let server: ReturnType<typeof serve> | null = null;
  const stats = (): WorkerStats => ({ requests, rss: process.memoryUsage.rss(), connections: server?.connections ?? 0 });
  const sendStats = () => send({ type: 'stats', ...stats() });

  let accessLog: ReturnType<typeof openAccessLog>;
  let handler: Handler;
  try {
    const app = loadApp(config.app);
    const counted: Handler = (request, info) => {
      requests++;
      if (requests === config.maxRequests) sendStats();
      return app(request, info);
    };
    handler = answeringProbes(counted, config, () => stopRequested.ready());
    accessLog = openAccessLog(config.accessLog);
    const tls = config.tls === null ? undefined : { cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key) };
    server = serve(handler, {
      sock: GreenSocket.fromFd(LISTEN_FD),
      balance: openBalance(config),
      concurrency: config.concurrency,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT,
      tls,
      accessLog: accessLog.option,
    });
  } catch (error) {
    // The controller reports it (once per distinct error, however many workers hit it); alone, say it here.
    const text = error instanceof Error ? error.message : String(error);
    if (process.send === undefined) process.stderr.write(`${text}\n`);
    send({ type: 'failed', error: text }, () => process.exit(EXIT_START_FAILED));
    return;
  }
  send({ type: 'ready' });
  const ticker = setInterval(sendStats, config.statsInterval * 1000);
  stopRequested.wait();
  clearInterval(ticker);
  server.stop({ timeout: config.gracefulTimeout, idleTimeout: Math.min(KEEP_ALIVE_TIMEOUT, config.gracefulTimeout) });
  accessLog.close();
  process.exit(0);
}

/** This worker's side of the accept balance table the controller passed as fd 4, if it did. */
function openBalance(config: WorkerConfig): AcceptBalance | undefined {
  if (config.balance === null) return undefined;
  const table = LoadTable.open(BALANCE_FD, config.balance.slots);
  fs.closeSync(BALANCE_FD); // the mapping stays
  return new AcceptBalance(table, config.balance.slot);
}

/**
 * Wraps `app` so that the probe paths are answered here and never reach the app: `livePath` with 200 (this
 * worker runs and its green threads are scheduled), `readyPath` with 200, or 503 once the worker is stopping (a
 * connection kept alive past the stop learns it should go elsewhere).
 */
function answeringProbes(app: Handler, paths: { livePath: string | null; readyPath: string | null }, stopping: () => boolean): Handler {
  const { livePath, readyPath } = paths;
  if (livePath === null && readyPath === null) return app;
  return (request: Request, info: RequestInfo) => {
    // The cheap test first: most URLs contain neither path.
    const url = request.url;
    if (!(livePath !== null && url.includes(livePath)) && !(readyPath !== null && url.includes(readyPath))) return app(request, info);
    const pathname = new URL(url).pathname;
    if (pathname !== livePath && pathname !== readyPath) return app(request, info);
    const ready = pathname === livePath || !stopping();
    return new Response(`${JSON.stringify({ status: ready ? 'ok' : 'stopping', pid: process.pid })}\n`, {
      status: ready ? 200 : 503,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  };
}

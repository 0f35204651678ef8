/**
 * The command line of `verdant serve`: flags to a checked {@link ServeConfig}. Every mistake is a
 * {@link UsageError} naming the flag and the value, found before anything is bound or started.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from './errors';

/** Everything `verdant serve` was told, checked, with defaults filled in and paths made absolute. */
export interface ServeConfig {
  /** The application module (absolute path). */
  app: string;
  /** Port to listen on; 0 picks a free one (printed at start). Default 8080. */
  port: number;
  /** Address to listen on. Default '0.0.0.0'. */
  host: string;
  /** Worker processes. Default: the number of CPUs (`os.availableParallelism()`). */
  processes: number;
  /** Connections each worker serves at once. Default 1000. */
  concurrency: number;
  /** Size of each worker's tpool (worker threads and libuv threadpool); null: their defaults. */
  threads: number | null;
  /** Access log: '-' for stdout, or a file (absolute) appended to; null: none. */
  accessLog: string | null;
  /** File the controller writes its pid to, and removes at exit; null: none. */
  pidFile: string | null;
  /**
   * Where the controller serves the status JSON, on a socket of its own (never the app's): null for nowhere. The
   * host is 127.0.0.1 unless given, so that pids, memory and request counts stay on the machine.
   */
  statusListen: { host: string; port: number } | null;
  /** The path of the status JSON on that socket. Default /status. */
  statusPath: string;
  /** Answered 200 by any worker that is running (a liveness probe). */
  livePath: string | null;
  /** Answered 200 by a worker taking requests, 503 by one that is stopping (a readiness probe). */
  readyPath: string | null;
  /** Recycle a worker after this many requests; null: never. */
  maxRequests: number | null;
  /** Recycle a worker after this many seconds; null: never. */
  maxAge: number | null;
  /** Recycle a worker whose RSS grows past this many MB; null: never. */
  maxMemory: number | null;
  /** Seconds a stopping worker gets to finish its requests before it is killed. Default 30. */
  gracefulTimeout: number;
  /** Watch the app's directory and reload on changes (development). */
  reload: boolean;
  /** HTTPS: certificate and key files (absolute), or null for plain HTTP. */
  tls: { cert: string; key: string } | null;
}

/** What {@link parseServeArgs} found: a configuration to serve, or a request for the usage text. */
export type ParsedServeArgs = { help: true } | { help: false; config: ServeConfig };

export const SERVE_USAGE = `usage: verdant serve <app.js> [flags]

  Serves the app (module.exports = (req, info) => Response, export default, or an object with a
  fetch method) with worker processes sharing one listening socket.

  --port N               port (default 8080; 0: any free port)
  --host ADDR            address (default 0.0.0.0)
  --processes N          worker processes (default: CPUs)
  --concurrency N        connections per worker at once (default 1000)
  --threads N            tpool size of each worker
  --access-log FILE|-    access log to a file, or to stdout with -
  --pid-file FILE        write the controller's pid there
  --status-listen [HOST:]PORT
                         serve the status JSON on its own socket (HOST default 127.0.0.1)
  --status-path PATH     its path there (default /status)
  --live-path PATH       answer PATH with 200 from any running worker (a liveness probe, e.g. /livez)
  --ready-path PATH      answer PATH with 200, or 503 from a stopping worker (a readiness probe, e.g. /readyz)
  --max-requests N       recycle a worker after N requests
  --max-age SECONDS      recycle a worker after SECONDS
  --max-memory MB        recycle a worker whose RSS exceeds MB
  --graceful-timeout S   seconds a stopping worker may finish requests (default 30)
  --reload               reload on changes to the app's directory (development)
  --tls-cert FILE        serve HTTPS with this certificate (PEM) ...
  --tls-key FILE         ... and this key (PEM)

  signals: SIGHUP reloads the code with no request lost; SIGTERM/SIGINT stop gracefully.`;

type Kind = 'integer' | 'number' | 'text' | 'file' | 'switch';

interface Flag {
  kind: Kind;
  /** Smallest value allowed (numbers). */
  min?: number;
  /** Largest value allowed (numbers). */
  max?: number;
  /** Whether `min` itself is allowed. */
  minIncluded?: boolean;
}

// One line per flag: the parser below needs nothing else to check a value.
const FLAGS = {
  port: { kind: 'integer', min: 0, max: 65535, minIncluded: true },
  host: { kind: 'text' },
  processes: { kind: 'integer', min: 1, max: 1024, minIncluded: true },
  concurrency: { kind: 'integer', min: 1, max: 1_000_000, minIncluded: true },
  threads: { kind: 'integer', min: 1, max: 1024, minIncluded: true },
  'access-log': { kind: 'text' },
  'pid-file': { kind: 'text' },
  'status-listen': { kind: 'text' },
  'status-path': { kind: 'text' },
  'live-path': { kind: 'text' },
  'ready-path': { kind: 'text' },
  'max-requests': { kind: 'integer', min: 1, minIncluded: true },
  'max-age': { kind: 'number', min: 0 },
  'max-memory': { kind: 'number', min: 0 },
  'graceful-timeout': { kind: 'number', min: 0, minIncluded: true },
  reload: { kind: 'switch' },
  'tls-cert': { kind: 'file' },
  'tls-key': { kind: 'file' },
} satisfies Record<string, Flag>;

type FlagName = keyof typeof FLAGS;
type Values = Partial<Record<FlagName, string | number | boolean>>;

function isFlagName(name: string): name is FlagName {
  return Object.prototype.hasOwnProperty.call(FLAGS, name);
}

function convert(name: FlagName, text: string, cwd: string): string | number {
  const flag: Flag = FLAGS[name];
  if (flag.kind === 'text') {
    if (text === '') throw new UsageError(`--${name} needs a value`);
    return text;
  }
  if (flag.kind === 'file') {
    const file = path.resolve(cwd, text);
    if (!fs.existsSync(file)) throw new UsageError(`--${name}: no such file: ${text}`);
    return file;
  }
  const value = text.trim() === '' ? NaN : Number(text);
  const what = flag.kind === 'integer' ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || (flag.kind === 'integer' && !Number.isSafeInteger(value))) {
    throw new UsageError(`--${name} takes ${what}, not ${JSON.stringify(text)}`);
  }
  const min = flag.min ?? -Infinity;
  if (value < min || (value === min && !flag.minIncluded) || value > (flag.max ?? Infinity)) {
    const low = flag.minIncluded ? `>= ${min}` : `> ${min}`;
    const range = flag.max === undefined ? low : `${low} and <= ${flag.max}`;
    throw new UsageError(`--${name} takes ${what} ${range}, not ${text}`);
  }
  return value;
}

/**
 * Parses the arguments of `verdant serve` (what follows the word `serve`). Flags come as `--flag value` or
 * `--flag=value`, before or after the app file.
 *
 * # Errors
 * {@link UsageError} for an unknown flag, a missing or malformed value, a flag given twice, a missing app file
 * (or a second one), `--tls-cert` without `--tls-key` (or the reverse), a status path not starting with `/` or
 * given without `--status-listen`.
 */
export function parseServeArgs(argv: readonly string[], cwd: string = process.cwd()): ParsedServeArgs {
  const values: Values = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown flag ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!isFlagName(name)) throw new UsageError(`unknown flag --${name}`);
    if (name in values) throw new UsageError(`--${name} is given twice`);
    if (FLAGS[name].kind === 'switch') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    let text: string;
    if (eq >= 0) {
      text = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      text = argv[++i];
    }
    values[name] = convert(name, text, cwd);
  }
  if (positional.length === 0) throw new UsageError('missing the app file (verdant serve <app.js> [flags])');
  if (positional.length > 1) throw new UsageError(`one app file only; also got ${JSON.stringify(positional[1])}`);
  return { help: false, config: toConfig(positional[0], values, cwd) };
}

function toConfig(appArg: string, values: Values, cwd: string): ServeConfig {
  const app = path.resolve(cwd, appArg);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(app);
  } catch {
    throw new UsageError(`no such app file: ${appArg}`);
  }
  if (!stat.isFile()) throw new UsageError(`the app must be a file: ${appArg}`);
  const urlPath = (name: 'status-path' | 'live-path' | 'ready-path'): string | null => {
    const value = (values[name] as string | undefined) ?? null;
    if (value !== null && !value.startsWith('/')) throw new UsageError(`--${name} must start with /, not ${JSON.stringify(value)}`);
    return value;
  };
  const statusListen = listenAddress(values['status-listen'] as string | undefined);
  const statusPath = urlPath('status-path');
  if (statusPath !== null && statusListen === null) {
    throw new UsageError("--status-path needs --status-listen: the status is served on a socket of its own, not on the app's");
  }
  const livePath = urlPath('live-path');
  const readyPath = urlPath('ready-path');
  if (livePath !== null && livePath === readyPath) throw new UsageError('--live-path and --ready-path must differ');
  const cert = values['tls-cert'] as string | undefined;
  const key = values['tls-key'] as string | undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(cert === undefined ? '--tls-key needs --tls-cert' : '--tls-cert needs --tls-key');
  }
  const accessLog = (values['access-log'] as string | undefined) ?? null;
  const pidFile = (values['pid-file'] as string | undefined) ?? null;
  const number = (name: FlagName) => (values[name] as number | undefined) ?? null;
  return {
    app,
    port: number('port') ?? 8080,
    host: (values.host as string | undefined) ?? '0.0.0.0',
    processes: number('processes') ?? defaultProcesses(),
    concurrency: number('concurrency') ?? 1000,
    threads: number('threads'),
    accessLog: accessLog === null || accessLog === '-' ? accessLog : path.resolve(cwd, accessLog),
    pidFile: pidFile === null ? null : path.resolve(cwd, pidFile),
    statusListen,
    statusPath: statusPath ?? '/status',
    livePath,
    readyPath,
    maxRequests: number('max-requests'),
    maxAge: number('max-age'),
    maxMemory: number('max-memory'),
    gracefulTimeout: number('graceful-timeout') ?? 30,
    reload: values.reload === true,
    tls: cert === undefined || key === undefined ? null : { cert, key },
  };
}

/** `--status-listen`: "PORT", "HOST:PORT" or "[IPv6]:PORT"; the host defaults to loopback. */
function listenAddress(text: string | undefined): { host: string; port: number } | null {
  if (text === undefined) return null;
  const match = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port > 65535) {
    throw new UsageError(`--status-listen is PORT or HOST:PORT (e.g. 9100 or 127.0.0.1:9100), not ${JSON.stringify(text)}`);
  }
  const host = match[1] === undefined ? '127.0.0.1' : match[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

function defaultProcesses(): number {
  // os.availableParallelism is Node 18.14+; cpus() may be empty in some containers.
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/**
 * What the controller and its workers say to each other over the IPC channel of `child_process` (JSON
 * messages), and the configuration a worker is started with.
 *
 * Worker → controller: `ready` once it serves; `stats` every second (and at once when it reaches
 * `maxRequests`); `failed` when it cannot start, because the app does not load say (then it exits).
 * Controller → worker: `stop` (drain and exit).
 * @internal
 */
/** The environment variable a worker finds its {@link WorkerConfig} in (JSON), removed before the app loads. */
export const WORKER_CONFIG_ENV = 'VERDANT_LAUNCHER_WORKER';

/** The fd number the listening socket has in every worker (the fourth entry of `stdio`). */
export const LISTEN_FD = 3;

/** A worker's exit code when it could not start: the app did not load, or the TLS files could not be read. */
export const EXIT_START_FAILED = 78; // EX_CONFIG of sysexits.h

/** How a worker is set up. */
export interface WorkerConfig {
  /** The app module, absolute. */
  app: string;
  /** The generation this worker belongs to (one more per reload). */
  generation: number;
  concurrency: number;
  /** '-' for stdout, an absolute file, or null. */
  accessLog: string | null;
  livePath: string | null;
  readyPath: string | null;
  tls: { cert: string; key: string } | null;
  /** Seconds to drain before force-closing when told to stop. */
  gracefulTimeout: number;
  /** Send `stats` at once when the request count reaches this (the controller decides to recycle). */
  maxRequests: number | null;
  /** Seconds between `stats` messages. */
  statsInterval: number;
  /** This worker's slot in the accept balance table (inherited as fd 4), or null: accept unbalanced. */
  balance: { slots: number; slot: number } | null;
}

/** A worker's figures. */
export interface WorkerStats {
  /** Requests handed to the app so far (the status path not counted). */
  requests: number;
  /** Resident set size, bytes. */
  rss: number;
  /** Connections open now. */
  connections: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | ({ type: 'stats' } & WorkerStats)
  | { type: 'failed'; error: string };

export type ControllerMessage = { type: 'stop' };

/** A message from the other side, checked for shape (anything else on the channel is ignored). */
export function isMessage<T extends { type: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

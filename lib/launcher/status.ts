/**
 * The status document: what the controller's status socket (`--status-listen`, `--status-path`) answers. The
 * controller builds it from what each worker last reported (every second).
 */
import type { WorkerStats } from './protocol';

/** One worker, as the status document shows it. */
export interface WorkerStatus {
  pid: number;
  generation: number;
  /** 'starting' (loading the app), 'ready' (serving), 'stopping' (draining before it exits). */
  state: 'starting' | 'ready' | 'stopping';
  /** Seconds since it was started. */
  age: number;
  /** Requests handed to the app. */
  requests: number;
  /** Resident set size in bytes, as last reported (0 before the first report). */
  rss: number;
  /** Connections open, as last reported. */
  connections: number;
  /** Why it is being replaced ('reload', 'max-requests', ...), or null. */
  retiring: string | null;
}

/** The whole status document. */
export interface StatusDocument {
  controller: { pid: number; uptime: number };
  /** The newest generation (one more per reload). */
  generation: number;
  /** How many workers the controller keeps serving. */
  processes: number;
  workers: WorkerStatus[];
}

/** What the controller knows of a worker, as {@link buildStatus} reads it. */
export interface WorkerView {
  readonly pid: number;
  readonly generation: number;
  readonly state: WorkerStatus['state'];
  readonly startedAt: number;
  readonly stats: WorkerStats;
  readonly retiring: string | null;
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** The document for the controller's current state; `now` and `startedAt` are `performance.now()` values. */
export function buildStatus(
  controller: { pid: number; startedAt: number; generation: number; processes: number },
  workers: Iterable<WorkerView>,
  now: number = performance.now(),
): StatusDocument {
  const list: WorkerStatus[] = [];
  for (const w of workers) {
    list.push({
      pid: w.pid,
      generation: w.generation,
      state: w.state,
      age: round((now - w.startedAt) / 1000),
      requests: w.stats.requests,
      rss: w.stats.rss,
      connections: w.stats.connections,
      retiring: w.retiring,
    });
  }
  list.sort((a, b) => a.generation - b.generation || a.pid - b.pid);
  return {
    controller: { pid: controller.pid, uptime: round((now - controller.startedAt) / 1000) },
    generation: controller.generation,
    processes: controller.processes,
    workers: list,
  };
}

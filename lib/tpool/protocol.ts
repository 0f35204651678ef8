/**
 * The messages between the pool and its worker threads (lib/tpool/worker.ts).
 *
 * @internal
 */
import type { SerializedError } from './remote-error';

/** Pool → worker: run `name` from `file` with `args` (structured-cloned). */
export interface Request {
  file: string;
  name: string;
  args: unknown[];
}

/** Worker → pool: the task's result, the error it threw, or the non-Error value it threw. */
export type Reply =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw-error'; error: SerializedError }
  | { kind: 'threw-value'; value: unknown };

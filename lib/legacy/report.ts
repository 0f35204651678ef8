/**
 * How the early API reports an error nobody can receive (executeAsync, an actor's `received`): on stderr, as
 * eventlet printed the traceback, and no further, so one bad job does not end the pool or the process.
 * @internal
 */
import { GreenletExit } from '../runtime/errors';

export function reportFailure(where: string, error: unknown): void {
  if (error instanceof GreenletExit) return;
  process.stderr.write(`verdant legacy: ${where} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
}

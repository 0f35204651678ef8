/**
 * How lib/debug names greenlets, stacks and fd events in dumps and reports.
 * @internal
 */
import { Greenlet } from '../runtime/greenlet';

/**
 * A greenlet's name for dumps and reports: `'main'` for the main greenlet (the main stack: callbacks, top-level
 * code), a green thread's `name`, or `'(unnamed Greenlet)'` for a greenlet without one (spawnN, plain greenlets).
 */
export function threadName(g: Greenlet): string {
  if (g === Greenlet.getMain()) return 'main';
  const name = (g as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : `(unnamed ${g.constructor.name})`;
}

/** Stack lines from the native layer ("fn (file:line:col)") as an Error.stack-style block, or null. */
export function stackText(lines: readonly string[] | null): string | null {
  return lines === null ? null : lines.map((line) => `    at ${line}`).join('\n');
}

/** The events of an fd wait: `'read'`, `'write'` or `'read/write'`. */
export function eventsOf(wait: { read: boolean; write: boolean }): string {
  return wait.read && wait.write ? 'read/write' : wait.read ? 'read' : 'write';
}

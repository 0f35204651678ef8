/**
 * The hub's fd waits and timers as text, for people (eventlet's `format_hub_listeners` and
 * `format_hub_timers`).
 */
import { describeGreenlet, listeners, timers, waitReasonOf } from '../runtime/hub';
import { eventsOf } from './names';

/**
 * The fd waits in this thread's hub, one line each, by fd: the fd, the events awaited and the green thread that
 * waits. `'hub listeners: none'` when there are none.
 *
 * @example
 * ```
 * hub listeners (2):
 *   fd 21  read        GreenThread "reader"
 *   fd 22  read/write  GreenThread "proxy"
 * ```
 */
export function formatHubListeners(): string {
  const list = listeners().sort((a, b) => a.fd - b.fd);
  if (list.length === 0) return 'hub listeners: none';
  const fdWidth = Math.max(...list.map((l) => String(l.fd).length));
  const lines = list.map((l) => `  fd ${String(l.fd).padEnd(fdWidth)}  ${eventsOf(l).padEnd(10)}  ${describeGreenlet(l.greenlet)}`);
  return `hub listeners (${list.length}):\n${lines.join('\n')}`;
}

/**
 * The timers in this thread's hub, soonest first, one line each: seconds left, kind (`timeout`: a wait's time
 * limit, such as a sleep; `start`: a spawnAfter; `alarm`: a Timeout), and the green thread, with what it waits
 * on. `'hub timers: none'` when there are none.
 *
 * @example
 * ```
 * hub timers (3):
 *   in 0.499 s  timeout  GreenThread "sleeper" (sleep)
 *   in 0.999 s  start    GreenThread "later"
 *   in 1.999 s  alarm    GreenThread "bounded" (Event.wait)
 * ```
 */
export function formatHubTimers(): string {
  const list = timers();
  if (list.length === 0) return 'hub timers: none';
  const lefts = list.map((t) => t.secondsLeft.toFixed(3));
  const width = Math.max(...lefts.map((left) => left.length));
  const lines = list.map((t, i) => {
    const reason = t.kind === 'start' || t.greenlet === null ? undefined : waitReasonOf(t.greenlet);
    return `  in ${lefts[i].padStart(width)} s  ${t.kind.padEnd(7)}  ${describeGreenlet(t.greenlet)}${reason ? ` (${reason})` : ''}`;
  });
  return `hub timers (${list.length}):\n${lines.join('\n')}`;
}

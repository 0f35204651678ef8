/**
 * The watchdog: reports when this thread stops making progress, with the JavaScript stack of what was running,
 * as gevent's monitor thread and eventlet's `hub_blocking_detection` do.
 *
 * Green threads only switch when they wait, so one that computes for a second (or a callback that does) holds up
 * every other green thread, timer and socket of the thread. The watchdog is a native thread that samples three
 * signs of progress: the event loop sleeping in its poll (idle: never reported), a new loop turn, and a green
 * thread handing control back to the hub. When none has changed for longer than `maxBlockingTime`, it interrupts
 * V8, which records the running stack at its next stack check; the report is delivered on the loop once the
 * blocking ends. Each blocking episode is reported once.
 *
 * Off by default. While on, it costs a thread that wakes four times per `maxBlockingTime` and reads two counters
 * and libuv's idle time, and a counter bump per loop turn. The hub bumps one counter per resume either way.
 *
 * @example
 * ```ts
 * import { watchdog, formatBlockingReport } from 'verdant';
 * watchdog.enable({ maxBlockingTime: 0.1 });   // reports go to stderr
 * watchdog.enable({ onBlocked: (report) => logger.warn(formatBlockingReport(report)) });
 * watchdog.disable();
 * ```
 */
import { Greenlet } from '../runtime/greenlet';
import { native } from './native';
import { stackText, threadName } from './names';
import { describeValue } from '../runtime/describe';

/** One blocking episode, as given to {@link WatchdogOptions.onBlocked}. */
export interface BlockingReport {
  /**
   * Seconds the thread went without progress: from the last progress the watchdog saw to the end of the
   * episode (accurate to about a quarter of `maxBlockingTime`; a lower bound).
   */
  blockedFor: number;
  /**
   * Seconds into the episode when {@link BlockingReport.stack} was taken: about `maxBlockingTime` when
   * JavaScript was running, later when a native call blocked and JavaScript only ran after it. Null when there
   * is no stack.
   */
  stackTakenAfter: number | null;
  /**
   * The JavaScript stack that was running, innermost frame first, in Error.stack form (`    at fn (file:l:c)`
   * lines). Null when no JavaScript ran from the moment the blocking was noticed until it ended (a native call
   * blocked, and the loop came next).
   */
  stack: string | null;
  /** Name of the running greenlet: a green thread's `name`, `'main'` for the main stack; null without a stack. */
  greenThread: string | null;
  /** The greenlet that was running (the main greenlet for the main stack); null without a stack. */
  greenlet: Greenlet | null;
  /** The threshold in force, in seconds. */
  maxBlockingTime: number;
}

/** Settings of {@link enable}. */
export interface WatchdogOptions {
  /** Seconds without progress that count as blocking. From 0.001 to 3600; default 0.1 (as gevent). */
  maxBlockingTime?: number;
  /**
   * Called on the event loop with each report, once the blocking has ended. Default: write
   * {@link formatBlockingReport} to stderr. An exception it throws is an uncaught exception, as from any
   * callback.
   */
  onBlocked?: (report: BlockingReport) => void;
  /**
   * A thread that never gets back to its event loop (an endless loop) cannot deliver its report. If it is still
   * blocked this many seconds after its stack was taken, the watchdog thread writes that stack to stderr itself,
   * once per episode. From 0.001 to 3600, or null for never; default 1.
   */
  stuckReportAfter?: number | null;
}

interface ActiveSettings {
  maxBlockingTime: number;
  onBlocked: (report: BlockingReport) => void;
}

const DEFAULTS = { maxBlockingTime: 0.1, stuckReportAfter: 1 } as const;
const KEYS: ReadonlySet<string> = new Set(['maxBlockingTime', 'onBlocked', 'stuckReportAfter']);
let active: ActiveSettings | null = null;

/**
 * Starts the watchdog of this thread (the main thread or a worker: each has its own). Calling it again replaces
 * the settings. The watchdog never keeps the process alive, and stops by itself when the thread's environment
 * goes away (process exit, worker exit).
 *
 * Throws a TypeError or RangeError naming the offending option; an Error if no thread can be started.
 */
export function enable(options: WatchdogOptions = {}): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`watchdog.enable takes an options object, not ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`watchdog.enable: unknown option ${JSON.stringify(key)}`);
  }
  const maxBlockingTime = options.maxBlockingTime ?? DEFAULTS.maxBlockingTime;
  checkSeconds('maxBlockingTime', maxBlockingTime);
  const stuckReportAfter = options.stuckReportAfter === undefined ? DEFAULTS.stuckReportAfter : options.stuckReportAfter;
  if (stuckReportAfter !== null) checkSeconds('stuckReportAfter', stuckReportAfter);
  const onBlocked = options.onBlocked ?? writeToStderr;
  if (typeof onBlocked !== 'function') {
    throw new TypeError(`watchdog.enable: onBlocked must be a function, not ${describeValue(onBlocked)}`);
  }
  disable();
  const settings: ActiveSettings = { maxBlockingTime, onBlocked };
  native.debug_watchdog_start(maxBlockingTime, stuckReportAfter ?? 0, (g, lines, takenAfter, blockedFor) =>
    deliver(settings, g, lines, takenAfter, blockedFor),
  );
  process.on('exit', stopAtExit);
  active = settings;
}

/**
 * Stops the watchdog of this thread and joins its native thread. Reports not delivered yet (an episode that
 * ended just before) are delivered now, from this call. Does nothing if the watchdog is not running.
 */
export function disable(): void {
  const settings = active;
  if (settings === null) return;
  active = null;
  process.removeListener('exit', stopAtExit);
  const undelivered = native.debug_watchdog_stop();
  for (let i = 0; i < undelivered.length; i += 4) {
    deliver(settings, undelivered[i], undelivered[i + 1], undelivered[i + 2], undelivered[i + 3]);
  }
}

/** True while the watchdog of this thread runs. */
export function isEnabled(): boolean {
  return active !== null;
}

/**
 * The default report text: one line saying how long the loop was blocked and by which green thread, then the
 * stack, if there is one.
 */
export function formatBlockingReport(report: BlockingReport): string {
  const head =
    `verdant: watchdog: the event loop was blocked for ${report.blockedFor.toFixed(2)} s ` +
    `(maxBlockingTime ${report.maxBlockingTime} s)`;
  if (report.stack === null) {
    return `${head}; no JavaScript ran until it ended (a blocking native call?), so there is no stack`;
  }
  const who = report.greenThread === 'main' ? 'on the main stack' : `in green thread "${report.greenThread}"`;
  return `${head} ${who}; its stack after ${report.stackTakenAfter!.toFixed(2)} s:\n${report.stack}`;
}

// Turns the native reporter's arguments into a report for onBlocked.
function deliver(settings: ActiveSettings, g: unknown, lines: unknown, takenAfter: unknown, blockedFor: unknown): void {
  const greenlet = lines !== null && g instanceof Greenlet ? g : null;
  settings.onBlocked({
    blockedFor: blockedFor as number,
    stackTakenAfter: lines !== null ? (takenAfter as number) : null,
    stack: stackText(lines as string[] | null),
    greenThread: greenlet !== null ? threadName(greenlet) : null,
    greenlet,
    maxBlockingTime: settings.maxBlockingTime,
  });
}

function writeToStderr(report: BlockingReport): void {
  process.stderr.write(`${formatBlockingReport(report)}\n`);
}

// process.exit() skips the environment teardown that would otherwise stop the native thread: stop it here, so
// it is never left running while the process exits.
function stopAtExit(): void {
  disable();
}

function checkSeconds(name: string, value: unknown): void {
  if (typeof value !== 'number') throw new TypeError(`watchdog.enable: ${name} must be a number of seconds, not ${describeValue(value)}`);
  if (!(value >= 0.001 && value <= 3600)) {
    throw new RangeError(`watchdog.enable: ${name} must be from 0.001 to 3600 seconds, not ${String(value)}`);
  }
}

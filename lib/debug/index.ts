/**
 * Seeing what the hub does: the watchdog that reports a thread blocked by a green thread or callback that does
 * not yield (lib/debug/watchdog.ts), dumps of every green thread with its state, wait and stack
 * (lib/debug/dump.ts), and the hub's fd waits and timers as text (lib/debug/hub-format.ts). See docs/debug.md.
 *
 * @packageDocumentation
 */
export * as watchdog from './watchdog';
export { formatBlockingReport } from './watchdog';
export type { BlockingReport, WatchdogOptions } from './watchdog';
export { dumpGreenThreads } from './dump';
export type { DumpOptions, GreenThreadInfo, GreenThreadState } from './dump';
export { formatHubListeners, formatHubTimers } from './hub-format';

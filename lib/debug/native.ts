/**
 * The debugging aids' part of the native addon (native/debug/bindings.cc): the watchdog and stack peeks.
 * @internal
 */
import { addon } from '../runtime/addon';
import type { GreenletHandle } from '../runtime/native';

export interface DebugBinding {
  /**
   * Starts this thread's watchdog (native/debug/watchdog.h); none may be running. `report` is called on the
   * loop once per blocking episode: greenlet that was running (or null), its stack lines (or null), seconds into
   * the episode when they were taken (-1: none), seconds the episode lasted.
   */
  debug_watchdog_start(
    maxBlockingSeconds: number,
    stuckPrintSeconds: number,
    report: (greenlet: GreenletHandle | null, lines: string[] | null, stackTakenAfter: number, blockedFor: number) => void,
  ): void;
  /**
   * Stops this thread's watchdog and returns its undelivered reports, flat: the 4 reporter arguments of each
   * (empty if none was running).
   */
  debug_watchdog_stop(): unknown[];
  /**
   * A greenlet's stack, innermost first: the running one's, or a suspended one's through a peek
   * (native/debug/stack_peek.h); null if it has none to show (not started, finished).
   */
  debug_stack_of(g: GreenletHandle, maxFrames: number): string[] | null;
}

export const native = addon as DebugBinding;

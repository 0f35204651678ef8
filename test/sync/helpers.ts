/**
 * Helpers of the sync suites (test/sync/*.test.ts).
 */
import { sleep } from 'verdant';

/** Keeps the CPU (and so the event loop, timers included) busy for `seconds`, without switching. */
export function busyWait(seconds: number): void {
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until);
}

/**
 * Lets other green threads run (sleep(0) at a time) until `condition()` holds; fails the test if it does not
 * within `seconds`. For "wait until the 3 getters are parked" rather than a guessed delay.
 */
export function until(condition: () => boolean, what: string, seconds = 5): void {
  const deadline = performance.now() + seconds * 1000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting until ${what}`);
    sleep(0);
  }
}

/** Seconds since `t0` (a performance.now() reading). */
export function secondsSince(t0: number): number {
  return (performance.now() - t0) / 1000;
}

export { seededRandom as randomSequence } from '../support/random';

// Helpers of the pool suites, built on the real hub (lib/sync's Event is another branch's work).
import { Greenlet, getCurrent, sleep } from 'verdant';
import { park, wake } from '../../lib/runtime/hub';

/** A one-shot gate: `wait()` blocks green threads until `open()`, then lets everyone through. */
export class Gate {
  #open = false;
  #waiters: Greenlet[] = [];

  open(): void {
    this.#open = true;
    for (const g of this.#waiters) wake(g);
  }

  wait(): void {
    if (this.#open) return;
    const self = getCurrent();
    this.#waiters.push(self);
    try {
      while (!this.#open) park('Gate.wait');
    } finally {
      this.#waiters.splice(this.#waiters.indexOf(self), 1);
    }
  }
}

export { seededRandom } from '../support/random';

/** eventlet's `passthru`: returns its argument after a short sleep. */
export function passthru<T>(value: T): T {
  sleep(0.002);
  return value;
}

/** Runs `body` with `process.on('uncaughtException')` diverted to `onError` instead of mocha's handler. */
export async function catchingUncaught<T>(onError: (error: unknown) => void, body: () => Promise<T>): Promise<T> {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', onError);
  try {
    return await body();
  } finally {
    process.removeAllListeners('uncaughtException');
    for (const listener of saved) process.on('uncaughtException', listener);
  }
}

/** Runs `body` with console.error captured; returns what was printed. */
export function capturingConsoleError(body: () => void): string[] {
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args.map(String).join(' '));
  try {
    body();
  } finally {
    console.error = original;
  }
  return printed;
}

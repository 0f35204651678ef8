/**
 * The error classes of the greenlet runtime.
 */

/**
 * Raised into a greenlet by {@link Greenlet.throw} (by default) and {@link Greenlet.close} to make it unwind.
 * A `GreenletExit` that the greenlet does not catch is not an error for its parent: it is *returned* to the
 * parent as the value of the parent's pending `switch()`.
 *
 * Permanent for the greenlet that receives it.
 */
export class GreenletExit extends Error {
  constructor(message = 'greenlet exit') {
    super(message);
    this.name = 'GreenletExit';
  }
}

/**
 * A greenlet could not be started or switched to: no stack could be mapped for it (the process-wide budget
 * under `vm.max_map_count` is used up, or mmap failed), or the switch is not allowed from here (for example,
 * out of an async scope the greenlet entered itself). Transient when caused by resource exhaustion.
 */
export class GreenletError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GreenletError';
  }
}

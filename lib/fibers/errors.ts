/**
 * The errors of the Fiber API. Each keeps node-fibers' message word for word (code written for fibers sometimes
 * matches on it), and is a class of its own so that new code can test for it with `instanceof`. All extend
 * `Error`, as node-fibers' plain Errors did.
 */

/** `run()` on a fiber that is running (it or a fiber it is running called it). Permanent: a programming error. */
export class FiberRunningError extends Error {
  constructor() {
    super('This Fiber is already running');
    this.name = 'FiberRunningError';
  }
}

/**
 * `throwInto()` or `reset()` on a fiber that is not suspended in `Fiber.yield()` (never started, finished, or
 * running). Permanent: a programming error.
 */
export class FiberNotYieldingError extends Error {
  constructor() {
    super('This Fiber is not yielding');
    this.name = 'FiberNotYieldingError';
  }
}

/** `Fiber.yield()` outside any fiber (on the main stack, or in a green thread). Permanent: a programming error. */
export class NoFiberError extends Error {
  constructor(message = 'yield() called with no fiber running') {
    super(message);
    this.name = 'NoFiberError';
  }
}

/**
 * Thrown by `Fiber.yield()` inside a fiber that is being unwound (`reset()`, or collected while suspended), at
 * the yield it was suspended in and at every later one, until the fiber's function ends. Catching it and going
 * on is allowed but pointless: the next yield throws it again.
 */
export class FiberZombieError extends Error {
  constructor() {
    super('This Fiber is a zombie');
    this.name = 'FiberZombieError';
  }
}

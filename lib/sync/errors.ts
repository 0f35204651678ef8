/**
 * The error classes of the synchronization primitives (lib/sync).
 *
 * Argument mistakes are plain TypeErrors (the wrong type: `new Semaphore('foo')`, an options object that is not
 * one) and RangeErrors (the right type out of range: `new Semaphore(-1)`, `new Queue(1.5)`); the classes here
 * name states a primitive can be in.
 */

/**
 * A queue had no room: thrown by `putNowait` (or `put({ block: false })`) on a full queue, and by a blocking
 * `put` or `Channel.send` whose timeout passed before the item could be placed. eventlet's `queue.Full`.
 */
export class Full extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Full';
  }
}

/**
 * A queue had no item: thrown by `getNowait` (or `get({ block: false })`) on an empty queue, and by a blocking
 * `get` or `Channel.receive` whose timeout passed before an item came. eventlet's `queue.Empty`.
 */
export class Empty extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Empty';
  }
}

/**
 * `Event.send` (or `sendException`) on an event that was already sent and not reset since: an event carries
 * one outcome. eventlet raises an AssertionError here.
 *
 * Permanent: a programming error.
 */
export class EventAlreadySentError extends Error {
  constructor() {
    super('this Event was already sent; reset() it before sending again');
    this.name = 'EventAlreadySentError';
  }
}

/**
 * `Event.reset` on an event that has not been sent (eventlet asserts the same): resetting a fresh event is
 * almost always a mix-up of two events.
 *
 * Permanent: a programming error.
 */
export class EventNotSentError extends Error {
  constructor() {
    super('reset() of an Event that was never sent (or was already reset)');
    this.name = 'EventNotSentError';
  }
}

/**
 * `Queue.taskDone` called more times than items were put (eventlet raises a ValueError).
 *
 * Permanent: a programming error.
 */
export class TaskDoneError extends Error {
  constructor() {
    super('taskDone() called more times than there were items put in the queue');
    this.name = 'TaskDoneError';
  }
}

/**
 * A release that would raise a counter above what it may hold: `BoundedSemaphore.release` above its initial
 * value (eventlet: ValueError "Semaphore released too many times"), or `Lock.release` of a lock that is not
 * locked (eventlet: RuntimeError "release unlocked lock").
 *
 * Permanent: a programming error.
 */
export class OverReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverReleaseError';
  }
}

/**
 * An operation that needs the caller to hold a lock, made by a green thread that does not: `RLock.release` by
 * another green thread than the owner, `Condition.wait`/`notify` without holding the condition's lock (Python
 * raises RuntimeError "cannot release un-acquired lock" / "cannot wait on un-acquired lock").
 *
 * Permanent: a programming error.
 */
export class NotOwnerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotOwnerError';
  }
}

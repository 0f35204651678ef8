/**
 * lib/sync: synchronization primitives for green threads, with eventlet's semantics — Event, the queues,
 * Channel, semaphores, locks and Condition. Every blocking call parks only the calling green thread; on the
 * main stack a call that would block throws a HubBlockingError, and non-blocking calls work there too.
 * Durations are seconds.
 */
export { Event } from './event';
export { LightQueue, Queue, PriorityQueue, LifoQueue } from './queue';
export type { QueueWaitOptions, PriorityQueueOptions } from './queue';
export type { PriorityCompare } from './item-store';
export { Channel } from './channel';
export { Semaphore, BoundedSemaphore, CappedSemaphore } from './semaphore';
export type { AcquireOptions } from './semaphore';
export { Lock, RLock } from './lock';
export { Condition } from './condition';
export type { ConditionLock } from './condition';
export {
  Full,
  Empty,
  EventAlreadySentError,
  EventNotSentError,
  TaskDoneError,
  OverReleaseError,
  NotOwnerError,
} from './errors';

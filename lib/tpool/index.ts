/**
 * lib/tpool: blocking work off the hub. {@link execute} runs Node's blocking functions on the libuv threadpool,
 * and plain JS functions (named by module and export) in a pool of worker threads, while only the calling green
 * thread waits. See docs/fs-tpool-patcher.md.
 *
 * @packageDocumentation
 */
export { execute, executeWith, configure, setSize, killall, stats } from './execute';
export type { ExecuteOptions, TpoolConfig, TpoolStats } from './execute';
export type { TaskRef } from './task';
export { TpoolWorkerError, TpoolKilledError } from './errors';

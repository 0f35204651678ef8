/**
 * lib/tpool: blocking work off the hub. {@link execute} runs Node's blocking functions on the libuv threadpool,
 * and plain JS functions (named by module and export) in a pool of worker threads, while only the calling green
 * thread waits. {@link proxy} keeps an object in one of those workers and forwards every operation on it there
 * (eventlet's tpool.Proxy). See docs/fs-tpool-patcher.md.
 *
 * @packageDocumentation
 */
export { execute, executeWith, configure, setSize, killall, stats } from './execute';
export type { ExecuteOptions, KillallOptions, TpoolConfig, TpoolStats } from './execute';
export { proxy, proxyValue, isProxy, TpoolProxy as Proxy } from './proxy';
export type { ProxyOptions, Proxied, Remote } from './proxy';
export type { TaskRef, ModuleRef } from './task';
export { TpoolWorkerError, TpoolKilledError, TpoolProxyDisposedError } from './errors';

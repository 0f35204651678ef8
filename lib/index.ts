/**
 * verdant: real stackful coroutines for Node.js, and green threads built on them (eventlet for Node).
 *
 * Organization (one folder per subsystem):
 * - the greenlet core: {@link Greenlet}, {@link getCurrent}, {@link settrace}, {@link GreenletExit}
 *   (lib/runtime/greenlet.ts);
 * - green threads and the hub: {@link spawn}, {@link spawnN}, {@link spawnAfter}, {@link spawnAfterLocal}, {@link kill},
 *   {@link GreenThread}, {@link wait} (Promises from blocking code), {@link run}, {@link trampoline}
 *   (lib/runtime);
 * - time: {@link sleep}, {@link Timeout}, {@link withTimeout}, {@link TimeoutAlreadyPendingError} (lib/time);
 * - synchronization: {@link Event}, {@link Queue} and its family, {@link Channel}, {@link Semaphore} and its
 *   family, {@link Lock}, {@link RLock}, {@link Condition} (lib/sync);
 * - pools: {@link GreenPool}, {@link GreenPile}, {@link DAGPool} (lib/pool); pools of reusable resources:
 *   {@link Pool}, {@link TokenPool} (lib/resource), and a PostgreSQL connection pool, {@link db} (lib/db);
 *   green-thread-local storage: {@link local};
 * - green networking: {@link listen}, {@link connect}, {@link serve}, {@link StopServe}, {@link GreenSocket},
 *   {@link select}, {@link shutdownSafe}, TLS
 *   ({@link wrapTls}, {@link connectTls}, {@link TlsSocket}, {@link createTlsContext}),
 *   {@link GreenFile} (makefile), name resolution ({@link dns}), typed I/O errors ({@link IOError} and its
 *   family); everything networking also under {@link net} (lib/net, lib/io);
 * - files, child processes and blocking work: {@link fs} (green file operations on the libuv threadpool),
 *   {@link subprocess} ({@link Subprocess}, {@link GreenPipe}, `run`, `checkOutput`), {@link tpool} (blocking
 *   work off the hub: Node's sync calls on the threadpool, JS functions in worker threads, objects kept in a
 *   worker behind `tpool.proxy`), {@link patcher}
 *   ({@link monkeyPatch}: Node's `*Sync` calls cooperative inside green threads);
 * - green HTTP/1.1: {@link http} (`http.request`, `http.get`, connection pools; `http.serve`, the server);
 * - green ZeroMQ: {@link zmq} (eventlet's `green.zmq` over the `zeromq` package, an optional peer dependency);
 * - seeing what the hub does: {@link debug} (the blocking watchdog, {@link dumpGreenThreads}, hub listings),
 *   and {@link backdoor} (a JavaScript REPL over TCP into the live process);
 * - the early eventlet API (`api`, `coros`, `channel`) is `verdant/legacy`;
 * - settings and introspection: {@link configure}, {@link backend}, {@link stats} (lib/runtime/config.ts).
 *
 * @packageDocumentation
 */
export { Greenlet, getCurrent, settrace } from './runtime/greenlet';
export type { GreenletOptions, TraceEvent, Tracer } from './runtime/greenlet';
export {
  GreenletExit,
  GreenletError,
  HubBlockingError,
  ConcurrentWaitError,
  IOClosed,
  FdWaitError,
  BlockedForeverError,
} from './runtime/errors';
export { configure, getConfig, backend, stats } from './runtime/config';
export type { Config, GreenletConfig, HubConfig, BackendInfo } from './runtime/config';
export { GreenThread, spawn, spawnN, spawnAfter, spawnAfterLocal, kill } from './runtime/greenthread';
export type { LinkCallback } from './runtime/greenthread';
export { wait } from './runtime/promise';
export { run } from './runtime/run';
export { trampoline } from './io/trampoline';
export type { TrampolineOptions } from './io/trampoline';
export {
  Event,
  LightQueue,
  Queue,
  PriorityQueue,
  LifoQueue,
  Channel,
  Semaphore,
  BoundedSemaphore,
  CappedSemaphore,
  Lock,
  RLock,
  Condition,
  Full,
  Empty,
  EventAlreadySentError,
  EventNotSentError,
  TaskDoneError,
  OverReleaseError,
  NotOwnerError,
} from './sync';
export type { QueueWaitOptions, PriorityQueueOptions, PriorityCompare, AcquireOptions, ConditionLock } from './sync';
export { GreenPool, GreenPile, PoolDeadlockError, DAGPool, Collision, PropagateError } from './pool';
export type { IterablesOf, DagFunction, DagResults, DagPreload, DagPostOptions } from './pool';
export { Pool, TokenPool, Token, PoolTimeoutError, PoolClosedError } from './resource';
export type { PoolOptions, PoolGetOptions, PoolStatistics, TokenPoolOptions } from './resource';
export * as db from './db';
export { Local, local } from './runtime/local';
export * as debug from './debug';
export { dumpGreenThreads } from './debug';
export type { BlockingReport, WatchdogOptions, DumpOptions, GreenThreadInfo, GreenThreadState } from './debug';
export { sleep } from './time/sleep';
export { Timeout, withTimeout, isTimeout, wrapIsTimeout } from './time/timeout';
export type { WithTimeoutOptions } from './time/timeout';
export { TimeoutAlreadyPendingError } from './time/errors';
export * as net from './net';
export { GreenSocket, GreenFile, LineTooLongError, FileModeError, listen, connect, serve, StopServe, dns, DnsError, AcceptBalance, LoadTable } from './net';
export { select, shutdownSafe } from './net';
export type { Selectable, Shutdownable, SeekWhence } from './net';
export { TlsSocket, TlsContext, wrapTls, connectTls, createTlsContext, TlsError, CertificateVerificationError } from './net';
export type { WrapTlsOptions, ConnectTlsOptions, TlsContextOptions } from './net';
export type { AddressInput, SocketAddress, SocketFamily, ServeOptions, AcceptGate, ListenOptions, ConnectToOptions } from './net';
export {
  IOError,
  ConnectionRefusedError,
  ConnectionResetError,
  ConnectionAbortedError,
  BrokenPipeError,
  AddressInUseError,
  SocketTimeoutError,
  WouldBlockError,
  ClosedError,
} from './io/errors';
export * as fs from './fs';
export * as subprocess from './process';
export {
  GreenPipe,
  Subprocess,
  SubprocessError,
  SubprocessTimeoutError,
  OutputTooLargeError,
  CalledProcessError,
  SpawnError,
  CommunicationStartedError,
} from './process';
export type { SubprocessOptions, CommunicateOptions, RunOptions, CompletedProcess, OpenMode } from './process';
export * as tpool from './tpool';
export { TpoolWorkerError, TpoolKilledError, TpoolProxyDisposedError } from './tpool';
export * as patcher from './patcher';
export { monkeyPatch } from './patcher';
export * as http from './http';
export * as zmq from './zmq';
export * as backdoor from './backdoor';
export { BackdoorServer, BackdoorBindError } from './backdoor';
export type { BackdoorOptions } from './backdoor';

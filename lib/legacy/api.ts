/**
 * eventlet's `api` module, camelCase, on the modern API: coroutines (`spawn`, `sleep`), timers (`callAfter`,
 * `excAfter`), sockets (`tcpListener`, `connectTcp`, `sslListener`, `connectSsl`), fd waits (`trampoline`),
 * the hub (`getHub`, `useHub`, `getDefaultHub`), and `named`.
 */
export { spawn } from '../runtime/greenthread';
export { sleep } from '../time/sleep';
export { trampoline } from '../io/trampoline';
export type { TrampolineOptions } from '../io/trampoline';
/** eventlet's `api.TimeoutError`: what `trampoline` raises on timeout, and what `excAfter` raises by default. */
export { Timeout as TimeoutError } from '../time/timeout';
export { callAfter, excAfter, Timer } from './timers';
export { named } from './named';
export type { NamedOptions } from './named';
export { tcpListener, connectTcp, sslListener, connectSsl, SslListener } from './sockets';
export { getHub, getDefaultHub, useHub, Hub } from './hub';

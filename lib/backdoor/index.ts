/**
 * The backdoor: a JavaScript REPL inside a running process, over TCP, as eventlet's `backdoor` module. Connect
 * with `nc` and inspect the live program: its objects, its green threads (`dumpGreenThreads()`), anything that
 * blocks (each client's code runs in that client's green thread).
 *
 * Organization:
 * - {@link serve}, {@link BackdoorServer}: the listener and its sessions (lib/backdoor/server.ts);
 * - the line-based REPL (lib/backdoor/repl.ts); loopback checks (lib/backdoor/address.ts);
 * - bounded line reading, the token line and REPL line limits (lib/backdoor/lines.ts);
 * - {@link BackdoorBindError} and the session errors (lib/backdoor/errors.ts).
 *
 * @example
 * ```ts
 * import { backdoor, spawn } from 'verdant';
 * const door = backdoor.serve(3000, { locals: { cache } });   // 127.0.0.1:3000
 * //   $ nc 127.0.0.1 3000
 * //   >>> cache.size
 * //   42
 * ```
 *
 * @packageDocumentation
 */
export { serve, BackdoorServer } from './server';
export type { BackdoorOptions } from './server';
export {
  BackdoorBindError,
  BackdoorAuthError,
  BackdoorWrongTokenError,
  BackdoorTokenTooLongError,
  BackdoorAuthTimeoutError,
  BackdoorInputTooLongError,
} from './errors';
export { isLoopback } from './address';

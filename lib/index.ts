/**
 * verdant: real stackful coroutines for Node.js.
 *
 * Organization:
 * - {@link Greenlet}, {@link getCurrent}, {@link settrace}, {@link GreenletExit}: the greenlet core
 *   (lib/runtime/greenlet.ts);
 * - {@link configure}, {@link backend}, {@link stats}: settings and introspection (lib/runtime/config.ts).
 *
 * @packageDocumentation
 */
export { Greenlet, getCurrent, settrace } from './runtime/greenlet';
export type { GreenletOptions, TraceEvent, Tracer } from './runtime/greenlet';
export { GreenletExit, GreenletError } from './runtime/errors';
export { configure, getConfig, backend, stats } from './runtime/config';
export type { GreenletConfig, BackendInfo } from './runtime/config';

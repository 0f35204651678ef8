/**
 * `verdant/legacy`: eventlet's early API (its `api`, `coros` and `channel` modules, from before GreenPool), in
 * camelCase, built on the modern API, so that programs written against it run nearly as they were.
 *
 * Organization:
 * - {@link api}: `spawn`, `sleep`, `callAfter`, `excAfter`, `named`, `tcpListener`, `connectTcp`,
 *   `sslListener`, `connectSsl`, `trampoline`, `getHub`, `useHub`, `getDefaultHub`, `TimeoutError`;
 * - {@link coros}: `event()`, `CoroutinePool` (`execute`, `executeAsync`), `Actor` (`cast`, `received`);
 * - {@link channel}: `channel()`;
 * - {@link tpool}: the thread pool, which already has eventlet's shape (`tpool.execute`);
 * - errors: {@link NamedNotFoundError}, {@link HubNotAvailableError}, {@link ActorClosedError}.
 *
 * New code should use the modern API (`spawn`, `Event`, `GreenPool`, `Channel`, `Timeout`, `listen`...): each
 * function here says which modern one it stands for. See docs/legacy.md.
 *
 * @example
 * ```js
 * const { api, coros } = require('verdant/legacy');
 * const evt = coros.event();
 * api.spawn(() => console.log(evt.wait()));
 * api.callAfter(0.1, () => evt.send('hello'));
 * ```
 *
 * @packageDocumentation
 */
export * as api from './api';
export * as coros from './coros';
export * as channel from './channel';
export * as tpool from '../tpool';
export { NamedNotFoundError, HubNotAvailableError, ActorClosedError } from './errors';

/**
 * lib/launcher: `verdant serve app.js`, a multi-process launcher for fetch-style apps (eventlet's Spawning).
 * A controller binds the listening socket once and keeps worker processes serving it with the green HTTP
 * server; SIGHUP reloads the code with no request lost and no connection refused. See docs/launcher.md.
 *
 * # Organization
 * - `command.ts`: the CLI entry ({@link serveCommand});
 * - `options.ts`: flags to a checked {@link ServeConfig};
 * - `controller.ts`: the controller process (binding, workers, signals, reloads, recycling);
 * - `worker.ts`, `worker-main.ts`: a worker process; `app.ts`: loading the app and finding its handler;
 * - `protocol.ts`: the IPC messages; `status.ts`: the status document; `recycle.ts`: recycling and restart
 *   backoff policy; `watch.ts`: `--reload`'s file watching; `pidfile.ts`.
 *
 * @example
 * ```js
 * // app.js: run with `npx verdant serve app.js --port 8080 --processes 4`
 * module.exports = (req, info) => new Response(`hello from ${process.pid}\n`);
 * ```
 *
 * @packageDocumentation
 */
export { serveCommand } from './command';
export { Controller } from './controller';
export type { ControllerOptions } from './controller';
export { parseServeArgs, SERVE_USAGE } from './options';
export type { ServeConfig, ParsedServeArgs } from './options';
export { loadApp, handlerOf } from './app';
export { recycleReason, RestartBackoff } from './recycle';
export type { RecycleLimits, RecycleReason, Vitals, BackoffOptions } from './recycle';
export type { StatusDocument, WorkerStatus } from './status';
export { UsageError, AppLoadError, PidFileError, ListenError, SocketActivationError } from './errors';

/**
 * The launcher's errors. Each says who has to act: {@link UsageError} is the command line's fault (exit code 2),
 * {@link AppLoadError} the application's (a worker could not get a handler out of it).
 */

/**
 * A bad `verdant serve` command line: an unknown flag, a value that is not a number, a missing app file. The
 * message names the flag and the value. Also thrown by a worker process started by hand rather than by
 * `verdant serve` (it has no configuration). Permanent: the same command line fails the same way.
 */
export class UsageError extends Error {
  /** The exit code `verdant serve` ends with: 2, as for any usage error of a Unix command. */
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The application module threw while loading, or exports nothing that serves requests. Raised in a worker,
 * reported by the controller, which retries with a growing delay: permanent until the file changes.
 */
export class AppLoadError extends Error {
  /** The app file, absolute. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppLoadError';
    this.file = file;
  }
}

/**
 * The pid file names another live process: a second `verdant serve` was started with the same `--pid-file`.
 * Permanent until that process exits.
 */
export class PidFileError extends Error {
  /** The pid file, absolute. */
  readonly file: string;
  /** The live process it names. */
  readonly pid: number;

  constructor(file: string, pid: number) {
    super(`the pid file ${file} names process ${pid}, which is running: is another verdant serve using it?`);
    this.name = 'PidFileError';
    this.file = file;
    this.pid = pid;
  }
}

/**
 * The controller could not listen where it was told: the host name does not resolve, or binding failed (the
 * port is taken, the address is not local, a port below 1024 without privileges). The underlying error is the
 * `cause`. Permanent until whatever holds the port lets it go.
 */
export class ListenError extends Error {
  constructor(host: string, port: number, cause: unknown) {
    const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    super(`cannot listen on ${where}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ListenError';
  }
}

/**
 * `verdant serve` was started by socket activation (LISTEN_PID and LISTEN_FDS name this process) with something
 * it cannot serve: several sockets, or a connected one. Permanent: the service's socket unit has to change.
 */
export class SocketActivationError extends Error {
  constructor(message: string) {
    super(`socket activation: ${message}`);
    this.name = 'SocketActivationError';
  }
}

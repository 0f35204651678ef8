/**
 * `verdant serve`: the command-line entry. Parses the flags (a usage error exits with code 2 and says what was
 * wrong), then runs the {@link Controller} until it stops (exit code 0 after a graceful stop).
 */
import { Controller } from './controller';
import { PidFileError, UsageError } from './errors';
import { SERVE_USAGE, parseServeArgs } from './options';
import { IOError } from '../io/errors';

/** Runs `verdant serve` with the arguments that follow `serve`; sets the exit code, or exits when done. */
export function serveCommand(argv: readonly string[]): void {
  let parsed;
  try {
    parsed = parseServeArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`verdant serve: ${error.message}\n(verdant serve --help lists the flags)\n`);
    process.exitCode = error.exitCode;
    return;
  }
  if (parsed.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return;
  }
  const { config } = parsed;
  let running: Promise<number>;
  try {
    running = new Controller(config).run();
  } catch (error) {
    if (!(error instanceof IOError) && !(error instanceof PidFileError)) throw error;
    const where = error instanceof IOError ? `cannot listen on ${config.host}:${config.port}: ` : '';
    process.stderr.write(`verdant serve: ${where}${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  // Exit explicitly: a signal listener or a stray handle of the app's must not keep the controller alive.
  running.then((code) => process.exit(code));
}

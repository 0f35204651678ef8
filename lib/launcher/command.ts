/**
 * `verdant serve`: the command-line entry. Parses the flags (a usage error exits with code 2 and says what was
 * wrong), then runs the {@link Controller} until it stops (exit code 0 after a graceful stop).
 */
import { Controller } from './controller';
import { ListenError, PidFileError, SocketActivationError, UsageError } from './errors';
import { SERVE_USAGE, parseServeArgs } from './options';

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
  // Exit explicitly once stopped: a signal listener or a stray handle must not keep the controller alive.
  new Controller(parsed.config).run().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (!(error instanceof ListenError) && !(error instanceof PidFileError) && !(error instanceof SocketActivationError)) throw error;
      process.stderr.write(`verdant serve: ${error.message}\n`);
      process.exit(1);
    },
  );
}

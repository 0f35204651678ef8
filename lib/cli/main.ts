/**
 * The `verdant` command.
 *
 *   verdant run <file> [args...]   runs <file> as the program's main green thread (see `run`), so its top level may
 *                                  block; process.argv is what `node <file> [args...]` would give.
 *   verdant serve <app> [flags]    serves a fetch-style app with worker processes (lib/launcher, docs/launcher.md).
 */
import Module from 'node:module';
import * as path from 'node:path';
import { run } from '../runtime/run';

const USAGE = `usage: verdant run <file> [args...]
       verdant serve <app.js> [--port N] [--processes N] [flags...]

  run    run a CommonJS program with its top level in a green thread (exit code 0 when it
         returns, 1 with the stack printed when it throws)
  serve  serve a fetch-style app with worker processes; SIGHUP reloads it (verdant serve --help)`;

/** Runs the command line `argv` (without node and the script). */
export function main(argv: string[]): void {
  const [command, file, ...args] = argv;
  if (command === 'serve') {
    // Loaded only for this command: `verdant run` does not pay for the launcher.
    (require('../launcher/command') as typeof import('../launcher/command')).serveCommand(argv.slice(1));
    return;
  }
  if (command !== 'run' || file === undefined) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const entry = path.resolve(file);
  process.argv = [process.argv[0], entry, ...args];
  run(() => {
    // Loads the file as Node loads a main module (require.main, process.mainModule), on this green thread.
    (Module as unknown as { runMain(main?: string): void }).runMain(entry);
  });
}

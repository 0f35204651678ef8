/**
 * The `verdant` command.
 *
 *   verdant run <file> [args...]   runs <file> as the program's main green thread (see `run`), so its top level may
 *                                  block; process.argv is what `node <file> [args...]` would give.
 */
import Module from 'node:module';
import * as path from 'node:path';
import { run } from '../runtime/run';

const USAGE = `usage: verdant run <file> [args...]

  run    run a CommonJS program with its top level in a green thread (exit code 0 when it
         returns, 1 with the stack printed when it throws)`;

/** Runs the command line `argv` (without node and the script). */
export function main(argv: string[]): void {
  const [command, file, ...args] = argv;
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

/**
 * run(main): a program's top level as a green thread, and the report of green threads stuck at exit.
 */
import { settings } from './config';
import { BlockedForeverError, GreenletExit } from './errors';
import { Greenlet, getCurrent } from './greenlet';
import { GreenThread, liveGreenThreads, spawn, spawnSites } from './greenthread';
import { describeGreenlet, interrupt, isUnrefWait, phaseOf, waitReasonOf } from './hub';

let programMain: GreenThread | null = null;

/**
 * Runs `main()` as the program's main green thread, so its top level may block. Call it from the main stack (the
 * top of a script); it returns at once, and `main` starts when the event loop turns. If `main` throws, the error
 * is an uncaught exception: Node prints it and exits with code 1. If it returns, the process exits (code 0) once
 * nothing else keeps it alive. If it ends up waiting for something that can never happen, a
 * {@link BlockedForeverError} listing the stuck green threads raises in it.
 *
 * `verdant run file.js` does this for a whole file.
 */
export function run<T>(main: () => T): GreenThread<T> {
  if (typeof main !== 'function') throw new TypeError('run takes a function');
  const gt = spawn(main);
  gt.name = 'main';
  gt.link((done) => {
    try {
      done.wait();
    } catch (error) {
      if (!(error instanceof GreenletExit)) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  });
  if (programMain === null && getCurrent() === Greenlet.getMain()) programMain = gt;
  return gt;
}

// The exit check: a 'beforeExit' listener does not keep the process alive, so it costs nothing until exit.
function watchForStuckThreads(): void {
  let reported = false;
  process.on('beforeExit', () => {
    // The loop is empty: no fd, timer or ready green thread keeps it alive, so whoever still waits waits forever.
    const stuck = [...liveGreenThreads].filter((g) => !g.dead && phaseOf(g) === 'parked' && !isUnrefWait(g));
    if (stuck.length === 0 || !settings.reportStuckAtExit) return;
    const report = describeStuck(stuck);
    if (programMain !== null && stuck.includes(programMain)) {
      interrupt(programMain, new BlockedForeverError(report));
      programMain = null;
      return;
    }
    if (reported) return;
    reported = true;
    process.stderr.write(`verdant: ${report}\n`);
  });
}

function describeStuck(stuck: Greenlet[]): string {
  const lines = stuck.map((g) => {
    const site = spawnSites.get(g);
    const where = site ? `\n      spawned ${site.trim().split('\n')[0].trim()}` : '';
    return `  - ${describeGreenlet(g)} waits on ${waitReasonOf(g) ?? 'a switch'}${where}`;
  });
  return (
    `this operation would block forever: the event loop has nothing left to do, but ${stuck.length} green ` +
    `thread${stuck.length === 1 ? ' waits' : 's wait'} for something nothing can deliver any more:\n${lines.join('\n')}`
  );
}

watchForStuckThreads();

/**
 * Helpers of the fs, tpool and patcher suites (test/fs, test/tpool, test/patcher): scratch directories, FIFOs, and a ticker that shows other green
 * threads ran.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep, spawn, type GreenThread } from 'verdant';

/** The repository root (dist/test/<suite> is three levels below it). */
export const root = path.join(__dirname, '..', '..', '..');

/** A fresh directory under the system's temp dir, removed by {@link removeScratch}. */
export function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-fs-'));
}

export function removeScratch(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Makes a FIFO: opening it for reading blocks until a writer opens it, which makes "a read that never ends". */
export function makeFifo(dir: string, name = 'fifo'): string {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  return file;
}

/**
 * Ends a read blocked on `fifo` (in the threadpool): opens it for writing, writes `data`, closes it. Retries while
 * the reader has not reached its open() yet (ENXIO: no reader).
 */
export function releaseFifo(fifo: string, data = ''): void {
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || attempt > 500) throw error;
      sleep(0.01);
      continue;
    }
    if (data !== '') fs.writeSync(fd, data);
    fs.closeSync(fd);
    return;
  }
}

/** A green thread counting its turns (sleep(0) at a time) until stopped: proof that other green threads ran. */
export function ticker(): { readonly ticks: number; stop(): void } {
  let ticks = 0;
  let running = true;
  const gt: GreenThread = spawn(() => {
    while (running) {
      ticks++;
      sleep(0.001);
    }
  });
  return {
    get ticks() {
      return ticks;
    },
    stop() {
      running = false;
      gt.wait();
    },
  };
}

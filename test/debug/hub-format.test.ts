// formatHubListeners and formatHubTimers (lib/debug/hub-format.ts): the hub's fd waits and timers as text, on
// real FIFOs, sleeps, spawnAfter starts and Timeouts.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GreenThread, Timeout, kill, sleep, spawn, spawnAfter, trampoline } from 'verdant';
import { park, wake } from '../../lib/runtime/hub';
import { formatHubListeners, formatHubTimers } from '../../lib/debug';

const root = path.join(__dirname, '..', '..', '..');

// A FIFO opened read-write and non-blocking: an fd this test owns entirely.
function fifo(dir: string, name: string): number {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  return fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
}

// Writes until the pipe is full, so that a wait to write blocks.
function fill(fd: number): void {
  const chunk = Buffer.alloc(65536, 'x');
  for (;;) {
    try {
      fs.writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw error;
    }
  }
}

function named<T>(gt: GreenThread<T>, name: string): GreenThread<T> {
  gt.name = name;
  return gt;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('debug: formatHubListeners and formatHubTimers', () => {
  it('lists each fd wait by fd: events and the green thread', () =>
    spawn(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-format-'));
      const readFd = fifo(dir, 'read');
      const writeFd = fifo(dir, 'write');
      fill(writeFd);
      const reader = named(spawn(() => trampoline(readFd, { read: true })), 'fifo-reader');
      const writer = named(spawn(() => trampoline(writeFd, { write: true })), 'fifo-writer');
      try {
        sleep(0.02);
        const text = formatHubListeners();
        const lines = text.split('\n');
        assert.match(lines[0], /^hub listeners \(\d+\):$/);
        const readLine = lines.findIndex((l) => new RegExp(`^  fd ${readFd} *  read {8}GreenThread "fifo-reader"$`).test(l));
        const writeLine = lines.findIndex((l) => new RegExp(`^  fd ${writeFd} *  write {7}GreenThread "fifo-writer"$`).test(l));
        assert.ok(readLine > 0 && writeLine > 0, text);
        assert.equal(readLine < writeLine, readFd < writeFd, 'sorted by fd');
        fs.writeSync(readFd, 'wake up');
        reader.wait();
        kill(writer);
        assert.doesNotMatch(formatHubListeners(), /fifo-reader|fifo-writer/);
      } finally {
        kill(reader);
        kill(writer);
        fs.closeSync(readFd);
        fs.closeSync(writeFd);
        fs.rmSync(dir, { recursive: true });
      }
    }));

  it('lists timers soonest first: seconds left, kind, green thread and what it waits on', () =>
    spawn(() => {
      const sleeper = named(spawn(() => sleep(5)), 'five-second-sleeper');
      const later = named(spawnAfter(3, () => {}), 'starts-later');
      const guarded = named(
        spawn(() => {
          const timeout = new Timeout(2);
          try {
            park('guarded wait');
          } finally {
            timeout.cancel();
          }
        }),
        'guarded',
      );
      sleep(0.02);
      const text = formatHubTimers();
      const lines = text.split('\n');
      assert.match(lines[0], /^hub timers \(\d+\):$/);
      const find = (pattern: string) => lines.findIndex((l) => new RegExp(pattern).test(l));
      const alarm = find(`^  in +1\\.9\\d\\d s  alarm    ${escape('GreenThread "guarded" (guarded wait)')}$`);
      const start = find(`^  in +2\\.9\\d\\d s  start    ${escape('GreenThread "starts-later"')}$`);
      const timeout = find(`^  in +4\\.9\\d\\d s  timeout  ${escape('GreenThread "five-second-sleeper" (sleep)')}$`);
      assert.ok(alarm > 0 && start > alarm && timeout > start, text);
      kill(sleeper);
      later.cancel();
      wake(guarded);
      guarded.wait();
      assert.doesNotMatch(formatHubTimers(), /five-second-sleeper|starts-later|guarded/);
    }));

  it('says "none" for a hub with nothing to wait on', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', `const d = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'debug'))}); console.log(d.formatHubListeners()); console.log(d.formatHubTimers());`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hub listeners: none\nhub timers: none\n');
  });
});

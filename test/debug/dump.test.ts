// dumpGreenThreads (lib/debug/dump.ts) and the stack peek behind it (native/debug/stack_peek.cc): every green
// thread with its state, what it waits on and its stack of the moment, taken by switching into it and back
// without disturbing it.
import { strict as assert } from 'node:assert';
import { AsyncResource, executionAsyncResource } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Greenlet, GreenThread, Timeout, configure, getCurrent, kill, sleep, spawn, spawnAfter, trampoline } from 'verdant';
import { park, wake } from '../../lib/runtime/hub';
import { dumpGreenThreads } from '../../lib/debug';
import type { GreenThreadInfo } from '../../lib/debug';

// A FIFO opened read-write and non-blocking: an fd this test owns entirely.
function fifo(dir: string, name: string): number {
  const file = path.join(dir, name);
  execFileSync('mkfifo', [file]);
  return fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
}

// A peek is two switches; on the threads backend each is a hand-off between OS threads.
const dumpRounds = process.env.VERDANT_BACKEND === 'threads' ? 100 : 3000;

// Every green thread the tests start, so that a failed test can kill what it left behind.
const spawned: GreenThread[] = [];

function named<T>(gt: GreenThread<T>, name: string): GreenThread<T> {
  gt.name = name;
  spawned.push(gt);
  return gt;
}

function entry(dump: GreenThreadInfo[], name: string): GreenThreadInfo {
  const found = dump.filter((d) => d.name === name);
  assert.equal(found.length, 1, `one entry named ${name} in ${JSON.stringify(dump, null, 2)}`);
  return found[0];
}

describe('debug: dumpGreenThreads', () => {
  afterEach(() => spawn(() => spawned.splice(0).forEach((gt) => kill(gt))));

  it('describes green threads in every state, with what they wait on and their stacks, and leaves them undisturbed', () =>
    spawn(function dumpingThread() {
      (getCurrent() as GreenThread).name = 'dumper';
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-dump-'));
      const fd = fifo(dir, 'in');
      try {
        const sleeper = named(spawn(function sleeperBody() { sleep(5); }), 'sleeper');
        const reader = named(
          spawn(function readerBody() {
            trampoline(fd, { read: true });
            const buf = Buffer.alloc(100);
            return buf.toString('utf8', 0, fs.readSync(fd, buf));
          }),
          'reader',
        );
        const guarded = named(
          spawn(function guardedBody() {
            const timeout = new Timeout(3);
            try {
              return park('custom wait');
            } finally {
              timeout.cancel();
            }
          }),
          'guarded',
        );
        const switcher = named(
          spawn(function switcherBody() {
            const inner = new Greenlet(function innerBody() {
              sleep(0.3);
              return 'inner done';
            });
            return inner.switch();
          }),
          'switcher',
        );
        const woken = named(spawn(function wokenBody() { return park('woken wait'); }), 'woken');
        sleep(0.05); // all of them start and block
        const later = named(spawnAfter(10, () => 'never'), 'later');
        const fresh = named(spawn(() => 'fresh done'), 'fresh');
        wake(woken, 'woken value'); // ready: resumes at the next dispatch, not before

        const dump = dumpGreenThreads();

        const dumper = entry(dump, 'dumper');
        assert.equal(dumper.state, 'running');
        assert.equal(dumper.waitingOn, null);
        assert.match(dumper.stack!, /^ {4}at dumpingThread \(.*dump\.test\.js:\d+:\d+\)$/m);
        assert.doesNotMatch(dumper.stack!, /lib[/\\]debug[/\\]dump\.js/);

        const s = entry(dump, 'sleeper');
        assert.equal(s.state, 'waiting');
        assert.match(s.waitingOn!, /^sleep, [45]\.\d{3} s left$/);
        assert.match(s.stack!, /^ {4}at sleep \(.*sleep\.js:\d+:\d+\)\n {4}at sleeperBody \(/m);

        const r = entry(dump, 'reader');
        assert.equal(r.state, 'waiting');
        assert.equal(r.waitingOn, `read fd ${fd}`);
        assert.match(r.stack!, /^ {4}at trampoline \(.*\n {4}at readerBody \(/m);

        const g = entry(dump, 'guarded');
        assert.equal(g.state, 'waiting');
        assert.match(g.waitingOn!, /^custom wait, a Timeout fires in [23]\.\d{3} s$/);
        assert.match(g.stack!, /at guardedBody \(/);

        const sw = entry(dump, 'switcher');
        assert.equal(sw.state, 'waiting');
        assert.equal(sw.waitingOn, 'a switch (suspended outside the hub)');
        assert.match(sw.stack!, /at switcherBody \(/);

        const w = entry(dump, 'woken');
        assert.equal(w.state, 'ready');
        assert.equal(w.waitingOn, null);
        assert.match(w.stack!, /at wokenBody \(/);

        const l = entry(dump, 'later');
        assert.equal(l.state, 'scheduled');
        assert.match(l.waitingOn!, /^start in (9|10)\.\d{3} s$/);
        assert.equal(l.stack, null);

        const f = entry(dump, 'fresh');
        assert.equal(f.state, 'new');
        assert.equal(f.waitingOn, null);
        assert.equal(f.stack, null);

        for (const d of dump) assert.equal(d.spawnedAt, null); // captureSpawnSites is off
        assert.deepEqual(JSON.parse(JSON.stringify(dump)), dump);
        assert.equal(new Set(dump.map((d) => d.id)).size, dump.length);
        const again = dumpGreenThreads({ stacks: false });
        for (const d of again) {
          assert.equal(d.stack, null);
          const before = dump.find((e) => e.name === d.name);
          if (before) assert.equal(d.id, before.id, `${d.name} keeps its id`);
        }

        // The peeks ran none of their code and cancelled none of their waits.
        assert.equal(woken.wait(), 'woken value');
        fs.writeSync(fd, 'data for the reader');
        assert.equal(reader.wait(), 'data for the reader');
        wake(guarded, 'guarded value');
        assert.equal(guarded.wait(), 'guarded value');
        assert.equal(switcher.wait(), 'inner done');
        assert.equal(fresh.wait(), 'fresh done');
        assert.equal(sleeper.dead, false);
        kill(sleeper);
        later.cancel();
        assert.equal(later.dead, true);
      } finally {
        // After a failure nothing may be left waiting (on the fd, forever): the test process would never exit.
        for (const gt of spawned.splice(0)) kill(gt);
        fs.closeSync(fd);
        fs.rmSync(dir, { recursive: true });
      }
    }));

  it('shows the stack of the moment: where a thread waits now, not where it first waited', () =>
    spawn(() => {
      const walker = named(
        spawn(function walkerBody() {
          (function firstStop() { park('first stop'); })();
          (function secondStop() { park('second stop'); })();
        }),
        'walker',
      );
      sleep(0.01);
      const first = entry(dumpGreenThreads(), 'walker');
      assert.equal(first.waitingOn, 'first stop');
      assert.match(first.stack!, /^ {4}at firstStop \(.*\n {4}at walkerBody \(/m);
      wake(walker);
      sleep(0.01);
      const second = entry(dumpGreenThreads(), 'walker');
      assert.equal(second.waitingOn, 'second stop');
      assert.match(second.stack!, /^ {4}at secondStop \(.*\n {4}at walkerBody \(/m);
      assert.doesNotMatch(second.stack!, /firstStop/);
      wake(walker);
      walker.wait();
    }));

  it('from the main stack, the first entry is main, running, with the caller on its stack', function fromMainStack() {
    const [first] = dumpGreenThreads();
    assert.equal(first.name, 'main');
    assert.equal(first.id, 0);
    assert.equal(first.state, 'running');
    assert.match(first.stack!, /^ {4}at fromMainStack \(/);
  });

  it('records where threads were spawned when captureSpawnSites is on', () =>
    spawn(() => {
      configure({ captureSpawnSites: true });
      try {
        const gt = named(spawn(function spawnedWithSite() { sleep(1); }), 'sited');
        sleep(0.01);
        const info = entry(dumpGreenThreads(), 'sited');
        assert.match(info.spawnedAt!, /dump\.test\.js:\d+:\d+/);
        kill(gt);
      } finally {
        configure({ captureSpawnSites: false });
      }
    }));

  it('survives many dumps in a row: peeks take no stack of their own', () =>
    spawn(() => {
      const parked = ['a', 'b', 'c'].map((name) => named(spawn(function parkedForDumps() { return park('dumped'); }), name));
      sleep(0.01);
      for (let i = 0; i < dumpRounds; i++) {
        const dump = dumpGreenThreads({ maxFrames: 4 });
        for (const name of ['a', 'b', 'c']) {
          const stack = entry(dump, name).stack!;
          assert.match(stack, /at parkedForDumps/);
          assert.ok(stack.split('\n').length <= 4);
        }
      }
      parked.forEach((gt, i) => wake(gt, i));
      assert.deepEqual(parked.map((gt) => gt.wait()), [0, 1, 2]);
    }));

  it('inside an async scope of its own the caller still peeks at the other stacks, and stays in its scope', () =>
    spawn(() => {
      const sleeper = named(spawn(function scopedSleeper() { sleep(5); }), 'scoped-sleeper');
      sleep(0.01);
      const resource = new AsyncResource('dump');
      const inside = resource.runInAsyncScope(() => {
        const dump = dumpGreenThreads();
        assert.equal(executionAsyncResource(), resource);
        return dump;
      });
      assert.match(entry(inside, 'scoped-sleeper').stack!, /at scopedSleeper/);
      assert.equal(entry(inside, 'scoped-sleeper').state, 'waiting');
      assert.match(entry(dumpGreenThreads(), 'scoped-sleeper').stack!, /at scopedSleeper/);
      kill(sleeper);
    }));

  it('rejects bad options with typed errors', () => {
    assert.throws(() => dumpGreenThreads({ maxFrames: 0 }), { name: 'RangeError', message: /maxFrames must be an integer from 1 to 1000/ });
    assert.throws(() => dumpGreenThreads({ maxFrames: 1.5 }), RangeError);
    assert.throws(() => dumpGreenThreads({ maxFrames: '3' as never }), TypeError);
    assert.throws(() => dumpGreenThreads({ stacks: 1 as never }), { name: 'TypeError', message: /stacks must be a boolean/ });
    assert.throws(() => dumpGreenThreads({ stack: true } as never), { name: 'TypeError', message: /unknown option "stack"/ });
    assert.throws(() => dumpGreenThreads(null as never), TypeError);
  });
});

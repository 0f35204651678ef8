// The hub and green threads: spawn/wait/link/kill, sleep, wait(promise), Timeout, trampoline on real fds, the
// exit report, and the hub under load. Each test body runs in a green thread: mocha awaits the GreenThread
// (it is a thenable).
import { strict as assert } from 'node:assert';
import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BlockedForeverError,
  ConcurrentWaitError,
  Event,
  FdWaitError,
  Greenlet,
  GreenletExit,
  GreenThread,
  HubBlockingError,
  IOClosed,
  Timeout,
  getCurrent,
  kill,
  sleep,
  spawn,
  spawnAfter,
  spawnAfterLocal,
  spawnN,
  trampoline,
  wait,
  withTimeout,
  isTimeout,
  wrapIsTimeout,
  SocketTimeoutError,
} from 'verdant';
import { fdClosed, hubStats, listeners, park, timers, wake } from '../../lib/runtime/hub';
import { patience } from '../support/patience';

const root = path.join(__dirname, '..', '..', '..');

// A FIFO opened read-write and non-blocking: an fd this test owns entirely (libuv never sees it).
function fifo(dir: string, name: string): number {
  return fifos(dir, [name])[0];
}

// One mkfifo for them all: a fork per fifo costs seconds for a thousand under the sanitizers' large mappings.
function fifos(dir: string, names: string[]): number[] {
  const files = names.map((name) => path.join(dir, name));
  execFileSync('mkfifo', files);
  const fds: number[] = [];
  try {
    for (const file of files) fds.push(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
  } catch (error) {
    for (const fd of fds) fs.closeSync(fd);
    throw error;
  }
  return fds;
}

function readAvailable(fd: number): string {
  const buf = Buffer.alloc(4096);
  try {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n).toString();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw error;
  }
}

// Runs a script in a child node and returns its exit status and output.
function runNode(source: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['-e', source], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: patience(30_000),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hub: green threads', () => {
  it('spawn starts at the next dispatch, not before spawn returns, and wait returns the result', () =>
    spawn(() => {
      const order: string[] = [];
      const gt = spawn((a: number, b: number) => {
        order.push('child');
        return a + b;
      }, 2, 3);
      order.push('parent');
      assert.equal(gt.wait(), 5);
      assert.deepEqual(order, ['parent', 'child']);
      assert.equal(gt.dead, true);
    }));

  it('wait rethrows the error the green thread died with, every time', () =>
    spawn(() => {
      const boom = new Error('boom');
      const gt = spawn(() => {
        throw boom;
      });
      assert.throws(() => gt.wait(), (e) => e === boom);
      assert.throws(() => gt.wait(), (e) => e === boom);
    }));

  it('green threads are thenables: async code can await them', async () => {
    assert.equal(await spawn(() => 'value'), 'value');
    await assert.rejects(
      async () =>
        await spawn(() => {
          throw new RangeError('no');
        }),
      RangeError,
    );
  });

  it('getCurrent is the green thread inside it and main outside', () => {
    // (Not returning the thread itself: a thenable resolving to itself never settles, as with any promise.)
    const gt: GreenThread<boolean> = spawn(() => getCurrent() === gt);
    assert.equal(getCurrent(), Greenlet.getMain());
    return gt.then((inside) => assert.equal(inside, true));
  });

  it('link callbacks get the thread and their arguments when it finishes; unlink removes one', () =>
    spawn(() => {
      const calls: unknown[] = [];
      const gt = spawn(() => 7);
      const removed = () => calls.push('removed');
      gt.link((t, tag: string) => calls.push([tag, t.wait()]), 'a');
      gt.link(removed);
      assert.equal(gt.unlink(removed), true);
      assert.equal(gt.unlink(removed), false);
      gt.wait();
      gt.link((t) => calls.push(['late', t.wait()]));
      assert.deepEqual(calls, [['a', 7], ['late', 7]]);
    }));

  it('links run once each, in the order they were added; unlinking one in the middle keeps the others', () =>
    spawn(() => {
      const calls: string[] = [];
      const gate = new Event();
      const gt = spawn(() => gate.wait());
      const middle = () => calls.push('middle');
      gt.link(() => calls.push('first'));
      const settled = gt.then(() => calls.push('then'));
      gt.link(middle);
      gt.link((_t, a: string, b: string) => calls.push(`last ${a}${b}`), 'x', 'y');
      gt.link(middle);
      assert.equal(gt.unlink(middle), true); // the first of the two
      gate.send(null);
      gt.wait();
      wait(settled);
      // then()'s callbacks run in a microtask, whenever that comes; the links in the finishing thread, in order.
      assert.deepEqual(calls.filter((c) => c !== 'then'), ['first', 'last xy', 'middle']);
      assert.equal(calls.filter((c) => c === 'then').length, 1);
    }));

  it('spawnAfter starts after the delay; cancel before the start means it never runs', () =>
    spawn(() => {
      const t0 = Date.now();
      const ran: string[] = [];
      const late = spawnAfter(0.05, () => ran.push('late'));
      const never = spawnAfter(0.02, () => ran.push('never'));
      assert.equal(never.cancel(), true);
      late.wait();
      assert.ok(Date.now() - t0 >= 45, `started after ${Date.now() - t0} ms`);
      assert.throws(() => never.wait(), GreenletExit);
      assert.deepEqual(ran, ['late']);
      assert.equal(late.cancel(), false);
    }));

  it('kill raises GreenletExit where the thread waits, runs its finally blocks, and waiters see it', () =>
    spawn(() => {
      const log: string[] = [];
      const victim = spawn(() => {
        try {
          sleep(10);
          log.push('woke');
        } finally {
          log.push('finally');
        }
      });
      sleep(0.01);
      kill(victim);
      // kill is a switch point: the victim has unwound when it returns.
      assert.deepEqual(log, ['finally']);
      assert.throws(() => victim.wait(), GreenletExit);
    }));

  it('kill with a custom error; killing an unstarted thread finishes it at once; killing a dead one is a no-op', () =>
    spawn(() => {
      const err = new Error('stop');
      const victim = spawn(() => sleep(10));
      sleep(0);
      victim.kill(err);
      assert.throws(() => victim.wait(), (e) => e === err);
      let started = false;
      const unstarted = spawn(() => {
        started = true;
      });
      kill(unstarted);
      assert.equal(unstarted.dead, true);
      assert.throws(() => unstarted.wait(), GreenletExit);
      sleep(0);
      assert.equal(started, false);
      kill(unstarted);
    }));

  it('a green thread killing itself raises at once', () =>
    spawn(() => {
      const gt = spawn(() => {
        kill(getCurrent());
        return 'not reached';
      });
      assert.throws(() => gt.wait(), GreenletExit);
    }));

  it('a thread cannot wait for itself', () =>
    spawn(() => {
      const gt: GreenThread = spawn(() => gt.wait());
      assert.throws(() => gt.wait(), /cannot wait for itself/);
    }));

  it('spawnN errors are uncaught exceptions; its greenlet finishes', async () => {
    // mocha has its own handler, which would fail the test: stand in for it meanwhile.
    const saved = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    let g: Greenlet;
    let error: unknown;
    try {
      error = await new Promise<unknown>((resolve) => {
        process.once('uncaughtException', resolve);
        g = spawnN(() => {
          throw new SyntaxError('from spawnN');
        });
      });
    } finally {
      process.removeAllListeners('uncaughtException');
      for (const listener of saved) process.on('uncaughtException', listener);
    }
    assert.ok(error instanceof SyntaxError);
    assert.equal(g!.dead, true);
  });

  it('blocking calls on the main stack raise HubBlockingError saying what to do', () => {
    assert.throws(() => sleep(0.1), HubBlockingError);
    assert.throws(() => wait(Promise.resolve(1)), /spawn\(fn\), run\(main\)/);
    const gt = spawn(() => 1);
    assert.throws(() => gt.wait(), HubBlockingError);
    return gt;
  });

  it('rejects bad arguments with errors that name them', () => {
    assert.throws(() => spawn(42 as never), /spawn takes a function/);
    assert.throws(() => spawnAfter(-1, () => 0), /spawnAfter takes a finite number of seconds/);
    assert.throws(() => new Timeout(NaN), /Timeout takes a finite number/);
    return spawn(() => {
      assert.throws(() => sleep(-1), RangeError);
      assert.throws(() => trampoline(-1, { read: true }), /trampoline takes an fd/);
      assert.throws(() => trampoline(0, {}), /read: true or write: true/);
    });
  });
});

describe('hub: sleep and yielding', () => {
  it('sleepers wake in deadline order', () =>
    spawn(() => {
      const order: number[] = [];
      // The gaps grow with the time scale: an emulated CPU may take longer than 10 ms to start the next thread.
      const threads = [30, 10, 20, 0].map((ms) => spawn(() => (sleep(patience(ms) / 1000), order.push(ms))));
      for (const t of threads) t.wait();
      assert.deepEqual(order, [0, 10, 20, 30]);
    }));

  it('sleep(0) lets every other ready green thread run once, round robin', () =>
    spawn(() => {
      const trace: string[] = [];
      const a = spawn(() => {
        for (let i = 0; i < 3; i++) (trace.push(`a${i}`), sleep(0));
      });
      const b = spawn(() => {
        for (let i = 0; i < 3; i++) (trace.push(`b${i}`), sleep(0));
      });
      a.wait();
      b.wait();
      assert.deepEqual(trace, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    }));

  it('sleep(0) lets the event loop run: I/O callbacks and timers fire between yields', () =>
    spawn(() => {
      let immediates = 0;
      let timerFired = false;
      setTimeout(() => (timerFired = true), 5);
      const t0 = Date.now();
      while (!timerFired && Date.now() - t0 < 2000) {
        setImmediate(() => immediates++);
        sleep(0);
      }
      assert.ok(timerFired, 'a timer fired while a green thread only yielded');
      assert.ok(immediates > 0);
    }));

  it('nextTicks and microtasks queued by green code run right after its dispatch', () =>
    spawn(() => {
      const seen: string[] = [];
      process.nextTick(() => seen.push('tick'));
      void Promise.resolve().then(() => seen.push('microtask'));
      sleep(0);
      assert.deepEqual(seen.sort(), ['microtask', 'tick']);
    }));
});

describe('hub: wait(promise)', () => {
  it('returns what the promise fulfils with and throws what it rejects with', () =>
    spawn(() => {
      assert.equal(wait(new Promise((r) => setTimeout(() => r('later'), 5))), 'later');
      assert.equal(wait(Promise.resolve('now')), 'now');
      assert.equal(wait(42), 42);
      const err = new Error('rejected');
      assert.throws(() => wait(Promise.reject(err)), (e) => e === err);
    }));

  it('blocks only the calling green thread', () =>
    spawn(() => {
      let other = 0;
      const busy = spawn(() => {
        for (let i = 0; i < 5; i++) (other++, sleep(0));
      });
      wait(new Promise((r) => setTimeout(r, 20)));
      assert.equal(other, 5);
      busy.wait();
    }));

  it('works with async functions and other thenables, including green threads', () =>
    spawn(() => {
      const viaAsync = async () => {
        await new Promise((r) => setImmediate(r));
        return 'async';
      };
      assert.equal(wait(viaAsync()), 'async');
      assert.equal(wait(spawn(() => 'green')), 'green');
      assert.equal(wait({ then: (ok: (v: string) => void) => ok('custom') }), 'custom');
    }));

  it('a Timeout around wait(promise) raises, and the late settlement wakes nothing', () =>
    spawn(() => {
      let settle!: (v: string) => void;
      const p = new Promise<string>((r) => (settle = r));
      assert.throws(() => withTimeout(0.01, () => wait(p)), Timeout);
      settle('late');
      // If the late settlement woke this thread, this sleep would end early.
      const t0 = Date.now();
      sleep(0.03);
      assert.ok(Date.now() - t0 >= 25);
    }));
});

describe('hub: async context', () => {
  it('AsyncLocalStorage: each green thread keeps its own store across waits, inherited from its spawner', async () => {
    const als = new AsyncLocalStorage<string>();
    const a = spawn(() =>
      als.run('A', () => {
        sleep(0.01);
        const seen = als.getStore();
        sleep(0);
        return [seen, als.getStore()];
      }),
    );
    const b = spawn(() => als.run('B', () => (sleep(0.005), als.getStore())));
    const inherited = als.run('outer', () =>
      spawn(() => {
        const before = als.getStore();
        sleep(0.002);
        return [before, als.getStore()];
      }),
    );
    const none = spawn(() => (sleep(0.001), als.getStore()));
    assert.deepEqual(await Promise.all([a, b, inherited, none]), [['A', 'A'], 'B', ['outer', 'outer'], undefined]);
    assert.equal(als.getStore(), undefined);
  });

  it("executionAsyncId is the green thread's own, the same across its waits", () =>
    spawn(() => {
      const id = executionAsyncId();
      sleep(0.001);
      assert.equal(executionAsyncId(), id);
      wait(Promise.resolve());
      assert.equal(executionAsyncId(), id);
      assert.notEqual(spawn(() => executionAsyncId()).wait(), id);
    }));
});

describe('hub: spawnAfterLocal', () => {
  it('runs the function after the delay while its spawner lives; not at all once the spawner has finished', () =>
    spawn(() => {
      const ran: string[] = [];
      const spawner = spawn(() => {
        const alive = spawnAfterLocal(0.01, () => ran.push('alive'));
        const orphan = spawnAfterLocal(0.05, (what: string) => ran.push(what), 'orphan');
        alive.wait();
        return orphan;
      });
      const orphan = spawner.wait();
      assert.throws(() => orphan.wait(), GreenletExit);
      assert.deepEqual(ran, ['alive']);
      const fromMain = spawnAfterLocal(0.001, () => 'main');
      assert.equal(fromMain.wait(), 'main');
      assert.throws(() => spawnAfterLocal(-1, () => 0), RangeError);
    }));
});

describe('hub: Timeout', () => {
  it('given true or false it raises itself; given an error class it raises a new instance of it (eventlet)', () =>
    spawn(() => {
      for (const flag of [true, false]) {
        const t = new Timeout(0.001, flag);
        assert.throws(() => sleep(1), (e) => e === t);
      }
      const t = new Timeout(0.001, RangeError);
      assert.throws(() => sleep(1), (e) => e instanceof RangeError && e.message === t.message);
      class Late extends Error {}
      new Timeout(0.001, Late);
      assert.throws(() => sleep(1), Late);
    }));

  it('isTimeout knows a Timeout, a socket timeout, an AbortSignal timeout and what wrapIsTimeout marks; nothing else', () =>
    spawn(() => {
      assert.equal(isTimeout(new Timeout(null)), true);
      assert.equal(isTimeout(new SocketTimeoutError('recv', 1)), true);
      const signal = AbortSignal.timeout(1);
      sleep(0.05);
      assert.equal(isTimeout(signal.reason), true, 'a DOMException named TimeoutError');
      class Slow extends Error {}
      assert.equal(isTimeout(new Slow()), false);
      assert.equal(wrapIsTimeout(Slow), Slow);
      assert.equal(isTimeout(new Slow()), true);
      const make = wrapIsTimeout((what: string) => new Error(what));
      const made = make('late');
      assert.equal(made.message, 'late');
      assert.equal(isTimeout(made), true);
      for (const other of [new Error('x'), null, undefined, 'Timeout', { isTimeout: 'yes' }]) assert.equal(isTimeout(other), false);
      assert.throws(() => wrapIsTimeout(42 as never), TypeError);
    }));

  it('raises itself in the green thread that armed it, at the blocking call', () =>
    spawn(() => {
      const t = new Timeout(0.01);
      assert.equal(t.pending, true);
      assert.throws(() => sleep(1), (e) => e === t);
      assert.equal(t.pending, false);
      assert.equal(t.expired, true);
    }));

  it('raises the exception it was given instead', () =>
    spawn(() => {
      const custom = new TypeError('custom');
      const t = new Timeout(0.01, custom);
      assert.throws(() => sleep(1), (e) => e === custom);
      t.cancel();
    }));

  it('cancel disarms it; null seconds never fires', () =>
    spawn(() => {
      const t = new Timeout(0.01);
      t.cancel();
      t.cancel();
      sleep(0.03);
      assert.equal(t.expired, false);
      const never = new Timeout(null);
      assert.equal(never.pending, false);
      sleep(0.01);
    }));

  it('nested timeouts: the inner one fires first, then the outer one', () =>
    spawn(() => {
      const outer = new Timeout(0.05);
      try {
        assert.throws(() => withTimeout(0.01, () => sleep(1)), (e) => e instanceof Timeout && e !== outer);
        assert.throws(() => sleep(1), (e) => e === outer);
      } finally {
        outer.cancel();
      }
    }));

  it('withTimeout returns the result when in time, or timeoutValue when late', () =>
    spawn(() => {
      assert.equal(withTimeout(1, () => 'fast'), 'fast');
      assert.equal(withTimeout(0.01, () => sleep(1), { timeoutValue: 'late' }), 'late');
    }));

  it('a wake after the deadline passed is refused: the Timeout raises first (eventlet order), the waker keeps its value', () =>
    spawn(() => {
      const self = getCurrent();
      const t = new Timeout(0.01);
      // Busy the loop past the deadline, then wake this thread in the same turn as the alarm is due.
      const waker = spawn(() => {
        const until = Date.now() + 30;
        while (Date.now() < until);
        return wake(self, 'value');
      });
      assert.throws(() => park('test'), (e) => e === t);
      assert.equal(t.expired, true);
      assert.equal(waker.wait(), false, 'wake() said the value was not taken');
    }));

  it('a wake before the deadline wins, even if the deadline passes before the thread runs; the Timeout raises at the next blocking call', () =>
    spawn(() => {
      const self = getCurrent();
      // The waker must run before the deadline: on a slow (sanitized, emulated) run, starting it may take longer
      // than 10 ms, so both times grow with the time scale.
      const t = new Timeout(patience(10) / 1000);
      spawn(() => {
        assert.equal(wake(self, 'value'), true);
        const until = Date.now() + patience(30);
        while (Date.now() < until);
      });
      assert.equal(park('test'), 'value');
      assert.equal(t.expired, false);
      assert.throws(() => sleep(1), (e) => e === t);
    }));

  it('Timeout(0) armed before a hand-off in the same turn raises, as in eventlet; nested Timeouts fire the earliest due', () =>
    spawn(() => {
      const self = getCurrent();
      spawn(() => assert.equal(wake(self, 'value'), false));
      const outer = new Timeout(0);
      const inner = new Timeout(5);
      assert.throws(() => park('test'), (e) => e === outer);
      assert.equal(inner.pending, true);
      inner.cancel();
    }));

  it('a deadline that passes while the thread runs is withdrawn by cancel', () =>
    spawn(() => {
      const t = new Timeout(patience(5) / 1000);
      const until = Date.now() + patience(30);
      spawn(() => 0).wait(); // one blocking call that ends before the deadline
      while (Date.now() < until); // the deadline passes while this thread runs
      sleep(0); // the hub sees it fire now; this thread is ready, not waiting: the alarm waits for a wait
      t.cancel();
      sleep(patience(10) / 1000);
      assert.equal(t.expired, false);
    }));

  it('on the main stack a Timeout cannot be armed', () => {
    assert.throws(() => new Timeout(1), HubBlockingError);
  });
});

describe('hub: trampoline on real fds', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-hub-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('waits until an fd is readable and reports READ', () =>
    spawn(() => {
      const fd = fifo(dir, 'readable');
      try {
        spawn(() => {
          sleep(0.01);
          fs.writeSync(fd, 'hello');
        });
        assert.equal(readAvailable(fd), '');
        const ready = trampoline(fd, { read: true });
        assert.equal(ready & 1, 1);
        assert.equal(readAvailable(fd), 'hello');
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('write readiness is immediate on a FIFO with room', () =>
    spawn(() => {
      const fd = fifo(dir, 'writable');
      try {
        assert.equal(trampoline(fd, { write: true }) & 2, 2);
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('raises a Timeout when the fd stays quiet', () =>
    spawn(() => {
      const fd = fifo(dir, 'quiet');
      try {
        assert.throws(() => trampoline(fd, { read: true, timeout: 0.01 }), (e) => e instanceof Timeout && /read fd/.test(e.message));
        // The fd is still usable afterwards.
        fs.writeSync(fd, 'x');
        assert.equal(trampoline(fd, { read: true, timeout: 1 }) & 1, 1);
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('a second reader is a ConcurrentWaitError naming both green threads; shared waits are allowed', () =>
    spawn(() => {
      const fd = fifo(dir, 'collide');
      try {
        const first = spawn(() => trampoline(fd, { read: true }));
        first.name = 'first-reader';
        sleep(0);
        const second = spawn(() => trampoline(fd, { read: true }));
        second.name = 'second-reader';
        assert.throws(
          () => second.wait(),
          (e) => e instanceof ConcurrentWaitError && /"second-reader"/.test(e.message) && /"first-reader"/.test(e.message),
        );
        const shared = spawn(() => trampoline(fd, { read: true, shared: true }));
        sleep(0);
        fs.writeSync(fd, 'x');
        assert.equal(first.wait() & 1, 1);
        assert.equal(shared.wait() & 1, 1);
        // A writer does not collide with a reader.
        assert.equal(trampoline(fd, { write: true }) & 2, 2);
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('fdClosed wakes the waiters with IOClosed', () =>
    spawn(() => {
      const fd = fifo(dir, 'closing');
      const waiter = spawn(() => trampoline(fd, { read: true }));
      sleep(0);
      assert.equal(listeners().some((l) => l.fd === fd && l.read), true);
      fdClosed(fd);
      fs.closeSync(fd);
      assert.throws(() => waiter.wait(), (e) => e instanceof IOClosed && e.fd === fd);
      assert.equal(listeners().some((l) => l.fd === fd), false);
    }));

  it('an fd that cannot be polled (a regular file) is a clear error', () =>
    spawn(() => {
      const file = path.join(dir, 'regular');
      fs.writeFileSync(file, 'data');
      const fd = fs.openSync(file, 'r');
      try {
        assert.throws(
          () => trampoline(fd, { read: true }),
          (e: unknown) =>
            e instanceof FdWaitError &&
            e.fd === fd &&
            e.code === 'EPERM' &&
            e.errno === -os.constants.errno.EPERM &&
            /^cannot wait on fd \d+: EPERM \(regular files/.test(e.message),
        );
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('1000 fds, each with its own waiting green thread, all resume with their data', function () {
    this.timeout(patience(60_000));
    return spawn(() => {
      const count = 1000;
      const fds: number[] = [];
      try {
        fds.push(...fifos(dir, Array.from({ length: count }, (_, i) => `many-${i}`)));
        const readers = fds.map((fd, i) =>
          spawn(() => {
            while (true) {
              const got = readAvailable(fd);
              if (got !== '') return got === String(i);
              trampoline(fd, { read: true, timeout: 30 });
            }
          }),
        );
        sleep(0);
        assert.equal(listeners().length, count);
        // Write in a scrambled order, yielding now and then so some readers wake in small batches.
        for (let k = 0; k < count; k++) {
          const i = (k * 7919) % count;
          fs.writeSync(fds[i], String(i));
          if (k % 100 === 0) sleep(0);
        }
        assert.equal(readers.filter((r) => r.wait() === true).length, count);
        assert.equal(listeners().length, 0);
      } finally {
        for (const fd of fds) fs.closeSync(fd);
      }
    });
  });
});

describe('hub: under load', () => {
  it('10k green threads sleeping and waking, several times each', function () {
    this.timeout(patience(60_000));
    return spawn(() => {
      const n = 10_000;
      let wakes = 0;
      const before = hubStats().timersFired;
      const timed = Array.from({ length: n }, (_, i) => (i * 31) % 20).filter((ms) => ms > 0).length;
      const threads = Array.from({ length: n }, (_, i) =>
        spawn(() => {
          for (let round = 0; round < 3; round++) {
            sleep(((i * 31) % 20) / 1000);
            wakes++;
          }
          return i;
        }),
      );
      let sum = 0;
      for (const t of threads) sum += t.wait() as number;
      assert.equal(wakes, 3 * n);
      assert.equal(sum, (n * (n - 1)) / 2);
      // sleep(0) is a yield; every other sleep goes through the timer heap.
      assert.ok(hubStats().timersFired - before >= 3 * timed, 'the sleeps went through the timer heap');
      assert.equal(timers().filter((t) => t.kind !== 'alarm').length, 0);
    });
  });
});

describe('hub: process lifetime', () => {
  it('exits when only unref\'d waits remain', () => {
    const r = runNode(`
      const { spawn } = require('verdant');
      const { park } = require('./dist/lib/runtime/hub');
      spawn(() => park('unref test', 60, false));
      setTimeout(() => console.log('loop ran'), 10);
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /loop ran/);
    assert.doesNotMatch(r.stderr, /block forever/);
  });

  it('a ref\'d sleep keeps the process alive until it ends', () => {
    const r = runNode(`
      const { spawn, sleep } = require('verdant');
      const t0 = Date.now();
      spawn(() => { sleep(0.2); console.log('slept', Date.now() - t0 >= 190); });
    `);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /slept true/);
  });

  it('run(main): exit code 0 when main returns; 1 with the stack printed when it throws', () => {
    const ok = runNode(`require('verdant').run(() => { require('verdant').sleep(0.01); console.log('done'); });`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /done/);
    const bad = runNode(`require('verdant').run(function mainFn() { require('verdant').sleep(0.01); throw new Error('top-level failure'); });`);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Error: top-level failure\n\s+at mainFn/);
  });

  it('when everything waits forever, the exit report lists the stuck green threads and what they wait on', () => {
    const r = runNode(`
      const { run, spawn, wait } = require('verdant');
      const { park } = require('./dist/lib/runtime/hub');
      const helper = spawn(() => park('Queue.get'));
      helper.name = 'consumer';
      run(() => wait(new Promise(() => {})));
    `);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(BlockedForeverError.name));
    assert.match(r.stderr, /would block forever/);
    assert.match(r.stderr, /GreenThread "main" waits on promise/);
    assert.match(r.stderr, /GreenThread "consumer" waits on Queue\.get/);
  });

  it('without run(), stuck green threads are reported at exit and the exit code is kept', () => {
    const r = runNode(`
      const { spawn } = require('verdant');
      const { park } = require('./dist/lib/runtime/hub');
      spawn(() => park('Event.wait')).name = 'waiter';
    `);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /GreenThread "waiter" waits on Event\.wait/);
  });

  it('`verdant run file.js args` runs the file as the main green thread', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-cli-'));
    try {
      const file = path.join(dir, 'prog.js');
      fs.writeFileSync(
        file,
        `const { sleep, getCurrent } = require(${JSON.stringify(require.resolve('verdant'))});
         sleep(0.01);
         console.log(getCurrent().name, process.argv.slice(2).join(','), require.main === module);
         if (process.argv[2] === 'fail') throw new Error('cli failure');`,
      );
      const cli = path.join(root, 'bin', 'verdant.js');
      const ok = spawnSync(process.execPath, [cli, 'run', file, 'a', 'b'], { encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stdout.trim(), 'main a,b true');
      const bad = spawnSync(process.execPath, [cli, 'run', file, 'fail'], { encoding: 'utf8' });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /Error: cli failure/);
      const usage = spawnSync(process.execPath, [cli], { encoding: 'utf8' });
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /usage: verdant run <file>/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

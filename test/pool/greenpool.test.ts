// GreenPool: what is particular to verdant: spawnN's start order, spawns into the pool from its own threads,
// resizes with spawners in line, failures that have a waiter, the waits that can end early (Timeout, kill), the
// main stack and bad arguments. eventlet's greenpool_test.py is ported in test/eventlet/greenpool.test.ts. Each
// test body runs in a green thread: mocha awaits the GreenThread (it is a thenable).
import { strict as assert } from 'node:assert';
import { GreenletExit, HubBlockingError, Timeout, getCurrent, kill, sleep, spawn, withTimeout } from 'verdant';
import { GreenPool } from '../../lib/pool';
import type { GreenThread } from '../../lib/runtime/greenthread';
import { Gate, capturingConsoleError } from './helpers';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// eventlet's assert_pool_has_free: `n` spawns go through without waiting, and one more has to wait.
function assertPoolHasFree(pool: GreenPool, n: number): void {
  assert.equal(pool.free(), n);
  const gate = new Gate();
  const spawned: GreenThread[] = [];
  withTimeout(1, () => {
    for (let i = 0; i < n; i++) spawned.push(pool.spawn(() => gate.wait()));
  });
  assert.throws(() => withTimeout(0, () => pool.spawn(() => gate.wait())), Timeout);
  gate.open();
  for (const gt of spawned) gt.wait();
}

describe('GreenPool', () => {
  it('spawnN runs everything, starting in spawn order; waitAll waits for it', () =>
    spawn(() => {
      const pool = new GreenPool(4);
      const started: number[] = [];
      const finished: number[] = [];
      for (const i of range(10)) {
        pool.spawnN((a: number) => {
          started.push(a);
          sleep(0.002);
          finished.push(a);
        }, i);
      }
      pool.waitAll();
      assert.deepEqual(started, range(10));
      assert.deepEqual(finished.sort((a, b) => a - b), range(10));
      assert.equal(pool.running(), 0);
    }));

  it('a pool thread spawning into its own pool with a free slot gets a new thread', () =>
    spawn(() => {
      const pool = new GreenPool(2);
      const outer = pool.spawn(() => {
        const inner = pool.spawn(() => getCurrent());
        assert.equal(pool.running(), 2);
        return inner.wait() !== getCurrent();
      });
      assert.equal(outer.wait(), true);
    }));

  it('recursive fan-out through a small pool finishes instead of deadlocking', () =>
    spawn(() => {
      const pool = new GreenPool(3);
      // Each node spawns its children into the pool and waits for them: every slot ends up held by a waiting
      // parent, and the children that find no slot run inline.
      const count = (depth: number): number => {
        if (depth === 0) return 1;
        const children = [pool.spawn(count, depth - 1), pool.spawn(count, depth - 1)];
        sleep(0);
        return 1 + children.reduce((sum, gt) => sum + gt.wait(), 0);
      };
      assert.equal(pool.spawn(count, 5).wait(), 63);
      pool.waitAll();
      assert.equal(pool.free(), 3);
    }));

  it('growing a full pool lets the blocked spawners go at once, first come first served', () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const gate = new Gate();
      pool.spawn(() => gate.wait());
      const started: string[] = [];
      const spawners = ['a', 'b', 'c'].map((name) =>
        spawn(() => pool.spawn(() => (started.push(name), gate.wait()))),
      );
      sleep(0);
      assert.equal(pool.waiting(), 3);
      pool.resize(3);
      sleep(0);
      assert.equal(pool.waiting(), 1);
      assert.equal(pool.running(), 3);
      sleep(0);
      assert.deepEqual(started, ['a', 'b']);
      gate.open();
      for (const s of spawners) s.wait();
      pool.waitAll();
      assert.deepEqual(started, ['a', 'b', 'c']);
    }));

  it('a pool of size 0 runs nothing until it is resized', () =>
    spawn(() => {
      const pool = new GreenPool(0);
      assert.equal(pool.free(), 0);
      const spawner = spawn(() => pool.spawn(() => 'ran').wait());
      sleep(0.005);
      assert.equal(pool.waiting(), 1);
      assert.equal(pool.running(), 0);
      // Not idle: a spawn waits for a slot.
      assert.throws(() => withTimeout(0.005, () => pool.waitAll()), Timeout);
      pool.resize(1);
      pool.waitAll();
      assert.equal(spawner.wait(), 'ran');
    }));

  it('a failing pool thread that is waited for fails to its waiter only: nothing is printed, the slot comes back', () =>
    spawn(() => {
      const pool = new GreenPool(2);
      const quiet = capturingConsoleError(() => {
        const watched = pool.spawn(() => {
          throw new RangeError('watched');
        });
        assert.throws(() => watched.wait(), /watched/);
        pool.waitAll();
      });
      assert.deepEqual(quiet, []);
      assertPoolHasFree(pool, 2);
    }));

  it('a Timeout around a blocked spawn raises there and leaves no slot or place behind', () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const gate = new Gate();
      pool.spawn(() => gate.wait());
      let ran = false;
      assert.throws(
        () =>
          withTimeout(0.01, () =>
            pool.spawn(() => {
              ran = true;
            }),
          ),
        Timeout,
      );
      assert.equal(pool.waiting(), 0);
      assert.equal(pool.running(), 1);
      gate.open();
      pool.waitAll();
      assert.equal(ran, false);
      assert.equal(pool.free(), 1);
      assert.equal(pool.spawn(() => 'after').wait(), 'after');
    }));

  it('killing a green thread blocked in spawn frees its place in the line', () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const gate = new Gate();
      pool.spawn(() => gate.wait());
      const order: string[] = [];
      const [a, b, c] = ['a', 'b', 'c'].map((name) => spawn(() => pool.spawn(() => order.push(name)).wait()));
      sleep(0);
      assert.equal(pool.waiting(), 3);
      kill(b);
      assert.equal(pool.waiting(), 2);
      assert.throws(() => b.wait(), GreenletExit);
      gate.open();
      a.wait();
      c.wait();
      assert.deepEqual(order, ['a', 'c']);
      pool.waitAll();
      assert.equal(pool.free(), 1);
    }));

  it('a spawner woken for a slot and killed before it runs passes the slot on to the next in line', () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const gate = new Gate();
      const first = pool.spawn(() => gate.wait());
      let aRan = false;
      const a = spawn(() => pool.spawn(() => (aRan = true)));
      const b = spawn(() => pool.spawn(() => 'b ran').wait());
      sleep(0);
      assert.equal(pool.waiting(), 2);
      // Link callbacks run in the finishing thread after the pool's own bookkeeping: the slot has just been
      // offered to `a`, which is woken but has not run yet, when the kill lands.
      first.link(() => kill(a));
      gate.open();
      assert.throws(() => a.wait(), GreenletExit);
      assert.equal(b.wait(), 'b ran');
      assert.equal(aRan, false);
      pool.waitAll();
      assert.equal(pool.free(), 1);
      assert.equal(pool.waiting(), 0);
    }));

  it('a killed pool thread frees its slot, whether it was running or had not started', () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const running = pool.spawn(() => sleep(10));
      sleep(0);
      assert.equal(pool.running(), 1);
      kill(running);
      assert.equal(pool.running(), 0);
      assert.throws(() => running.wait(), GreenletExit);

      let ran = false;
      const unstarted = pool.spawn(() => {
        ran = true;
      });
      unstarted.kill();
      assert.equal(pool.free(), 1);
      sleep(0);
      assert.equal(ran, false);

      // A spawner waiting for the slot gets it when its holder is killed.
      const holder = pool.spawn(() => sleep(10));
      const spawner = spawn(() => pool.spawn(() => 'got the slot').wait());
      sleep(0);
      assert.equal(pool.waiting(), 1);
      holder.kill();
      assert.equal(spawner.wait(), 'got the slot');
    }));

  it('waitAll also waits for the spawns still queued for a slot', () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const gate = new Gate();
      const log: string[] = [];
      pool.spawn(() => (gate.wait(), log.push('first')));
      spawn(() => pool.spawn(() => (sleep(0), log.push('queued'))));
      sleep(0);
      assert.equal(pool.waiting(), 1);
      // Opened while waitAll waits: the first thread ends, and the queued spawn takes its slot.
      spawn(() => gate.open());
      pool.waitAll();
      assert.deepEqual(log, ['first', 'queued']);
      assert.equal(pool.running(), 0);
    }));

  it('on the main stack: an idle waitAll and a spawn into a free slot work; a spawn into a full pool and a blocking waitAll throw HubBlockingError', () => {
    const pool = new GreenPool(1);
    pool.waitAll();
    const gate = new Gate();
    const gt = pool.spawn(() => gate.wait());
    assert.throws(() => pool.spawn(() => 0), HubBlockingError);
    assert.throws(() => pool.spawnN(() => 0), /GreenPool\.spawnN\(\) on a full pool would block the main stack/);
    assert.throws(() => pool.waitAll(), HubBlockingError);
    assert.equal(pool.running(), 1);
    assert.equal(pool.waiting(), 0);
    gate.open();
    return gt.then(() => {
      assert.equal(pool.free(), 1);
      pool.waitAll();
    });
  });

  it('on the main stack, which cannot wait in line, spawn takes a free slot even ahead of a woken spawner', async () => {
    const pool = new GreenPool(0);
    const spawner = spawn(() => pool.spawn(() => 'spawner').wait());
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(pool.waiting(), 1);
    pool.resize(1);
    // The slot was just offered to the spawner, which has not run yet.
    const fromMain = pool.spawn(() => 'main');
    assert.equal(pool.running(), 1);
    assert.equal(await fromMain, 'main');
    assert.equal(await spawner, 'spawner');
  });

  it('1000 tasks through a pool of 10 never run more than 10 at once', () =>
    spawn(() => {
      const pool = new GreenPool(10);
      let active = 0;
      let most = 0;
      let done = 0;
      for (let i = 0; i < 1000; i++) {
        pool.spawnN(() => {
          active++;
          most = Math.max(most, active);
          sleep(0);
          active--;
          done++;
        });
        assert.ok(pool.running() <= 10);
      }
      pool.waitAll();
      assert.equal(done, 1000);
      assert.equal(most, 10);
      assert.equal(pool.running(), 0);
    }));

  it('rejects fractional, NaN and infinite sizes, a bad resize and non-functions by name; the default size is 1000', () => {
    assert.equal(new GreenPool().size, 1000);
    assert.throws(() => new GreenPool(1.5), RangeError);
    assert.throws(() => new GreenPool(NaN), RangeError);
    assert.throws(() => new GreenPool(Infinity), RangeError);
    const pool = new GreenPool(2);
    assert.throws(() => pool.resize(-2), /GreenPool.resize takes a pool size that is an integer >= 0/);
    assert.equal(pool.size, 2);
    assert.throws(() => pool.spawn(42 as never), /GreenPool.spawn takes a function, not number/);
    assert.throws(() => pool.spawnN(null as never), /GreenPool.spawnN takes a function, not null/);
    assert.equal(pool.running(), 0);
  });
});

// Pool and TokenPool: item reuse and statistics, dispose on resize, FIFO fairness under contention, timeouts,
// kills racing a hand-off, discard, validate, close, the main stack and bad options. eventlet's pools_test.py is
// ported in test/eventlet/pools.test.ts. Test bodies run in green threads: mocha awaits the GreenThread (it is a
// thenable).
import { strict as assert } from 'node:assert';
import { GreenPool, GreenletExit, HubBlockingError, Timeout, getCurrent, kill, sleep, spawn, withTimeout } from 'verdant';
import type { Greenlet } from '../../lib/runtime/greenlet';
import { interrupt } from '../../lib/runtime/hub';
import { OverReleaseError } from '../../lib/sync';
import { Pool, PoolClosedError, PoolTimeoutError, Token, TokenPool } from '../../lib/resource';
import { secondsSince, until } from '../sync/helpers';

// eventlet's IntPool: items are 1, 2, 3, ... in the order they are made.
class IntPool extends Pool<number> {
  current = 0;
  override create(): number {
    return ++this.current;
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('resource: Pool', () => {
  it('reuses a free item before it makes a new one, up to maxSize; statistics count them', () =>
    spawn(() => {
      const pool = new IntPool({ maxSize: 4 });
      assert.equal(pool.free(), 4);
      assert.deepEqual([pool.get(), pool.get(), pool.get()], [1, 2, 3]);
      assert.equal(pool.free(), 1);
      pool.put(2);
      assert.equal(pool.free(), 2);
      assert.equal(pool.get(), 2, 'a free item is reused before a new one is made');
      assert.equal(pool.get(), 4);
      assert.equal(pool.free(), 0);
      assert.deepEqual(pool.statistics(), { maxSize: 4, size: 4, free: 0, inUse: 4, waiting: 0, created: 4, disposed: 0 });
    }));

  it('resize disposes of the items it drops: one put back above the new size, free ones above it at once', () =>
    spawn(() => {
      const disposed: number[] = [];
      let n = 0;
      const pool = new Pool<number>({ create: () => ++n, maxSize: 2, dispose: (item) => disposed.push(item) });
      const a = pool.get();
      const b = pool.get();
      pool.resize(1);
      pool.put(a);
      pool.put(b);
      assert.deepEqual(disposed, [a], 'the item put back while over size was disposed of');
      pool.resize(2);
      // Shrinking disposes of free items above the new size at once.
      const c = pool.get();
      pool.put(c);
      assert.equal(pool.statistics().free, 1);
      pool.resize(0);
      assert.equal(pool.statistics().size, 0);
      assert.deepEqual(disposed, [a, b]);
    }));

  it('resize up wakes waiters, which create their items in their own green threads', () =>
    spawn(() => {
      const makers: Greenlet[] = [];
      const pool = new Pool<object>({
        create: () => {
          makers.push(getCurrent());
          return {};
        },
        maxSize: 0,
      });
      const getters = range(2).map(() => spawn(() => pool.get()));
      sleep(0);
      assert.equal(pool.waiting(), 2);
      pool.resize(2);
      for (const gt of getters) gt.wait();
      assert.deepEqual(makers, getters, 'each item was made by the green thread that needed it');
    }));

  // eventlet's test_put_with_timed_out_getters, ported in test/eventlet/pools.test.ts, kills the getters after the
  // put; here they are woken with their errors before it, as eventlet's put would find them.
  it('put does not block, and keeps its item, when every getter was thrown out at that moment', () =>
    spawn(() => {
      const pool = new IntPool({ maxSize: 2 });
      pool.get();
      pool.get();
      const getters = range(5).map(() => spawn(() => pool.get()));
      sleep(0);
      // Every getter is woken with an error, none has run yet: a put must not hand its item to any of them.
      for (const g of getters) {
        g.link(() => {}); // its failure is looked at below
        interrupt(g, new Timeout(null)); // as kill does, without letting it run
      }
      withTimeout(10, () => pool.put(0));
      assert.equal(pool.statistics().free, 1);
      for (const g of getters) assert.throws(() => g.wait(), Timeout);
      assert.equal(pool.waiting(), 0);
    }));

  it('serves waiters first come, first served, and a newcomer does not jump the line', () =>
    spawn(() => {
      const pool = new IntPool({ maxSize: 1 });
      const held = pool.get();
      const served: number[] = [];
      const waiters = range(8).map((i) =>
        spawn(() => {
          const item = pool.get();
          served.push(i);
          sleep(0.001);
          pool.put(item);
        }),
      );
      until(() => pool.waiting() === 8, 'the 8 getters wait');
      pool.put(held);
      // A getter arriving now, with the item on its way to waiter 0, queues behind the 8.
      const late = spawn(() => {
        pool.item(() => served.push(99));
      });
      for (const gt of [...waiters, late]) gt.wait();
      assert.deepEqual(served, [...range(8), 99]);
    }));

  it('many green threads sharing a small pool: every item used by one at a time, all served', () =>
    spawn(() => {
      const pool = new IntPool({ maxSize: 3 });
      const holders = new Map<number, number>();
      let maxConcurrent = 0;
      let inUse = 0;
      const gp = new GreenPool(50);
      for (let i = 0; i < 200; i++) {
        gp.spawnN(() => {
          pool.item((item) => {
            assert.equal(holders.get(item) ?? 0, 0, 'no item is held twice');
            holders.set(item, 1);
            inUse++;
            maxConcurrent = Math.max(maxConcurrent, inUse);
            sleep(i % 3 === 0 ? 0.001 : 0);
            inUse--;
            holders.set(item, 0);
          });
        });
      }
      gp.waitAll();
      assert.equal(maxConcurrent, 3);
      assert.equal(pool.statistics().created, 3);
      assert.equal(pool.statistics().inUse, 0);
    }));

  it('get with a timeout throws PoolTimeoutError when nothing frees up in time; the pool is unchanged', () =>
    spawn(() => {
      const pool = new IntPool({ maxSize: 1 });
      const held = pool.get();
      const t0 = performance.now();
      assert.throws(() => pool.get({ timeout: 0.05 }), (e: unknown) => {
        assert.ok(e instanceof PoolTimeoutError);
        assert.equal(e.timeout, 0.05);
        assert.match(e.message, /Pool\.get: no item became free within 0\.05 s/);
        return true;
      });
      assert.ok(secondsSince(t0) >= 0.045);
      assert.equal(pool.waiting(), 0);
      pool.put(held);
      assert.equal(pool.get({ timeout: 0 }), held, 'a free item is had at once, whatever the timeout');
    }));

  it('a waiter handed an item and killed before it runs passes the item on to the next waiter', () =>
    spawn(() => {
      const pool = new IntPool({ maxSize: 1 });
      const held = pool.get();
      const first = spawn(() => pool.get());
      const second = spawn(() => pool.get());
      until(() => pool.waiting() === 2, 'both wait');
      pool.put(held); // handed to `first`, which has not run yet
      kill(first);
      assert.throws(() => first.wait(), GreenletExit);
      assert.equal(second.wait(), held, 'the item went on to the second waiter');
    }));

  it('a discard frees its slot for a waiter, which makes a new item in it', () =>
    spawn(() => {
      const pool = new Pool<string>({ maxSize: 3, create: () => 'made' });
      const items = range(3).map(() => pool.get());
      const waiter = spawn(() => pool.get());
      sleep(0);
      assert.equal(pool.waiting(), 1);
      pool.discard(items[0]);
      assert.equal(waiter.wait(), 'made');
      assert.equal(pool.statistics().disposed, 1);
    }));

  it('item(fn) puts the item back when fn returns and when it throws', () =>
    spawn(() => {
      const pool = new IntPool({ maxSize: 1 });
      assert.equal(pool.item((i) => i * 10), 10);
      assert.equal(pool.free(), 1);
      assert.throws(() => pool.item(() => {
        throw new Error('boom');
      }), /boom/);
      assert.equal(pool.free(), 1);
      assert.equal(pool.statistics().inUse, 0);
      assert.throws(() => pool.item('x' as never), /Pool\.item takes a function/);
    }));

  it('more puts than gets throw OverReleaseError', () =>
    spawn(() => {
      const pool = new IntPool();
      assert.throws(() => pool.put(1), OverReleaseError);
      const item = pool.get();
      pool.put(item);
      assert.throws(() => pool.put(item), /no item is checked out/);
      assert.throws(() => pool.discard(item), OverReleaseError);
    }));

  it('validate: an item that is no longer good is disposed of and replaced by a free one or a new one', () =>
    spawn(() => {
      const bad = new Set<number>();
      const disposed: number[] = [];
      let n = 0;
      const pool = new Pool<number>({
        create: () => ++n,
        maxSize: 3,
        validate: (item) => !bad.has(item),
        dispose: (item) => disposed.push(item),
      });
      const [a, b, c] = [pool.get(), pool.get(), pool.get()];
      pool.put(a);
      pool.put(b);
      pool.put(c);
      bad.add(a);
      assert.equal(pool.get(), b, 'a is skipped for the next free item');
      assert.deepEqual(disposed, [a]);
      bad.add(c);
      assert.equal(pool.get(), 4, 'with no good free item left, a new one is made in its slot');
      assert.deepEqual(disposed, [a, c]);
      assert.equal(pool.statistics().size, 2);
    }));

  it('close: waiters and later gets throw PoolClosedError; items put back are disposed of', () =>
    spawn(() => {
      const disposed: number[] = [];
      let n = 0;
      const pool = new Pool<number>({ create: () => ++n, maxSize: 2, dispose: (i) => disposed.push(i) });
      const a = pool.get();
      const b = pool.get();
      pool.put(b);
      const held = pool.get();
      const waiter = spawn(() => pool.get());
      sleep(0);
      pool.close();
      assert.equal(pool.closed, true);
      assert.throws(() => waiter.wait(), PoolClosedError);
      assert.throws(() => pool.get(), /Pool\.get: the pool is closed/);
      pool.put(a);
      pool.put(held);
      assert.deepEqual(disposed.sort(), [a, held].sort());
      assert.equal(pool.statistics().size, 0);
      pool.close();
    }));

  it('on the main stack: get works when it need not wait; a get that would wait throws HubBlockingError', () => {
    const pool = new IntPool({ maxSize: 1 });
    const item = pool.get();
    assert.throws(() => pool.get(), HubBlockingError);
    assert.equal(pool.waiting(), 0);
    pool.put(item);
    assert.equal(pool.get(), item);
  });

  it('rejects bad options with errors that name them', () => {
    assert.throws(() => new Pool({ maxSize: -1 }), /Pool maxSize takes a pool size that is an integer >= 0, not -1/);
    assert.throws(() => new Pool({ minSize: 1.5 }), RangeError);
    assert.throws(
      () => new Pool({ create: () => 0, minSize: 2, maxSize: 1 }),
      /minSize \(2\) is larger than maxSize \(1\)/,
    );
    assert.throws(() => new Pool({ create: 'x' as never }), /Pool create takes a function/);
    assert.throws(() => new Pool(null as never), /takes an options object/);
    const pool = new IntPool();
    assert.throws(() => pool.get({ timeout: -1 }), /Pool\.get takes a finite number of seconds/);
    assert.throws(() => pool.resize(NaN), RangeError);
  });
});

describe('resource: TokenPool', () => {
  it('hands out distinct opaque tokens (eventlet TokenPool doctest)', () =>
    spawn(() => {
      const pool = new TokenPool({ maxSize: 4 });
      pool.item((token) => {
        assert.ok(token instanceof Token);
        assert.ok(Object.isFrozen(token));
      });
      assert.equal(pool.free(), 4);
      const tokens = range(4).map(() => pool.get());
      assert.equal(new Set(tokens).size, 4);
      assert.throws(() => new TokenPool({ create: () => new Token() } as never), /takes no create option/);
    }));

  it('limits concurrency: at most maxSize green threads hold a token, the others wait their turn', () =>
    spawn(() => {
      const limit = new TokenPool({ maxSize: 3 });
      let running = 0;
      let peak = 0;
      const started: number[] = [];
      const t0 = performance.now();
      const workers = range(9).map((i) =>
        spawn(() =>
          limit.item(() => {
            started.push(i);
            running++;
            peak = Math.max(peak, running);
            sleep(0.03);
            running--;
          }),
        ),
      );
      for (const w of workers) w.wait();
      assert.equal(peak, 3);
      assert.deepEqual(started, range(9), 'in the order they asked');
      const elapsed = secondsSince(t0);
      assert.ok(elapsed >= 0.085, `three rounds of 30 ms, not ${elapsed}`);
    }));
});

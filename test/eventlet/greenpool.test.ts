// eventlet's tests/greenpool_test.py, ported: GreenPool, GreenPile and their stress tests, each test under its
// eventlet name. eventlet's error classes map to verdant's: AssertionError from waitall() inside the pool is
// PoolDeadlockError, ValueError is RangeError. `hub.schedule_call_local(0, fn)` is spawnAfterLocal(0, fn).
// imap_memory_check counted Python objects with gc.get_objects(); here the same bound on memory is checked as a
// bound on how far imap reads its input ahead of the consumer, which is what would make it grow. Beyond eventlet's
// assertions, the ports check the messages of verdant's errors and a few more steps (marked "Beyond eventlet").
// verdant's own tests of these classes are in test/pool/greenpool.test.ts, greenpile.test.ts and imap.test.ts.
import { strict as assert } from 'node:assert';
import {
  Event,
  GreenletExit,
  GreenPile,
  GreenPool,
  PoolDeadlockError,
  Timeout,
  type Token,
  TokenPool,
  getCurrent,
  sleep,
  spawn,
  spawnAfterLocal,
} from 'verdant';
import type { GreenThread } from 'verdant';
import { capturingConsoleError, catchingUncaught, seededRandom } from '../pool/helpers';
import { IntPool, RuntimeError, errorOf } from './helpers';

class StressException extends Error {
  override name = 'StressException';
  constructor(readonly arg: unknown) {
    super(String(arg));
  }
}

const range = (start: number, stop?: number): number[] =>
  stop === undefined ? range(0, start) : Array.from({ length: stop - start }, (_, i) => start + i);

// eventlet's module-level `r = random.Random(0)`: the same "random" sleeps on every run.
const random = seededRandom(0);

function passthru<T>(arg: T): T {
  while (random() < 0.5) sleep(random() * 0.001);
  return arg;
}

function passthru2<A, B>(a: A, b: B): [A, B] {
  sleep(0.01);
  return [a, b];
}

function pressure<T>(arg: T): T {
  while (random() < 0.5) sleep(random() * 0.001);
  if (random() < 0.8) return arg;
  throw new StressException(arg);
}

function raiser(exc: unknown): never {
  throw exc;
}

function waitLongTime(e: Event): void {
  e.wait();
}

// GreenPool.assert_pool_has_free: `numFree` spawns go through (well within 1 s), and one more has to wait, so a
// Timeout(0) armed before it raises.
function assertPoolHasFree(pool: GreenPool, numFree: number): void {
  assert.equal(pool.free(), numFree);
  const evt = new Event();
  let timer = new Timeout(1);
  try {
    for (let x = 0; x < numFree; x++) pool.spawn(waitLongTime, evt);
  } finally {
    timer.cancel();
  }
  timer = new Timeout(0, RuntimeError);
  try {
    assert.throws(() => pool.spawn(waitLongTime, evt), RuntimeError);
  } finally {
    timer.cancel();
  }
  // Let every waitLongTime return.
  evt.send();
  sleep(0);
  sleep(0);
}

// The manual next() loop of test_imap_raises and spawn_order_check: each value, or what `onError` makes of the
// error that raised in its place; the iterator goes on after an error.
function* eachOrError<T>(it: Iterator<T>, onError: (error: unknown) => T): Generator<T> {
  for (;;) {
    let step: IteratorResult<T>;
    try {
      step = it.next();
    } catch (error) {
      yield onError(error);
      continue;
    }
    if (step.done) return;
    yield step.value;
  }
}

// Stress.spawn_order_check: a pile fed by three green threads at once still gives each one's results in order.
function spawnOrderCheck(concurrency: number): void {
  const p = new GreenPile<[number, number]>(concurrency);
  const makework = (count: number, unique: number) => {
    for (let i = 0; i < count; i++) p.spawn(pressure, [unique, i] as [number, number]);
  };
  const iters = 1000;
  spawn(makework, iters, 1);
  spawn(makework, iters, 2);
  spawn(makework, iters, 3);
  p.spawn(pressure, [0, 0] as [number, number]);
  const latest = [-1, -1, -1, -1];
  let received = 0;
  const asToken = (error: unknown) => {
    if (!(error instanceof StressException)) throw error;
    return error.arg as [number, number];
  };
  for (const [unique, order] of eachOrError(p, asToken)) {
    received++;
    if (received % 5 === 0) sleep(0.0001);
    assert.ok(latest[unique] < order, `token ${unique} came out of order: ${order} after ${latest[unique]}`);
    latest[unique] = order;
  }
  for (const l of latest.slice(1)) assert.equal(l, iters - 1);
  // Beyond eventlet: every result came out, each once.
  assert.equal(received, 3 * iters + 1);
}

// Stress.imap_memory_check: imap's results come strictly in order, and it holds a bounded number of them.
function imapMemoryCheck(concurrency: number): void {
  const p = new GreenPool(concurrency);
  const count = 1000;
  let read = 0;
  function* input(): Generator<number> {
    for (let i = 0; i < count; i++) {
      read++;
      yield i;
    }
  }
  let latest = -1;
  for (const i of p.imap(passthru, input())) {
    assert.ok(i > latest);
    latest = i;
    if (latest % 5 === 0) sleep(0.001);
    // At most `concurrency` results are held, plus the one input item the feeder holds while it waits for room.
    const held = read - (latest + 1);
    assert.ok(held <= concurrency + 1, `imap read ${held} items ahead with concurrency ${concurrency}`);
  }
  assert.equal(latest, count - 1);
}

describe('eventlet greenpool_test.py', () => {
  describe('GreenPool', () => {
    it('test_spawn', () =>
      spawn(() => {
        const p = new GreenPool(4);
        const waiters = range(10).map((i) => p.spawn(passthru, i));
        assert.deepEqual(
          waiters.map((waiter) => waiter.wait()),
          range(10),
        );
      }));

    it('test_spawn_n', () =>
      spawn(() => {
        const p = new GreenPool(4);
        const resultsClosure: number[] = [];
        const doSomething = (a: number) => {
          sleep(0.01);
          resultsClosure.push(a);
        };
        for (let i = 0; i < 10; i++) p.spawn(doSomething, i);
        p.waitAll();
        assert.deepEqual(resultsClosure, range(10));
      }));

    it('test_waiting', () =>
      spawn(() => {
        const pool = new GreenPool(1);
        const done = new Event();
        const consume = () => done.wait();
        const waiter = (pool: GreenPool) => pool.spawn(consume).wait();
        const waiters: GreenThread[] = [];
        assert.equal(pool.running(), 0);
        waiters.push(spawn(waiter, pool));
        sleep(0);
        assert.equal(pool.waiting(), 0);
        waiters.push(spawn(waiter, pool));
        sleep(0);
        assert.equal(pool.waiting(), 1);
        waiters.push(spawn(waiter, pool));
        sleep(0);
        assert.equal(pool.waiting(), 2);
        assert.equal(pool.running(), 1);
        assert.equal(pool.free(), 0); // beyond eventlet, as is free() below
        done.send();
        for (const w of waiters) w.wait();
        assert.equal(pool.waiting(), 0);
        assert.equal(pool.running(), 0);
        assert.equal(pool.free(), 1);
      }));

    it('test_multiple_coros', () =>
      spawn(() => {
        const evt = new Event();
        const results: string[] = [];
        const producer = () => {
          results.push('prod');
          evt.send();
        };
        const consumer = () => {
          results.push('cons1');
          evt.wait();
          results.push('cons2');
        };
        const pool = new GreenPool(2);
        const done = pool.spawn(consumer);
        pool.spawnN(producer);
        done.wait();
        assert.deepEqual(results, ['cons1', 'prod', 'cons2']);
      }));

    it('test_timer_cancel', () =>
      spawn(() => {
        // A local timer must not fire once the pool thread that set it has finished.
        const timerFired: boolean[] = [];
        const fireTimer = () => timerFired.push(true);
        const someWork = () => {
          spawnAfterLocal(0, fireTimer);
        };
        const pool = new GreenPool(2);
        const worker = pool.spawn(someWork);
        worker.wait();
        sleep(0);
        sleep(0);
        assert.deepEqual(timerFired, []);
      }));

    it('test_reentrant', () =>
      spawn(() => {
        const pool = new GreenPool(1);
        const reenter = () => {
          const me = getCurrent();
          const waiter = pool.spawn((a: string) => {
            // Beyond eventlet: with no free slot, the function runs inline, in the calling thread...
            assert.equal(getCurrent(), me, 'the inline function runs in the calling thread');
            return a;
          }, 'reenter');
          assert.equal(waiter.dead, true, 'finished when spawn returns');
          assert.equal(waiter.wait(), 'reenter');
          // ...taking no slot; like a direct call, its error propagates from spawn; spawnN runs inline too.
          assert.equal(pool.running(), 1);
          assert.throws(
            () =>
              pool.spawn(() => {
                throw new RangeError('inline');
              }),
            RangeError,
          );
          let ranHere = false;
          pool.spawnN(() => {
            ranHere = getCurrent() === me;
          });
          assert.equal(ranHere, true);
          return 'outer';
        };
        const outerWaiter = pool.spawn(reenter);
        assert.equal(outerWaiter.wait(), 'outer');

        const evt = new Event<string>();
        let reentered = '';
        const reenterAsync = () => {
          pool.spawnN((a: string) => (reentered = a), 'reenter');
          evt.send('done');
        };
        pool.spawnN(reenterAsync);
        assert.equal(evt.wait(), 'done');
        // Beyond eventlet: the inner function ran, and the pool is idle again after.
        assert.equal(reentered, 'reenter');
        pool.waitAll();
        assert.equal(pool.free(), 1);
      }));

    it('test_resize', () =>
      spawn(() => {
        const pool = new GreenPool(2);
        const evt = new Event();
        pool.spawn(waitLongTime, evt);
        pool.spawn(waitLongTime, evt);
        assert.equal(pool.free(), 0);
        assert.equal(pool.running(), 2);
        assertPoolHasFree(pool, 0);

        // The pool drops the slots above its new size as its threads finish. (Beyond eventlet: shrinking stops
        // nothing, so the pool is over its new size until they do.)
        pool.resize(1);
        assert.equal(pool.size, 1);
        assert.equal(pool.running(), 2, 'shrinking stops nothing');
        assert.equal(pool.free(), 0);
        evt.send();
        sleep(0);
        sleep(0);
        assert.equal(pool.free(), 1);
        assert.equal(pool.running(), 0);
        assertPoolHasFree(pool, 1);

        // Growing it makes more slots free.
        pool.resize(2);
        assert.equal(pool.free(), 2);
        assert.equal(pool.running(), 0);
        assertPoolHasFree(pool, 2);
      }));

    it('test_pool_smash', () =>
      spawn(() => {
        // A pool thread waits for a token of a TokenPool and times out before it gets one: neither pool may be
        // the worse for it.
        const pool = new GreenPool(1);
        const tp = new TokenPool({ maxSize: 1 });
        tp.get(); // empty it

        const doReceive = (tp: TokenPool) => {
          const timer = new Timeout(0, new RuntimeError());
          try {
            tp.get();
          } catch (error) {
            if (error instanceof RuntimeError) return 'timed out';
            throw error;
          } finally {
            timer.cancel();
          }
          assert.fail("Shouldn't have received anything from the pool");
        };
        const e1 = pool.spawn(doReceive, tp);
        assert.equal(e1.wait(), 'timed out');

        // The token pool gets some item back (a string, as in eventlet: a pool hands out whatever was put in)...
        const wakeup = 'wakeup' as unknown as Token;
        const gt = spawn(() => tp.put(wakeup));
        // ...which must not disturb the next thing the pool runs,
        const e2 = pool.spawn(() => 'resumed');
        assert.equal(e2.wait(), 'resumed');
        // and which can be got out again.
        assert.equal(tp.get(), wakeup);
        gt.wait();
      }));

    it('test_spawn_n_2', () =>
      spawn(() => {
        const p = new GreenPool(2);
        assert.equal(p.free(), 2);
        const r: number[] = [];
        const foo = (a: number) => {
          r.push(a);
        };
        const gt = p.spawn(foo, 1);
        assert.equal(p.free(), 1);
        gt.wait();
        assert.deepEqual(r, [1]);
        // Beyond eventlet: the slot is back by the time wait() returns.
        assert.equal(p.free(), 2);
        sleep(0);
        assert.equal(p.free(), 2);

        // Once the pool is exhausted, spawning forces a yield.
        p.spawnN(foo, 2);
        assert.equal(p.free(), 1);
        assert.deepEqual(r, [1]);

        p.spawnN(foo, 3);
        assert.equal(p.free(), 0);
        assert.deepEqual(r, [1]);

        p.spawnN(foo, 4);
        // eventlet compares sets; here the order is checked too.
        assert.deepEqual(r, [1, 2, 3]);
        sleep(0);
        assert.deepEqual(r, [1, 2, 3, 4]);
      }));

    // documented difference: eventlet prints the traceback of a failed spawn_n function and goes on; verdant
    // reports it as an uncaught exception, as its spawnN does (a failed spawn that nobody waits for is printed in
    // both). The slots come back either way, which is what eventlet's test checks.
    it('test_exceptions', async () => {
      const uncaught: unknown[] = [];
      let printed: string[] = [];
      await catchingUncaught(
        (error) => uncaught.push(error),
        async () => {
          await spawn(() => {
            const p = new GreenPool(2);
            const methods: Array<[string, (fn: typeof raiser, exc: unknown) => unknown]> = [
              ['spawn', (fn, exc) => p.spawn(fn, exc)],
              ['spawnN', (fn, exc) => p.spawnN(fn, exc)],
            ];
            printed = capturingConsoleError(() => {
              for (const [name, m] of methods) {
                assertPoolHasFree(p, 2);
                m(raiser, new RuntimeError(`from ${name}`));
                assertPoolHasFree(p, 1);
                p.waitAll();
                assertPoolHasFree(p, 2);
                m(raiser, new GreenletExit());
                assertPoolHasFree(p, 1);
                p.waitAll();
                assertPoolHasFree(p, 2);
              }
            });
          });
          // The uncaught exception is raised from process.nextTick.
          await new Promise((resolve) => setImmediate(resolve));
        },
      );
      assert.equal(printed.length, 1);
      assert.match(printed[0], /failed and nobody waits for it.*RuntimeError: from spawn\b/s);
      assert.equal(uncaught.length, 1);
      assert.ok(uncaught[0] instanceof RuntimeError);
      assert.equal(uncaught[0].message, 'from spawnN');
    });

    it('test_imap', () =>
      spawn(() => {
        const p = new GreenPool(4);
        assert.deepEqual([...p.imap(passthru, range(10))], range(10));
      }));

    it('test_empty_imap', () =>
      spawn(() => {
        const p = new GreenPool(4);
        const resultIter = p.imap(passthru, []);
        assert.deepEqual(resultIter.next(), { done: true, value: undefined });
        // Beyond eventlet: and it stays ended.
        assert.deepEqual(resultIter.next(), { done: true, value: undefined });
      }));

    it('test_imap_nonefunc', () =>
      spawn(() => {
        const p = new GreenPool(4);
        assert.deepEqual(
          [...p.imap(null, range(10))],
          range(10).map((x) => [x]),
        );
      }));

    it('test_imap_multi_args', () =>
      spawn(() => {
        const p = new GreenPool(4);
        assert.deepEqual(
          [...p.imap(passthru2, range(10), range(10, 20))],
          range(10).map((x) => [x, x + 10]),
        );
      }));

    it('test_imap_raises', () =>
      spawn(() => {
        // The caller sees the function's error, and the iterator goes on with the other items.
        const p = new GreenPool(4);
        const raiser = (item: number) => {
          if (item === 1 || item === 7) throw new RuntimeError('intentional error');
          return item;
        };
        const results = [
          ...eachOrError<number | string>(p.imap(raiser, range(10)), (error) => {
            if (!(error instanceof RuntimeError)) throw error;
            return 'r';
          }),
        ];
        assert.deepEqual(results, [0, 'r', 2, 3, 4, 5, 6, 'r', 8, 9]);
      }));

    it('test_starmap', () =>
      spawn(() => {
        const p = new GreenPool(4);
        assert.deepEqual(
          [...p.starmap(passthru, range(10).map((x) => [x] as [number]))],
          range(10),
        );
      }));

    it('test_waitall_on_nothing', () =>
      spawn(() => {
        const p = new GreenPool();
        p.waitAll();
      }));

    it('test_recursive_waitall', () =>
      spawn(() => {
        const p = new GreenPool();
        const gt = p.spawn(() => p.waitAll());
        assert.throws(() => gt.wait(), errorOf(PoolDeadlockError, /would wait for itself/));
      }));
  });

  describe('GreenPile', () => {
    it('test_pile', () =>
      spawn(() => {
        const p = new GreenPile<number>(4);
        for (let i = 0; i < 10; i++) p.spawn(passthru, i);
        assert.equal(p.pending, 10); // beyond eventlet, as is pending below
        assert.deepEqual([...p], range(10));
        assert.equal(p.pending, 0);
      }));

    it('test_pile_spawn_times_out', () =>
      spawn(() => {
        const p = new GreenPile<unknown>(4);
        for (let i = 0; i < 4; i++) p.spawn(passthru, i);
        // The pile is full now, so this spawn waits, and the Timeout armed before it raises.
        new Timeout(0);
        assert.throws(() => p.spawn(passthru, 'time out'), Timeout);
        assert.equal(p.pending, 4, 'the failed spawn took no place'); // beyond eventlet
        // The failed spawn left no hole in the sequence, which still ends.
        for (let i = 4; i < 10; i++) p.spawn(passthru, i);
        assert.deepEqual([...p], range(10));
      }));

    it('test_empty_pile', () =>
      spawn(() => {
        // Nothing spawned: iterating must end at once, not hang.
        const p = new GreenPile(4);
        assert.deepEqual([...p], []);
      }));

    it('test_constructing_from_pool', () =>
      spawn(() => {
        const pool = new GreenPool(2);
        const pile1 = new GreenPile<number>(pool);
        const pile2 = new GreenPile<number>(pool);
        assert.equal(pile1.pool, pool); // beyond eventlet, as is running() below
        const bunchOfWork = (pile: GreenPile<number>, unique: number) => {
          for (let i = 0; i < 10; i++) pile.spawn(passthru, i + unique);
        };
        spawn(bunchOfWork, pile1, 0);
        spawn(bunchOfWork, pile2, 100);
        sleep(0);
        assert.deepEqual([...pile2], range(100, 110));
        assert.deepEqual([...pile1], range(10));
        assert.equal(pool.running(), 0);
      }));
  });

  it('test_greenpool_type_check', () => {
    // Beyond eventlet: the pool has the size it was given, and the errors name what is wrong.
    assert.equal(new GreenPool(0).size, 0);
    assert.equal(new GreenPool(1).size, 1);
    assert.equal(new GreenPool(1e3).size, 1000);
    assert.throws(
      () => new GreenPool('foo' as unknown as number),
      errorOf(TypeError, /GreenPool takes a pool size that is a number, not string/),
    );
    assert.throws(() => new GreenPool(-1), errorOf(RangeError, /integer >= 0, not -1/));
  });

  describe('Stress', () => {
    it('test_ordering_5', () => spawn(spawnOrderCheck, 5));

    it('test_ordering_50', () => spawn(spawnOrderCheck, 50));

    it('test_imap_50', () => spawn(imapMemoryCheck, 50));

    it('test_imap_500', () => spawn(imapMemoryCheck, 500));

    it('test_with_intpool', () =>
      spawn(() => {
        const subtest = (intpoolSize: number, poolSize: number, numExecutes: number) => {
          const run = (intPool: IntPool) => {
            const token = intPool.get();
            sleep(0.0001);
            intPool.put(token);
            return token;
          };
          const intPool = new IntPool({ maxSize: intpoolSize });
          const pool = new GreenPool(poolSize);
          const threads = range(numExecutes).map(() => pool.spawn(run, intPool));
          pool.waitAll();
          // Beyond eventlet's "it finishes": the IntPool never made more items than its maxSize.
          for (const gt of threads) assert.ok(gt.wait() <= intpoolSize);
        };
        subtest(4, 7, 7);
        subtest(50, 75, 100);
        for (const isize of [10, 20, 30, 40, 50]) {
          for (const psize of [5, 25, 35, 50]) subtest(isize, psize, psize);
        }
      }));
  });
});

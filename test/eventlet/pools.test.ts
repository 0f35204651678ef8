// eventlet's tests/pools_test.py, ported: Pool and TokenPool, each test under its eventlet name. Pool takes one
// options object (`IntPool(min_size=0, max_size=4)` is `new IntPool({ minSize: 0, maxSize: 4 })`), and
// `len(pool.free_items)` is `pool.statistics().free`. `hub.schedule_call_global(0, g.throw, e)` is
// `spawnAfter(0, () => kill(g, e))`. eventlet's NotImplementedError from a Pool without create() is a TypeError.
// Beyond eventlet's assertions, the ports check the messages of verdant's errors and a few more steps (marked
// "Beyond eventlet"). verdant's own tests of Pool and TokenPool are in test/resource/pool.test.ts.
import { strict as assert } from 'node:assert';
import { GreenPool, Pool, Queue, Timeout, kill, sleep, spawn, spawnAfter } from 'verdant';
import { IntPool, RuntimeError, errorOf } from './helpers';

class RaisePool extends Pool<never> {
  override create(): never {
    throw new RuntimeError();
  }
}

describe('eventlet pools_test.py', () => {
  describe('TestIntPool', () => {
    let pool: IntPool;
    beforeEach(() => {
      pool = new IntPool({ minSize: 0, maxSize: 4 });
    });

    it('test_integers', () =>
      spawn(() => {
        // Gets without puts exhaust the pool for good: real code puts back what it got (Pool.item does).
        assert.equal(pool.get(), 1);
        assert.equal(pool.get(), 2);
        assert.equal(pool.get(), 3);
        assert.equal(pool.get(), 4);
      }));

    it('test_free', () =>
      spawn(() => {
        assert.equal(pool.free(), 4);
        const gotten = pool.get();
        assert.equal(pool.free(), 3);
        pool.put(gotten);
        assert.equal(pool.free(), 4);
      }));

    it('test_exhaustion', () =>
      spawn(() => {
        const waiter = new Queue<number | null>(0);
        const consumer = () => {
          let gotten: number | null = null;
          try {
            gotten = pool.get();
          } finally {
            waiter.put(gotten);
          }
        };
        const gt = spawn(consumer);
        const [one] = [pool.get(), pool.get(), pool.get(), pool.get()];
        assert.equal(pool.free(), 0);
        // The consumer runs, finds nothing in the pool and waits...
        sleep(0);
        assert.equal(pool.waiting(), 1); // beyond eventlet
        assert.equal(gt.dead, false); // beyond eventlet
        // ...until this put wakes it. (Beyond eventlet: the put hands it the item, which nobody else can get.)
        pool.put(one);
        assert.equal(pool.waiting(), 0);
        assert.equal(pool.free(), 0);
        assert.equal(waiter.get(), one);
      }));

    it('test_blocks_on_pool', () =>
      spawn(() => {
        const waiter = new Queue<string>(0);
        let waitingBeforeLastGet = -1;
        const greedy = () => {
          pool.get();
          pool.get();
          pool.get();
          pool.get();
          waitingBeforeLastGet = pool.waiting();
          // This get waits for good...
          pool.get();
          // ...so this put never happens.
          waiter.put('Failed!');
        };
        const killable = spawn(greedy);
        assert.equal(pool.waiting(), 0);
        sleep(0);
        // Nobody waited until greedy's fifth get, which waits now.
        assert.equal(waitingBeforeLastGet, 0);
        assert.equal(pool.waiting(), 1);
        // A queue of size 0 is always full; what shows that greedy never got to its put is that nobody puts.
        assert.equal(waiter.full(), true);
        assert.equal(waiter.putters, 0);
        kill(killable);
      }));

    it('test_ordering', () =>
      spawn(() => {
        // Items come back out in the order they were put back.
        const [one, two] = [pool.get(), pool.get()];
        pool.put(one);
        pool.put(two);
        assert.equal(pool.get(), one);
        assert.equal(pool.get(), two);
      }));

    it('test_putting_to_queue', () =>
      spawn(() => {
        const timer = new Timeout(0.1);
        try {
          const size = 2;
          pool = new IntPool({ minSize: 0, maxSize: size });
          const queue = new Queue<number>();
          const results: number[] = [];
          const justPut = (poolItem: number, index: number) => {
            pool.put(poolItem);
            queue.put(index);
          };
          for (let index = 0; index < size + 1; index++) {
            const poolItem = pool.get();
            spawn(justPut, poolItem, index);
          }
          for (let i = 0; i < size + 1; i++) results.push(queue.get());
          assert.deepEqual(
            results.sort((a, b) => a - b),
            [0, 1, 2],
          );
        } finally {
          timer.cancel();
        }
      }));

    it('test_resize', () =>
      spawn(() => {
        const pool = new IntPool({ maxSize: 2 });
        const a = pool.get();
        const b = pool.get();
        assert.equal(pool.free(), 0);

        // Items put back above the new size are dropped.
        pool.resize(1);
        pool.put(a);
        pool.put(b);
        assert.equal(pool.free(), 1);

        // Growing it makes more items free.
        pool.resize(2);
        assert.equal(pool.free(), 2);
      }));

    it('test_create_contention', () =>
      spawn(() => {
        let creates = 0;
        const sleepCreate = () => {
          creates++;
          sleep(0);
          return 'slept';
        };
        const p = new Pool({ maxSize: 4, create: sleepCreate });
        const doGet = () => {
          const x = p.get();
          assert.equal(x, 'slept');
          p.put(x);
        };
        const gp = new GreenPool();
        for (let i = 0; i < 100; i++) gp.spawnN(doGet);
        gp.waitAll();
        assert.equal(creates, 4);
      }));

    // documented difference: eventlet's put, finding getters, yields to the hub, so the throws already due run
    // first and the item lands in free_items before put returns. verdant's put never switches: it hands the item
    // to the first getter, and each getter passes it on as it is killed, so it is free once they have gone.
    it('test_put_with_timed_out_getters', () =>
      spawn(() => {
        const p = new IntPool({ maxSize: 2 });
        // Check out all the items.
        p.get();
        p.get();

        // Every getter waits, and has a Timeout due to be thrown into it that has not been yet.
        // (Each returns what it got or what it caught, so that the timeouts are not reported as failures.)
        const getters = Array.from({ length: 5 }, () =>
          spawn(() => {
            try {
              return p.get();
            } catch (error) {
              return error;
            }
          }),
        );
        sleep(0);
        for (const getter of getters) spawnAfter(0, () => kill(getter, new Timeout(null)));

        // Putting one item back must not hang, though the pool is empty and every getter is about to time out.
        const guard = new Timeout(10);
        try {
          p.put(0);
        } finally {
          guard.cancel();
        }
        assert.equal(p.statistics().free, 0, 'the item is with the first getter');
        for (const getter of getters) assert.ok(getter.wait() instanceof Timeout);
        assert.equal(p.waiting(), 0);
        assert.equal(p.statistics().free, 1);
      }));
  });

  describe('TestAbstract', () => {
    it('test_abstract', () =>
      spawn(() => {
        // A Pool with neither a create option nor a create() override cannot make items.
        const pool = new Pool();
        assert.throws(
          () => pool.get(),
          errorOf(TypeError, /Pool cannot make items: pass \{ create \} or override create\(\)/),
        );
        // Beyond eventlet: the failed get took no slot.
        assert.equal(pool.free(), 4);
      }));
  });

  describe('TestIntPool2', () => {
    it('test_something', () =>
      spawn(() => {
        const pool = new IntPool({ minSize: 3, maxSize: 3 });
        assert.equal(pool.statistics().free, 3);
        // This get takes from the free items instead of creating one.
        assert.equal(pool.get(), 1);
      }));
  });

  describe('TestOrderAsStack', () => {
    it('test_ordering', () =>
      spawn(() => {
        const pool = new IntPool({ maxSize: 3, orderAsStack: true });
        // Items come out in the reverse order they were put back.
        const [one, two] = [pool.get(), pool.get()];
        pool.put(one);
        pool.put(two);
        assert.equal(pool.get(), two);
        assert.equal(pool.get(), one);
      }));
  });

  describe('TestCreateRaises', () => {
    it('test_it', () =>
      spawn(() => {
        const pool = new RaisePool({ maxSize: 3 });
        assert.equal(pool.free(), 3);
        assert.throws(() => pool.get(), RuntimeError);
        assert.equal(pool.free(), 3);
        assert.equal(pool.statistics().size, 0); // beyond eventlet
      }));
  });
});

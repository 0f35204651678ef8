// GreenPile: eventlet's GreenPile test cases and its ordering stress test, translated, plus spawns that end early
// and the main stack.
import { strict as assert } from 'node:assert';
import { HubBlockingError, Timeout, kill, sleep, spawn } from 'verdant';
import { GreenPile, GreenPool } from '../../lib/pool';
import { Gate, passthru, seededRandom } from './helpers';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('GreenPile', () => {
  it('iterates the results in spawn order (eventlet test_pile)', () =>
    spawn(() => {
      const pile = new GreenPile<number>(4);
      for (const i of range(10)) pile.spawn(passthru, i);
      assert.equal(pile.pending, 10);
      assert.deepEqual([...pile], range(10));
      assert.equal(pile.pending, 0);
    }));

  it('keeps spawn order when the work finishes in random order', () =>
    spawn(() => {
      const random = seededRandom(3);
      const pile = new GreenPile<number>(16);
      const finished: number[] = [];
      for (const i of range(30)) {
        const delay = random() * 0.004;
        pile.spawn(() => {
          sleep(delay);
          finished.push(i);
          return i;
        });
      }
      assert.deepEqual([...pile], range(30));
      assert.notDeepEqual(finished, range(30), 'the work finished out of order, so the order was restored');
    }));

  it('a pile with nothing spawned ends at once (eventlet test_empty_pile)', () =>
    spawn(() => {
      assert.deepEqual([...new GreenPile(4)], []);
    }));

  it('a spawn that times out on a full pool adds nothing, and the pile goes on (eventlet test_pile_spawn_times_out)', () =>
    spawn(() => {
      const pile = new GreenPile<number | string>(4);
      for (const i of range(4)) pile.spawn(passthru, i);
      assert.throws(() => withZeroTimeout(() => pile.spawn(passthru, 'time out')), Timeout);
      assert.equal(pile.pending, 4);
      for (const i of range(6, 4)) pile.spawn(passthru, i);
      assert.deepEqual([...pile], range(10));
    }));

  it('piles can share a pool (eventlet test_constructing_from_pool)', () =>
    spawn(() => {
      const pool = new GreenPool(2);
      const pile1 = new GreenPile<number>(pool);
      const pile2 = new GreenPile<number>(pool);
      assert.equal(pile1.pool, pool);
      const bunchOfWork = (pile: GreenPile<number>, unique: number) => {
        for (const i of range(10)) pile.spawn(passthru, i + unique);
      };
      spawn(bunchOfWork, pile1, 0);
      spawn(bunchOfWork, pile2, 100);
      sleep(0);
      assert.deepEqual([...pile2], range(10, 100));
      assert.deepEqual([...pile1], range(10));
      assert.equal(pool.running(), 0);
    }));

  it('an error raises from next() at its position, and iteration goes on', () =>
    spawn(() => {
      const pile = new GreenPile<number>(3);
      for (const i of range(5)) {
        pile.spawn(() => {
          sleep(0.001 * (5 - i));
          if (i === 2) throw new EvalError(`failed ${i}`);
          return i;
        });
      }
      assert.deepEqual([pile.next().value, pile.next().value], [0, 1]);
      assert.throws(() => pile.next(), /failed 2/);
      assert.deepEqual([...pile], [3, 4]);
    }));

  it('breaking out of for...of leaves the rest in the pile; spawning after the end makes more', () =>
    spawn(() => {
      const pile = new GreenPile<number>(4);
      for (const i of range(4)) pile.spawn(passthru, i);
      for (const value of pile) if (value === 1) break;
      assert.deepEqual([...pile], [2, 3]);
      pile.spawn(passthru, 9);
      assert.deepEqual([...pile], [9]);
    }));

  it('several consumers share the results out: each is taken once, and each consumer sees them in order', () =>
    spawn(() => {
      const random = seededRandom(11);
      const pile = new GreenPile<number>(6);
      for (const i of range(40)) {
        const delay = random() * 0.003;
        pile.spawn(() => (sleep(delay), i));
      }
      const consumers = range(3).map(() => spawn(() => [...pile]));
      const taken = consumers.map((c) => c.wait());
      for (const seq of taken) assert.deepEqual(seq, [...seq].sort((a, b) => a - b));
      assert.deepEqual(taken.flat().sort((a, b) => a - b), range(40));
    }));

  it('a consumer waiting for a spawn that is killed on its way goes on without it', () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const gate = new Gate();
      pool.spawn(() => gate.wait());
      const pile = new GreenPile<string>(pool);
      const producer = spawn(() => pile.spawn(() => 'never'));
      sleep(0);
      assert.equal(pile.pending, 1, 'the place is held while the spawn waits for a slot');
      const consumer = spawn(() => [...pile]);
      sleep(0);
      kill(producer);
      assert.deepEqual(consumer.wait(), []);
      gate.open();
    }));

  it("several producers into one pile: each producer's results come in its own order (eventlet spawn_order_check)", () =>
    spawn(() => {
      const random = seededRandom(0);
      class StressError extends Error {
        constructor(readonly token: [number, number]) {
          super('stress');
        }
      }
      const pressure = (token: [number, number]): [number, number] => {
        while (random() < 0.5) sleep(random() * 0.0005);
        if (random() < 0.8) return token;
        throw new StressError(token);
      };
      const iterations = 150;
      const pile = new GreenPile<[number, number]>(5);
      const makeWork = (unique: number) => {
        for (const i of range(iterations)) pile.spawn(pressure, [unique, i]);
      };
      spawn(makeWork, 1);
      spawn(makeWork, 2);
      spawn(makeWork, 3);
      pile.spawn(pressure, [0, 0]);
      const latest = [-1, -1, -1, -1];
      let received = 0;
      for (;;) {
        let token: [number, number];
        try {
          const step = pile.next();
          if (step.done) break;
          token = step.value;
        } catch (error) {
          assert.ok(error instanceof StressError);
          token = error.token;
        }
        received++;
        if (received % 5 === 0) sleep(0.0001);
        const [unique, order] = token;
        assert.ok(latest[unique] < order, `producer ${unique}: ${order} after ${latest[unique]}`);
        latest[unique] = order;
      }
      assert.deepEqual(latest.slice(1), [iterations - 1, iterations - 1, iterations - 1]);
      assert.equal(received, 3 * iterations + 1);
    }));

  it('on the main stack: spawn into a free slot works; next() throws HubBlockingError while the result is not ready', () => {
    const pile = new GreenPile<number>(2);
    pile.spawn(passthru, 5);
    assert.throws(() => pile.next(), HubBlockingError);
    assert.throws(() => pile.next(), /GreenPile\.next would block the main stack/);
    return spawn(() => assert.deepEqual([...pile], [5]));
  });

  it('rejects what is neither a pool size nor a GreenPool', () => {
    assert.throws(() => new GreenPile('4' as never), {
      name: 'TypeError',
      message: /GreenPile takes a pool size that is a number, not string/,
    });
    assert.throws(() => new GreenPile(-1), RangeError);
    assert.equal(new GreenPile().pool.size, 1000);
    assert.equal(new GreenPile(3).pool.size, 3);
  });
});

// eventlet's `eventlet.Timeout(0)` armed before the call: raises at the first wait.
function withZeroTimeout<T>(fn: () => T): T {
  const t = new Timeout(0);
  try {
    return fn();
  } finally {
    t.cancel();
  }
}

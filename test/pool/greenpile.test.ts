// GreenPile: ordering under random delays, errors, iteration left early, several consumers, spawns that end early,
// the main stack and bad arguments. eventlet's GreenPile tests and its ordering stress test are ported in
// test/eventlet/greenpool.test.ts.
import { strict as assert } from 'node:assert';
import { HubBlockingError, kill, sleep, spawn } from 'verdant';
import { GreenPile, GreenPool } from '../../lib/pool';
import { Gate, passthru, seededRandom } from './helpers';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('GreenPile', () => {
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

// GreenPool.imap and starmap: ordering under random delays, several inputs of different lengths, starmap's
// argument lists, the bound on concurrency and buffering, inputs that fail or are left early, and the main stack.
// eventlet's imap tests are ported in test/eventlet/greenpool.test.ts.
import { strict as assert } from 'node:assert';
import { Greenlet, GreenletExit, HubBlockingError, getCurrent, kill, sleep, spawn } from 'verdant';
import { GreenPool } from '../../lib/pool';
import { liveGreenThreads } from '../../lib/runtime/greenthread';
import { Gate, passthru, seededRandom } from './helpers';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('GreenPool.imap and starmap', () => {
  it('keeps input order when the calls finish in random order', () =>
    spawn(() => {
      const random = seededRandom(7);
      const delays = range(40).map(() => random() * 0.004);
      const finished: number[] = [];
      const pool = new GreenPool(8);
      const results = [
        ...pool.imap((i: number) => {
          sleep(delays[i]);
          finished.push(i);
          return i * 10;
        }, range(40)),
      ];
      assert.deepEqual(results, range(40).map((i) => i * 10));
      assert.notDeepEqual(finished, range(40), 'the calls finished out of order, so the order was restored');
    }));

  it('gives each result as soon as it and those before it are ready', () =>
    spawn(() => {
      const pool = new GreenPool(4);
      const slow = new Gate();
      const it = pool.imap((i: number) => {
        if (i === 1) slow.wait();
        return i;
      }, [0, 1, 2]);
      assert.deepEqual(it.next(), { done: false, value: 0 });
      slow.open();
      assert.deepEqual([...it], [1, 2]);
    }));

  it('with several inputs, stops at the shortest and closes the longer ones', () =>
    spawn(() => {
      const pool = new GreenPool(4);
      assert.deepEqual([...pool.imap(null, [1, 2, 3], 'ab')], [[1, 'a'], [2, 'b']]);
      let longerClosed = false;
      function* longer() {
        try {
          yield* range(100, 10);
        } finally {
          longerClosed = true;
        }
      }
      const pairs = [...pool.imap((a: number, b: number) => (sleep(0.001), [a, b]), range(10), longer())];
      assert.deepEqual(
        pairs,
        range(10).map((i) => [i, i + 10]),
      );
      assert.equal(longerClosed, true, 'the longer input was closed, as for...of would');
    }));

  it('starmap takes any iterable as an argument list; an item that is none raises at its position', () =>
    spawn(() => {
      const pool = new GreenPool(2);
      const pairs = [[1, 2], [3, 4], new Set([5, 6]) as unknown as [number, number]] as Array<[number, number]>;
      assert.deepEqual([...pool.starmap((a: number, b: number) => a + b, pairs)], [3, 7, 11]);
      const it = pool.starmap((a: number) => a, [[1], 2 as unknown as [number], [3]]);
      assert.deepEqual(it.next(), { done: false, value: 1 });
      assert.throws(() => it.next(), /GreenPool.starmap: item 1 is not a list of arguments but number/);
      assert.deepEqual(it.next(), { done: true, value: undefined });
    }));

  it('runs at most `size` calls at once, and runs at most `size` ahead of the consumer', () =>
    spawn(() => {
      const size = 3;
      const pool = new GreenPool(size);
      let active = 0;
      let most = 0;
      let started = 0;
      let consumed = 0;
      for (const value of pool.imap((i: number) => {
        started++;
        active++;
        most = Math.max(most, active);
        sleep(0.001 * (i % 3));
        active--;
        return i;
      }, range(60))) {
        assert.equal(value, consumed);
        consumed++;
        assert.ok(started - consumed <= size, `${started - consumed} calls ahead of the consumer`);
        // A slow consumer: the calls must wait for it instead of piling up.
        if (consumed % 10 === 0) sleep(0.005);
      }
      assert.equal(consumed, 60);
      assert.equal(most, size);
    }));

  it("runs in a pool of its own with this size: no slot of the pool is taken, so the pool's own threads may map", () =>
    spawn(() => {
      const pool = new GreenPool(1);
      const outer = pool.spawn(() => [
        ...pool.imap((x: number) => {
          assert.equal(pool.running(), 1, 'only the outer thread holds a slot');
          return x + 1;
        }, [1, 2, 3]),
      ]);
      assert.deepEqual(outer.wait(), [2, 3, 4]);
    }));

  it('an input that throws raises from next() after the results before it, then the iterator ends', () =>
    spawn(() => {
      const pool = new GreenPool(4);
      function* failing() {
        yield 0;
        yield 1;
        throw new URIError('input broke');
      }
      const it = pool.imap(passthru, failing());
      assert.deepEqual(it.next(), { done: false, value: 0 });
      assert.deepEqual(it.next(), { done: false, value: 1 });
      assert.throws(() => it.next(), URIError);
      assert.deepEqual(it.next(), { done: true, value: undefined });
    }));

  it('breaking out of for...of stops reading an endless input and closes it', () =>
    spawn(() => {
      const pool = new GreenPool(4);
      let read = 0;
      let closed = false;
      function* naturals() {
        try {
          for (let i = 0; ; i++) {
            read++;
            yield i;
          }
        } finally {
          closed = true;
        }
      }
      const seen: number[] = [];
      for (const value of pool.imap((i: number) => i, naturals())) {
        seen.push(value);
        if (value === 4) break;
      }
      assert.deepEqual(seen, [0, 1, 2, 3, 4]);
      assert.equal(closed, true);
      const readWhenClosed = read;
      sleep(0.005);
      assert.equal(read, readWhenClosed, 'nothing is read after the break');
      assert.ok(read <= 5 + 4 + 1, `read ${read} items for 5 results with room for 4`);
    }));

  it('an iterator dropped half-way does not leave its feeder waiting forever once it is collected', () => {
    assert.equal(typeof global.gc, 'function', 'the suites run with --expose-gc (.mocharc.json)');
    return spawn(() => {
      const before = new Set(liveGreenThreads);
      const leftOver = () => [...liveGreenThreads].filter((g) => !before.has(g) && g !== getCurrent());
      (() => {
        const pool = new GreenPool(2);
        const it = pool.imap((i: number) => i, range(1000));
        // Left by an error out of next(), as a for...of is by a failing call: no return() is called.
        it.next();
      })();
      sleep(0.005);
      assert.ok(leftOver().length > 0, 'the feeder waits for room');
      for (let i = 0; i < 50 && leftOver().length > 0; i++) {
        global.gc!();
        sleep(0.002);
      }
      assert.deepEqual(leftOver(), []);
    });
  });

  it('the calls of a stopped map finish, their results unused', () =>
    spawn(() => {
      const pool = new GreenPool(3);
      const gate = new Gate();
      let finished = 0;
      const it = pool.imap((i: number) => {
        if (i > 0) gate.wait();
        finished++;
        return i;
      }, range(10));
      // Calls 0, 1 and 2 filled the room for 3 results; taking 0 makes room, but the stop comes first.
      assert.deepEqual(it.next(), { done: false, value: 0 });
      assert.deepEqual(it.return!(), { done: true, value: undefined });
      assert.deepEqual(it.next(), { done: true, value: undefined });
      gate.open();
      sleep(0.005);
      assert.equal(finished, 3, 'the call whose result was taken and the 2 under way at the stop');
    }));

  it('on the main stack: imap starts, and next() throws HubBlockingError while the next result is not ready', () => {
    const pool = new GreenPool(2);
    const it = pool.imap(passthru, [1, 2]);
    assert.throws(() => it.next(), HubBlockingError);
    return spawn(() => assert.deepEqual([...it], [1, 2]));
  });

  it('rejects bad arguments with errors that name them', () => {
    const pool = new GreenPool(2);
    assert.throws(() => pool.imap(42 as never, [1]), /GreenPool.imap takes a function, not number/);
    const imapWithNoIterable = pool.imap as (fn: () => void) => unknown;
    assert.throws(() => imapWithNoIterable(() => {}), /GreenPool.imap takes at least one iterable/);
    assert.throws(
      () => pool.imap((a: number, b: number) => a + b, [1], 5 as never),
      /GreenPool.imap: argument 3 is not iterable \(number\)/,
    );
    assert.throws(
      () => pool.starmap((a: number) => a, null as never),
      /GreenPool.starmap: argument 2 is not iterable \(null\)/,
    );
    assert.throws(() => new GreenPool(0).imap(passthru, [1]), { name: 'RangeError', message: /size >= 1/ });
  });

  it('a killed call raises GreenletExit at its position', () =>
    spawn(() => {
      const pool = new GreenPool(2);
      const threads: Greenlet[] = [];
      const it = pool.imap((i: number) => {
        if (i === 1) {
          threads.push(getCurrent());
          sleep(10);
        }
        return i;
      }, range(3));
      assert.deepEqual(it.next(), { done: false, value: 0 });
      sleep(0.002);
      assert.equal(threads.length, 1);
      kill(threads[0]);
      assert.throws(() => it.next(), GreenletExit);
      assert.deepEqual([...it], [2]);
    }));
});

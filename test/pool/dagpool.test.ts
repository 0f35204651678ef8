// DAGPool: what is particular to verdant: kills of green threads that wait for a dependency (through the pool or
// directly), real work overlapping, any Map key, the main stack, errors that name what is wrong. eventlet's
// dagpool_test.py is ported in test/eventlet/dagpool.test.ts. Test bodies run in green threads: mocha awaits the
// GreenThread (it is a thenable).
import { strict as assert } from 'node:assert';
import { HubBlockingError, kill, sleep, spawn, withTimeout } from 'verdant';
import { type GreenThread, liveGreenThreads } from '../../lib/runtime/greenthread';
import { DAGPool, type DagResults } from '../../lib/pool';
import { patience } from '../support/patience';

// Lets every runnable green thread run until it blocks.
function spin(): void {
  for (let i = 0; i < 10; i++) sleep(0);
}

// Reads every dependency's value, then returns true.
function consumer(_key: string, results: DagResults<string, unknown>): boolean {
  for (const _ of results);
  return true;
}

describe('pool: DAGPool', () => {
  it('a green thread killed through the pool while it waits for a dependency leaves no value; its key is free', () =>
    spawn(() => {
      const pool = new DAGPool<string, number>();
      pool.spawn('b', ['never'], consumer as never);
      spin();
      assert.deepEqual(pool.waitingFor('b'), new Set(['never']));
      pool.kill('b');
      assert.equal(pool.running(), 0);
      assert.equal(pool.poll('b'), undefined);
      pool.post('b', 3);
      assert.equal(pool.get('b'), 3);
    }));

  it('a green thread killed directly (not through the pool), before it started or while it waits, is forgotten too', () =>
    spawn(() => {
      const pool = new DAGPool<string, unknown>();
      // Find a pool thread the way a debugger would: by its name.
      const threadOf = (key: string) =>
        [...liveGreenThreads].find((g) => (g as GreenThread).name === `DAGPool[${key}]`) as GreenThread<unknown>;
      pool.spawn('b', [], () => 1);
      kill(threadOf('b'));
      assert.deepEqual(pool.runningKeys(), [], 'b never started, and is forgotten');
      pool.spawn('c', ['x'], consumer);
      spin();
      assert.deepEqual(pool.waitingFor(), new Map([['c', new Set(['x'])]]));
      kill(threadOf('c'));
      assert.deepEqual(pool.runningKeys(), []);
      assert.equal(pool.poll('b', 'none'), 'none');
      assert.equal(pool.poll('c', 'none'), 'none');
    }));

  it('a diamond of real work: each node runs once its inputs are there, and the two middle ones run together', () =>
    spawn(() => {
      const pool = new DAGPool<string, number>();
      const order: string[] = [];
      const running = new Set<string>();
      const work = (key: string, results: DagResults<string, number>, ms: number) => {
        let sum = 1;
        for (const [, v] of results) sum += v;
        running.add(key);
        // left and right each wait until the other has started: run one after the other, they would never end.
        if (key === 'left' || key === 'right') {
          withTimeout(patience(5000) / 1000, () => {
            while (!(running.has('left') && running.has('right'))) sleep(0.001);
          });
        }
        sleep(ms / 1000);
        order.push(key);
        return sum;
      };
      pool.spawn('top', ['left', 'right'], work, 1);
      pool.spawn('left', ['root'], work, 40);
      pool.spawn('right', ['root'], work, 40);
      pool.spawn('root', [], work, 10);
      assert.equal(pool.get('top'), 5);
      assert.equal(order[0], 'root');
      assert.equal(order[3], 'top');
    }));

  it('works with any Map key, preloaded from a Map too; keys in messages are shown readably', () =>
    spawn(() => {
      const fromMap = new DAGPool(new Map([[1, 'one']]));
      assert.equal(fromMap.get(1), 'one');
      const k1 = { id: 1 };
      const pool = new DAGPool<object | number, string>();
      pool.post(k1, 'object key');
      pool.spawn(2, [k1], (_key, results) => [...results].map(([, v]) => v).join());
      assert.equal(pool.get(2), 'object key');
      assert.throws(() => pool.post(k1, 'again'), /key \{"id":1\} already has a value/);
    }));

  it('on the main stack: spawn, post and poll work; waits that would block throw HubBlockingError', () => {
    const pool = new DAGPool<string, number>({ a: 1 });
    assert.equal(pool.get('a'), 1);
    assert.deepEqual([...pool.waitEach(['a'])], [['a', 1]]);
    assert.throws(() => pool.get('b'), HubBlockingError);
    assert.throws(() => pool.wait(['a', 'b']), HubBlockingError);
    pool.spawn('b', ['a'], (_k, results) => {
      for (const _ of results);
      return 2;
    });
    return spawn(() => assert.equal(pool.get('b'), 2));
  });

  it('rejects bad arguments with errors that name them', () => {
    const pool = new DAGPool();
    assert.throws(() => pool.spawn('a', [], 'x' as never), /DAGPool\.spawn takes a function, not string/);
    assert.throws(() => pool.spawn('a', 5 as never, () => 0), /depends must be an iterable of keys, not number/);
    assert.throws(() => new DAGPool(5 as never), /DAGPool takes a Map/);
    assert.throws(() => new DAGPool([['x']] as never), /give \[key, value\] pairs/);
  });
});

// DAGPool: eventlet's dagpool_test cases, translated (their Capture of what happened in which step, their check
// that an operation does not suspend), plus what is particular to verdant: the main stack, errors that name what
// is wrong. Test bodies run in green threads: mocha awaits the GreenThread (it is a thenable).
import { strict as assert } from 'node:assert';
import { Event, HubBlockingError, kill, sleep, spawn } from 'verdant';
import { type GreenThread, liveGreenThreads } from '../../lib/runtime/greenthread';
import { Collision, DAGPool, PropagateError, type DagResults } from '../../lib/pool';

// ---- eventlet's helpers -----------------------------------------------------------------------------------------

// Runs `body`, asserting that it did not suspend the calling green thread: a ticker thread counts its turns.
function checkNoSuspend<T>(body: () => T): T {
  let ticks = 0;
  let running = true;
  const ticker = spawn(() => {
    while (running) {
      ticks++;
      sleep(0);
    }
  });
  sleep(0); // let the ticker start
  const before = ticks;
  try {
    return body();
  } finally {
    const suspended = ticks - before;
    running = false;
    ticker.wait();
    assert.equal(suspended, 0, `the operation suspended ${suspended} times`);
  }
}

// Lets every runnable green thread run until it blocks.
function spin(): void {
  for (let i = 0; i < 10; i++) sleep(0);
}

// eventlet's Capture: messages grouped by step; within a step their order does not matter.
class Capture {
  readonly sequence: Array<Set<string>> = [new Set()];
  add(message: string): void {
    this.sequence[this.sequence.length - 1].add(message);
  }
  step(): void {
    this.sequence.push(new Set());
  }
  validate(expected: string[][]): void {
    assert.deepEqual(
      this.sequence.map((s) => [...s].sort()),
      expected.map((s) => [...s].sort()),
    );
  }
}

// eventlet's canonical DAGPool function: records each dependency as it comes, then returns what `event` sends.
function observe(key: string, results: DagResults<string, unknown>, capture: Capture, event: Event<unknown>): unknown {
  for (const [k] of results) capture.add(`${key} got ${k}`);
  const result = event.wait();
  capture.add(`${key} returning ${String(result)}`);
  return result;
}

class BogusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BogusError';
  }
}

function raiser(_key: string, _results: DagResults<string, unknown>, error: Error): never {
  throw error;
}

function consumer(_key: string, results: DagResults<string, unknown>): boolean {
  for (const _ of results);
  return true;
}

const entries = (m: Map<unknown, unknown>) => Object.fromEntries(m as Map<string, unknown>);
const chars = (s: string) => [...s];

// ---- the tests --------------------------------------------------------------------------------------------------

describe('pool: DAGPool', () => {
  it('preload: a Map, pairs or an object; waitAll returns them without suspending (eventlet test_init)', () =>
    spawn(() => {
      new DAGPool();
      const fromObject = new DAGPool({ a: 1, b: 2, c: 3 });
      assert.deepEqual(entries(checkNoSuspend(() => fromObject.waitAll())), { a: 1, b: 2, c: 3 });
      const fromPairs = new DAGPool([
        ['d', 4],
        ['e', 5],
        ['f', 6],
      ]);
      assert.deepEqual(entries(checkNoSuspend(() => fromPairs.waitAll())), { d: 4, e: 5, f: 6 });
      const fromMap = new DAGPool(new Map([[1, 'one']]));
      assert.equal(fromMap.get(1), 'one');
      assert.throws(() => new DAGPool([['x']] as never), /give \[key, value\] pairs/);
    }));

  it('waitEach of no keys gives nothing at once (eventlet test_wait_each_empty)', () =>
    spawn(() => {
      const pool = new DAGPool();
      checkNoSuspend(() => {
        for (const pair of pool.waitEach([])) assert.fail(`waitEach([]) gave ${String(pair)}`);
      });
    }));

  it('waitEach and wait of preloaded keys do not suspend (eventlet test_wait_each_preload)', () =>
    spawn(() => {
      const pool = new DAGPool({ a: 1, b: 2, c: 3 });
      checkNoSuspend(() => {
        assert.deepEqual(Object.fromEntries(pool.waitEach(chars('abc'))), { a: 1, b: 2, c: 3 });
        assert.deepEqual(entries(pool.wait(chars('bc'))), { b: 2, c: 3 });
      });
    }));

  function postEach(pool: DAGPool<string, unknown>, capture: Capture): void {
    sleep(0);
    capture.step();
    pool.post('g', 'gval');
    pool.post('f', 'fval');
    sleep(0);
    capture.step();
    pool.post('e', 'eval');
    pool.post('d', 'dval');
  }

  it('waitEach gives values as they are posted (eventlet test_wait_each_posted)', () =>
    spawn(() => {
      const capture = new Capture();
      const pool = new DAGPool<string, unknown>({ a: 1, b: 2, c: 3 });
      spawn(postEach, pool, capture);
      for (const [k, v] of pool.waitEach(chars('bcdefg'))) capture.add(`got (${k}, ${String(v)})`);
      capture.validate([
        ['got (b, 2)', 'got (c, 3)'],
        ['got (f, fval)', 'got (g, gval)'],
        ['got (d, dval)', 'got (e, eval)'],
      ]);
    }));

  it('wait returns once every key is posted (eventlet test_wait_posted)', () =>
    spawn(() => {
      const capture = new Capture();
      const pool = new DAGPool<string, unknown>({ a: 1, b: 2, c: 3 });
      spawn(postEach, pool, capture);
      const gotten = pool.wait(chars('bcdefg'));
      capture.add('got all');
      assert.deepEqual(entries(gotten), { b: 2, c: 3, d: 'dval', e: 'eval', f: 'fval', g: 'gval' });
      capture.validate([[], [], ['got all']]);
    }));

  it('spawn collides with a preloaded, posted or spawned key, even before or after the thread ran (eventlet test_spawn_collision_*)', () =>
    spawn(() => {
      assert.throws(() => new DAGPool({ a: 1 }).spawn('a', [], () => 0), Collision);
      const posted = new DAGPool();
      posted.post('a', 'aval');
      assert.throws(() => posted.spawn('a', [], () => null), /DAGPool\.spawn: key a already has a value/);

      const pool = new DAGPool<string, string>();
      pool.spawn('a', [], () => 'aval');
      assert.equal(pool.poll('a'), undefined, 'it has not started yet');
      assert.throws(() => pool.spawn('a', [], () => 'bad'), (e: unknown) => {
        assert.ok(e instanceof Collision);
        assert.equal(e.key, 'a');
        assert.match(e.message, /key a already has a running green thread/);
        return true;
      });
      sleep(0);
      assert.equal(pool.poll('a'), 'aval');
      assert.throws(() => pool.spawn('a', [], () => 'badagain'), Collision);
    }));

  it('green threads run as their dependencies get values; counts and waitingFor follow (eventlet test_spawn_multiple)', () =>
    spawn(() => {
      const capture = new Capture();
      const pool = new DAGPool<string, unknown>({ a: 1, b: 2, c: 3 });
      const events: Record<string, Event<unknown>> = {};
      for (const k of 'defg') {
        events[k] = new Event();
        pool.spawn(k, [], observe, capture, events[k]);
      }
      events.h = new Event();
      events.h.send('hval');
      pool.spawn('h', chars('bcdefg'), observe, capture, events.h);
      spin();
      capture.step();
      for (const k of 'defgh') assert.equal(pool.poll(k), undefined);
      assert.deepEqual(new Set(pool.keys()), new Set('abc'));
      assert.deepEqual(Object.fromEntries(pool.items()), { a: 1, b: 2, c: 3 });
      assert.equal(pool.running(), 5);
      assert.deepEqual(new Set(pool.runningKeys()), new Set('defgh'));
      assert.equal(pool.waiting(), 1);
      assert.deepEqual(pool.waitingFor(), new Map([['h', new Set('defg')]]));
      assert.deepEqual(pool.waitingFor('d'), new Set());
      assert.deepEqual(pool.waitingFor('c'), new Set());
      assert.throws(() => pool.waitingFor('j'), /no green thread and no value with key j/);
      assert.deepEqual(pool.waitingFor('h'), new Set('defg'));

      events.f.send('fval');
      spin();
      capture.step();
      assert.equal(pool.poll('f'), 'fval');
      assert.deepEqual(new Set(pool.keys()), new Set('abcf'));
      assert.equal(pool.running(), 4);
      assert.deepEqual(new Set(pool.runningKeys()), new Set('degh'));
      assert.equal(pool.waiting(), 1);
      assert.deepEqual(pool.waitingFor('h'), new Set('deg'));

      events.e.send('eval');
      events.g.send('gval');
      spin();
      capture.step();
      assert.equal(pool.poll('e'), 'eval');
      assert.equal(pool.poll('g'), 'gval');
      assert.equal(pool.running(), 2);
      assert.deepEqual(new Set(pool.runningKeys()), new Set('dh'));
      assert.deepEqual(pool.waitingFor('h'), new Set('d'));

      events.d.send('dval');
      spin();
      capture.step();
      assert.equal(pool.poll('d'), 'dval');
      assert.deepEqual(Object.fromEntries(pool.items()), {
        a: 1, b: 2, c: 3, d: 'dval', e: 'eval', f: 'fval', g: 'gval', h: 'hval',
      });
      assert.equal(pool.running(), 0);
      assert.deepEqual(pool.runningKeys(), []);
      assert.equal(pool.waiting(), 0);
      assert.deepEqual(pool.waitingFor('h'), new Set());
      capture.validate([
        ['h got b', 'h got c'],
        ['f returning fval', 'h got f'],
        ['e returning eval', 'g returning gval', 'h got e', 'h got g'],
        ['d returning dval', 'h got d', 'h returning hval'],
        [],
      ]);
    }));

  it('spawnMany runs a graph in dependency order; a thread may post its own key (eventlet test_spawn_many)', () =>
    spawn(() => {
      //         a
      //        / \
      //       b   c
      //        \ /|
      //         d |
      //          \|
      //           e
      const deps = { e: 'cd', d: 'bc', c: 'a', b: 'a', a: '' };
      const capture = new Capture();
      const pool = new DAGPool<string, unknown>();
      spawn(() => {
        pool.waitAll();
        capture.add('waitAll() done');
      });
      const fn = (key: string, results: DagResults<string, unknown>) => {
        for (const _ of results);
        capture.add(`${key} done`);
        // post(key) instead of the implicit post of the return value (undefined)
        pool.post(key, key);
        capture.step();
        spin();
      };
      pool.spawnMany(deps, fn);
      spin();
      assert.equal(pool.poll('e'), 'e', "the thread's own post won over its return value");
      const sequence = capture.sequence.map((s) => [...s].sort());
      // b and c may finish in either order.
      sequence.splice(1, 2, [...sequence[1], ...sequence[2]].sort());
      assert.deepEqual(sequence, [['a done'], ['b done', 'c done'], ['d done'], ['e done'], ['waitAll() done']]);
    }));

  it('waitEach with no keys waits for every key, in the order they finish (eventlet test_wait_each_all)', () =>
    spawn(() => {
      const deps: Record<string, string> = { b: 'a', c: 'b', d: 'c', e: 'd' };
      const capture = new Capture();
      const pool = new DAGPool<string, unknown>([['a', 'a']]);
      const events: Record<string, Event<unknown>> = {};
      for (const [key, dep] of Object.entries(deps)) {
        events[key] = new Event();
        pool.spawn(key, chars(dep), observe, capture, events[key]);
      }
      const keys = 'abcde';
      const each = pool.waitEach();
      for (let pos = 0; pos < keys.length; pos++) {
        const next = each.next();
        assert.equal(next.done, false);
        assert.equal(next.value![0], keys[pos]);
        spin();
        for (const k of keys.slice(0, pos + 1)) assert.notEqual(pool.poll(k, NOT_THERE), NOT_THERE, `${k} has no value yet`);
        for (const k of keys.slice(pos + 1)) assert.equal(pool.poll(k, NOT_THERE), NOT_THERE, `waitEach held back ${keys[pos]}`);
        if (pos < keys.length - 1) events[keys[pos + 1]].send(keys[pos + 1]);
      }
      assert.equal(each.next().done, true);
    }));

  it('kill forgets the green thread, before or while it runs; a finished one cannot be killed (eventlet test_kill)', () =>
    spawn(() => {
      const pool = new DAGPool<string, number>();
      assert.throws(() => pool.kill('a'), /no green thread of the pool runs with key a/);
      pool.spawn('a', [], () => 1);
      pool.kill('a');
      spin();
      assert.equal(pool.poll('a'), undefined, 'it never ran');
      assert.throws(() => pool.kill('a'), RangeError);
      pool.spawn('a', [], () => 2);
      spin();
      assert.throws(() => pool.kill('a'), RangeError);
      assert.equal(pool.poll('a'), 2);

      // Killed while waiting for a dependency: no value, and the key is free again.
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

  it('post collides with a preloaded or posted key, or with a running thread (eventlet test_post_collision_*)', () =>
    spawn(() => {
      assert.throws(() => new DAGPool({ a: 1 }).post('a', 2), Collision);
      const posted = new DAGPool<string, number>();
      posted.post('a', 1);
      assert.throws(() => posted.post('a', 2), /key a already has a value \(pass \{ replace: true \} to replace it\)/);

      let pool = new DAGPool<string, number>();
      pool.spawn('a', [], () => 1);
      assert.throws(() => pool.post('a', 2), /key a has a running green thread/);
      pool.kill('a');
      pool.post('a', 3);
      assert.equal(pool.poll('a'), 3);

      pool = new DAGPool<string, number>();
      pool.spawn('a', [], () => 4);
      spin();
      assert.throws(() => pool.post('a', 5), Collision);
      assert.throws(() => pool.kill('a'), RangeError);
      assert.throws(() => pool.post('a', 6), Collision);
    }));

  it('post with replace (eventlet test_post_replace)', () =>
    spawn(() => {
      const pool = new DAGPool<string, number>();
      pool.post('a', 1);
      pool.post('a', 2, { replace: true });
      assert.equal(pool.poll('a'), 2);
      assert.deepEqual(Object.fromEntries(pool.waitEach(['a'])), { a: 2 });
      assert.deepEqual(entries(pool.wait(['a'])), { a: 2 });
      assert.equal(pool.get('a'), 2);
    }));

  it('get blocks until the key has a value (eventlet test_getitem)', () =>
    spawn(() => {
      const capture = new Capture();
      const pool = new DAGPool<string, number>();
      spawn(() => capture.add(`got ${pool.get('a')}`));
      spin();
      capture.validate([[]]);
      pool.spawn('a', [], () => 1);
      capture.validate([[]]);
      spin();
      capture.validate([['got 1']]);
    }));

  it('a thread that throws leaves a PropagateError: waitAll throws it (eventlet test_waitall_exc)', () =>
    spawn(() => {
      const pool = new DAGPool<string, unknown>();
      pool.spawn('a', [], raiser, new BogusError('bogus'));
      assert.throws(() => pool.waitAll(), (err: unknown) => {
        assert.ok(err instanceof PropagateError);
        assert.equal(err.key, 'a');
        assert.ok(err.exc instanceof BogusError);
        assert.equal(err.cause, err.exc);
        assert.equal((err.exc as Error).message, 'bogus');
        assert.match(err.message, /PropagateError\(a\)/);
        assert.match(err.message, /BogusError/);
        assert.match(err.message, /bogus/);
        return true;
      });
    }));

  it('a failure runs down the graph, each dependent wrapping it (eventlet test_propagate_exc)', () =>
    spawn(() => {
      const pool = new DAGPool<string, unknown>();
      pool.spawn('a', [], raiser, new BogusError('bogus'));
      pool.spawn('b', ['a'], consumer);
      pool.spawn('c', ['b'], consumer);
      assert.throws(() => pool.get('c'), (errc: unknown) => {
        assert.ok(errc instanceof PropagateError);
        assert.equal(errc.key, 'c');
        const errb = errc.exc as PropagateError;
        assert.equal(errb.key, 'b');
        const erra = errb.exc as PropagateError;
        assert.equal(erra.key, 'a');
        assert.ok(erra.exc instanceof BogusError);
        for (const part of ['PropagateError(a)', 'PropagateError(b)', 'PropagateError(c)', 'BogusError', 'bogus']) {
          assert.ok(errc.message.includes(part), `${part} in ${errc.message}`);
        }
        return true;
      });
    }));

  it('waitEach throws the PropagateError of a failed key (eventlet test_wait_each_exc)', () =>
    spawn(() => {
      const pool = new DAGPool<string, unknown>();
      pool.spawn('a', [], raiser, new BogusError('bogus'));
      assert.throws(() => {
        for (const _ of pool.waitEach(['a']));
      }, PropagateError);
      assert.throws(() => {
        for (const _ of pool.waitEach());
      }, PropagateError);
    }));

  it('posted errors: a plain error is a value, a PropagateError is thrown; the filtered iterators (eventlet test_post_get_exc)', () =>
    spawn(() => {
      const pool = new DAGPool<string, unknown>();
      const bogua = new BogusError('bogua');
      pool.post('a', bogua);
      assert.equal(pool.poll('a'), bogua, 'delivered, not thrown');
      const bogub = new PropagateError('b', new BogusError('bogub'));
      pool.post('b', bogub);
      assert.throws(() => pool.poll('b'), PropagateError);
      assert.throws(() => pool.get('b'), PropagateError);
      assert.throws(() => pool.items(), PropagateError);
      assert.throws(() => pool.waitAll(), PropagateError);
      assert.throws(() => pool.wait(), PropagateError);
      assert.throws(() => pool.wait(['b']), PropagateError);
      assert.throws(() => pool.wait(chars('ab')), PropagateError);
      assert.equal(pool.wait(['a']).get('a'), bogua);
      assert.throws(() => {
        for (const _ of pool.waitEach());
      }, PropagateError);

      assert.deepEqual(Object.fromEntries(pool.waitEachSuccess()), { a: bogua });
      assert.deepEqual(Object.fromEntries(pool.waitEachSuccess(chars('ab'))), { a: bogua });
      assert.deepEqual(Object.fromEntries(pool.waitEachSuccess(['a'])), { a: bogua });
      assert.deepEqual(Object.fromEntries(pool.waitEachSuccess(['b'])), {});

      assert.deepEqual(Object.fromEntries(pool.waitEachException()), { b: bogub });
      assert.deepEqual(Object.fromEntries(pool.waitEachException(chars('ab'))), { b: bogub });
      assert.deepEqual(Object.fromEntries(pool.waitEachException(['a'])), {});
      assert.deepEqual(Object.fromEntries(pool.waitEachException(['b'])), { b: bogub });
    }));

  it('a diamond of real work: each node runs once its inputs are there, and they overlap', () =>
    spawn(() => {
      const pool = new DAGPool<string, number>();
      const order: string[] = [];
      const work = (key: string, results: DagResults<string, number>, ms: number) => {
        let sum = 1;
        for (const [, v] of results) sum += v;
        sleep(ms / 1000);
        order.push(key);
        return sum;
      };
      const t0 = performance.now();
      pool.spawn('top', ['left', 'right'], work, 1);
      pool.spawn('left', ['root'], work, 40);
      pool.spawn('right', ['root'], work, 40);
      pool.spawn('root', [], work, 10);
      assert.equal(pool.get('top'), 5);
      const ms = performance.now() - t0;
      assert.ok(ms < 85, `left and right ran at the same time (${ms.toFixed(0)} ms)`);
      assert.equal(order[0], 'root');
      assert.equal(order[3], 'top');
    }));

  it('works with any Map key; keys in messages are shown readably', () =>
    spawn(() => {
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
  });
});

const NOT_THERE = Symbol('not there');

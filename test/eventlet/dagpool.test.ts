// eventlet's tests/dagpool_test.py, ported, each test under its eventlet name. eventlet's names map to verdant's:
// `pool[key]` (waits) is `get(key)`, the non-blocking `get(key, default)` is `poll(key, notReady)`, `wait_each`
// is `waitEach`, `waitall` is `waitAll`, `running_keys` is `runningKeys`, `waiting_for` is `waitingFor`;
// `wait` gives a Map where eventlet gives a dict, and a KeyError for an unknown key is a RangeError. A string
// stands for its single-letter keys, as in eventlet (JavaScript strings are iterable too). Beyond eventlet's
// assertions, the ports check the messages of verdant's errors and a few more steps (marked "Beyond eventlet").
// verdant's own DAGPool tests (any Map key, the main stack, bad arguments) are in test/pool/dagpool.test.ts.
import { strict as assert } from 'node:assert';
import { Collision, DAGPool, Event, PropagateError, sleep, spawn } from 'verdant';
import type { DagResults } from 'verdant';
import { errorOf } from './helpers';

type Pool = DAGPool<string, unknown>;
type Results = DagResults<string, unknown>;

/** Python's dict(a=1, ...), for comparing with the Maps a DAGPool gives. */
const dict = (entries: Record<string, unknown>): Map<string, unknown> => new Map(Object.entries(entries));

// ----------------------------------------------------------------------------------------------------------
// Whether an operation returns without suspending the calling green thread
// ----------------------------------------------------------------------------------------------------------

// Counts the turns of incrementer(), a green thread that only yields: while it runs, an operation that switches
// lets it count one more. null outside suspendChecker().
let counter: number | null = null;

function incrementer(): never {
  for (let n = 1; ; n++) {
    counter = n;
    sleep(0);
  }
}

/** Runs `body` with incrementer() going, so that checkNoSuspend() works within it. */
function suspendChecker(body: () => void): void {
  counter = 0;
  const coro = spawn(incrementer);
  try {
    body();
  } finally {
    coro.kill();
    counter = null;
  }
}

/** Runs `body` and fails if it suspended. Only inside suspendChecker(): without incrementer() it proves nothing. */
function checkNoSuspend(body: () => void): void {
  assert.notEqual(counter, null, 'Use suspendChecker() to enable checkNoSuspend()');
  const current = counter as number;
  body();
  assert.equal(counter, current, `Operation suspended ${(counter as number) - current} times`);
}

// ----------------------------------------------------------------------------------------------------------
// That the expected things happened in the expected order
// ----------------------------------------------------------------------------------------------------------

/**
 * A sequence of steps, each a set of messages whose order within the step is not determined (which of several
 * green threads woken by one post runs first; in which order values that come together are delivered).
 */
class Capture {
  readonly sequence: Array<Set<string>> = [new Set()];

  add(message: string): void {
    this.sequence[this.sequence.length - 1].add(message);
  }

  step(): void {
    this.sequence.push(new Set());
  }

  /** Compares with `sequence`, where a lone string is a step of one message. */
  validate(sequence: Array<string | Iterable<string>>): void {
    const setlist = sequence.map((subseq) => (typeof subseq === 'string' ? new Set([subseq]) : new Set(subseq)));
    assert.deepEqual(this.sequence, setlist);
  }
}

// The canonical DAGPool function: notes each value it gets, then returns what `event` gives it.
function observe(key: string, results: Results, capture: Capture, event: Event<string>): string {
  for (const [k] of results) capture.add(`${key} got ${k}`);
  const result = event.wait();
  capture.add(`${key} returning ${result}`);
  return result;
}

// Lets every green thread that can run go as far as it can.
function spin(): void {
  for (let x = 0; x < 10; x++) sleep(0);
}

// Posts two pairs of keys, a turn apart, so that wait_each() shows which values it had to wait for.
function postEach(pool: Pool, capture: Capture): void {
  sleep(0);
  capture.step();
  pool.post('g', 'gval');
  pool.post('f', 'fval');
  sleep(0);
  capture.step();
  pool.post('e', 'eval');
  pool.post('d', 'dval');
}

function spawnManyFunc(key: string, results: Results, capture: Capture, pool: Pool): void {
  // With a capture.step() at each post(), which results come when is too complicated to predict.
  for (const _ of results);
  capture.add(`${key} done`);
  // post(key) instead of the implicit post of the return value.
  pool.post(key, key);
  capture.step();
  spin();
}

function waitallDone(capture: Capture, pool: Pool): void {
  pool.waitAll();
  capture.add('waitall() done');
}

function waitfor(capture: Capture, pool: Pool, key: string): void {
  const value = pool.get(key);
  capture.add(`got ${value}`);
}

class BogusError extends Error {
  override name = 'BogusError';
}

function raiser(_key: string, _results: Results, exc: unknown): never {
  throw exc;
}

function consumer(_key: string, results: Results): boolean {
  for (const _ of results);
  return true;
}

// Deliberately not anything the pool could hold.
const NOT_THERE = Symbol('notthere');

describe('eventlet dagpool_test.py', () => {
  it('test_check_no_suspend', () =>
    spawn(() => {
      // Outside suspendChecker(), checkNoSuspend() must refuse to vouch for anything.
      assert.throws(() => checkNoSuspend(() => {}), assert.AssertionError);
      // Inside, it must see a suspension.
      suspendChecker(() => {
        assert.throws(() => checkNoSuspend(() => sleep(0)), assert.AssertionError);
      });
    }));

  it('test_init', () =>
    spawn(() => {
      suspendChecker(() => {
        // No preload: must not blow up.
        new DAGPool();

        // Preloaded from an object: with no spawn() or post(), waitAll() gives the preload, without waiting.
        let pool: Pool = new DAGPool({ a: 1, b: 2, c: 3 });
        let results: Map<string, unknown> | undefined;
        checkNoSuspend(() => {
          results = pool.waitAll();
        });
        assert.deepEqual(results, dict({ a: 1, b: 2, c: 3 }));

        // Preloaded from [key, value] pairs.
        pool = new DAGPool([
          ['d', 4],
          ['e', 5],
          ['f', 6],
        ]);
        checkNoSuspend(() => {
          results = pool.waitAll();
        });
        assert.deepEqual(results, dict({ d: 4, e: 5, f: 6 }));
      });
    }));

  it('test_wait_each_empty', () =>
    spawn(() => {
      const pool = new DAGPool();
      suspendChecker(() => {
        checkNoSuspend(() => {
          for (const [k, v] of pool.waitEach([])) assert.fail(`empty waitEach() gave (${k}, ${v})`);
        });
      });
    }));

  it('test_wait_each_preload', () =>
    spawn(() => {
      const pool: Pool = new DAGPool({ a: 1, b: 2, c: 3 });
      suspendChecker(() => {
        checkNoSuspend(() => {
          // waitEach() may give them in any order: compare as Maps.
          assert.deepEqual(new Map(pool.waitEach('abc')), dict({ a: 1, b: 2, c: 3 }));
          // wait() on preloaded keys, too.
          assert.deepEqual(pool.wait('bc'), dict({ b: 2, c: 3 }));
        });
      });
    }));

  it('test_wait_each_posted', () =>
    spawn(() => {
      const capture = new Capture();
      const pool: Pool = new DAGPool({ a: 1, b: 2, c: 3 });
      spawn(postEach, pool, capture);
      for (const [k, v] of pool.waitEach('bcdefg')) capture.add(`got (${k}, ${v})`);
      capture.validate([
        ['got (b, 2)', 'got (c, 3)'],
        ['got (f, fval)', 'got (g, gval)'],
        ['got (d, dval)', 'got (e, eval)'],
      ]);
    }));

  it('test_wait_posted', () =>
    spawn(() => {
      // test_wait_each_posted, with wait().
      const capture = new Capture();
      const pool: Pool = new DAGPool({ a: 1, b: 2, c: 3 });
      spawn(postEach, pool, capture);
      const gotten = pool.wait('bcdefg');
      capture.add('got all');
      assert.deepEqual(gotten, dict({ b: 2, c: 3, d: 'dval', e: 'eval', f: 'fval', g: 'gval' }));
      capture.validate([[], [], ['got all']]);
    }));

  it('test_spawn_collision_preload', () =>
    spawn(() => {
      const pool: Pool = new DAGPool([['a', 1]]);
      assert.throws(() => pool.spawn('a', [], () => null), Collision);
    }));

  it('test_spawn_collision_post', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      pool.post('a', 'aval');
      assert.throws(
        () => pool.spawn('a', [], () => null),
        errorOf(Collision, /DAGPool\.spawn: key a already has a value/),
      );
    }));

  it('test_spawn_collision_spawn', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      pool.spawn('a', [], () => 'aval');
      // It has not even started...
      assert.equal(pool.poll('a'), undefined);
      // ...and a second spawn of its key collides already.
      assert.throws(
        () => pool.spawn('a', [], () => 'bad'),
        errorOf(Collision, /key a already has a running green thread/, { key: 'a' }),
      );
      sleep(0);
      assert.equal(pool.poll('a'), 'aval');
      // So does one after it has finished.
      assert.throws(() => pool.spawn('a', [], () => 'badagain'), Collision);
    }));

  it('test_spawn_multiple', () =>
    spawn(() => {
      const capture = new Capture();
      const pool: Pool = new DAGPool({ a: 1, b: 2, c: 3 });
      const events: Record<string, Event<string>> = {};
      for (const k of 'defg') {
        events[k] = new Event();
        pool.spawn(k, [], observe, capture, events[k]);
      }
      // One that depends on all of the above. Its event is sent at once: only its dependencies hold it up.
      events.h = new Event();
      events.h.send('hval');
      pool.spawn('h', 'bcdefg', observe, capture, events.h);

      // Lets the green threads of `keys` finish (each returns its key's "val"), every green thread get as far as
      // it can, and checks the values of `keys`.
      const finish = (keys: string): void => {
        for (const k of keys) events[k].send(`${k}val`);
        spin();
        capture.step();
        for (const k of keys) assert.equal(pool.poll(k), `${k}val`);
      };
      // What the pool holds after a step: its values, the keys of its running green threads, and the keys h
      // still waits for (h being the only one that waits).
      const assertState = (items: Record<string, unknown>, running: string, hWaitsFor: string): void => {
        assert.deepEqual(new Set(pool.keys()), new Set(Object.keys(items)));
        assert.deepEqual(new Map(pool.items()), dict(items));
        assert.equal(pool.running(), running.length);
        assert.deepEqual(new Set(pool.runningKeys()), new Set(running));
        assert.equal(pool.waiting(), hWaitsFor === '' ? 0 : 1);
        assert.deepEqual(pool.waitingFor('h'), new Set(hWaitsFor));
      };

      // Every green thread gets as far as it can, but none has a result yet.
      finish('');
      for (const k of 'defgh') assert.equal(pool.poll(k), undefined);
      assertState({ a: 1, b: 2, c: 3 }, 'defgh', 'defg');
      assert.deepEqual(pool.waitingFor(), new Map([['h', new Set('defg')]]));
      assert.deepEqual(pool.waitingFor('d'), new Set());
      assert.deepEqual(pool.waitingFor('c'), new Set());
      assert.throws(
        () => pool.waitingFor('j'),
        errorOf(RangeError, /DAGPool\.waitingFor: the pool has no green thread and no value with key j/),
      );

      // One of the upstream green threads finishes.
      finish('f');
      assertState({ a: 1, b: 2, c: 3, f: 'fval' }, 'degh', 'deg');

      // Two more.
      finish('eg');
      assertState({ a: 1, b: 2, c: 3, e: 'eval', f: 'fval', g: 'gval' }, 'dh', 'd');

      // The last one; both remaining green threads get to run.
      finish('d');
      assertState({ a: 1, b: 2, c: 3, d: 'dval', e: 'eval', f: 'fval', g: 'gval', h: 'hval' }, '', '');
      capture.validate([
        ['h got b', 'h got c'],
        ['f returning fval', 'h got f'],
        ['e returning eval', 'g returning gval', 'h got e', 'h got g'],
        ['d returning dval', 'h got d', 'h returning hval'],
        [],
      ]);
    }));

  it('test_spawn_many', () =>
    spawn(() => {
      // The graph:
      //         a
      //        / \
      //       b   c
      //        \ /|
      //         d |
      //          \|
      //           e
      const deps = { e: 'cd', d: 'bc', c: 'a', b: 'a', a: '' };
      const capture = new Capture();
      const pool: Pool = new DAGPool();
      // A waitAll() caller outside the pool, noting in the same Capture when it returns.
      spawn(waitallDone, capture, pool);
      pool.spawnMany(deps, spawnManyFunc, capture, pool);
      // These green threads run to completion.
      spin();
      // e finished, and its own post(key) won over the implicit post of its return value (undefined).
      assert.equal(pool.poll('e'), 'e');

      // Whether b or c finishes first is not determined: merge their two steps into one. (Beyond eventlet, which
      // pops one message of each: each of the two steps holds that one message only.)
      const sequence = capture.sequence.slice();
      assert.deepEqual([sequence[1].size, sequence[2].size], [1, 1], 'b and c finish in steps of their own');
      sequence.splice(1, 2, new Set([...sequence[1], ...sequence[2]]));
      assert.deepEqual(sequence, [
        new Set(['a done']),
        new Set(['b done', 'c done']),
        new Set(['d done']),
        new Set(['e done']),
        new Set(['waitall() done']),
      ]);
    }));

  it('test_wait_each_all', () =>
    spawn(() => {
      // A linear chain of dependencies.
      const deps = { b: 'a', c: 'b', d: 'c', e: 'd' };
      const capture = new Capture();
      const pool: Pool = new DAGPool([['a', 'a']]);
      // An event of its own for each key (which spawnMany cannot give).
      const events: Record<string, Event<string>> = {};
      for (const [key, dep] of Object.entries(deps)) {
        events[key] = new Event();
        pool.spawn(key, dep, observe, capture, events[key]);
      }
      const keys = 'abcde'; // this very order
      const each = pool.waitEach();
      for (let pos = 0; pos < keys.length; pos++) {
        const step = each.next();
        assert.equal(step.done, false);
        assert.equal(step.value![0], keys[pos]);
        // Every pool green thread goes as far as it can.
        spin();
        for (const k of keys.slice(0, pos + 1)) {
          assert.notEqual(pool.poll(k, NOT_THERE), NOT_THERE, `green thread ${k} did not yet produce a value`);
        }
        for (const k of keys.slice(pos + 1)) {
          assert.equal(pool.poll(k, NOT_THERE), NOT_THERE, `waitEach() delayed the value of ${keys[pos]}`);
        }
        // Let the next green thread finish.
        if (pos < keys.length - 1) {
          const k = keys[pos + 1];
          events[k].send(k);
        }
      }
      // Beyond eventlet: with every key given, the iterator ends.
      assert.equal(each.next().done, true);
    }));

  it('test_kill', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      // A key nobody spawned.
      assert.throws(
        () => pool.kill('a'),
        errorOf(RangeError, /DAGPool\.kill: no green thread of the pool runs with key a/),
      );
      pool.spawn('a', [], () => 1);
      // Killed before it could even run, so it never runs.
      pool.kill('a');
      spin();
      assert.equal(pool.poll('a'), undefined);
      // Killing it forgot it...
      assert.throws(() => pool.kill('a'), RangeError);
      // ...so that it can be spawned again.
      pool.spawn('a', [], () => 2);
      spin();
      // This time it finished, so there is nothing to kill.
      assert.throws(() => pool.kill('a'), RangeError);
      assert.equal(pool.poll('a'), 2);
    }));

  it('test_post_collision_preload', () =>
    spawn(() => {
      const pool: Pool = new DAGPool({ a: 1 });
      assert.throws(() => pool.post('a', 2), Collision);
    }));

  it('test_post_collision_post', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      pool.post('a', 1);
      assert.throws(
        () => pool.post('a', 2),
        errorOf(Collision, /DAGPool\.post: key a already has a value \(pass \{ replace: true \} to replace it\)/),
      );
    }));

  it('test_post_collision_spawn', () =>
    spawn(() => {
      let pool: Pool = new DAGPool();
      pool.spawn('a', [], () => 1);
      // It has not run yet. (The post comes from another green thread than the key's.)
      assert.throws(() => pool.post('a', 2), errorOf(Collision, /key a has a running green thread/));
      pool.kill('a');
      // Killed, its key can be posted.
      pool.post('a', 3);
      assert.equal(pool.poll('a'), 3);

      pool = new DAGPool();
      pool.spawn('a', [], () => 4);
      spin();
      assert.throws(() => pool.post('a', 5), Collision);
      // It has finished: no killing it...
      assert.throws(() => pool.kill('a'), RangeError);
      // ...and still no posting.
      assert.throws(() => pool.post('a', 6), Collision);
    }));

  it('test_post_replace', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      pool.post('a', 1);
      pool.post('a', 2, { replace: true });
      assert.equal(pool.poll('a'), 2);
      assert.deepEqual(new Map(pool.waitEach('a')), dict({ a: 2 }));
      assert.deepEqual(pool.wait('a'), dict({ a: 2 }));
      assert.equal(pool.get('a'), 2);
    }));

  it('test_getitem', () =>
    spawn(() => {
      const capture = new Capture();
      const pool: Pool = new DAGPool();
      spawn(waitfor, capture, pool, 'a');
      // get('a') just waits... (Beyond eventlet, which checks before waitfor() has run: after it has.)
      spin();
      capture.validate([[]]);
      pool.spawn('a', [], () => 1);
      // ...still, as 'a' has not run yet...
      capture.validate([[]]);
      // ...until it has.
      spin();
      capture.validate([['got 1']]);
    }));

  it('test_waitall_exc', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      pool.spawn('a', [], raiser, new BogusError('bogus'));
      assert.throws(
        () => pool.waitAll(),
        (err: unknown) => {
          assert.ok(err instanceof PropagateError);
          assert.equal(err.key, 'a');
          assert.ok(err.exc instanceof BogusError, `exc is ${String(err.exc)}, not a BogusError`);
          assert.equal(err.exc.message, 'bogus');
          // Beyond eventlet: the wrapped error is the standard cause, too.
          assert.equal(err.cause, err.exc);
          const msg = err.message; // Python's str(err)
          assert.match(msg, /PropagateError\(a\)/);
          assert.match(msg, /BogusError/);
          assert.match(msg, /bogus/);
          return true;
        },
      );
    }));

  it('test_propagate_exc', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      pool.spawn('a', [], raiser, new BogusError('bogus'));
      pool.spawn('b', 'a', consumer);
      pool.spawn('c', 'b', consumer);
      assert.throws(
        () => pool.get('c'),
        (errc: unknown) => {
          assert.ok(errc instanceof PropagateError);
          assert.equal(errc.key, 'c');
          const errb = errc.exc;
          assert.ok(errb instanceof PropagateError);
          assert.equal(errb.key, 'b');
          const erra = errb.exc;
          assert.ok(erra instanceof PropagateError);
          assert.equal(erra.key, 'a');
          assert.ok(erra.exc instanceof BogusError, `exc is ${String(erra.exc)}, not a BogusError`);
          assert.equal(erra.exc.message, 'bogus');
          const msg = errc.message; // Python's str(errc)
          for (const part of [/PropagateError\(a\)/, /PropagateError\(b\)/, /PropagateError\(c\)/, /BogusError/, /bogus/]) {
            assert.match(msg, part);
          }
          return true;
        },
      );
    }));

  it('test_wait_each_exc', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      pool.spawn('a', [], raiser, new BogusError('bogus'));
      assert.throws(() => {
        for (const _ of pool.waitEach('a'));
      }, PropagateError);
      assert.throws(() => {
        for (const _ of pool.waitEach());
      }, PropagateError);
    }));

  it('test_post_get_exc', () =>
    spawn(() => {
      const pool: Pool = new DAGPool();
      const bogua = new BogusError('bogua');
      pool.post('a', bogua);
      // Any other error is just a value (the very one posted)...
      assert.equal(pool.poll('a'), bogua, 'must give the BogusError, not throw it');
      // ...but a PropagateError is thrown to whoever gets it, by poll() as by get().
      const bogub = new PropagateError('b', new BogusError('bogub'));
      pool.post('b', bogub);
      assert.throws(() => pool.poll('b'), PropagateError);
      assert.throws(() => pool.get('b'), PropagateError);

      // items() throws, whatever the other values, as one of them is a PropagateError.
      assert.throws(() => pool.items(), PropagateError);
      // So do waitAll() and wait() when they include it...
      assert.throws(() => pool.waitAll(), PropagateError);
      assert.throws(() => pool.wait(), PropagateError);
      assert.throws(() => pool.wait('b'), PropagateError);
      assert.throws(() => pool.wait('ab'), PropagateError);
      // ...but not when they wait for the other value only.
      assert.equal(pool.wait('a').get('a'), bogua, 'must give the BogusError, not throw it');

      // waitEach() throws in the end, though it may give good values before.
      assert.throws(() => {
        for (const _ of pool.waitEach());
      }, PropagateError);

      // waitEachSuccess() leaves the failures out...
      assert.deepEqual(new Map(pool.waitEachSuccess()), dict({ a: bogua }));
      assert.deepEqual(new Map(pool.waitEachSuccess('ab')), dict({ a: bogua }));
      assert.deepEqual(new Map(pool.waitEachSuccess('a')), dict({ a: bogua }));
      assert.deepEqual(new Map(pool.waitEachSuccess('b')), new Map());

      // ...and waitEachException() everything else.
      assert.deepEqual(new Map(pool.waitEachException()), dict({ b: bogub }));
      assert.deepEqual(new Map(pool.waitEachException('ab')), dict({ b: bogub }));
      assert.deepEqual(new Map(pool.waitEachException('a')), new Map());
      assert.deepEqual(new Map(pool.waitEachException('b')), dict({ b: bogub }));
    }));
});

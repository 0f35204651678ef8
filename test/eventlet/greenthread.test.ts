// eventlet's tests/greenthread_test.py, ported: spawn, spawnN, kill, link, spawnAfter and spawnAfterLocal, each
// test under its eventlet name. Keyword arguments become one trailing object. eventlet's SpawnAfter class
// inherits Spawn's tests and runs them again; here they run once.
import { strict as assert } from 'node:assert';
import { type Greenlet, GreenletExit, GreenThread, kill, sleep, spawn, spawnAfter, spawnAfterLocal, spawnN } from 'verdant';

type Call = [args: unknown[], kw: Record<string, unknown>];

// passthru(*args, **kw): records the call and returns it.
function recorder(): { results: Call[]; passthru: (...args: unknown[]) => Call } {
  const results: Call[] = [];
  const passthru = (...args: unknown[]): Call => {
    const last = args[args.length - 1];
    const kw = typeof last === 'object' && last !== null && !Array.isArray(last) ? (args.pop() as Record<string, unknown>) : {};
    results.push([args, kw]);
    return [args, kw];
  };
  return { results, passthru };
}

function waiter<T>(a: T): T {
  sleep(0.1);
  return a;
}

// Asserts.assert_dead (Python's `assert not gt` truthiness has no JS counterpart).
function assertDead(gt: Greenlet): void {
  if (gt instanceof GreenThread) assert.throws(() => gt.wait(), GreenletExit);
  assert.equal(gt.dead, true);
}

// test_kill, test_kill_meth and test_kill_n: a green thread that `start` makes with passthru, killed by `killIt`
// before it ran, is dead and never runs; killing it again leaves it dead.
function checkKilledBeforeRun<G extends Greenlet>(
  start: (passthru: (...args: unknown[]) => Call) => G,
  killIt: (gt: G) => void,
): void {
  const { results, passthru } = recorder();
  const gt = start(passthru);
  killIt(gt);
  assertDead(gt);
  sleep(0.001);
  assert.deepEqual(results, []);
  killIt(gt);
  assertDead(gt);
}

describe('eventlet greenthread_test.py', () => {
  describe('Spawn', () => {
    it('test_simple', () =>
      spawn(() => {
        const { results, passthru } = recorder();
        const gt = spawn(passthru, 1, { b: 2 });
        assert.deepEqual(gt.wait(), [[1], { b: 2 }]);
        assert.deepEqual(results, [[[1], { b: 2 }]]);
      }));

    it('test_n', () =>
      spawn(() => {
        const { results, passthru } = recorder();
        const gt = spawnN(passthru, 2, { b: 3 });
        assert.equal(gt.dead, false);
        sleep(0);
        assert.equal(gt.dead, true);
        assert.deepEqual(results, [[[2], { b: 3 }]]);
      }));

    it('test_kill', () => spawn(() => checkKilledBeforeRun((passthru) => spawn(passthru, 6), (gt) => kill(gt))));

    it('test_kill_meth', () => spawn(() => checkKilledBeforeRun((passthru) => spawn(passthru, 6), (gt) => gt.kill())));

    it('test_kill_n', () => spawn(() => checkKilledBeforeRun((passthru) => spawnN(passthru, 7), (gt) => kill(gt))));

    it('test_link', () =>
      spawn(() => {
        const { passthru } = recorder();
        const results: unknown[] = [];
        const gt = spawn(passthru, 5);
        gt.link((g, ...a) => results.push(g, a), 4, { b: 5 });
        assert.deepEqual(gt.wait(), [[5], {}]);
        assert.deepEqual(results, [gt, [4, { b: 5 }]]);
      }));

    it('test_link_after_exited', () =>
      spawn(() => {
        const { passthru } = recorder();
        const results: unknown[] = [];
        const gt = spawn(passthru, 5);
        assert.deepEqual(gt.wait(), [[5], {}]);
        gt.link((g, ...a) => results.push(g, a), 4, { b: 5 });
        assert.deepEqual(results, [gt, [4, { b: 5 }]]);
      }));

    it('test_link_relinks', () =>
      spawn(() => {
        const { passthru } = recorder();
        const called: boolean[] = [];
        const linkFuncPass = () => called.push(true);
        const gt = spawn(passthru);
        gt.link((g) => g.link(linkFuncPass));
        gt.wait();
        assert.deepEqual(called, [true]);
      }));
  });

  describe('SpawnAfter', () => {
    it('test_basic', () =>
      spawn(() => {
        const { passthru } = recorder();
        const gt = spawnAfter(0.1, passthru, 20);
        assert.deepEqual(gt.wait(), [[20], {}]);
      }));

    it('test_cancel', () =>
      spawn(() => {
        const { passthru } = recorder();
        const gt = spawnAfter(0.1, passthru, 21);
        gt.cancel();
        assertDead(gt);
      }));

    it('test_cancel_already_started', () =>
      spawn(() => {
        const gt = spawnAfter(0, waiter, 22);
        sleep(0);
        gt.cancel();
        assert.equal(gt.wait(), 22);
      }));

    it('test_kill_already_started', () =>
      spawn(() => {
        const gt = spawnAfter(0, waiter, 22);
        sleep(0);
        gt.kill();
        assertDead(gt);
      }));
  });

  describe('SpawnAfterLocal', () => {
    it('test_timer_fired', () =>
      spawn(() => {
        const lst = [1];
        spawn(() => {
          spawnAfterLocal(0.1, () => lst.pop());
          sleep(0.2);
        });
        assert.deepEqual(lst, [1]);
        sleep(0.3);
        assert.deepEqual(lst, []);
      }));

    it('test_timer_cancelled_upon_greenlet_exit', () =>
      spawn(() => {
        const lst = [1];
        spawn(() => {
          spawnAfterLocal(0.1, () => lst.pop());
        });
        assert.deepEqual(lst, [1]);
        sleep(0.2);
        assert.deepEqual(lst, [1]);
      }));

    it('test_spawn_is_not_cancelled', () =>
      spawn(() => {
        const lst = [1];
        spawn(() => {
          spawn(() => lst.pop()); // the spawner exits at once, but the pop must still happen
        });
        sleep(0.1);
        assert.deepEqual(lst, []);
      }));
  });
});

// eventlet's tests/timeout_test.py and tests/timeout_with_statement_test.py, ported, each test under its eventlet
// name. A `with Timeout(...) as t:` block becomes try/finally with `t.cancel()`, which is what eventlet's
// __exit__ does.
import { strict as assert } from 'node:assert';
import { Timeout, isTimeout, sleep, spawn, withTimeout } from 'verdant';

const DELAY = 0.01;

/** `with timeout: body()`: runs the body and cancels the Timeout however it ends. */
function within<T>(timeout: Timeout, body: (t: Timeout) => T): T {
  try {
    return body(timeout);
  } finally {
    timeout.cancel();
  }
}

/** Runs `body` and returns what it threw (fails if it threw nothing). */
function thrown(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  assert.fail('must raise');
}

describe('eventlet timeout_test.py', () => {
  it('test_direct_raise_class', () => {
    const t = thrown(() => {
      throw new Timeout();
    });
    assert.ok(t instanceof Timeout);
    assert.equal(t.pending, false);
  });

  it('test_direct_raise_instance', () =>
    spawn(() => {
      const tm = new Timeout();
      const t = thrown(() => {
        throw tm;
      });
      assert.equal(t, tm);
      assert.equal(tm.pending, false);
    }));

  it('test_repr', () =>
    spawn(() => {
      let tm = new Timeout(1);
      sleep(0);
      assert.match(String(tm), /Timeout: timed out after 1 s/);
      tm.cancel();
      tm = new Timeout(null, RangeError);
      assert.match(String(tm), /Timeout/);
      tm = new Timeout(null, false);
      assert.match(String(tm), /Timeout/);
    }));

  it('test_with_timeout', () =>
    spawn(() => {
      assert.throws(() => withTimeout(DELAY, () => sleep(DELAY * 10)), Timeout);
      const X = {};
      assert.equal(withTimeout(DELAY, () => sleep(DELAY * 10), { timeoutValue: X }), X);
      assert.equal(withTimeout(DELAY * 10, () => sleep(DELAY), { timeoutValue: X }), undefined);
    }));

  it('test_with_outer_timer', () =>
    spawn(() => {
      // The inner withTimeout must not take the outer Timeout for its own.
      const longerTimeout = () => withTimeout(DELAY * 10, () => sleep(DELAY * 20), { timeoutValue: 'b' });
      assert.throws(() => withTimeout(DELAY, longerTimeout), Timeout);
    }));

  it('test_is_timeout_attribute', () => {
    const t = new Timeout();
    assert.equal(t.isTimeout, true);
    assert.equal(isTimeout(t), true);
  });
});

describe('eventlet timeout_with_statement_test.py', () => {
  it('test_cancellation', () =>
    spawn(() => {
      const t = new Timeout(DELAY * 2);
      sleep(0);
      assert.equal(t.pending, true);
      within(t, () => {
        assert.equal(t.pending, true);
        sleep(DELAY);
      });
      assert.equal(t.pending, false);
      sleep(DELAY * 2);
    }));

  it('test_raising_self', () =>
    spawn(() => {
      let t: Timeout | undefined;
      const ex = thrown(() => within((t = new Timeout(DELAY)), () => sleep(DELAY * 2)));
      assert.equal(ex, t);
    }));

  it('test_raising_self_true', () =>
    spawn(() => {
      let t: Timeout | undefined;
      const ex = thrown(() => within((t = new Timeout(DELAY, true)), () => sleep(DELAY * 2)));
      assert.equal(ex, t);
    }));

  it('test_raising_custom_exception', () =>
    spawn(() => {
      const ex = thrown(() => within(new Timeout(DELAY, new Error('Operation takes way too long')), () => sleep(DELAY * 2)));
      assert.equal((ex as Error).message, 'Operation takes way too long');
    }));

  it('test_raising_exception_class', () =>
    spawn(() => {
      const ex = thrown(() => within(new Timeout(DELAY, TypeError), () => sleep(DELAY * 2)));
      assert.ok(ex instanceof TypeError);
    }));

  it('test_raising_exc_tuple', () =>
    spawn(() => {
      // Python's sys.exc_info()[0]: the class of the error being handled.
      const caught = thrown(() => JSON.parse('{')) as Error;
      const ex = thrown(() =>
        within(new Timeout(DELAY, caught.constructor), () => {
          sleep(DELAY * 2);
          assert.fail('should not get there');
        }),
      );
      assert.ok(ex instanceof SyntaxError, String(ex));
    }));

  it('test_cancel_timer_inside_block', () =>
    spawn(() => {
      within(new Timeout(DELAY), (timer) => {
        timer.cancel();
        sleep(DELAY * 2);
      });
    }));

  it('test_silent_block', () =>
    spawn(() => {
      // documented difference: `Timeout(seconds, false)` raises itself as `true` does, because JS has no `with`
      // block that could silence it on the way out; withTimeout's timeoutValue is the silent form.
      const XDELAY = 0.1;
      const start = performance.now();
      withTimeout(XDELAY, () => sleep(XDELAY * 2), { timeoutValue: undefined });
      assert.ok(performance.now() - start < XDELAY * 2 * 1000);
      const t = new Timeout(0.001, false);
      assert.throws(() => sleep(1), (e) => e === t);
    }));

  it('test_dummy_timer', () =>
    spawn(() => {
      within(new Timeout(null), () => sleep(DELAY));
      sleep(DELAY);
    }));

  it('test_ref', function () {
    if (typeof global.gc !== 'function') this.skip();
    return spawn(() => {
      class Failure extends Error {}
      const errRef = (() => {
        const err = new Failure();
        within(new Timeout(DELAY * 2, err), () => sleep(DELAY));
        return new WeakRef(err);
      })();
      sleep(DELAY); // let the job that made the WeakRef end, so it no longer keeps its target
      global.gc!();
      assert.equal(errRef.deref(), undefined, 'a cancelled Timeout keeps nothing alive');
    });
  });

  it('test_nested_timeout', () =>
    spawn(() => {
      // documented difference: the silent `Timeout(DELAY, False)` pair becomes withTimeout with a timeoutValue.
      const outer = withTimeout(
        DELAY,
        () => {
          withTimeout(DELAY * 2, () => sleep(DELAY * 3), { timeoutValue: 'inner' });
          assert.fail('should not get there');
        },
        { timeoutValue: 'outer' },
      );
      assert.equal(outer, 'outer');

      let t1 = new Timeout(DELAY);
      let t2: Timeout | undefined;
      within(t1, () => {
        within((t2 = new Timeout(DELAY * 2)), () => {
          assert.equal(thrown(() => sleep(DELAY * 3)), t1);
          assert.equal(t1.pending, false);
          assert.equal(t2!.pending, true);
        });
        assert.equal(t2!.pending, false);
      });

      t1 = new Timeout(DELAY * 2);
      within(t1, () => {
        within((t2 = new Timeout(DELAY)), () => {
          assert.equal(thrown(() => sleep(DELAY * 3)), t2);
          assert.equal(t1.pending, true);
          assert.equal(t2!.pending, false);
        });
      });
      assert.equal(t1.pending, false);
    }));
});

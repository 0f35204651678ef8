// eventlet's tests/semaphore_test.py, ported: each `it` keeps the name of the eventlet test it asserts the
// behaviour of. eventlet's `with sem:` is `sem.using(fn)`, its keyword arguments an options object.
import { strict as assert } from 'node:assert';
import { CappedSemaphore, Semaphore, kill, sleep, spawn } from 'verdant';
import { secondsSince } from '../sync/helpers';

describe('eventlet semaphore_test.py', () => {
  describe('TestSemaphore', () => {
    it('test_bounded', () =>
      spawn(() => {
        const sem = new CappedSemaphore(2, 3);
        assert.equal(sem.acquire(), true);
        assert.equal(sem.acquire(), true);
        const gt1 = spawn(() => sem.release());
        assert.equal(sem.acquire(), true);
        assert.equal(sem.balance, -3);
        sem.release();
        sem.release();
        sem.release();
        const gt2 = spawn(() => sem.acquire());
        sem.release();
        assert.equal(sem.balance, 3);
        gt1.wait();
        gt2.wait();
      }));

    it('test_bounded_with_zero_limit', () =>
      spawn(() => {
        const sem = new CappedSemaphore(0, 0);
        const gt = spawn(() => sem.acquire());
        sem.release();
        gt.wait();
      }));

    it('test_non_blocking', () =>
      spawn(() => {
        const sem = new Semaphore(0);
        assert.equal(sem.acquire({ blocking: false }), false);
      }));

    it('test_timeout', () =>
      spawn(() => {
        const sem = new Semaphore(0);
        const start = performance.now();
        assert.equal(sem.acquire({ timeout: 0.1 }), false);
        assert.ok(secondsSince(start) >= 0.1, `returned after ${secondsSince(start)} s`);
      }));

    // documented difference: eventlet raises a ValueError; verdant a TypeError, as JavaScript's built-ins do for
    // options that exclude each other (`new Intl.DateTimeFormat('en', { timeStyle: 'short', hour: 'numeric' })`).
    it('test_timeout_non_blocking', () =>
      spawn(() => {
        const sem = new Semaphore();
        assert.throws(() => sem.acquire({ blocking: false, timeout: 1 }), {
          name: 'TypeError',
          message: /Semaphore\.acquire: a timeout cannot be given with blocking: false/,
        });
        assert.equal(sem.counter, 1, 'nothing was acquired');
      }));
  });

  it('test_semaphore_contention', () =>
    spawn(() => {
      const mutex = new Semaphore();
      const counts = [0, 0];
      const worker = (no: number) => {
        while (Math.min(...counts) < 200) {
          mutex.using(() => {
            counts[no - 1] += 1;
            sleep(0.001);
          });
        }
      };
      const t1 = spawn(worker, 1);
      const t2 = spawn(worker, 2);
      sleep(0.5);
      kill(t1);
      kill(t2);
      assert.ok(Math.abs(counts[0] - counts[1]) < Math.trunc(Math.min(...counts) * 0.1), String(counts));
    }));

  it('test_semaphore_type_check', () =>
    spawn(() => {
      assert.equal(new Semaphore(0).counter, 0);
      assert.equal(new Semaphore(1).counter, 1);
      assert.equal(new Semaphore(1e2).counter, 100);
      // Python's TypeError and ValueError are JavaScript's TypeError and RangeError.
      assert.throws(() => new Semaphore('foo' as never), TypeError);
      assert.throws(() => new Semaphore(-1), RangeError);
    }));
});

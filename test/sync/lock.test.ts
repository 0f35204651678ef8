// Lock and RLock: mutual exclusion, eventlet's release rules, RLock re-entry and ownership. Test bodies run in
// green threads.
import { strict as assert } from 'node:assert';
import { GreenletExit, HubBlockingError, kill, sleep, spawn } from 'verdant';
import { waitReasonOf } from '../../lib/runtime/hub';
import { Event, Lock, NotOwnerError, OverReleaseError, RLock, Semaphore } from '../../lib/sync';
import { secondsSince, until } from './helpers';

describe('sync: Lock', () => {
  it('is a Semaphore of one permit; releasing it unlocked is an OverReleaseError', () => {
    const lock = new Lock();
    assert.ok(lock instanceof Semaphore);
    assert.equal(lock.locked(), false);
    assert.equal(lock.acquire(), true);
    assert.equal(lock.locked(), true);
    assert.equal(lock.counter, 0);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.throws(() => lock.release(), OverReleaseError);
    assert.throws(() => lock.release(), /Lock\.release\(\): the lock is not locked/);
    assert.equal(lock.counter, 1);
  });

  it('excludes: a second acquirer waits, parked as Lock.acquire, until the release', () =>
    spawn(() => {
      const lock = new Lock();
      const log: string[] = [];
      lock.acquire();
      const other = spawn(() => {
        lock.acquire();
        log.push('other has it');
        lock.release();
      });
      until(() => lock.balance === -1, 'the other waits');
      assert.equal(waitReasonOf(other), 'Lock.acquire');
      sleep(0.005);
      log.push('releasing');
      lock.release();
      other.wait();
      assert.deepEqual(log, ['releasing', 'other has it']);
    }));

  it('is not re-entrant: the holder cannot take it again', () =>
    spawn(() => {
      const lock = new Lock();
      lock.acquire();
      assert.equal(lock.acquire({ blocking: false }), false);
      assert.equal(lock.acquire({ timeout: 0.01 }), false);
      lock.release();
    }));

  it('any green thread may release it (as eventlet); ownedByCurrent tells who acquired it', () =>
    spawn(() => {
      const lock = new Lock();
      assert.equal(lock.ownedByCurrent(), false);
      lock.acquire();
      assert.equal(lock.ownedByCurrent(), true);
      const other = spawn(() => {
        const owned = lock.ownedByCurrent();
        lock.release();
        return owned;
      });
      assert.equal(other.wait(), false);
      assert.equal(lock.locked(), false);
      assert.equal(lock.ownedByCurrent(), false);
    }));

  it('a double release, while the lock is on its way to a waiter, is an OverReleaseError', () =>
    spawn(() => {
      const lock = new Lock();
      lock.acquire();
      const waiter = spawn(() => {
        lock.acquire();
        return lock.ownedByCurrent();
      });
      until(() => lock.balance === -1, 'the waiter waits');
      lock.release(); // handed to the waiter, which has not resumed yet
      assert.equal(lock.locked(), true);
      assert.throws(() => lock.release(), OverReleaseError);
      assert.equal(waiter.wait(), true);
      assert.equal(lock.acquire({ blocking: false }), false, 'the waiter holds it');
    }));

  it('waiters get it in FIFO order', () =>
    spawn(() => {
      const lock = new Lock();
      const order: number[] = [];
      lock.acquire();
      const waiters = Array.from({ length: 8 }, (_, i) =>
        spawn(() =>
          lock.using(() => {
            order.push(i);
            sleep(0);
          }),
        ),
      );
      until(() => lock.balance === -8, 'eight waiters');
      lock.release();
      waiters.forEach((w) => w.wait());
      assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
    }));

  it('a waiter killed right after it was handed the lock passes it on', () =>
    spawn(() => {
      const lock = new Lock();
      lock.acquire();
      const victim = spawn(() => lock.acquire());
      const next = spawn(() => {
        lock.acquire();
        return lock.ownedByCurrent();
      });
      until(() => lock.balance === -2, 'two waiters');
      lock.release();
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(next.wait(), true);
      assert.equal(lock.locked(), true, 'held by next, which never released it');
    }));

  it('on the main stack: a free acquire and release work, a contended acquire throws', () => {
    const lock = new Lock();
    assert.equal(lock.acquire(), true);
    assert.equal(lock.ownedByCurrent(), true);
    assert.throws(() => lock.acquire(), HubBlockingError);
    assert.throws(() => lock.acquire(), /Lock\.acquire\(\) would block the main stack/);
    lock.release();
  });

  it('protects a read-modify-write across switches among a hundred green threads', () =>
    spawn(() => {
      const lock = new Lock();
      let counter = 0;
      const threads = Array.from({ length: 100 }, () =>
        spawn(() =>
          lock.using(() => {
            const seen = counter;
            sleep(0); // another thread would overwrite counter here without the lock
            counter = seen + 1;
          }),
        ),
      );
      threads.forEach((t) => t.wait());
      assert.equal(counter, 100);
    }));
});

describe('sync: RLock', () => {
  it('the owner re-enters; it stays locked until released as many times as acquired', () =>
    spawn(() => {
      const lock = new RLock();
      assert.equal(lock.acquire(), true);
      assert.equal(lock.acquire(), true);
      assert.equal(lock.acquire({ blocking: false }), true);
      const other = () => spawn(() => lock.acquire({ blocking: false }));
      assert.equal(other().wait(), false);
      lock.release();
      lock.release();
      assert.equal(lock.locked(), true);
      assert.equal(lock.ownedByCurrent(), true);
      assert.equal(other().wait(), false, 'one level is still held');
      lock.release();
      assert.equal(lock.locked(), false);
      assert.equal(lock.ownedByCurrent(), false);
      assert.throws(() => lock.release(), NotOwnerError);
    }));

  it('release by a green thread that does not own it is a NotOwnerError naming both', () =>
    spawn(() => {
      const lock = new RLock();
      lock.acquire();
      const intruder = spawn(() => {
        try {
          lock.release();
          return null;
        } catch (error) {
          return error;
        }
      });
      intruder.name = 'intruder';
      const error = intruder.wait() as Error;
      assert.ok(error instanceof NotOwnerError);
      assert.match(
        error.message,
        /GreenThread "intruder" does not own this lock \(it is owned by GreenThread "green-\d+"\)/,
      );
      assert.equal(lock.ownedByCurrent(), true, 'still held');
      lock.release();
      assert.throws(() => lock.release(), /does not own this lock \(it is owned by nobody\)/);
    }));

  it('others wait (FIFO, parked as RLock.acquire) until the last release', () =>
    spawn(() => {
      const lock = new RLock();
      lock.acquire();
      lock.acquire();
      const order: number[] = [];
      const waiters = [0, 1, 2].map((i) =>
        spawn(() =>
          lock.using(() => {
            assert.equal(lock.ownedByCurrent(), true);
            order.push(i);
          }),
        ),
      );
      until(() => waiters.every((w) => waitReasonOf(w) === 'RLock.acquire'), 'three waiters');
      lock.release();
      sleep(0.005);
      assert.equal(order.length, 0, 'one level still held');
      lock.release();
      waiters.forEach((w) => w.wait());
      assert.deepEqual(order, [0, 1, 2]);
    }));

  it('acquire with a timeout returns false when the owner keeps it', () =>
    spawn(() => {
      const lock = new RLock();
      lock.acquire();
      const t0 = performance.now();
      const other = spawn(() => lock.acquire({ timeout: 0.02 }));
      assert.equal(other.wait(), false);
      assert.ok(secondsSince(t0) >= 0.015);
      lock.release();
      assert.throws(() => lock.acquire({ blocking: false, timeout: 1 }), TypeError);
    }));

  it('a waiter killed right after it was handed the lock passes it on', () =>
    spawn(() => {
      const lock = new RLock();
      lock.acquire();
      const victim = spawn(() => lock.acquire());
      const next = spawn(() => {
        lock.acquire();
        return lock.ownedByCurrent();
      });
      until(() => waitReasonOf(victim) === 'RLock.acquire' && waitReasonOf(next) === 'RLock.acquire', 'both wait');
      lock.release();
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(next.wait(), true);
    }));

  it('the main stack can own it and re-enter; a contended acquire there throws', async () => {
    const lock = new RLock();
    lock.acquire();
    lock.acquire();
    assert.equal(lock.ownedByCurrent(), true);
    const other = spawn(() => lock.acquire({ blocking: false }));
    assert.equal(await other, false);
    lock.release();
    lock.release();
    const done = new Event();
    const holder = spawn(() => lock.using(() => done.wait()));
    await spawn(() => until(() => lock.locked(), 'the green thread holds it'));
    assert.throws(() => lock.acquire(), /RLock\.acquire\(\) would block the main stack/);
    done.send();
    await holder;
  });

  it('using re-enters when already owned and releases one level however fn ends', () =>
    spawn(() => {
      const lock = new RLock();
      lock.using(() =>
        lock.using(() => {
          assert.equal(lock.ownedByCurrent(), true);
        }),
      );
      assert.equal(lock.locked(), false);
      assert.throws(() =>
        lock.using(() => {
          throw new Error('x');
        }),
      );
      assert.equal(lock.locked(), false);
    }));
});

// Condition: wait releases the lock and takes it back however the wait ends; notify order; notifications are
// not lost to a kill; producer/consumer. Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import { GreenletExit, HubBlockingError, Timeout, kill, sleep, spawn, withTimeout } from 'verdant';
import { waitReasonOf } from '../../lib/runtime/hub';
import { Condition, Event, Lock, NotOwnerError, RLock } from '../../lib/sync';
import { secondsSince, until } from './helpers';

describe('sync: Condition', () => {
  it('wait and notify without holding the lock are NotOwnerErrors', () =>
    spawn(() => {
      const cond = new Condition();
      assert.throws(() => cond.wait(), NotOwnerError);
      assert.throws(() => cond.wait(0.01), /Condition\.wait\(\) needs the condition's lock/);
      assert.throws(() => cond.notify(), /Condition\.notify\(\) needs the condition's lock/);
      assert.throws(() => cond.notifyAll(), NotOwnerError);
      assert.throws(() => cond.waitFor(() => false), NotOwnerError);
      // Held by another green thread is not held either.
      const done = new Event();
      const holder = spawn(() => cond.using(() => done.wait()));
      until(() => waitReasonOf(holder) === 'Event.wait', 'the other thread holds the lock');
      assert.throws(() => cond.notify(), NotOwnerError);
      done.send();
      holder.wait();
    }));

  it('wait releases the lock while waiting, and holds it again when notified', () =>
    spawn(() => {
      const cond = new Condition();
      let ready = false;
      const waiter = spawn(() =>
        cond.using(() => {
          while (!ready) cond.wait();
          const held = cond.acquire({ blocking: false }); // re-enters the RLock only if it is held again
          cond.release();
          return held;
        }),
      );
      until(() => waitReasonOf(waiter) === 'Condition.wait', 'the waiter waits');
      // The waiter holds no lock while it waits: this thread can take it at once.
      assert.equal(cond.acquire({ blocking: false }), true);
      ready = true;
      cond.notify();
      sleep(0.005);
      assert.equal(waiter.dead, false, 'the waiter needs the lock, which this thread still holds');
      cond.release();
      assert.equal(waiter.wait(), true);
    }));

  it('wait returns true when notified and false on timeout, holding the lock either way', () =>
    spawn(() => {
      const cond = new Condition(new Lock());
      cond.acquire();
      const t0 = performance.now();
      assert.equal(cond.wait(0.03), false);
      assert.ok(secondsSince(t0) >= 0.025);
      const notifier = spawn(() => cond.using(() => cond.notify()));
      assert.equal(cond.wait(5), true);
      notifier.wait();
      cond.release();
      assert.throws(() => cond.release(), /Lock\.release\(\): the lock is not locked/);
    }));

  it('wait releases every level of an RLock and restores the same depth', () =>
    spawn(() => {
      const lock = new RLock();
      const cond = new Condition(lock);
      lock.acquire();
      lock.acquire();
      lock.acquire();
      const other = spawn(() => {
        // Gets the lock while the waiter waits: all three levels were released.
        const got = lock.acquire({ blocking: false });
        cond.notify();
        lock.release();
        return got;
      });
      assert.equal(cond.wait(), true);
      assert.equal(other.wait(), true);
      lock.release();
      lock.release();
      assert.equal(lock.ownedByCurrent(), true, 'one of the three levels is left');
      lock.release();
      assert.throws(() => lock.release(), NotOwnerError);
    }));

  it('notify(n) wakes n waiters in the order they started waiting; notifyAll wakes the rest', () =>
    spawn(() => {
      const cond = new Condition();
      const woke: number[] = [];
      const waiters = Array.from({ length: 6 }, (_, i) =>
        spawn(() =>
          cond.using(() => {
            cond.wait();
            woke.push(i);
          }),
        ),
      );
      until(() => waiters.every((w) => waitReasonOf(w) === 'Condition.wait'), 'six waiters');
      cond.using(() => cond.notify(2));
      sleep(0.005);
      assert.deepEqual(woke, [0, 1]);
      cond.using(() => cond.notify(0));
      cond.using(() => cond.notifyAll());
      waiters.forEach((w) => w.wait());
      assert.deepEqual(woke, [0, 1, 2, 3, 4, 5]);
      assert.throws(() => cond.using(() => cond.notify(-1)), /Condition\.notify takes an integer >= 0/);
    }));

  it('a waiter killed right after it was notified passes the notification on', () =>
    spawn(() => {
      const cond = new Condition();
      const victim = spawn(() => cond.using(() => cond.wait()));
      const next = spawn(() => cond.using(() => cond.wait(5)));
      until(() => [victim, next].every((w) => waitReasonOf(w) === 'Condition.wait'), 'two waiters');
      cond.using(() => cond.notify());
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(next.wait(), true);
    }));

  it('a kill ends the wait only once the lock is held again, so finally blocks run holding it', () =>
    spawn(() => {
      const cond = new Condition();
      const seen: boolean[] = [];
      const victim = spawn(() =>
        cond.using(() => {
          try {
            cond.wait();
          } finally {
            seen.push(cond.acquire({ blocking: false })); // true only if the RLock is held (re-entry)
            cond.release();
          }
        }),
      );
      until(() => waitReasonOf(victim) === 'Condition.wait', 'the victim waits');
      cond.acquire();
      const killer = spawn(() => kill(victim));
      killer.wait();
      sleep(0.005);
      assert.equal(victim.dead, false, 'the victim waits for the lock this thread holds');
      assert.equal(waitReasonOf(victim), 'RLock.acquire');
      cond.release();
      assert.throws(() => victim.wait(), GreenletExit);
      assert.deepEqual(seen, [true]);
      assert.equal(cond.acquire({ blocking: false }), true, 'the victim released the lock on its way out');
      cond.release();
    }));

  it('a Timeout around wait raises after the lock is held again', () =>
    spawn(() => {
      const cond = new Condition();
      const waiter = spawn(() =>
        cond.using(() => {
          try {
            withTimeout(0.05, () => cond.wait());
            return 'no timeout';
          } catch (error) {
            return [error instanceof Timeout, cond.acquire({ blocking: false })];
          } finally {
            cond.release();
          }
        }),
      );
      until(() => waitReasonOf(waiter) === 'Condition.wait', 'the waiter waits');
      cond.acquire();
      sleep(0.1); // the Timeout fires while this thread holds the lock
      assert.equal(waiter.dead, false);
      cond.release();
      assert.deepEqual(waiter.wait(), [true, true]);
      assert.equal(cond.acquire({ blocking: false }), true);
    }));

  it('waitFor returns the predicate value once it holds, or its falsy value on timeout', () =>
    spawn(() => {
      const cond = new Condition();
      let items = 0;
      const producer = spawn(() => {
        for (let i = 0; i < 3; i++) {
          sleep(0.002);
          cond.using(() => {
            items++;
            cond.notifyAll();
          });
        }
      });
      const result = cond.using(() => cond.waitFor(() => items >= 3 && `got ${items}`));
      assert.equal(result, 'got 3');
      producer.wait();
      const t0 = performance.now();
      assert.equal(
        cond.using(() => cond.waitFor(() => items > 3, 0.02)),
        false,
      );
      assert.ok(secondsSince(t0) >= 0.015);
      // With timeout 0 the predicate is still checked after one wait.
      assert.equal(
        cond.using(() => cond.waitFor(() => items, 0)),
        3,
      );
      assert.throws(() => cond.using(() => cond.waitFor('x' as never)), /Condition\.waitFor takes a function/);
    }));

  it('producer/consumer: many consumers and producers on a bounded buffer, every item consumed once', () =>
    spawn(() => {
      const cond = new Condition();
      const buffer: number[] = [];
      const CAPACITY = 3;
      const PRODUCERS = 8;
      const PER_PRODUCER = 10;
      const consumed: number[] = [];
      let producersLeft = PRODUCERS;
      const producers = Array.from({ length: PRODUCERS }, (_, p) =>
        spawn(() => {
          for (let i = 0; i < PER_PRODUCER; i++) {
            cond.using(() => {
              cond.waitFor(() => buffer.length < CAPACITY);
              buffer.push(p * PER_PRODUCER + i);
              cond.notifyAll();
            });
          }
          cond.using(() => {
            producersLeft--;
            cond.notifyAll();
          });
        }),
      );
      const consumers = Array.from({ length: 6 }, () =>
        spawn(() => {
          for (;;) {
            const item = cond.using(() => {
              cond.waitFor(() => buffer.length > 0 || producersLeft === 0);
              const taken = buffer.shift();
              cond.notifyAll();
              return taken;
            });
            if (item === undefined) return;
            consumed.push(item);
            sleep(0);
          }
        }),
      );
      producers.forEach((p) => p.wait());
      consumers.forEach((c) => c.wait());
      assert.equal(buffer.length, 0);
      assert.deepEqual(
        consumed.sort((a, b) => a - b),
        [...Array(PRODUCERS * PER_PRODUCER).keys()],
      );
    }));

  it('wait on the main stack is a HubBlockingError (the lock is taken there without waiting)', () => {
    const cond = new Condition();
    cond.acquire();
    assert.throws(() => cond.wait(), HubBlockingError);
    assert.throws(() => cond.wait(1), /Condition\.wait\(\) would block the main stack/);
    assert.equal(cond.acquire({ blocking: false }), true, 'still held');
    cond.release();
    cond.notify();
    cond.release();
  });

  it('only takes a Lock or an RLock, and validates the timeout', () => {
    assert.throws(() => new Condition({} as never), /new Condition takes a Lock or an RLock/);
    const cond = new Condition();
    cond.acquire();
    assert.throws(() => cond.wait(-1), /Condition\.wait takes a finite number of seconds/);
    cond.release();
  });
});

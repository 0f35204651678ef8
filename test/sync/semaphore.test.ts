// Semaphore, BoundedSemaphore, CappedSemaphore: counters, FIFO hand-off of permits, and the races of a permit
// handed to a waiter that is killed or times out at that moment. Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import { GreenletExit, HubBlockingError, Timeout, kill, sleep, spawn, withTimeout } from 'verdant';
import { waitReasonOf } from '../../lib/runtime/hub';
import { BoundedSemaphore, CappedSemaphore, OverReleaseError, Semaphore } from '../../lib/sync';
import { busyWait, secondsSince, until } from './helpers';

describe('sync: Semaphore', () => {
  it('counts permits: acquire takes one, release gives back; locked, balance and bounded follow', () => {
    const sem = new Semaphore(2);
    assert.equal(sem.counter, 2);
    assert.equal(sem.balance, 2);
    assert.equal(sem.locked(), false);
    assert.equal(sem.bounded(), false);
    assert.equal(sem.acquire(), true);
    assert.equal(sem.acquire({ blocking: false }), true);
    assert.equal(sem.counter, 0);
    assert.equal(sem.locked(), true);
    assert.equal(sem.acquire({ blocking: false }), false);
    sem.release();
    assert.equal(sem.counter, 1);
    sem.release(3);
    assert.equal(sem.counter, 4, 'a plain Semaphore may go above its initial value');
    assert.equal(new Semaphore().counter, 1, 'the default value is 1');
    assert.equal(new Semaphore(0).locked(), true);
  });

  it('rejects bad values, counts and options with errors that name them', () => {
    assert.throws(() => new Semaphore(-1), /new Semaphore takes an integer >= 0, not -1/);
    assert.throws(() => new Semaphore(1.5), RangeError);
    assert.throws(() => new Semaphore('2' as unknown as number), {
      name: 'TypeError',
      message: 'new Semaphore takes an integer >= 0, not a string',
    });
    assert.throws(() => new BoundedSemaphore(null as unknown as number), /BoundedSemaphore takes .* not null/);
    const sem = new Semaphore(1);
    assert.throws(() => sem.release(0), /Semaphore\.release takes an integer >= 1, not 0/);
    assert.throws(() => sem.release(NaN), RangeError);
    assert.throws(() => sem.acquire({ blocking: false, timeout: 1 }), /a timeout cannot be given with blocking: false/);
    assert.throws(() => sem.acquire({ timeout: -0.5 }), /Semaphore\.acquire takes a finite number of seconds/);
    assert.throws(() => sem.using('not a function' as never), /Semaphore\.using takes a function, not string/);
    assert.equal(sem.counter, 1, 'nothing changed');
  });

  it('acquire waits until a release, parked as Semaphore.acquire; the main stack cannot wait', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      const log: string[] = [];
      const waiter = spawn(() => {
        sem.acquire();
        log.push('acquired');
      });
      until(() => sem.balance === -1, 'the waiter waits');
      assert.equal(waitReasonOf(waiter), 'Semaphore.acquire');
      log.push('release');
      sem.release();
      waiter.wait();
      assert.deepEqual(log, ['release', 'acquired']);
      assert.equal(sem.counter, 0);
    }));

  it('release and a free acquire work on the main stack; an acquire that would wait throws there', () => {
    const sem = new Semaphore(1);
    assert.equal(sem.acquire(), true);
    assert.throws(() => sem.acquire(), HubBlockingError);
    assert.throws(() => sem.acquire({ timeout: 1 }), /Semaphore\.acquire\(\) would block the main stack/);
    assert.equal(sem.acquire({ blocking: false }), false);
    sem.release();
    assert.equal(sem.counter, 1);
  });

  it('acquire with a timeout returns false when no permit comes', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      const t0 = performance.now();
      assert.equal(sem.acquire({ timeout: 0.03 }), false);
      assert.ok(secondsSince(t0) >= 0.025);
      assert.equal(sem.balance, 0, 'the waiter left');
    }));

  it('waiters get permits first come, first served; release(n) wakes n of them', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      const order: number[] = [];
      const waiters = Array.from({ length: 6 }, (_, i) =>
        spawn(() => {
          sem.acquire();
          order.push(i);
        }),
      );
      until(() => sem.balance === -6, 'six waiters');
      sem.release(4);
      assert.equal(sem.counter, 0, 'the four permits went straight to waiters');
      assert.equal(sem.balance, -2);
      sleep(0);
      assert.deepEqual(order, [0, 1, 2, 3]);
      sem.release(2);
      waiters.forEach((w) => w.wait());
      assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    }));

  it('a released permit belongs to the first waiter: a newcomer in the same turn cannot take it', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      const waiter = spawn(() => sem.acquire());
      until(() => sem.balance === -1, 'the waiter waits');
      sem.release();
      assert.equal(sem.acquire({ blocking: false }), false);
      assert.equal(waiter.wait(), true);
    }));

  it('a waiter killed right after it was handed a permit passes it to the next waiter', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      const victim = spawn(() => sem.acquire());
      const next = spawn(() => sem.acquire());
      until(() => sem.balance === -2, 'two waiters');
      sem.release(); // handed to the victim, which has not run yet
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(next.wait(), true);
      assert.equal(sem.counter, 0, 'exactly one permit was used');
    }));

  it('with no other waiter, the permit of a killed waiter goes back to the counter', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      const victim = spawn(() => sem.acquire());
      until(() => sem.balance === -1, 'the waiter waits');
      sem.release();
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(sem.counter, 1);
    }));

  it('a release landing as an acquire times out, before the hub sees the timer, is taken', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      const waiter = spawn(() => sem.acquire({ timeout: 0.01 }));
      until(() => sem.balance === -1, 'the waiter waits');
      busyWait(0.03);
      sem.release();
      assert.equal(waiter.wait(), true);
      assert.equal(sem.counter, 0);
    }));

  it('a permit released after the timeout fired, before the waiter ran, is still taken by it', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      // The releaser's sleep starts first and lasts as long as the waiter's timeout, so it ends first.
      const releaser = spawn(() => {
        sleep(0.05);
        sem.release();
        return sem.counter;
      });
      const waiter = spawn(() => sem.acquire({ timeout: 0.05 }));
      until(() => sem.balance === -1 && waitReasonOf(releaser) === 'sleep', 'both wait');
      busyWait(0.07); // both deadlines pass while this thread holds the loop
      assert.equal(releaser.wait(), 1, 'the timed-out waiter was skipped: the permit went to the counter');
      assert.equal(waiter.wait(), true);
      assert.equal(sem.counter, 0);
    }));

  it('a Timeout around acquire raises; no permit is lost', () =>
    spawn(() => {
      const sem = new Semaphore(0);
      assert.throws(() => withTimeout(0.01, () => sem.acquire()), Timeout);
      sem.release();
      assert.equal(sem.counter, 1);
    }));

  it('using holds a permit while fn runs and gives it back however fn ends', () =>
    spawn(() => {
      const sem = new Semaphore(1);
      assert.equal(
        sem.using(() => sem.counter),
        0,
      );
      assert.equal(sem.counter, 1);
      assert.throws(
        () =>
          sem.using(() => {
            throw new Error('inside');
          }),
        /inside/,
      );
      assert.equal(sem.counter, 1);
    }));

  it('bounds concurrency: of a hundred green threads, never more than the value hold a permit', () =>
    spawn(() => {
      const sem = new Semaphore(3);
      let inside = 0;
      let most = 0;
      let finished = 0;
      const threads = Array.from({ length: 100 }, () =>
        spawn(() =>
          sem.using(() => {
            inside++;
            most = Math.max(most, inside);
            sleep(0);
            inside--;
            finished++;
          }),
        ),
      );
      threads.forEach((t) => t.wait());
      assert.equal(finished, 100);
      assert.equal(most, 3);
      assert.equal(sem.counter, 3);
    }));
});

describe('sync: BoundedSemaphore', () => {
  it('a release above the initial value is an OverReleaseError and changes nothing', () => {
    const sem = new BoundedSemaphore(2);
    assert.throws(() => sem.release(), OverReleaseError);
    sem.acquire();
    assert.throws(
      () => sem.release(2),
      /BoundedSemaphore released too many times: releasing 2 would make 3 permits available, above its initial value 2/,
    );
    assert.equal(sem.counter, 1);
    sem.release();
    assert.equal(sem.counter, 2);
    assert.ok(sem instanceof Semaphore);
    assert.throws(() => new BoundedSemaphore(-1), /new BoundedSemaphore takes an integer >= 0/);
  });

  it('a permit released to a waiter that has not resumed yet counts as released: a double release throws', () =>
    spawn(() => {
      const sem = new BoundedSemaphore(1);
      sem.acquire();
      const waiter = spawn(() => sem.acquire());
      until(() => sem.balance === -1, 'the waiter waits');
      assert.equal(waitReasonOf(waiter), 'BoundedSemaphore.acquire');
      sem.release(); // handed to the waiter; the counter stays 0
      assert.equal(sem.counter, 0);
      assert.throws(() => sem.release(), OverReleaseError);
      assert.equal(waiter.wait(), true);
      sem.release(); // the waiter's permit
      assert.equal(sem.counter, 1);
      assert.throws(() => sem.release(), OverReleaseError);
    }));

  it('a permit passed on by a waiter killed at the hand-off is counted once', () =>
    spawn(() => {
      const sem = new BoundedSemaphore(1);
      sem.acquire();
      const victim = spawn(() => sem.acquire());
      until(() => sem.balance === -1, 'the waiter waits');
      sem.release();
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(sem.counter, 1);
      assert.throws(() => sem.release(), OverReleaseError);
      assert.equal(sem.acquire({ blocking: false }), true);
      sem.release();
    }));
});

describe('sync: CappedSemaphore', () => {
  it('acquire waits at 0, release waits at the limit', () =>
    spawn(() => {
      const sem = new CappedSemaphore(1, 2);
      assert.equal(sem.limit, 2);
      assert.equal(sem.release(), true);
      assert.equal(sem.counter, 2);
      assert.equal(sem.bounded(), true);
      assert.equal(sem.release({ blocking: false }), false);
      const releaser = spawn(() => sem.release());
      until(() => sem.balance === 3, 'the releaser waits'); // (2 units - 0 acquirers) - (0 of room - 1 releaser)
      assert.equal(waitReasonOf(releaser), 'CappedSemaphore.release');
      assert.equal(sem.acquire(), true);
      // The waiting release went in at once: still at the limit.
      assert.equal(sem.counter, 2);
      assert.equal(releaser.wait(), true);
      assert.equal(sem.acquire(), true);
      assert.equal(sem.acquire(), true);
      assert.equal(sem.locked(), true);
      assert.equal(sem.acquire({ blocking: false }), false);
      const acquirer = spawn(() => sem.acquire());
      // eventlet's balance: (0 units - 1 acquirer) - (2 of room - 0 releasers).
      until(() => sem.balance === -3, 'the acquirer waits');
      assert.equal(waitReasonOf(acquirer), 'CappedSemaphore.acquire');
      assert.equal(sem.release(), true);
      assert.equal(sem.counter, 0, 'the unit went straight to the waiting acquirer');
      assert.equal(acquirer.wait(), true);
    }));

  it('with limit 0, an acquire and a release meet (both wait for the other)', () =>
    spawn(() => {
      const sem = new CappedSemaphore(0, 0);
      assert.equal(sem.locked(), true);
      assert.equal(sem.bounded(), true);
      const acquirer = spawn(() => sem.acquire());
      until(() => sem.balance === -1, 'the acquirer waits');
      assert.equal(sem.bounded(), false, 'a release would not wait now');
      assert.equal(sem.release(), true);
      assert.equal(acquirer.wait(), true);
      const releaser = spawn(() => sem.release());
      until(() => sem.balance === 1, 'the releaser waits');
      assert.equal(sem.locked(), false, 'an acquire would not wait now');
      assert.equal(sem.acquire({ blocking: false }), true);
      assert.equal(releaser.wait(), true);
      assert.equal(sem.counter, 0);
    }));

  it('timeouts: a blocked acquire or release returns false when the time passes', () =>
    spawn(() => {
      const sem = new CappedSemaphore(0, 1);
      const t0 = performance.now();
      assert.equal(sem.acquire({ timeout: 0.02 }), false);
      assert.ok(secondsSince(t0) >= 0.015);
      sem.release();
      assert.equal(sem.release({ timeout: 0.02 }), false);
      assert.equal(sem.counter, 1);
      assert.equal(sem.balance, 1);
    }));

  it('an acquirer killed right after it was handed a unit passes it on', () =>
    spawn(() => {
      const sem = new CappedSemaphore(0, 1);
      const victim = spawn(() => sem.acquire());
      const next = spawn(() => sem.acquire());
      until(() => sem.balance === -3, 'two acquirers wait'); // (0 - 2) - (1 - 0)
      sem.release();
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(next.wait(), true);
      assert.equal(sem.counter, 0);
      // With nobody else waiting, the unit goes back to the counter.
      const lone = spawn(() => sem.acquire());
      until(() => sem.balance === -2, 'one acquirer waits'); // (0 - 1) - (1 - 0)
      sem.release();
      kill(lone);
      assert.throws(() => lone.wait(), GreenletExit);
      assert.equal(sem.counter, 1);
    }));

  it('calls that need not wait work on the main stack; calls that would wait throw there', () => {
    const sem = new CappedSemaphore(1, 1);
    assert.throws(() => sem.release(), /CappedSemaphore\.release\(\) would block the main stack/);
    assert.equal(sem.acquire(), true);
    assert.throws(() => sem.acquire(), HubBlockingError);
    assert.equal(sem.release(), true);
    assert.equal(sem.using(() => sem.counter), 0);
    assert.equal(sem.counter, 1);
  });

  it('rejects a count above the limit or below 0', () => {
    assert.throws(() => new CappedSemaphore(3, 2), /limit, at least count\) takes an integer >= 3, not 2/);
    assert.throws(() => new CappedSemaphore(-1, 2), /count\) takes an integer >= 0, not -1/);
    assert.throws(() => new CappedSemaphore(1, Infinity), RangeError);
    assert.throws(() => new CappedSemaphore(1, '2' as never), {
      name: 'TypeError',
      message: /\(limit, at least count\) takes an integer >= 1, not a string/,
    });
    assert.throws(() => new CappedSemaphore([1] as never, 2), { name: 'TypeError', message: /not an array/ });
  });
});

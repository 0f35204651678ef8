// Event: one outcome, every waiter, eventlet's send/wait/reset rules. Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import { GreenletExit, HubBlockingError, Timeout, kill, sleep, spawn, withTimeout } from 'verdant';
import { waitReasonOf } from '../../lib/runtime/hub';
import { Event, EventAlreadySentError, EventNotSentError } from '../../lib/sync';
import { busyWait, secondsSince, until } from './helpers';

describe('sync: Event', () => {
  it('wait blocks until send, then returns the value; ready and hasResult follow', () =>
    spawn(() => {
      const ev = new Event<number>();
      const order: string[] = [];
      const waiter = spawn(() => {
        order.push('waiting');
        const v = ev.wait();
        order.push(`got ${v}`);
        return v;
      });
      until(() => waitReasonOf(waiter) === 'Event.wait', 'the waiter parks on the event');
      assert.equal(ev.ready(), false);
      assert.equal(ev.hasResult(), false);
      order.push('send');
      ev.send(42);
      assert.equal(ev.ready(), true);
      assert.equal(ev.hasResult(), true);
      assert.equal(ev.hasException(), false);
      assert.equal(waiter.wait(), 42);
      assert.deepEqual(order, ['waiting', 'send', 'got 42']);
    }));

  it('every waiter wakes on one send, in the order they started waiting', () =>
    spawn(() => {
      const ev = new Event<string>();
      const woke: number[] = [];
      const waiters = Array.from({ length: 20 }, (_, i) =>
        spawn(() => {
          const v = ev.wait();
          woke.push(i);
          return v;
        }),
      );
      until(() => waiters.every((w) => waitReasonOf(w) === 'Event.wait'), 'all 20 wait');
      ev.send('go');
      assert.deepEqual(
        waiters.map((w) => w.wait()),
        Array(20).fill('go'),
      );
      assert.deepEqual(woke, [...Array(20).keys()]);
    }));

  it('a wait after the send returns at once, without switching, also on the main stack', async () => {
    const ev = new Event<string>();
    ev.send('done');
    assert.equal(ev.wait(), 'done');
    assert.equal(ev.wait(5), 'done');
    await spawn(() => {
      let otherRan = false;
      spawn(() => (otherRan = true));
      assert.equal(ev.wait(), 'done');
      assert.equal(otherRan, false, 'wait did not switch: the other green thread has not run');
      sleep(0);
      assert.equal(otherRan, true);
    });
  });

  it('wait with a timeout returns undefined when the time passes first (eventlet returns None)', () =>
    spawn(() => {
      const ev = new Event<number>();
      const t0 = performance.now();
      assert.equal(ev.wait(0.03), undefined);
      assert.ok(secondsSince(t0) >= 0.025, `returned after ${secondsSince(t0)} s`);
      assert.equal(ev.ready(), false);
      // A later send still works, and a wait with time to spare gets it.
      spawn(() => ev.send(7));
      assert.equal(ev.wait(5), 7);
    }));

  it('sendException makes wait and poll throw the error in every waiter', () =>
    spawn(() => {
      const ev = new Event();
      const boom = new RangeError('boom');
      const waiters = [0, 1, 2].map(() =>
        spawn(() => {
          try {
            ev.wait();
            return 'no error';
          } catch (error) {
            return error;
          }
        }),
      );
      until(() => waiters.every((w) => waitReasonOf(w) === 'Event.wait'), 'the waiters park');
      ev.sendException(boom);
      for (const w of waiters) assert.equal(w.wait(), boom);
      assert.equal(ev.ready(), true);
      assert.equal(ev.hasException(), true);
      assert.equal(ev.hasResult(), false);
      assert.throws(() => ev.poll(), (e) => e === boom);
      assert.throws(() => ev.wait(), (e) => e === boom);
    }));

  it('a second send without reset is an EventAlreadySentError and changes nothing', () => {
    const ev = new Event<number>();
    ev.send(1);
    assert.throws(() => ev.send(2), EventAlreadySentError);
    assert.throws(() => ev.sendException(new Error('x')), EventAlreadySentError);
    assert.equal(ev.poll(), 1);
    ev.reset();
    ev.send(3);
    assert.equal(ev.wait(), 3);
  });

  it('reset of a fresh (or already reset) event is an EventNotSentError, as eventlet asserts', () => {
    const ev = new Event();
    assert.throws(() => ev.reset(), EventNotSentError);
    ev.send();
    ev.reset();
    assert.equal(ev.ready(), false);
    assert.throws(() => ev.reset(), EventNotSentError);
  });

  it('waiters woken by a send get its outcome even if the event is reset and sent again before they run', () =>
    spawn(() => {
      const ev = new Event<string>();
      const waiters = [0, 1].map(() => spawn(() => ev.wait()));
      until(() => waiters.every((w) => waitReasonOf(w) === 'Event.wait'), 'the waiters park');
      ev.send('first');
      ev.reset();
      ev.send('second');
      assert.deepEqual(
        waiters.map((w) => w.wait()),
        ['first', 'first'],
      );
      assert.equal(ev.wait(), 'second');
    }));

  it('poll never blocks: the default while not sent, the value after', () => {
    const ev = new Event<number>();
    assert.equal(ev.poll(), undefined);
    assert.equal(ev.poll('not yet'), 'not yet');
    ev.send(0);
    assert.equal(ev.poll('not yet'), 0);
  });

  it('send works on the main stack and wakes green waiters; a wait that would block there throws', async () => {
    const ev = new Event<number>();
    assert.throws(() => ev.wait(), HubBlockingError);
    assert.throws(() => ev.wait(1), /Event\.wait\(\) would block the main stack/);
    const waiter = spawn(() => ev.wait());
    await spawn(() => until(() => waitReasonOf(waiter) === 'Event.wait', 'the waiter parks'));
    ev.send(5);
    assert.equal(await waiter, 5);
  });

  it('send does not block the sender: it goes on before the waiters run', () =>
    spawn(() => {
      const ev = new Event();
      const order: string[] = [];
      const waiter = spawn(() => {
        ev.wait();
        order.push('waiter');
      });
      until(() => waitReasonOf(waiter) === 'Event.wait', 'the waiter parks');
      ev.send();
      order.push('sender');
      waiter.wait();
      assert.deepEqual(order, ['sender', 'waiter']);
    }));

  it('a killed waiter leaves; the others still get the send', () =>
    spawn(() => {
      const ev = new Event<number>();
      const victim = spawn(() => ev.wait());
      const other = spawn(() => ev.wait());
      until(() => waitReasonOf(victim) === 'Event.wait' && waitReasonOf(other) === 'Event.wait', 'both park');
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      ev.send(9);
      assert.equal(other.wait(), 9);
    }));

  it('a Timeout around wait raises there; the event is unaffected', () =>
    spawn(() => {
      const ev = new Event<number>();
      assert.throws(() => withTimeout(0.01, () => ev.wait()), Timeout);
      ev.send(1);
      assert.equal(ev.wait(), 1);
    }));

  it('a send racing the timeout in the same hub turn delivers the value', () =>
    spawn(() => {
      const ev = new Event<string>();
      const waiter = spawn(() => ev.wait(0.01));
      until(() => waitReasonOf(waiter) === 'Event.wait', 'the waiter parks');
      // The deadline passes while this thread holds the loop; the send comes before the hub sees the timer.
      busyWait(0.03);
      ev.send('in time');
      assert.equal(waiter.wait(), 'in time');
    }));

  it('validates the timeout', () => {
    const ev = new Event();
    assert.throws(() => ev.wait(-1), RangeError);
    assert.throws(() => ev.wait(NaN), /Event\.wait takes a finite number of seconds/);
  });
});

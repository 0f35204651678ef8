// eventlet's tests/queue_test.py, ported: each `it` keeps the name of the eventlet test it asserts the behaviour
// of. eventlet's `Queue(0)` is a channel, `getting()`/`putting()` are the `getters`/`putters` properties, and
// `hub.schedule_call_global(0, f)` (code run by the hub) is a callback on the main stack (onMainStack).
// Not ported: test_wait_except (a KeyboardInterrupt raised in a green thread reaching the hub's caller: Python's
// BaseException handling, with nothing like it in JavaScript).
import { strict as assert } from 'node:assert';
import { Empty, Event, Full, GreenThread, Queue, Timeout, kill, sleep, spawn, withTimeout } from 'verdant';
import { until } from '../sync/helpers';
import { onMainStack, storeResult } from './helpers';

// eventlet's do_bail: a get under a Timeout(0) that raises a RuntimeError.
function doBail(q: Queue<string>): string {
  const bail = new Error('bail');
  const timeout = new Timeout(0, bail);
  try {
    return q.get();
  } catch (error) {
    if (error === bail) return 'timed out';
    throw error;
  } finally {
    timeout.cancel();
  }
}

// Every item the queue holds, taken without blocking (eventlet reads `list(q.queue)`; verdant does not show
// its storage).
function drain<T>(q: Queue<T>): T[] {
  const items: T[] = [];
  while (!q.empty()) items.push(q.getNowait());
  return items;
}

// eventlet's sender(evt, q) on a Queue(0), started: it puts 'hi', then sends 'done' on `evt`. Returns once the
// sender waits in its put, which no getter has taken yet.
function blockedSender(q: Queue<string>): { evt: Event<string>; gt: GreenThread } {
  const evt = new Event<string>();
  const gt = spawn(() => {
    q.put('hi');
    evt.send('done');
  });
  sleep(0);
  assert.equal(evt.ready(), false);
  return { evt, gt };
}

// test_resize_up and test_resize_to_Unlimited: a sender blocked on Queue(0) goes on once a resize makes room.
function resizeReleasesSender(size: number | null): void {
  const q = new Queue<string>(0);
  const { evt, gt } = blockedSender(q);
  q.resize(size);
  sleep(0);
  assert.equal(evt.ready(), true);
  gt.wait();
  assert.deepEqual(drain(q), ['hi']);
}

describe('eventlet queue_test.py', () => {
  describe('TestQueue', () => {
    it('test_send_first', () =>
      spawn(() => {
        const q = new Queue<string>();
        q.put('hi');
        assert.equal(q.get(), 'hi');
      }));

    it('test_send_last', () =>
      spawn(() => {
        const q = new Queue<string>();
        const gt = spawn(() => withTimeout(0.1, () => assert.equal(q.get(), 'hi2')));
        sleep(0);
        sleep(0);
        q.put('hi2');
        gt.wait();
      }));

    it('test_max_size', () =>
      spawn(() => {
        const q = new Queue<string>(2);
        const results: string[] = [];
        const gt = spawn(() => {
          for (const item of ['a', 'b', 'c']) {
            q.put(item);
            results.push(item);
          }
        });
        sleep(0);
        assert.deepEqual(results, ['a', 'b']);
        assert.equal(q.get(), 'a');
        sleep(0);
        assert.deepEqual(results, ['a', 'b', 'c']);
        assert.equal(q.get(), 'b');
        assert.equal(q.get(), 'c');
        gt.wait();
      }));

    it('test_zero_max_size', () =>
      spawn(() => {
        const q = new Queue<string>(0);
        const { evt, gt } = blockedSender(q);
        const gt2 = spawn(() => q.get());
        assert.equal(gt2.wait(), 'hi');
        assert.equal(evt.wait(), 'done');
        gt.wait();
      }));

    it('test_resize_up', () => spawn(() => resizeReleasesSender(1)));

    it('test_resize_down', () =>
      spawn(() => {
        const q = new Queue<number>(5);
        for (let i = 0; i < 5; i++) q.put(i);
        assert.equal(q.qsize(), 5);
        q.resize(1);
        sleep(0);
        assert.equal(q.qsize(), 5, 'shrinking keeps the items');
        assert.deepEqual(drain(q), [0, 1, 2, 3, 4]);
      }));

    it('test_resize_to_Unlimited', () => spawn(() => resizeReleasesSender(null)));

    it('test_multiple_waiters', () =>
      spawn(() => {
        const q = new Queue<string>();
        const sendings = ['1', '2', '3', '4'];
        const gts = sendings.map(() => spawn(() => q.get()));
        sleep(0.01); // get 'em all waiting
        for (const item of sendings) q.put(item);
        assert.deepEqual(new Set(gts.map((gt) => gt.wait())), new Set(sendings));
      }));

    it('test_waiters_that_cancel', () =>
      spawn(() => {
        const q = new Queue<string>();
        const gt = spawn(doBail, q);
        assert.equal(gt.wait(), 'timed out');
        q.put('hi');
        assert.equal(q.get(), 'hi');
      }));

    it('test_getting_before_sending', () =>
      spawn(() => {
        const q = new Queue<string>();
        const gt = spawn(() => q.put('sent'));
        assert.equal(q.get(), 'sent');
        gt.wait();
      }));

    it('test_two_waiters_one_dies', () =>
      spawn(() => {
        const q = new Queue<string>();
        const dying = spawn(doBail, q);
        const waiting = spawn(() => q.get());
        sleep(0);
        q.put('hi');
        assert.equal(dying.wait(), 'timed out');
        assert.equal(waiting.wait(), 'hi');
      }));

    it('test_two_bogus_waiters', () =>
      spawn(() => {
        const q = new Queue<string>();
        const gt1 = spawn(doBail, q);
        const gt2 = spawn(doBail, q);
        sleep(0);
        q.put('sent');
        assert.equal(gt1.wait(), 'timed out');
        assert.equal(gt2.wait(), 'timed out');
        assert.equal(q.get(), 'sent');
      }));

    it('test_waiting', () =>
      spawn(() => {
        const q = new Queue<string>();
        const gt1 = spawn(() => q.get());
        sleep(0);
        assert.equal(q.getters, 1);
        q.put('hi');
        sleep(0);
        assert.equal(q.getters, 0);
        assert.equal(gt1.wait(), 'hi');
        assert.equal(q.getters, 0);
      }));

    it('test_channel_send', () =>
      spawn(() => {
        const channel = new Queue<string>(0);
        const events: string[] = [];
        spawn(() => {
          events.push(channel.get());
          events.push(channel.get());
        });
        events.push('sending');
        channel.put('hello');
        events.push('sent hello');
        channel.put('world');
        events.push('sent world');
        assert.deepEqual(events, ['sending', 'hello', 'sent hello', 'world', 'sent world']);
      }));

    it('test_channel_wait', () =>
      spawn(() => {
        const channel = new Queue<string>(0);
        const events: string[] = [];
        spawn(() => {
          events.push('sending hello');
          channel.put('hello');
          events.push('sending world');
          channel.put('world');
          events.push('sent world');
        });
        events.push('waiting');
        events.push(channel.get());
        events.push(channel.get());
        assert.deepEqual(events, ['waiting', 'sending hello', 'hello', 'sending world', 'world']);
        sleep(0);
        assert.deepEqual(events, ['waiting', 'sending hello', 'hello', 'sending world', 'world', 'sent world']);
      }));

    it('test_channel_waiters', () =>
      spawn(() => {
        const c = new Queue<number>(0);
        const getters = [0, 1, 2].map(() => spawn(() => c.get()));
        sleep(0);
        assert.equal(c.getters, 3);
        const senders = [1, 2, 3].map((i) => spawn(() => c.put(i)));
        for (const sender of senders) sender.wait();
        assert.equal(c.getters, 0);
        // eventlet does not promise the order the getters are served in (verdant's is FIFO).
        assert.deepEqual(getters.map((g) => g.wait()).sort(), [1, 2, 3]);
      }));

    it('test_channel_sender_timing_out', () =>
      spawn(() => {
        const c = new Queue<string>(0);
        assert.throws(() => c.put('hi', { timeout: 0.001 }), Full);
        assert.throws(() => c.getNowait(), Empty);
      }));

    it('test_task_done', () =>
      spawn(() => {
        const channel = new Queue<object>(0);
        const x = {};
        const gt = spawn(() => channel.put(x));
        assert.equal(channel.get(), x);
        assert.equal(channel.unfinishedTasks, 1);
        channel.taskDone();
        assert.equal(channel.unfinishedTasks, 0);
        gt.wait();
      }));

    it('test_join_doesnt_block_when_queue_is_already_empty', () =>
      spawn(() => {
        const q = new Queue();
        assert.equal(q.join(), true);
      }));

    it('test_zero_length_queue_nonblocking_put', () =>
      spawn(() => {
        const q = new Queue<number>(0);
        const got: number[] = [];
        const fetchItem = () => {
          got.push(q.get());
        };
        const badGetters: GreenThread[] = [];
        for (let i = 0; i < 10; i++) {
          spawn(fetchItem);
          // Catching the kill keeps verdant from reporting a failed thread that nobody waits for yet.
          const bad = spawn(() => assert.throws(fetchItem, /kaboom/));
          badGetters.push(bad);
          // eventlet throws from a hub timer scheduled after the getter's start, so the getter dies while it
          // waits in get; a green thread spawned after it does the same here.
          spawn(() => kill(bad, new Error('kaboom')));
        }
        sleep(0);
        for (let i = 0; i < 10; i++) q.put(i);
        assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        for (const bad of badGetters) bad.wait();
      }));
  });

  describe('TestNoWait', () => {
    it('test_put_nowait_simple', () =>
      spawn(() => {
        const result: unknown[] = [];
        const q = new Queue<number>(1);
        onMainStack(() => storeResult(result, () => q.putNowait(2)));
        onMainStack(() => storeResult(result, () => q.putNowait(3)));
        until(() => result.length === 2, 'both puts ran on the main stack');
        assert.equal(result[0], undefined);
        assert.ok(result[1] instanceof Full, String(result[1]));
      }));

    it('test_get_nowait_simple', () =>
      spawn(() => {
        const result: unknown[] = [];
        const q = new Queue<number>(1);
        q.put(4);
        onMainStack(() => storeResult(result, () => q.getNowait()));
        onMainStack(() => storeResult(result, () => q.getNowait()));
        until(() => result.length === 2, 'both gets ran on the main stack');
        assert.equal(result[0], 4);
        assert.ok(result[1] instanceof Empty, String(result[1]));
      }));

    // get_nowait must work from the main loop
    it('test_get_nowait_unlock', () =>
      spawn(() => {
        const result: unknown[] = [];
        const q = new Queue<number>(0);
        const p = spawn(() => q.put(5));
        assert.equal(q.empty(), true);
        assert.equal(q.full(), true);
        sleep(0);
        assert.equal(q.empty(), true);
        assert.equal(q.full(), true);
        onMainStack(() => storeResult(result, () => q.getNowait()));
        until(() => result.length === 1, 'the get ran on the main stack');
        assert.equal(q.empty(), true);
        assert.equal(q.full(), true);
        assert.deepEqual(result, [5]);
        sleep(0);
        assert.equal(p.dead, true);
        assert.equal(q.empty(), true);
      }));

    // put_nowait must work from the main loop
    it('test_put_nowait_unlock', () =>
      spawn(() => {
        const result: unknown[] = [];
        const q = new Queue<number>(0);
        const g = spawn(() => q.get());
        assert.equal(q.empty(), true);
        assert.equal(q.full(), true);
        sleep(0);
        assert.equal(q.empty(), true);
        assert.equal(q.full(), true);
        onMainStack(() => storeResult(result, () => q.putNowait(10)));
        until(() => result.length === 1, 'the put ran on the main stack');
        assert.deepEqual(result, [undefined]);
        assert.equal(g.wait(), 10);
        assert.equal(q.full(), true);
        assert.equal(q.empty(), true);
      }));
  });
});

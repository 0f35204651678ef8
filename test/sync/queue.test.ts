// The queue family: LightQueue, Queue (tasks), PriorityQueue, LifoQueue, with eventlet's semantics, and the
// hand-off races (timeouts and kills landing as an item is handed over). Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import { GreenletExit, GreenThread, HubBlockingError, Timeout, kill, sleep, spawn, withTimeout } from 'verdant';
import { waitReasonOf } from '../../lib/runtime/hub';
import { Empty, Event, Full, LifoQueue, LightQueue, PriorityQueue, Queue, TaskDoneError } from '../../lib/sync';
import { busyWait, randomSequence, secondsSince, until } from './helpers';

// Every item a queue still holds, taken without blocking.
function drain<T>(q: LightQueue<T>): T[] {
  const items: T[] = [];
  while (!q.empty()) items.push(q.getNowait());
  return items;
}

describe('sync: LightQueue and Queue basics', () => {
  it('gives items out first in, first out; qsize, empty and full follow', () => {
    const q = new Queue<number>(3);
    assert.equal(q.maxsize, 3);
    assert.equal(q.empty(), true);
    q.put(1);
    q.put(2);
    q.putNowait(3);
    assert.equal(q.qsize(), 3);
    assert.equal(q.full(), true);
    assert.throws(() => q.putNowait(4), Full);
    assert.throws(() => q.put(4, { block: false }), /Queue\.put: the queue is full \(maxsize 3\)/);
    assert.deepEqual([q.get(), q.getNowait(), q.get({ block: false })], [1, 2, 3]);
    assert.throws(() => q.getNowait(), Empty);
    assert.throws(() => q.get({ block: false }), /Queue\.get: the queue is empty/);
  });

  it('is unbounded with no maxsize, null or Infinity', () => {
    for (const q of [new LightQueue<number>(), new LightQueue<number>(null), new LightQueue<number>(Infinity)]) {
      assert.equal(q.maxsize, Infinity);
      for (let i = 0; i < 1000; i++) q.putNowait(i);
      assert.equal(q.full(), false);
      assert.equal(q.qsize(), 1000);
      assert.deepEqual(drain(q), [...Array(1000).keys()]);
    }
  });

  it('rejects bad sizes and options with errors that name them', () => {
    assert.throws(
      () => new LightQueue(-1),
      /new LightQueue \(maxsize; null or Infinity for no limit\) takes an integer >= 0, not -1/,
    );
    assert.throws(() => new Queue(1.5), RangeError);
    assert.throws(() => new Queue(NaN), RangeError);
    assert.throws(() => new Queue('3' as unknown as number), {
      name: 'TypeError',
      message: /new Queue \(maxsize; null or Infinity for no limit\) takes an integer >= 0, not a string/,
    });
    assert.throws(() => new LifoQueue({} as never), TypeError);
    const q = new Queue(1);
    assert.throws(() => q.resize(-2), /resize/);
    assert.throws(() => q.put(1, { timeout: -1 }), /Queue\.put takes a finite number of seconds >= 0, not -1/);
    assert.throws(() => q.get({ timeout: Infinity }), RangeError);
    assert.throws(() => q.put(1, { block: false, timeout: 1 }), /a timeout cannot be given with block: false/);
    assert.throws(() => q.get({ block: 'no' as unknown as boolean }), /block must be a boolean/);
    assert.throws(() => q.get(5 as unknown as object), /Queue\.get takes an options object/);
    assert.equal(q.qsize(), 0);
  });

  it('works from the main stack when nothing has to wait, and throws HubBlockingError when it would', () => {
    const q = new Queue<string>(1);
    q.put('a');
    assert.throws(() => q.put('b'), HubBlockingError);
    assert.throws(() => q.put('b', { timeout: 1 }), /Queue\.put\(\) on a full queue would block the main stack/);
    assert.equal(q.get(), 'a');
    assert.throws(() => q.get(), HubBlockingError);
    assert.throws(() => q.get({ timeout: 1 }), /Queue\.get\(\) on an empty queue would block the main stack/);
    assert.equal(q.qsize(), 0);
    assert.equal(q.getters + q.putters, 0);
  });

  it('get blocks until a put; the item goes straight to the waiting getter', () =>
    spawn(() => {
      const q = new LightQueue<string>();
      const getter = spawn(() => q.get());
      until(() => q.getters === 1, 'the getter waits');
      assert.equal(waitReasonOf(getter), 'Queue.get');
      q.put('x');
      assert.equal(q.getters, 0);
      assert.equal(q.qsize(), 0, 'handed over, not stored');
      assert.equal(getter.wait(), 'x');
    }));

  it('put blocks while full and goes in when a get frees a slot', () =>
    spawn(() => {
      const q = new LightQueue<number>(1);
      q.put(1);
      const order: string[] = [];
      const putter = spawn(() => {
        q.put(2);
        order.push('put 2 done');
      });
      until(() => q.putters === 1, 'the putter waits');
      assert.equal(waitReasonOf(putter), 'Queue.put');
      order.push('get');
      assert.equal(q.get(), 1);
      // The putter's item is in the queue at once, before the putter even runs again.
      assert.equal(q.qsize(), 1);
      assert.equal(q.putters, 0);
      putter.wait();
      assert.equal(q.get(), 2);
      assert.deepEqual(order, ['get', 'put 2 done']);
    }));

  it('a nowait put hands to a waiting getter and a nowait get takes from a waiting putter, on main', async () => {
    const channel = new LightQueue<string>(0);
    const getter = spawn(() => channel.get());
    await spawn(() => until(() => channel.getters === 1, 'the getter waits'));
    channel.putNowait('to the getter'); // main stack
    assert.equal(await getter, 'to the getter');
    const putter = spawn(() => channel.put('from the putter'));
    await spawn(() => until(() => channel.putters === 1, 'the putter waits'));
    assert.equal(channel.getNowait(), 'from the putter'); // main stack
    await putter;
    assert.throws(() => channel.putNowait('nobody'), Full);
    assert.throws(() => channel.getNowait(), Empty);
  });

  it('maxsize 0 is a channel: put blocks until a getter takes the item', () =>
    spawn(() => {
      const q = new LightQueue<number>(0);
      assert.equal(q.full(), true);
      const order: string[] = [];
      const putter = spawn(() => {
        q.put(7);
        order.push('put returned');
      });
      until(() => q.putters === 1, 'the putter waits');
      sleep(0.01);
      assert.equal(order.length, 0, 'no getter yet: the put still waits');
      assert.equal(q.qsize(), 0);
      order.push('get');
      assert.equal(q.get(), 7);
      putter.wait();
      assert.deepEqual(order, ['get', 'put returned']);
    }));

  it('put with a timeout throws Full when no room comes, and the item is not in the queue', () =>
    spawn(() => {
      const q = new LightQueue<string>(1);
      q.put('kept');
      const t0 = performance.now();
      assert.throws(
        () => q.put('dropped', { timeout: 0.03 }),
        /Queue\.put timed out after 0\.03 s: the queue stayed full/,
      );
      assert.ok(secondsSince(t0) >= 0.025);
      assert.equal(q.putters, 0);
      assert.deepEqual(drain(q), ['kept']);
    }));

  it('get with a timeout throws Empty when no item comes', () =>
    spawn(() => {
      const q = new LightQueue<string>();
      const t0 = performance.now();
      assert.throws(
        () => q.get({ timeout: 0.03 }),
        (e) => e instanceof Empty && /timed out after 0\.03 s/.test(e.message),
      );
      assert.ok(secondsSince(t0) >= 0.025);
      assert.equal(q.getters, 0);
      // timeout 0 still lets what is ready now put an item in, and takes it.
      spawn(() => q.put('quick'));
      assert.equal(q.get({ timeout: 0 }), 'quick');
      assert.throws(() => q.get({ timeout: 0 }), Empty);
    }));

  it('waiting getters are served first come, first served', () =>
    spawn(() => {
      const q = new LightQueue<number>();
      const getters = Array.from({ length: 10 }, () => spawn(() => q.get()));
      until(() => q.getters === 10, 'ten getters wait');
      for (let i = 0; i < 10; i++) q.put(i);
      assert.deepEqual(
        getters.map((g) => g.wait()),
        [...Array(10).keys()],
      );
    }));

  it('waiting putters get in first come, first served', () =>
    spawn(() => {
      const q = new LightQueue<number>(1);
      q.put(-1);
      const putters = Array.from({ length: 10 }, (_, i) => spawn(() => q.put(i)));
      until(() => q.putters === 10, 'ten putters wait');
      const got: number[] = [];
      for (let i = 0; i < 11; i++) got.push(q.get());
      putters.forEach((p) => p.wait());
      assert.deepEqual(got, [-1, ...Array(10).keys()]);
    }));

  it('a newcomer does not overtake waiting putters when a slot frees', () =>
    spawn(() => {
      const q = new LightQueue<string>(1);
      q.put('first');
      const waiting = spawn(() => q.put('waiting putter'));
      until(() => q.putters === 1, 'the putter waits');
      q.get();
      // The freed slot went to the waiting putter: a newcomer finds the queue full.
      assert.throws(() => q.putNowait('newcomer'), Full);
      waiting.wait();
      assert.deepEqual(drain(q), ['waiting putter']);
    }));

  it('resize while full lets blocked putters in, in order and only as many as fit', () =>
    spawn(() => {
      const q = new LightQueue<number>(2);
      q.put(0);
      q.put(1);
      const putters = [2, 3, 4, 5].map((i) => spawn(() => q.put(i)));
      until(() => q.putters === 4, 'four putters wait');
      q.resize(4);
      assert.equal(q.maxsize, 4);
      assert.equal(q.qsize(), 4);
      assert.equal(q.putters, 2);
      putters[0].wait();
      putters[1].wait();
      q.resize(null);
      assert.equal(q.putters, 0);
      putters.forEach((p) => p.wait());
      assert.deepEqual(drain(q), [0, 1, 2, 3, 4, 5]);
    }));

  it('shrinking keeps the items; puts wait until the queue is below the new size', () =>
    spawn(() => {
      const q = new LightQueue<number>(5);
      for (let i = 0; i < 4; i++) q.put(i);
      q.resize(2);
      assert.equal(q.qsize(), 4);
      assert.equal(q.full(), true);
      assert.throws(() => q.putNowait(9), Full);
      q.get();
      q.get();
      assert.throws(() => q.putNowait(9), Full, 'still 2 items, at the new maxsize');
      q.get();
      q.putNowait(9);
      assert.deepEqual(drain(q), [3, 9]);
    }));

  it('a blocked putter that is killed leaves, and its item never shows up', () =>
    spawn(() => {
      const q = new LightQueue<string>(1);
      q.put('a');
      const victim = spawn(() => q.put('never'));
      const next = spawn(() => q.put('b'));
      until(() => q.putters === 2, 'two putters wait');
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(q.putters, 1);
      assert.equal(q.get(), 'a');
      next.wait();
      assert.deepEqual(drain(q), ['b']);
    }));
});

describe('sync: Queue(0), a channel: a put waits until a getter has its item', () => {
  it('a put that finds a getter waiting returns only once that getter has the item', () =>
    spawn(() => {
      const q = new LightQueue<string>(0);
      const log: string[] = [];
      const getter = spawn(() => log.push(`got ${q.get()}`));
      until(() => q.getters === 1, 'the getter waits');
      q.put('x');
      log.push('put returned');
      assert.deepEqual(log, ['got x', 'put returned']);
      getter.wait();
      assert.equal(q.qsize(), 0);
    }));

  it('putNowait in a green thread: Full with no getter waiting; with one, returns once the getter has the item', () =>
    spawn(() => {
      const q = new LightQueue<string>(0);
      assert.throws(
        () => q.putNowait('nobody'),
        /^Full: Queue\.put: the queue is full \(maxsize 0: an item only goes to a waiting getter\)$/,
      );
      assert.throws(
        () => q.put('late', { timeout: 0.01 }),
        /Queue\.put timed out after 0\.01 s: no getter took the item/,
      );
      const log: string[] = [];
      const getter = spawn(() => log.push(`got ${q.get()}`));
      until(() => q.getters === 1, 'the getter waits');
      q.putNowait('x');
      log.push('putNowait returned');
      assert.deepEqual(log, ['got x', 'putNowait returned']);
      getter.wait();
      assert.equal(q.qsize(), 0);
    }));

  // In these, a green thread spawned right after the putter kills the getter handed the item: it runs before that
  // getter, which was woken later, so the kill lands between the hand-off and the claim.
  it('a getter killed before taking the item passes it to the next getter; the put returns once that one has it', () =>
    spawn(() => {
      const q = new Queue<string>(0);
      const log: string[] = [];
      const victim = spawn(() => q.get());
      const next = spawn(() => log.push(`next got ${q.get()}`));
      until(() => q.getters === 2, 'two getters wait');
      const killer = spawn(() => kill(victim));
      q.put('x');
      log.push('put returned');
      assert.deepEqual(log, ['next got x', 'put returned']);
      assert.throws(() => victim.wait(), GreenletExit);
      next.wait();
      killer.wait();
      assert.equal(q.unfinishedTasks, 1, 'counted once');
    }));

  it('with no other getter, the item goes back to its putter, first in line again', () =>
    spawn(() => {
      const q = new Queue<string>(0);
      const victim = spawn(() => q.get());
      until(() => q.getters === 1, 'the getter waits');
      const first = spawn(() => q.put('x')); // hands x to the victim
      const killer = spawn(() => kill(victim));
      const second = spawn(() => q.put('y')); // finds no getter: waits in line
      until(() => victim.dead && q.putters === 2, 'the victim died and both putters wait');
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(q.unfinishedTasks, 0, 'no item was delivered yet');
      assert.equal(first.dead, false, 'the put of x still waits');
      assert.deepEqual([q.get(), q.get()], ['x', 'y']);
      first.wait();
      second.wait();
      killer.wait();
      assert.equal(q.unfinishedTasks, 2);
    }));

  it('a putNowait whose getter is killed before taking the item throws Full; the item is nowhere', () =>
    spawn(() => {
      const q = new Queue<string>(0);
      const victim = spawn(() => q.get());
      until(() => q.getters === 1, 'the getter waits');
      const putter = spawn(() => q.putNowait('x'));
      const killer = spawn(() => kill(victim));
      assert.throws(
        () => putter.wait(),
        (e) => e instanceof Full && /the getter handed the item was killed before taking it/.test(e.message),
      );
      assert.throws(() => victim.wait(), GreenletExit);
      killer.wait();
      assert.equal(q.putters, 0);
      assert.equal(q.unfinishedTasks, 0);
      assert.throws(() => q.getNowait(), Empty);
    }));

  it('a putter killed once its getter has the item: the getter keeps it (as a put killed after the hand-off)', () =>
    spawn(() => {
      const q = new Queue<string>(0);
      const getter = spawn(() => q.get());
      until(() => q.getters === 1, 'the getter waits');
      const putter = spawn(() => q.put('x'));
      const killer = spawn(() => kill(putter));
      assert.equal(getter.wait(), 'x');
      assert.throws(() => putter.wait(), GreenletExit);
      killer.wait();
      assert.equal(q.unfinishedTasks, 1);
      assert.equal(q.qsize(), 0);
    }));
});

describe('sync: queue hand-off races', () => {
  it('a put landing in the same hub turn as the get timeout, before the hub sees the timer, is received', () =>
    spawn(() => {
      const q = new LightQueue<string>();
      const getter = spawn(() => q.get({ timeout: 0.01 }));
      until(() => q.getters === 1, 'the getter waits');
      busyWait(0.03); // the getter's deadline passes while this thread holds the loop
      q.put('late but handed over');
      assert.equal(getter.wait(), 'late but handed over');
      assert.equal(q.qsize(), 0, 'received exactly once');
    }));

  it('a put after the hub fired the timeout, before the getter ran, is still taken by that getter', () =>
    spawn(() => {
      const q = new LightQueue<string>();
      // The putter's sleep starts first and lasts as long as the getter's timeout, so it ends first: when the
      // hub runs both expired timers, the putter runs first, finds the getter already resumed (wake refuses
      // it), and stores the item.
      const putter = spawn(() => {
        sleep(0.05);
        q.put('arrived after the deadline');
        return q.qsize();
      });
      const getter = spawn(() => q.get({ timeout: 0.05 }));
      until(() => q.getters === 1 && waitReasonOf(putter) === 'sleep', 'both wait');
      busyWait(0.07); // both deadlines pass while this thread holds the loop
      assert.equal(putter.wait(), 1, 'the item was stored, not handed over');
      // The timed-out getter takes it on its way out, as Python's queue re-checks after its wait.
      assert.equal(getter.wait(), 'arrived after the deadline');
      assert.equal(q.qsize(), 0);
    }));

  it('a put after the timed-out getter has left stays in the queue', () =>
    spawn(() => {
      const q = new LightQueue<string>();
      assert.throws(() => q.get({ timeout: 0.01 }), Empty);
      q.put('kept');
      assert.deepEqual(drain(q), ['kept']);
    }));

  it('a getter killed right after it was handed an item passes it to the next getter', () =>
    spawn(() => {
      const q = new LightQueue<string>();
      const victim = spawn(() => q.get());
      const next = spawn(() => q.get());
      until(() => q.getters === 2, 'two getters wait');
      q.put('x'); // handed to the victim, which has not run yet
      kill(victim); // raises in the victim before it can return the item
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(next.wait(), 'x');
      assert.equal(q.qsize(), 0);
    }));

  it('with no other getter, the item goes back to the head of the queue', () =>
    spawn(() => {
      for (const q of [new Queue<string>(), new LifoQueue<string>()]) {
        const victim = spawn(() => q.get());
        until(() => q.getters === 1, 'the getter waits');
        q.put('x');
        q.put('y');
        q.put('z');
        kill(victim);
        assert.throws(() => victim.wait(), GreenletExit);
        // FIFO: x was first; LIFO: x is the oldest, so it goes under y and z.
        assert.deepEqual(drain(q), q instanceof LifoQueue ? ['z', 'y', 'x'] : ['x', 'y', 'z']);
        assert.equal(q.unfinishedTasks, 3, 'counted once');
      }
    }));

  it('a put after the Timeout of the getter came due does not lose the item: the Timeout raises, the item stays queued', () =>
    spawn(() => {
      const q = new LightQueue<number>();
      const getter = spawn(() => withTimeout(0.01, () => q.get()));
      until(() => q.getters === 1, 'the getter waits');
      busyWait(0.03); // the getter's deadline passes while the hub cannot fire it
      q.put(1); // eventlet's order: the deadline came first, so the getter raises and the item stays
      assert.throws(() => getter.wait(), Timeout);
      assert.equal(q.qsize(), 1);
      assert.equal(q.get(), 1);
    }));

  it('a put before the deadline of the getter hands it the item, even when the Timeout is due before the getter runs', () =>
    spawn(() => {
      const q = new LightQueue<number>();
      const getter = spawn(() => {
        const t = new Timeout(0.01);
        const item = q.get();
        try {
          sleep(1);
        } catch (error) {
          if (error !== t) throw error;
        }
        return [item, t.expired];
      });
      until(() => q.getters === 1, 'the getter waits');
      q.put(1); // the getter is woken with the item now
      busyWait(0.03); // and its deadline passes before it runs: it raises at its next wait, the item is kept
      assert.deepEqual(getter.wait(), [1, true]);
      assert.equal(q.qsize(), 0);
    }));

  it('a putter killed right after its item was taken in leaves the item in the queue', () =>
    spawn(() => {
      const q = new Queue<string>(1);
      q.put('a');
      const victim = spawn(() => q.put('b'));
      until(() => q.putters === 1, 'the putter waits');
      assert.equal(q.get(), 'a'); // moves b in and wakes the putter
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.deepEqual(drain(q), ['b']);
    }));

  // Queue(0) goes through the rendezvous: a putter waits with its item until its getter has claimed it.
  for (const maxsize of [4, 0]) {
    it(`maxsize ${maxsize}: hundreds of getters and putters, with timeouts and kills, receive every item once`, () =>
      spawn(() => {
        const random = randomSequence(12345);
        const q = new Queue<number>(maxsize);
        const ROUNDS = 3;
        const received: number[] = [];
        const putOk = new Set<number>();
        // The item each putter is putting right now: if the putter is killed there, its item may or may not
        // have gone in (it has when the kill lands just after the hand-off).
        const putting = new Map<GreenThread, number>();
        const maybePut = new Set<number>();
        let empties = 0;
        let fulls = 0;
        // No limit mostly; sometimes a short wait; sometimes 0, a yield that no hand-off can wake.
        const pickTimeout = () => {
          const r = random();
          return r < 0.6 ? null : r < 0.8 ? 0.002 : 0;
        };
        // The getters start first and find the queue empty; the putters start once 10 waiting getters have been
        // killed, and then run ahead of the slower getters, filling the queue: both sides wait, and time out.
        const go = new Event();
        const getters: GreenThread[] = [];
        const putters: GreenThread[] = [];
        for (let t = 0; t < 100; t++) {
          getters.push(
            spawn(() => {
              for (let k = 0; k < ROUNDS; k++) {
                try {
                  received.push(q.get({ timeout: pickTimeout() }));
                } catch (error) {
                  if (!(error instanceof Empty)) throw error;
                  empties++;
                }
                sleep(random() * 0.003);
              }
            }),
          );
        }
        for (let t = 0; t < 100; t++) {
          const putter: GreenThread = spawn(() => {
            go.wait();
            for (let k = 0; k < ROUNDS; k++) {
              const item = t * ROUNDS + k;
              putting.set(putter, item);
              try {
                q.put(item, { timeout: pickTimeout() });
                putOk.add(item);
              } catch (error) {
                if (!(error instanceof Full)) throw error;
                fulls++;
              }
              putting.delete(putter);
              sleep(0);
            }
          });
          putters.push(putter);
        }
        const everyone = [...getters, ...putters];
        const live = () => everyone.filter((g) => !g.dead).length;
        const waitingInQueue = () => everyone.filter((g) => /^Queue\./.test(waitReasonOf(g) ?? ''));
        let killed = 0;
        const killSome = (n: number) => {
          const waiting = waitingInQueue();
          for (let i = 0; i < n && waiting.length > 0; i++) {
            const victim = waiting.splice(Math.floor(random() * waiting.length), 1)[0];
            const item = putting.get(victim);
            if (item !== undefined) maybePut.add(item);
            kill(victim);
            killed++;
          }
        };
        until(() => q.getters >= 40, 'the getters without a timeout wait');
        killSome(10);
        go.send();
        // Then kill now and then while items flow, victims often in the middle of a hand-off.
        for (let round = 0; killed < 25 && live() > 0 && round < 10000; round++) {
          sleep(0);
          if (round % 3 === 0) killSome(1);
        }
        // Take what is left: items of putters whose getters timed out or died. Getters left waiting once every
        // putter is done would wait forever: kill them too.
        const leftovers: number[] = [];
        for (let i = 0; live() > 0 && i < 100000; i++) {
          if (q.getters === 0 && (q.putters > 0 || !q.empty())) leftovers.push(q.get());
          else {
            if (putters.every((p) => p.dead) && q.empty()) killSome(Infinity);
            sleep(0);
          }
        }
        const stuck = everyone.filter((g) => !g.dead).map((g) => waitReasonOf(g) ?? 'running');
        const state = `getters ${q.getters}, putters ${q.putters}, size ${q.qsize()}`;
        assert.equal(live(), 0, `everybody finished, but [${stuck}] remain; ${state}`);
        leftovers.push(...drain(q));
        const all = [...received, ...leftovers];
        assert.equal(new Set(all).size, all.length, 'no item is received twice');
        for (const item of putOk) assert.ok(all.includes(item), `item ${item} was put but never received`);
        for (const item of all) {
          assert.ok(putOk.has(item) || maybePut.has(item), `item ${item} was received but its put failed`);
        }
        assert.equal(q.unfinishedTasks, all.length, 'every item that entered the queue was counted once');
        // The run really went through the paths it is about.
        const stats = `${empties} gets and ${fulls} puts timed out, ${killed} waiting threads killed`;
        assert.ok(empties > 0 && fulls > 0 && killed >= 10, stats);
        assert.ok(received.length > 100, `${received.length} items received by getters`);
      }));
  }
});

describe('sync: Queue tasks', () => {
  it('join waits until every item put is marked done', () =>
    spawn(() => {
      const q = new Queue<number>();
      for (let i = 0; i < 5; i++) q.put(i);
      assert.equal(q.unfinishedTasks, 5);
      const done: number[] = [];
      const worker = spawn(() => {
        for (let i = 0; i < 5; i++) {
          const item = q.get();
          sleep(0);
          done.push(item);
          q.taskDone();
        }
      });
      assert.equal(q.join(), true);
      assert.deepEqual(done, [0, 1, 2, 3, 4]);
      assert.equal(q.unfinishedTasks, 0);
      worker.wait();
    }));

  it('join returns at once when nothing is unfinished, on the main stack too; else it needs a green thread', () => {
    const q = new Queue<number>();
    assert.equal(q.join(), true);
    q.put(1);
    assert.throws(() => q.join(), /Queue\.join\(\) with unfinished tasks would block the main stack/);
    q.get();
    q.taskDone();
    assert.equal(q.join(0), true);
  });

  it('join with a timeout returns false when tasks stay unfinished', () =>
    spawn(() => {
      const q = new Queue<number>();
      q.put(1);
      const t0 = performance.now();
      assert.equal(q.join(0.03), false);
      assert.ok(secondsSince(t0) >= 0.025);
      assert.throws(() => q.join(-1), RangeError);
    }));

  it('taskDone more times than items put is a TaskDoneError', () => {
    const q = new Queue<number>();
    assert.throws(() => q.taskDone(), TaskDoneError);
    q.put(1);
    q.get();
    q.taskDone();
    assert.throws(() => q.taskDone(), /taskDone\(\) called more times than there were items put/);
    assert.equal(q.unfinishedTasks, 0);
  });

  it('all joiners wake when the count reaches 0, even if an item is put before they run', () =>
    spawn(() => {
      const q = new Queue<number>();
      q.put(1);
      const joiners = [0, 1, 2].map(() => spawn(() => q.join()));
      until(() => joiners.every((j) => waitReasonOf(j) === 'Queue.join'), 'three joiners wait');
      q.get();
      q.taskDone();
      q.put(2);
      assert.deepEqual(
        joiners.map((j) => j.wait()),
        [true, true, true],
      );
      assert.equal(q.unfinishedTasks, 1);
    }));

  it('counts items handed straight to getters and items of putters let in later, once each', () =>
    spawn(() => {
      const q = new Queue<number>(0);
      const getter = spawn(() => q.get());
      until(() => q.getters === 1, 'the getter waits');
      q.put(1);
      assert.equal(getter.wait(), 1);
      const putter = spawn(() => q.put(2));
      until(() => q.putters === 1, 'the putter waits');
      assert.equal(q.get(), 2);
      putter.wait();
      assert.equal(q.unfinishedTasks, 2);
    }));
});

describe('sync: PriorityQueue and LifoQueue', () => {
  it('PriorityQueue gives the lowest first: numbers, strings, and [priority, value] pairs', () => {
    const numbers = new PriorityQueue<number>();
    for (const n of [5, 1, 4, 1, 5, 9, 2, 6, -3, 0.5]) numbers.put(n);
    assert.deepEqual(drain(numbers), [-3, 0.5, 1, 1, 2, 4, 5, 5, 6, 9]);
    const strings = new PriorityQueue<string>();
    for (const s of ['pear', 'apple', 'fig']) strings.put(s);
    assert.deepEqual(drain(strings), ['apple', 'fig', 'pear']);
    const pairs = new PriorityQueue<[number, string]>();
    pairs.put([3, 'low']);
    pairs.put([1, 'high']);
    pairs.put([2, 'mid']);
    assert.deepEqual(
      drain(pairs).map(([, v]) => v),
      ['high', 'mid', 'low'],
    );
  });

  it('items of equal priority come out in the order they were put', () => {
    const q = new PriorityQueue<[number, string]>();
    const items: Array<[number, string]> = [];
    for (let i = 0; i < 50; i++) items.push([i % 3, `item ${i}`]);
    for (const item of items) q.put(item);
    const expected = [...items].sort((a, b) => a[0] - b[0]); // Array.prototype.sort is stable
    assert.deepEqual(drain(q), expected);
  });

  it('a compare option orders anything; without one, items without a priority are a TypeError', () => {
    const q = new PriorityQueue<{ due: number }>(null, { compare: (a, b) => b.due - a.due });
    for (const due of [2, 9, 4]) q.put({ due });
    assert.deepEqual(
      drain(q).map((x) => x.due),
      [9, 4, 2],
    );
    const plain = new PriorityQueue<unknown>();
    assert.throws(() => plain.put({}), /an item must be a number, bigint or string priority/);
    assert.throws(() => plain.put([NaN, 'x']), /the first element of an item must be .* not NaN/);
    assert.throws(() => plain.putNowait(undefined), TypeError);
    assert.equal(plain.qsize(), 0);
    assert.throws(() => new PriorityQueue(null, { compare: 'desc' as never }), /compare must be a function/);
  });

  it('a bounded PriorityQueue blocks putters and admits them in FIFO order', () =>
    spawn(() => {
      const q = new PriorityQueue<number>(2);
      q.put(10);
      q.put(20);
      const putter = spawn(() => q.put(1));
      until(() => q.putters === 1, 'the putter waits');
      assert.equal(q.get(), 10);
      putter.wait();
      assert.deepEqual(drain(q), [1, 20]);
    }));

  it('LifoQueue gives the item put last first', () => {
    const q = new LifoQueue<number>();
    for (let i = 0; i < 5; i++) q.put(i);
    assert.equal(q.get(), 4);
    q.put(9);
    assert.deepEqual(drain(q), [9, 3, 2, 1, 0]);
  });

  it('a getter killed after a hand-off puts the item back in priority order', () =>
    spawn(() => {
      const q = new PriorityQueue<number>();
      const victim = spawn(() => q.get());
      until(() => q.getters === 1, 'the getter waits');
      q.put(5);
      q.put(7);
      q.put(3);
      kill(victim);
      assert.throws(() => victim.wait(), GreenletExit);
      assert.deepEqual(drain(q), [3, 5, 7]);
    }));
});

describe('sync: queue timeouts with Timeout', () => {
  it('a Timeout around a blocked put raises, and the item does not go in', () =>
    spawn(() => {
      const q = new LightQueue<string>(1);
      q.put('a');
      assert.throws(() => withTimeout(0.01, () => q.put('b')), Timeout);
      assert.equal(q.putters, 0);
      assert.deepEqual(drain(q), ['a']);
    }));
});

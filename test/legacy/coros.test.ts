// verdant/legacy's coros and channel modules: event, CoroutinePool, Actor, channel. Test bodies run in green
// threads.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Empty, Event, EventAlreadySentError, Channel, spawn } from 'verdant';
import { ActorClosedError, api, channel, coros } from '../../lib/legacy';
import { waitReasonOf } from '../../lib/runtime/hub';
import { until } from '../sync/helpers';

const root = path.join(__dirname, '..', '..', '..');

describe('legacy: coros.event', () => {
  it('sends once; every wait, before and after, gets the same value; a second send is an error', () =>
    spawn(() => {
      const evt = coros.event<string>();
      assert.ok(evt instanceof Event);
      const waiters = [1, 2, 3].map(() => api.spawn(() => evt.wait()));
      api.sleep(0);
      evt.send('hello');
      assert.deepEqual(waiters.map((w) => w.wait()), ['hello', 'hello', 'hello']);
      assert.equal(evt.wait(), 'hello');
      assert.equal(evt.wait(), 'hello');
      assert.throws(() => evt.send('again'), EventAlreadySentError);
    }));
});

describe('legacy: coros.CoroutinePool', () => {
  it("execute returns an event carrying the function's result, or its error", () =>
    spawn(() => {
      const pool = new coros.CoroutinePool(2);
      const square = pool.execute((n: number) => {
        api.sleep(0.01);
        return n * n;
      }, 7);
      const failing = pool.execute(() => {
        throw new RangeError('bad job');
      });
      assert.equal(square.wait(), 49);
      assert.equal(square.wait(), 49);
      assert.throws(() => failing.wait(), RangeError);
    }));

  it('blocks the caller while the pool is full, and never runs more than its size at once', () =>
    spawn(() => {
      const pool = new coros.CoroutinePool(3);
      assert.equal(pool.size, 3);
      let running = 0;
      let peak = 0;
      const gate = new Event();
      const job = () => {
        running++;
        peak = Math.max(peak, running);
        gate.wait();
        running--;
      };
      for (let i = 0; i < 3; i++) pool.executeAsync(job);
      assert.equal(pool.free(), 0);
      const submitter = api.spawn(() => pool.execute(() => 'fourth'));
      until(() => waitReasonOf(submitter) === 'GreenPool.spawn (pool full)', 'the fourth submitter waits for a slot');
      assert.equal(pool.currentSize, 3);
      gate.send();
      assert.equal(submitter.wait().wait(), 'fourth');
      pool.waitAll();
      assert.equal(pool.currentSize, 0);
      assert.equal(peak, 3);
    }));

  it('executeAsync reports an error on stderr and the pool goes on', () =>
    spawn(() => {
      const pool = new coros.CoroutinePool();
      assert.equal(pool.size, 4); // eventlet's default
      const written: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) => {
        written.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      try {
        pool.executeAsync(function brokenJob() {
          throw new Error('async failure');
        });
        pool.waitAll();
      } finally {
        process.stderr.write = write;
      }
      assert.equal(written.length, 1);
      assert.match(written[0], /CoroutinePool\.executeAsync\(brokenJob\) failed: Error: async failure/);
      assert.equal(pool.execute(() => 'still works').wait(), 'still works');
    }));

  it('checks its arguments', () => {
    assert.throws(() => new coros.CoroutinePool(-1), RangeError);
    const pool = new coros.CoroutinePool(1);
    assert.throws(() => pool.execute(null as never), TypeError);
    assert.throws(() => pool.executeAsync(42 as never), TypeError);
  });
});

describe('legacy: coros.Actor', () => {
  class Recorder extends coros.Actor<number> {
    readonly seen: number[] = [];
    active = 0;
    peak = 0;
    override received(message: number): void {
      this.active++;
      this.peak = Math.max(this.peak, this.active);
      api.sleep(0.005);
      this.seen.push(message);
      this.active--;
    }
  }

  it('cast returns at once; the actor handles its messages one at a time, in order', () =>
    spawn(() => {
      const actor = new Recorder();
      try {
        for (let i = 0; i < 10; i++) actor.cast(i);
        assert.deepEqual(actor.seen, []); // nothing handled yet: cast does not block
        until(() => actor.seen.length === 10, 'the actor handled its mail');
        assert.deepEqual(actor.seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert.equal(actor.peak, 1);
        actor.cast(10); // an idle actor wakes up for new mail
        until(() => actor.seen.length === 11, 'the actor handled the late message');
      } finally {
        actor.close();
      }
    }));

  it('with concurrency, handles up to that many messages at once', () =>
    spawn(() => {
      const actor = new Recorder(3);
      try {
        for (let i = 0; i < 9; i++) actor.cast(i);
        until(() => actor.seen.length === 9, 'the actor handled its mail');
        assert.equal(actor.peak, 3);
      } finally {
        actor.close();
      }
    }));

  it('an error in received goes to failed(), and the actor goes on', () =>
    spawn(() => {
      const failures: Array<[string, string]> = [];
      const handled: string[] = [];
      class Picky extends coros.Actor<string> {
        override received(message: string): void {
          if (message === 'bad') throw new TypeError('cannot handle bad');
          handled.push(message);
        }
        override failed(error: unknown, message: string): void {
          failures.push([(error as Error).message, message]);
        }
      }
      const actor = new Picky();
      try {
        for (const m of ['good', 'bad', 'fine']) actor.cast(m);
        until(() => handled.length === 2, 'the actor handled the good messages');
        assert.deepEqual(handled, ['good', 'fine']);
        assert.deepEqual(failures, [['cannot handle bad', 'bad']]);
      } finally {
        actor.close();
      }
    }));

  it('an idle actor does not keep the process alive, nor is it reported as stuck at exit', () => {
    // A program of its own: its main returns while the actor waits for mail that never comes.
    const program = `
      const { run } = require('verdant');
      const { api, coros } = require('verdant/legacy');
      class Echo extends coros.Actor { received(m) { api.sleep(0.01); console.log('handled', m); } }
      run(() => { const actor = new Echo(); actor.cast('one'); actor.cast('two'); });`;
    const result = spawnSync(process.execPath, ['-e', program], { cwd: root, encoding: 'utf8', timeout: 30000 });
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, 'handled one\nhandled two\n'); // work in progress did keep it alive
    assert.equal(result.status, 0);
  });

  it('close() ends the actor: later casts are refused', () =>
    spawn(() => {
      const actor = new Recorder();
      actor.cast(1);
      until(() => actor.seen.length === 1, 'the actor handled its message');
      actor.close();
      actor.close();
      assert.equal(actor.closed, true);
      assert.throws(
        () => actor.cast(2),
        (e: unknown) => e instanceof ActorClosedError && /^Recorder\.cast refused: the actor is closed \(its close\(\) ran/.test(e.message),
      );
      assert.equal(actor.pending, 0);
    }));

  it('a subclass must define received; concurrency is checked', () =>
    spawn(() => {
      const failures: unknown[] = [];
      class Forgetful extends coros.Actor {
        override failed(error: unknown): void {
          failures.push(error);
        }
      }
      const actor = new Forgetful();
      try {
        actor.cast('anything');
        until(() => failures.length === 1, 'the message failed');
        assert.ok(failures[0] instanceof TypeError, String(failures[0]));
        assert.match(String(failures[0]), /Forgetful does not override received/);
      } finally {
        actor.close();
      }
      assert.throws(() => new coros.Actor(0), RangeError);
    }));
});

describe('legacy: channel', () => {
  it('send blocks until a receiver takes the value; receive until a sender sends', () =>
    spawn(() => {
      const ch = channel.channel<number>();
      assert.ok(ch instanceof Channel);
      const order: string[] = [];
      const sender = api.spawn(() => {
        ch.send(1);
        order.push('sent 1');
      });
      until(() => ch.balance === 1, 'the sender waits');
      assert.deepEqual(order, []);
      assert.equal(ch.receive(), 1);
      sender.wait();
      assert.deepEqual(order, ['sent 1']);
      const receiver = api.spawn(() => ch.receive());
      until(() => ch.balance === -1, 'the receiver waits');
      ch.send(2);
      assert.equal(receiver.wait(), 2);
      assert.throws(() => ch.receive(0.01), Empty);
    }));
});

// Channel: a rendezvous with no buffer. A send returns only once a receiver really took the value, even when
// the receiver is killed or times out as the value reaches it. Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import { GreenletExit, HubBlockingError, Timeout, kill, sleep, spawn, withTimeout } from 'verdant';
import { waitReasonOf } from '../../lib/runtime/hub';
import { Channel, Empty, Event, Full } from '../../lib/sync';
import { busyWait, secondsSince, until } from './helpers';

describe('sync: Channel', () => {
  it('send blocks until a receiver takes the value, and returns after it did', () =>
    spawn(() => {
      const ch = new Channel<string>();
      const log: string[] = [];
      const sender = spawn(() => {
        ch.send('hello');
        log.push('send returned');
      });
      until(() => ch.balance === 1, 'the sender waits');
      assert.equal(waitReasonOf(sender), 'Channel.send');
      sleep(0.01);
      assert.equal(log.length, 0, 'nobody received yet: the send still waits');
      log.push(`received ${ch.receive()}`);
      sender.wait();
      assert.deepEqual(log, ['received hello', 'send returned']);
      assert.equal(ch.balance, 0);
    }));

  it('receive blocks until a sender comes; the send returns once the receiver ran', () =>
    spawn(() => {
      const ch = new Channel<number>();
      const log: string[] = [];
      const receiver = spawn(() => {
        const v = ch.receive();
        log.push(`received ${v}`);
        return v;
      });
      until(() => ch.balance === -1, 'the receiver waits');
      assert.equal(waitReasonOf(receiver), 'Channel.receive');
      ch.send(5);
      log.push('send returned');
      assert.equal(receiver.wait(), 5);
      assert.deepEqual(log, ['received 5', 'send returned']);
    }));

  it('balance counts waiting senders as positive and waiting receivers as negative', () =>
    spawn(() => {
      const ch = new Channel<number>();
      assert.equal(ch.balance, 0);
      const senders = [1, 2, 3].map((v) => spawn(() => ch.send(v)));
      until(() => ch.balance === 3, 'three senders wait');
      assert.deepEqual([ch.receive(), ch.receive(), ch.receive()], [1, 2, 3], 'senders are served in order');
      senders.forEach((s) => s.wait());
      const receivers = [0, 1].map(() => spawn(() => ch.receive()));
      until(() => ch.balance === -2, 'two receivers wait');
      ch.send(10);
      ch.send(20);
      assert.deepEqual(
        receivers.map((r) => r.wait()),
        [10, 20],
        'receivers are served in order',
      );
      assert.equal(ch.balance, 0);
    }));

  it('send needs a green thread; receive from a waiting sender works on the main stack', async () => {
    const ch = new Channel<string>();
    assert.throws(() => ch.send('x'), HubBlockingError);
    assert.throws(() => ch.send('x'), /Channel\.send\(\) would block the main stack/);
    assert.throws(() => ch.receive(), /Channel\.receive\(\) with no sender waiting would block the main stack/);
    const sender = spawn(() => ch.send('from green'));
    await spawn(() => until(() => ch.balance === 1, 'the sender waits'));
    assert.equal(ch.receive(), 'from green');
    await sender;
  });

  it('a send that times out throws Full, and no later receiver gets its value', () =>
    spawn(() => {
      const ch = new Channel<string>();
      const t0 = performance.now();
      assert.throws(() => ch.send('lost', 0.03), /Channel\.send timed out after 0\.03 s: no receiver took the value/);
      assert.ok(secondsSince(t0) >= 0.025);
      assert.equal(ch.balance, 0);
      assert.throws(() => ch.receive(0.01), Empty);
    }));

  it('a receive that times out throws Empty', () =>
    spawn(() => {
      const ch = new Channel<string>();
      const t0 = performance.now();
      assert.throws(() => ch.receive(0.03), (e) => e instanceof Empty && /no sender came/.test(e.message));
      assert.ok(secondsSince(t0) >= 0.025);
      assert.equal(ch.balance, 0);
    }));

  it('a receiver killed as the value reaches it passes it on; the send returns once the next one has it', () =>
    spawn(() => {
      const ch = new Channel<string>();
      const victim = spawn(() => ch.receive());
      const next = spawn(() => ch.receive());
      until(() => ch.balance === -2, 'two receivers wait');
      const log: string[] = [];
      // The sender hands the value to the victim, then the killer runs before the victim can claim it.
      const sender = spawn(() => {
        ch.send('v');
        log.push('sent');
      });
      const killer = spawn(() => kill(victim));
      killer.wait();
      assert.throws(() => victim.wait(), GreenletExit);
      assert.equal(next.wait(), 'v');
      sender.wait();
      assert.deepEqual(log, ['sent']);
      assert.equal(ch.balance, 0);
    }));

  it('with no other receiver, the sender of a value bounced by a killed receiver waits again, first in line', () =>
    spawn(() => {
      const ch = new Channel<string>();
      const victim = spawn(() => ch.receive());
      until(() => ch.balance === -1, 'the receiver waits');
      const sender = spawn(() => ch.send('bounced'));
      const killer = spawn(() => kill(victim));
      const later = spawn(() => {
        sleep(0.005);
        ch.send('later');
      });
      killer.wait();
      assert.throws(() => victim.wait(), GreenletExit);
      until(() => ch.balance === 2, 'both senders wait');
      assert.equal(sender.dead, false, 'the send has not returned: nobody received its value');
      assert.deepEqual([ch.receive(), ch.receive()], ['bounced', 'later']);
      sender.wait();
      later.wait();
    }));

  it('a bounced value whose sender times out meanwhile is withdrawn: the send throws Full', () =>
    spawn(() => {
      const ch = new Channel<string>();
      const victim = spawn(() => ch.receive());
      until(() => ch.balance === -1, 'the receiver waits');
      const sender = spawn(() => {
        try {
          ch.send('withdrawn', 0.02);
          return 'sent';
        } catch (error) {
          return error;
        }
      });
      const killer = spawn(() => kill(victim));
      killer.wait();
      assert.ok(sender.wait() instanceof Full);
      assert.equal(ch.balance, 0);
      assert.throws(() => ch.receive(0), Empty, 'the value is not in the channel any more');
    }));

  it('a send whose receiver timed out (but has not run yet) goes to the next receiver', () =>
    spawn(() => {
      const ch = new Channel<string>();
      // The sender's sleep starts first and lasts as long as the first receiver's timeout, so it ends first:
      // the sender runs before the timed-out receiver has left, and skips it.
      const sender = spawn(() => {
        sleep(0.05);
        const balance = ch.balance;
        ch.send('for the patient one');
        return balance;
      });
      const expired = spawn(() => {
        try {
          return ch.receive(0.05);
        } catch (error) {
          return error;
        }
      });
      const patient = spawn(() => ch.receive());
      until(() => ch.balance === -2 && waitReasonOf(sender) === 'sleep', 'two receivers and the sender wait');
      busyWait(0.07); // both deadlines pass while this thread holds the loop
      assert.equal(sender.wait(), -2, 'the timed-out receiver was still listed when the sender came');
      assert.ok(expired.wait() instanceof Empty);
      assert.equal(patient.wait(), 'for the patient one');
    }));

  it('a send landing as a receive times out, before the hub sees the timer, is received', () =>
    spawn(() => {
      const ch = new Channel<string>();
      const receiver = spawn(() => ch.receive(0.01));
      until(() => ch.balance === -1, 'the receiver waits');
      busyWait(0.03); // the deadline passes while this thread holds the loop
      ch.send('just in time');
      assert.equal(receiver.wait(), 'just in time');
    }));

  it('a receiver whose timeout fired keeps a sender that arrived before it ran', () =>
    spawn(() => {
      const ch = new Channel<string>();
      // The sender's sleep starts first and lasts as long as the receiver's timeout, so it ends first.
      const sender = spawn(() => {
        sleep(0.05);
        const balance = ch.balance;
        ch.send('arrived after the deadline');
        return balance;
      });
      const receiver = spawn(() => ch.receive(0.05));
      until(() => ch.balance === -1 && waitReasonOf(sender) === 'sleep', 'both wait');
      busyWait(0.07); // both deadlines pass; the sender runs first, finds the receiver leaving, and waits
      assert.equal(receiver.wait(), 'arrived after the deadline');
      assert.equal(sender.wait(), -1, 'the timed-out receiver was still listed when the sender came');
      assert.equal(ch.balance, 0);
    }));

  it('a Timeout around send raises and withdraws the value', () =>
    spawn(() => {
      const ch = new Channel<number>();
      assert.throws(() => withTimeout(0.01, () => ch.send(1)), Timeout);
      assert.equal(ch.balance, 0);
      assert.throws(() => ch.receive(0), Empty);
    }));

  it('hundreds of senders and receivers: every value is received exactly once, and every send returned', () =>
    spawn(() => {
      const ch = new Channel<number>();
      const start = new Event();
      const N = 100;
      const senders = Array.from({ length: N }, (_, i) =>
        spawn(() => {
          start.wait();
          ch.send(i);
        }),
      );
      const receivers = Array.from({ length: N }, () =>
        spawn(() => {
          start.wait();
          return ch.receive();
        }),
      );
      start.send();
      senders.forEach((s) => s.wait());
      const got = receivers.map((r) => r.wait()).sort((a, b) => a - b);
      assert.deepEqual(got, [...Array(N).keys()]);
    }));

  it('validates timeouts', () =>
    spawn(() => {
      const ch = new Channel();
      assert.throws(() => ch.send(1, -1), /Channel\.send takes a finite number of seconds >= 0/);
      assert.throws(() => ch.receive(NaN), RangeError);
    }));
});

// Green ZeroMQ (lib/zmq) with real sockets over loopback TCP: the socket types, frames, non-blocking calls,
// timeouts, poll, and the property that matters most: a wait interrupted by a Timeout or a kill loses no message.
// Each test body runs in a green thread (mocha awaits the GreenThread).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { GreenletExit, HubBlockingError, Timeout, isTimeout, sleep, spawn, subprocess, zmq } from 'verdant';
import { setZeromqLoader } from '../../lib/zmq/driver';
import { patience } from '../support/patience';
import { until } from '../sync/helpers';
import { SocketSet, texts } from './helpers';

/** Runs `body` under a Timeout of `seconds`; true if the Timeout interrupted it. */
function interrupted(seconds: number, body: () => void): boolean {
  const t = new Timeout(seconds);
  try {
    body();
    return false;
  } catch (error) {
    if (error !== t) throw error;
    return true;
  } finally {
    t.cancel();
  }
}

/**
 * Receives on `sock` in a green thread that another one kills at its first wait: the text, or null if the kill
 * came first. With a message queued, that first wait is the instant a taken message is on its way to it.
 */
function receiveKilledAtFirstWait(sock: zmq.Socket): string | null {
  const victim = spawn(() => sock.recvString());
  spawn(() => victim.kill());
  try {
    return victim.wait();
  } catch (error) {
    if (error instanceof GreenletExit) return null;
    throw error;
  }
}

/** Waits until a SUB socket gets what `pub` sends (subscriptions travel to the publisher asynchronously). */
function syncSubscriber(pub: zmq.Socket, sub: zmq.Socket, probe: string): void {
  until(() => {
    pub.send(probe);
    return zmq.poll([[sub, zmq.POLLIN]], 10).length > 0;
  }, 'the subscription reached the publisher');
  while (zmq.poll([[sub, zmq.POLLIN]], 20).length > 0) sub.recv();
}

describe('zmq: green ZeroMQ sockets', () => {
  const sockets = new SocketSet();
  afterEach(() => sockets.closeAll());

  it('REQ/REP: a thousand round trips between green threads, each blocking only itself', () =>
    spawn(() => {
      const [rep, req] = sockets.pair(zmq.REP, zmq.REQ);
      const server = spawn(() => {
        for (;;) rep.send(`echo ${rep.recvString()}`);
      });
      let ticks = 0;
      const ticker = spawn(() => {
        for (;;) {
          ticks++;
          sleep(0);
        }
      });
      for (let i = 0; i < 1000; i++) {
        req.send(`m${i}`);
        assert.equal(req.recvString(), `echo m${i}`);
      }
      server.kill();
      ticker.kill();
      assert.ok(ticks > 100, `the ticker ran ${ticks} times while the requests went on`);
    }));

  it('PUB/SUB: a subscriber gets only the prefixes it subscribed to, and stops after unsubscribe', () =>
    spawn(() => {
      const [pub, sub] = sockets.pair(zmq.PUB, zmq.SUB);
      sub.subscribe('sync');
      sub.setsockopt(zmq.SUBSCRIBE, 'weather');
      syncSubscriber(pub, sub, 'sync');
      for (const topic of ['weather 1', 'sports 1', 'weather 2', 'news', 'weather 3']) pub.send(topic);
      assert.deepEqual([sub.recvString(), sub.recvString(), sub.recvString()], ['weather 1', 'weather 2', 'weather 3']);
      assert.throws(() => sub.recv({ block: false }), zmq.ZmqAgainError);

      sub.unsubscribe('weather');
      syncSubscriber(pub, sub, 'sync');
      pub.send('weather 4');
      pub.send('sync end');
      assert.equal(sub.recvString(), 'sync end');
    }));

  it('PUSH/PULL fan-out: one pusher, three pulling sockets in their own green threads; every message once', () =>
    spawn(() => {
      // The pusher connects to each puller: its pipes exist at once (before the TCP handshakes), so it spreads
      // the messages over all three from the first one.
      const push = sockets.socket(zmq.PUSH);
      const pulls = [0, 1, 2].map(() => {
        const pull = sockets.socket(zmq.PULL);
        push.connect(`tcp://127.0.0.1:${pull.bindToRandomPort('tcp://127.0.0.1')}`);
        return pull;
      });
      const got: number[][] = [[], [], []];
      const pullers = pulls.map((pull, i) =>
        spawn(() => {
          for (;;) {
            const n = Number(pull.recvString());
            if (n < 0) return;
            got[i].push(n);
          }
        }),
      );
      for (let n = 0; n < 300; n++) push.send(String(n));
      for (let i = 0; i < 3; i++) push.send('-1');
      pullers.forEach((gt) => gt.wait());
      assert.deepEqual(got.flat().sort((a, b) => a - b), Array.from({ length: 300 }, (_, n) => n));
      assert.ok(got.every((mine) => mine.length > 50), `load balanced: ${got.map((mine) => mine.length)}`);
    }));

  it('several green threads receiving on one socket are served in the order they came', () =>
    spawn(() => {
      const [pull, push] = sockets.pair(zmq.PULL, zmq.PUSH);
      const order: string[] = [];
      const receivers = ['a', 'b', 'c'].map((name) => {
        const gt = spawn(() => order.push(`${name}:${pull.recvString()}`));
        sleep(0.01);
        return gt;
      });
      for (const m of ['1', '2', '3']) push.send(m);
      receivers.forEach((gt) => gt.wait());
      assert.deepEqual(order, ['a:1', 'b:2', 'c:3']);
    }));

  it('ROUTER/DEALER: the router sees each dealer by its routing id and answers it alone', () =>
    spawn(() => {
      const router = sockets.socket(zmq.ROUTER);
      const port = router.bindToRandomPort('tcp://127.0.0.1');
      const dealers = ['alpha', 'beta'].map((id) => {
        const dealer = sockets.socket(zmq.DEALER, { routingId: id });
        dealer.connect(`tcp://127.0.0.1:${port}`);
        return dealer;
      });
      assert.equal(dealers[0].getsockopt(zmq.ROUTING_ID), 'alpha');
      const server = spawn(() => {
        for (;;) {
          const [id, ...body] = router.recvMultipart();
          router.sendMultipart([id, `to ${id.toString()}`, ...body]);
        }
      });
      dealers.forEach((dealer, i) => dealer.sendMultipart(['hello', String(i)]));
      assert.deepEqual(texts(dealers[1].recvMultipart()), ['to beta', 'hello', '1']);
      assert.deepEqual(texts(dealers[0].recvMultipart()), ['to alpha', 'hello', '0']);
      server.kill();
    }));

  it('frames: send with more, recv frame by frame with rcvmore, recvMultipart for the rest', () =>
    spawn(() => {
      const [a, b] = sockets.pair(zmq.PAIR, zmq.PAIR);
      a.send('one', { more: true });
      a.send(Buffer.from([0, 1, 2]), { more: true });
      a.send(new Uint16Array([0x0201]), { more: true });
      a.send('');
      a.sendMultipart([new ArrayBuffer(2), 'x', 'y']);
      assert.equal(b.recvString(), 'one');
      assert.equal(b.rcvmore, true);
      assert.equal(b.getsockopt(zmq.RCVMORE), true);
      assert.deepEqual(b.recv(), Buffer.from([0, 1, 2]));
      assert.deepEqual(b.recvMultipart(), [Buffer.from([1, 2]), Buffer.alloc(0)]);
      assert.equal(b.rcvmore, false);
      assert.deepEqual(texts(b.recvMultipart()), ['\0\0', 'x', 'y']);
      b.sendJson({ list: [1, 'two'], none: null });
      assert.deepEqual(a.recvJson(), { list: [1, 'two'], none: null });
    }));

  it('block: false raises ZmqAgainError (EAGAIN, not a timeout) where a call would wait', () =>
    spawn(() => {
      const [pull, push] = sockets.pair(zmq.PULL, zmq.PUSH);
      assert.throws(() => pull.recv({ block: false }), (e: unknown) => {
        assert.ok(e instanceof zmq.ZmqAgainError && e instanceof zmq.ZmqError);
        assert.equal(e.code, 'EAGAIN');
        assert.equal(e.isTimeout, false);
        assert.equal(isTimeout(e), false);
        return true;
      });
      push.send('here');
      until(() => (pull.getsockopt(zmq.EVENTS) & zmq.POLLIN) !== 0, 'the message arrived');
      assert.equal(pull.recvString({ block: false }), 'here');

      // A PUSH with no peer has no room: the frames held with `more` survive the failed send.
      const lonely = sockets.socket(zmq.PUSH, { sendHighWaterMark: 1 });
      lonely.send('head', { more: true });
      assert.throws(() => lonely.send('tail', { block: false }), zmq.ZmqAgainError);
      const pull2 = sockets.socket(zmq.PULL);
      lonely.connect(`tcp://127.0.0.1:${pull2.bindToRandomPort('tcp://127.0.0.1')}`);
      lonely.send('tail');
      assert.deepEqual(texts(pull2.recvMultipart()), ['head', 'tail']);
    }));

  it('receiveTimeout and sendTimeout (milliseconds) raise ZmqAgainError with isTimeout', () =>
    spawn(() => {
      const pull = sockets.socket(zmq.PULL, { receiveTimeout: 80 });
      pull.bindToRandomPort('tcp://127.0.0.1');
      const t0 = performance.now();
      assert.throws(() => pull.recv(), (e: unknown) => e instanceof zmq.ZmqAgainError && e.isTimeout && isTimeout(e));
      const waited = performance.now() - t0;
      assert.ok(waited >= 75 && waited < patience(1000), `waited ${waited} ms`);
      assert.equal(pull.getsockopt(zmq.RCVTIMEO), 80);

      const push = sockets.socket(zmq.PUSH, { sendTimeout: 50 }); // no peer: no room to send
      assert.throws(() => push.send('x'), (e: unknown) => e instanceof zmq.ZmqAgainError && e.isTimeout);
    }));

  it('poll: times out with nothing, returns the ready sockets, watches several at once', () =>
    spawn(() => {
      const [pull, push] = sockets.pair(zmq.PULL, zmq.PUSH);
      const [pull2, push2] = sockets.pair(zmq.PULL, zmq.PUSH);
      let t0 = performance.now();
      assert.deepEqual(zmq.poll([[pull, zmq.POLLIN], [pull2, zmq.POLLIN]], 100), []);
      const waited = performance.now() - t0;
      assert.ok(waited >= 95 && waited < patience(1000), `poll waited ${waited} ms`);

      // The second socket gets the message: the poll wakes through its watcher.
      spawn(() => {
        sleep(0.05);
        push2.send('two');
      });
      t0 = performance.now();
      assert.deepEqual(zmq.poll([[pull, zmq.POLLIN], [pull2, zmq.POLLIN]], patience(5000)), [[pull2, zmq.POLLIN]]);
      assert.ok(performance.now() - t0 < patience(1000));
      assert.equal(pull2.recvString(), 'two');

      until(() => zmq.poll([[push, zmq.POLLOUT]], 0).length === 1, 'the pusher has a peer');
      const poller = new zmq.Poller();
      poller.register(pull, zmq.POLLIN);
      poller.register(push, zmq.POLLOUT);
      assert.deepEqual(poller.poll(0), [[push, zmq.POLLOUT]]);
      poller.unregister(push);
      push.send('one');
      assert.deepEqual(poller.poll(patience(5000)), [[pull, zmq.POLLIN]]);
      assert.equal(pull.recvString(), 'one');
      assert.throws(() => poller.unregister(push), (e: unknown) => e instanceof RangeError && /^Poller.unregister: .* is not registered with this Poller$/.test(e.message));
    }));

  it('no message is lost or doubled when receivers are interrupted over and over (short Timeouts, kills)', () =>
    spawn(() => {
      const [pull, push] = sockets.pair(zmq.PULL, zmq.PUSH);
      const N = 500;
      const sender = spawn(() => {
        for (let i = 0; i < N; i++) {
          push.send(String(i));
          if (i % 10 === 0) sleep(0.001);
        }
      });
      const got: number[] = [];
      let interruptions = 0;
      // Short Timeouts raise while the receiver waits on the socket (or, Timeout(0), at its first wait); the
      // kill raises at its first wait, which with a message queued is the instant the taken message is on its
      // way: that message must come back at the next recv.
      const receive = () => got.push(Number(pull.recvString()));
      const ways: Array<() => boolean> = [0, 0.0002, 0.001].map((seconds) => () => interrupted(seconds, receive));
      ways.push(() => {
        const text = receiveKilledAtFirstWait(pull);
        if (text !== null) got.push(Number(text));
        return text === null;
      });
      for (let k = 0; got.length < N; k++) if (ways[k % ways.length]()) interruptions++;
      sender.wait();
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
      assert.ok(interruptions > 50, `interrupted ${interruptions} times`);
      assert.throws(() => pull.recv({ block: false }), zmq.ZmqAgainError);
    }));

  it('... and with three receiver green threads interrupted at random, each message arrives once, in order', () =>
    spawn(() => {
      const [pull, push] = sockets.pair(zmq.PULL, zmq.PUSH);
      const N = 300;
      const got: number[] = [];
      let interruptions = 0;
      const receivers = [0, 1, 2].map((r) =>
        spawn(() => {
          for (let k = r; got.length < N; k++) {
            if (interrupted(k % 3 === 0 ? 0 : 0.0003 * (k % 5), () => got.push(Number(pull.recvString())))) interruptions++;
          }
        }),
      );
      for (let i = 0; i < N; i++) {
        push.send(String(i));
        if (i % 25 === 0) sleep(0.002);
      }
      // The receivers stop once all N arrived; the ones still waiting then need one more message each.
      until(() => got.length >= N, 'all messages arrived');
      for (let i = 0; i < 3; i++) push.send('-1');
      receivers.forEach((gt) => gt.wait());
      assert.deepEqual(got.slice(0, N), Array.from({ length: N }, (_, i) => i));
      assert.ok(interruptions > 20, `interrupted ${interruptions} times`);
    }));

  it('a receiver waiting on the socket wakes when another green thread consumes the ZMQ_FD signal', () =>
    spawn(() => {
      const [a, b] = sockets.pair(zmq.DEALER, zmq.DEALER);
      const receiver = spawn(() => a.recvString());
      sleep(0.02); // the receiver waits on a's ZMQ_FD now
      b.send('signalled');
      // Without yielding, read ZMQ_EVENTS until the message is there: this call, not the hub, takes the edge
      // of the ZMQ_FD that the receiver waits for, so it must wake the receiver itself.
      const until = performance.now() + patience(2000);
      while ((a.getsockopt(zmq.EVENTS) & zmq.POLLIN) === 0) assert.ok(performance.now() < until, 'the message never came');
      const t = new Timeout(patience(2));
      try {
        assert.equal(receiver.wait(), 'signalled');
      } finally {
        t.cancel();
      }
    }));

  it('a green thread killed while blocked in recv leaves the message to the next receiver', () =>
    spawn(() => {
      const [pull, push] = sockets.pair(zmq.PULL, zmq.PUSH);
      const victim = spawn(() => pull.recvString());
      sleep(0.02);
      victim.kill();
      assert.throws(() => victim.wait(), GreenletExit);
      push.send('kept');
      assert.equal(pull.recvString(), 'kept');

      // Killed in the instant after the message was taken out of libzmq (its first wait): still kept.
      push.send('kept too');
      until(() => (pull.getsockopt(zmq.EVENTS) & zmq.POLLIN) !== 0, 'the message arrived');
      assert.equal(receiveKilledAtFirstWait(pull), null);
      assert.equal(pull.recvString({ block: false }), 'kept too');
    }));

  it('a send interrupted while it waited for room was not sent', () =>
    spawn(() => {
      const push = sockets.socket(zmq.PUSH, { sendHighWaterMark: 1 });
      assert.ok(interrupted(0.05, () => push.send('never')));
      const pull = sockets.socket(zmq.PULL);
      push.connect(`tcp://127.0.0.1:${pull.bindToRandomPort('tcp://127.0.0.1')}`);
      push.send('first');
      assert.equal(pull.recvString(), 'first');
      assert.throws(() => pull.recv({ block: false }), zmq.ZmqAgainError);
    }));

  it('closing a socket wakes every green thread waiting on it with ZmqClosedError', () =>
    spawn(() => {
      const [pull] = sockets.pair(zmq.PULL, zmq.PUSH);
      const push = sockets.socket(zmq.PUSH); // no peer: a send waits for one
      const catchIt = (fn: () => unknown) => () => {
        try {
          fn();
          return null;
        } catch (error) {
          return error;
        }
      };
      const waiters = [
        spawn(catchIt(() => pull.recv())),
        spawn(catchIt(() => pull.recv())),
        spawn(catchIt(() => zmq.poll([[pull, zmq.POLLIN]]))),
        spawn(catchIt(() => push.send('no room'))),
      ];
      sleep(0.05);
      pull.close();
      push.close();
      for (const gt of waiters) {
        const error = gt.wait();
        assert.ok(error instanceof zmq.ZmqClosedError, String(error));
        assert.equal(error.code, 'ENOTSOCK');
        assert.match(error.message, /closed \(by another green thread\) while this one waited/);
      }
      assert.throws(() => pull.recv(), (e: unknown) => e instanceof zmq.ZmqClosedError && /the socket is closed/.test(e.message));
      assert.throws(() => push.send('x'), zmq.ZmqClosedError);
      assert.equal(pull.closed, true);
      pull.close(); // twice: nothing
    }));

  it('Context.destroy closes its sockets and refuses new ones', () =>
    spawn(() => {
      const ctx = new zmq.Context({ ioThreads: 2 });
      assert.equal(ctx.get('ioThreads'), 2);
      const mine = new SocketSet(ctx);
      const [pull] = mine.pair(zmq.PULL, zmq.PUSH);
      const waiter = spawn(() => assert.throws(() => pull.recv(), zmq.ZmqClosedError));
      sleep(0.02);
      ctx.destroy({ linger: 0 });
      waiter.wait();
      assert.equal(pull.closed, true);
      assert.equal(ctx.closed, true);
      assert.throws(() => ctx.socket(zmq.PAIR), (e: unknown) => e instanceof zmq.ZmqError && e.code === 'ENOTSUP');
    }));

  it('a bind interrupted by a Timeout goes on; the next calls on the socket wait for it', () =>
    spawn(() => {
      const pull = sockets.socket(zmq.PULL);
      assert.ok(interrupted(0, () => pull.bind('tcp://127.0.0.1:*')));
      const endpoint = pull.lastEndpoint;
      assert.match(String(endpoint), /^tcp:\/\/127\.0\.0\.1:\d+$/);
      const push = sockets.socket(zmq.PUSH);
      push.connect(String(endpoint));
      push.send('after the bind');
      assert.equal(pull.recvString(), 'after the bind');
    }));

  it('ZeroMQ failures are ZmqErrors with their code; bad arguments are TypeErrors and RangeErrors', () =>
    spawn(() => {
      const [rep, req, port] = sockets.pair(zmq.REP, zmq.REQ);
      const code = (expected: string) => (e: unknown) => e instanceof zmq.ZmqError && e.code === expected;
      const other = sockets.socket(zmq.PULL);
      const taken = `tcp://127.0.0.1:${port}`;
      assert.throws(() => other.bind(taken), (e: unknown) => code('EADDRINUSE')(e) && (e as zmq.ZmqError).address === taken);
      assert.throws(() => other.bind('nope://x'), code('EPROTONOSUPPORT'));
      assert.throws(() => other.connect('nonsense'), code('EINVAL'));
      // REQ must alternate send and recv: both mistakes fail at once (they never wait).
      assert.throws(() => req.recv(), code('EFSM'));
      req.send('one');
      assert.throws(() => req.send('two'), code('EFSM'));
      assert.throws(() => rep.send('unasked'), code('EFSM'));
      assert.throws(() => other.send('x'), code('ENOTSUP'));
      assert.throws(() => sockets.socket(zmq.PUSH).recv(), code('ENOTSUP'));
      assert.throws(() => other.subscribe('x'), code('EINVAL'));

      assert.throws(() => sockets.socket('bogus' as zmq.SocketType), /unknown ZeroMQ socket type string bogus/);
      assert.throws(() => req.send(42 as unknown as string), TypeError);
      assert.throws(() => req.sendMultipart([]), RangeError);
      assert.throws(() => req.send('x', { more: 'yes' } as unknown as zmq.SendFrameOptions), /more must be a boolean/);
      assert.throws(() => req.setsockopt('noSuchOption', 1), /unknown option 'noSuchOption'/);
      assert.throws(() => req.setsockopt(zmq.EVENTS as string, 1), /read-only/);
      assert.throws(() => req.setsockopt(zmq.RCVTIMEO, -2), RangeError);
      assert.throws(() => req.setsockopt(zmq.LINGER, 'long' as unknown as number), TypeError);
      assert.throws(() => zmq.poll([[req, 4]]), RangeError);
      assert.throws(() => zmq.poll([[{}, zmq.POLLIN]] as unknown as zmq.PollItem[]), TypeError);
    }));

  it('calls that may wait refuse the main stack (HubBlockingError)', () => {
    const pull = sockets.socket(zmq.PULL);
    assert.throws(() => pull.recv(), HubBlockingError);
    assert.throws(() => pull.bind('tcp://127.0.0.1:*'), HubBlockingError);
    assert.deepEqual(zmq.poll([[pull, zmq.POLLIN]], 0), []); // a poll that does not wait is fine
  });

  it('across processes: a child using verdant zmq does REQ/REP and receives every PUSHed message despite interruptions', () =>
    spawn(() => {
      const rep = sockets.socket(zmq.REP);
      const repPort = rep.bindToRandomPort('tcp://127.0.0.1');
      const push = sockets.socket(zmq.PUSH);
      const pushPort = push.bindToRandomPort('tcp://127.0.0.1');
      const N = 200;
      const child = `
        const { run, spawn, zmq, Timeout, GreenletExit } = require(process.argv[1]);
        run(() => {
          const [repPort, pushPort, n] = process.argv.slice(2).map(Number);
          const req = zmq.socket(zmq.REQ, { linger: 0 });
          req.connect('tcp://127.0.0.1:' + repPort);
          const replies = [];
          for (let i = 0; i < 20; i++) { req.send('q' + i); replies.push(req.recvString()); }
          const pull = zmq.socket(zmq.PULL, { linger: 0 });
          pull.connect('tcp://127.0.0.1:' + pushPort);
          req.send('ready');
          req.recv();
          const got = [];
          let interruptions = 0;
          for (let k = 0; got.length < n; k++) {
            if (k % 2) {
              // Killed at its first wait: with messages queued, while the taken one is on its way.
              const victim = spawn(() => pull.recvString());
              spawn(() => victim.kill());
              try { got.push(Number(victim.wait())); } catch (e) { if (!(e instanceof GreenletExit)) throw e; interruptions++; }
            } else {
              const t = new Timeout(0.0005);
              try { got.push(Number(pull.recvString())); } catch (e) { if (e !== t) throw e; interruptions++; } finally { t.cancel(); }
            }
          }
          console.log(JSON.stringify({ replies, got, interruptions }));
          req.close(); pull.close();
        });`;
      const server = spawn(() => {
        for (;;) {
          const question = rep.recvString();
          rep.send(`a${question}`);
          if (question === 'ready') for (let i = 0; i < N; i++) push.send(String(i));
        }
      });
      const lib = path.join(__dirname, '..', '..', 'lib');
      const result = subprocess.run(process.execPath, ['-e', child, lib, String(repPort), String(pushPort), String(N)], {
        capture: true,
        encoding: 'utf8',
        timeout: patience(30),
      });
      server.kill();
      assert.equal(result.status, 0, String(result.stderr));
      const report = JSON.parse(String(result.stdout)) as { replies: string[]; got: number[]; interruptions: number };
      assert.deepEqual(report.replies, Array.from({ length: 20 }, (_, i) => `aq${i}`));
      assert.deepEqual(report.got, Array.from({ length: N }, (_, i) => i));
      assert.ok(report.interruptions > 20, `the child was interrupted ${report.interruptions} times`);
    }));

  it('without the zeromq package, the first use says what to install', () => {
    try {
      setZeromqLoader(() => {
        throw Object.assign(new Error("Cannot find module 'zeromq'"), { code: 'MODULE_NOT_FOUND' });
      });
      assert.throws(() => new zmq.Context(), (e: unknown) => {
        assert.ok(e instanceof zmq.ZeromqNotInstalledError, String(e));
        assert.match(e.message, /needs the ZeroMQ binding `zeromq` version 6, which is not installed: npm install zeromq@6/);
        assert.equal((e.cause as NodeJS.ErrnoException).code, 'MODULE_NOT_FOUND');
        return true;
      });
      // zeromq 5's API (zmq.socket('req') with callbacks) is refused by name too.
      setZeromqLoader(() => ({ socket: () => ({}), version: '4.1.4' }));
      assert.throws(
        () => new zmq.Context(),
        (e: unknown) => e instanceof zmq.ZeromqNotInstalledError && /the installed zeromq has an older API: npm install zeromq@6$/.test(e.message),
      );
      // Any other failure while loading is not disguised.
      setZeromqLoader(() => {
        throw new Error('the addon failed to load: bad ELF');
      });
      assert.throws(() => new zmq.Context(), /bad ELF/);
    } finally {
      setZeromqLoader(null);
    }
    const ctx = new zmq.Context();
    ctx.destroy();
  });
});

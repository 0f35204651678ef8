// eventlet's tests/zmq_test.py, ported test by test (same names) to verdant's zmq. pyzmq's flags become options
// (`zmq.NOBLOCK` -> `{ block: false }`), `setsockopt(zmq.SUBSCRIBE, b'x')` reads the same, and errno checks read
// `code`. Each test body runs in a green thread (mocha awaits the GreenThread). Deliberate differences are
// marked "documented difference" and listed in docs/zmq.md.
import { strict as assert } from 'node:assert';
import { Event, Semaphore, Timeout, isTimeout, sleep, spawn, zmq } from 'verdant';
import { SocketSet, texts } from '../zmq/helpers';

const RECV_ON_CLOSED_SOCKET_ERRNOS = ['ENOTSUP', 'ENOTSOCK'];

/** eventlet's assertRaisesErrno: `fn` raises a ZmqError whose code is one of `codes`. */
function assertRaisesErrno(codes: string | string[], fn: () => unknown): void {
  const expected = typeof codes === 'string' ? [codes] : codes;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof zmq.ZmqError, `expected a ZmqError, got ${String(e)}`);
    assert.ok(expected.includes(e.code), `wrong error raised, expected one of [${expected}], got ${e.code}`);
    return true;
  });
}

/** eventlet's tests.check_idle_cpu_usage: the process uses under `allowedPart` of a CPU while green-sleeping. */
function checkIdleCpuUsage(duration: number, allowedPart: number): void {
  const before = process.cpuUsage();
  sleep(duration);
  const used = process.cpuUsage(before);
  // As eventlet: CI machines are shared and slow; give them five times the allowance.
  const allowed = duration * (process.env.CI === 'true' ? allowedPart * 5 : allowedPart);
  const seconds = (used.user + used.system) / 1e6;
  assert.ok(seconds < allowed, `CPU usage over limit: ${((seconds / duration) * 100).toFixed(0)}% (allowed ${allowedPart * 100}%)`);
}

describe('eventlet zmq_test.py', () => {
  describe('TestUpstreamDownStream', () => {
    let sockets: SocketSet;
    let context: zmq.Context;
    beforeEach(() => {
      context = new zmq.Context();
      sockets = new SocketSet(context);
    });
    afterEach(() => {
      sockets.closeAll();
      context.destroy({ linger: 0 });
    });

    it('test_close_linger', () =>
      spawn(() => {
        const [sock1, sock2] = sockets.pair(zmq.PAIR, zmq.PAIR);
        sock1.close({ linger: 1 });
        sock2.close({ linger: 0 });
        assert.equal(sock1.closed && sock2.closed, true);
      }));

    it('test_recv_spawned_before_send_is_non_blocking', () =>
      spawn(() => {
        const [req, rep] = sockets.pair(zmq.PAIR, zmq.PAIR);
        sleep(0);
        const msg: { res: Buffer | null } = { res: null };
        const done = new Event();
        spawn(() => {
          msg.res = rep.recv();
          done.send('done');
        });
        req.send('test');
        done.wait();
        assert.deepEqual(msg.res, Buffer.from('test'));
      }));

    it('test_close_socket_raises_enotsup', () =>
      spawn(() => {
        const [req, rep] = sockets.pair(zmq.PAIR, zmq.PAIR);
        rep.close();
        req.close();
        assertRaisesErrno(RECV_ON_CLOSED_SOCKET_ERRNOS, () => rep.recv());
        assertRaisesErrno(RECV_ON_CLOSED_SOCKET_ERRNOS, () => req.send('test'));
      }));

    it('test_close_xsocket_raises_enotsup', () =>
      spawn(() => {
        const [req, rep] = sockets.pair(zmq.XREQ, zmq.XREP);
        rep.close();
        req.close();
        assertRaisesErrno(RECV_ON_CLOSED_SOCKET_ERRNOS, () => rep.recv());
        assertRaisesErrno(RECV_ON_CLOSED_SOCKET_ERRNOS, () => req.send('test'));
      }));

    it('test_send_1k_req_rep', () =>
      spawn(() => {
        const [req, rep] = sockets.pair(zmq.REQ, zmq.REP);
        sleep(0);
        const done = new Event();
        spawn(() => {
          let txI = 0;
          req.send(String(txI));
          while (req.recvString() !== 'done') {
            txI++;
            req.send(String(txI));
          }
          done.send(0);
        });
        spawn(() => {
          for (;;) {
            const rxI = rep.recvString();
            if (rxI === '1000') {
              rep.send('done');
              break;
            }
            rep.send('i');
          }
        });
        assert.equal(done.wait(), 0);
      }));

    it('test_send_1k_push_pull', () =>
      spawn(() => {
        const [down, up] = sockets.pair(zmq.PUSH, zmq.PULL);
        sleep(0);
        const done = new Event();
        spawn(() => {
          for (let txI = 0; txI <= 1000; ) {
            txI++;
            down.send(String(txI));
          }
        });
        spawn(() => {
          for (;;) {
            if (up.recvString() === '1000') {
              done.send(0);
              break;
            }
          }
        });
        assert.equal(done.wait(), 0);
      }));

    it('test_send_1k_pub_sub', () =>
      spawn(() => {
        const [pub, subAll, port] = sockets.pair(zmq.PUB, zmq.SUB);
        const sub1 = sockets.socket(zmq.SUB);
        const sub2 = sockets.socket(zmq.SUB);
        const addr = `tcp://127.0.0.1:${port}`;
        sub1.connect(addr);
        sub2.connect(addr);
        subAll.setsockopt(zmq.SUBSCRIBE, '');
        sub1.setsockopt(zmq.SUBSCRIBE, 'sub1');
        sub2.setsockopt(zmq.SUBSCRIBE, 'sub2');
        const subAllDone = new Event<number>();
        const sub1Done = new Event<number>();
        const sub2Done = new Event<number>();
        sleep(0.2);

        const rx = (sock: zmq.Socket, doneEvt: Event<number>, msgCount = 10000) => {
          let count = 0;
          while (count < msgCount) {
            const msg = sock.recvString();
            sleep(0);
            if (msg.includes('LAST')) break;
            count++;
          }
          doneEvt.send(count);
        };
        const tx = (sock: zmq.Socket) => {
          for (let i = 1; i < 1001; i++) {
            sock.send(`sub${[2, 1][i % 2]} ${i}`);
            sleep(0);
          }
          sock.send('sub1 LAST');
          sock.send('sub2 LAST');
        };
        spawn(rx, subAll, subAllDone, 10000);
        spawn(rx, sub1, sub1Done, 10000);
        spawn(rx, sub2, sub2Done, 10000);
        spawn(tx, pub);
        assert.equal(sub1Done.wait(), 500);
        assert.equal(sub2Done.wait(), 500);
        assert.equal(subAllDone.wait(), 1000);
      }));

    it('test_change_subscription', () =>
      spawn(() => {
        const [pub, sub] = sockets.pair(zmq.PUB, zmq.SUB);
        sub.setsockopt(zmq.SUBSCRIBE, 'test');
        sleep(0);
        const subReady = new Event();
        const subLast = new Event();
        const subDone = new Event<number>();
        spawn(() => {
          while (sub.recvString() !== 'test BEGIN') sleep(0);
          subReady.send();
          let count = 0;
          for (;;) {
            const msg = sub.recvString();
            if (msg === 'test BEGIN') continue; // BEGIN may come many times
            if (msg === 'test LAST') {
              sub.setsockopt(zmq.SUBSCRIBE, 'done');
              sub.setsockopt(zmq.UNSUBSCRIBE, 'test');
              sleep(0);
              // In real application you should either sync or tolerate loss of messages.
              subLast.send();
            }
            if (msg === 'done DONE') break;
            count++;
          }
          subDone.send(count);
        });
        spawn(() => {
          // Sync receiver ready to avoid loss of first packets
          while (!subReady.ready()) {
            pub.send('test BEGIN');
            sleep(0.005);
          }
          for (let i = 1; i < 101; i++) {
            if (i !== 50) {
              pub.send(`test ${i}`);
            } else {
              pub.send('test LAST');
              subLast.wait();
            }
            sleep(0.001);
          }
          pub.send('done DONE');
        });
        assert.equal(subDone.wait(), 50);
      }));

    it('test_recv_multipart_bug68', () =>
      spawn(() => {
        const [req, rep] = sockets.pair(zmq.REQ, zmq.REP);
        const msg = [Buffer.from('')];
        req.sendMultipart(msg);
        assert.deepEqual(rep.recvMultipart(), msg);

        // Send a message back the other way
        // documented difference: no copy=False and no zero-copy Message objects; frames are always Buffers.
        const msg2 = [Buffer.from('')];
        rep.sendMultipart(msg2);
        assert.deepEqual(req.recvMultipart(), msg2);
      }));

    it('test_recv_noblock_bug76', () =>
      spawn(() => {
        const [, rep] = sockets.pair(zmq.REQ, zmq.REP);
        assertRaisesErrno('EAGAIN', () => rep.recv({ block: false }));
        // pyzmq's second call passed copy=True, which verdant has no counterpart for: the same call again.
        assertRaisesErrno('EAGAIN', () => rep.recv({ block: false }));
      }));

    it('test_send_during_recv', () =>
      spawn(() => {
        const [sender, receiver] = sockets.pair(zmq.XREQ, zmq.XREQ);
        sleep(0);
        const numRecvs = 30;
        const doneEvts = Array.from({ length: numRecvs }, () => new Event<number>());
        const slowRx = (done: Event<number>, msg: string) => {
          assert.equal(sender.recvString(), msg);
          done.send(0);
        };
        const tx = () => {
          for (let txI = 0; txI <= 1000; txI++) sender.send(String(txI));
        };
        const rx = () => {
          for (;;) {
            if (receiver.recvString() === '1000') {
              for (let i = 0; i < numRecvs; i++) receiver.send(`done${i}`);
              sleep(0);
              return;
            }
          }
        };
        for (let i = 0; i < numRecvs; i++) spawn(slowRx, doneEvts[i], `done${i}`);
        spawn(tx);
        spawn(rx);
        for (const evt of doneEvts) assert.equal(evt.wait(), 0);
      }));

    it('test_send_during_recv_multipart', () =>
      spawn(() => {
        const [sender, receiver] = sockets.pair(zmq.XREQ, zmq.XREQ);
        sleep(0);
        const numRecvs = 30;
        const doneEvts = Array.from({ length: numRecvs }, () => new Event<number>());
        const slowRx = (done: Event<number>, msg: string[]) => {
          assert.deepEqual(texts(sender.recvMultipart()), msg);
          done.send(0);
        };
        const tx = () => {
          for (let txI = 0; txI <= 1000; txI++) sender.sendMultipart([String(txI), '1', '2', '3']);
        };
        const rx = () => {
          for (;;) {
            const rxI = texts(receiver.recvMultipart());
            if (rxI.join(',') === '1000,1,2,3') {
              for (let i = 0; i < numRecvs; i++) receiver.sendMultipart([`done${i}`, 'a', 'b', 'c']);
              sleep(0);
              return;
            }
          }
        };
        for (let i = 0; i < numRecvs; i++) spawn(slowRx, doneEvts[i], [`done${i}`, 'a', 'b', 'c']);
        spawn(tx);
        spawn(rx);
        for (const evt of doneEvts) assert.equal(evt.wait(), 0);
      }));

    it('test_recv_during_send', () =>
      spawn(() => {
        const [sender, receiver] = sockets.pair(zmq.XREQ, zmq.XREQ);
        sleep(0);
        const done = new Event<number>();
        sender.setsockopt(zmq.SNDHWM, 10);
        sender.setsockopt(zmq.SNDBUF, 10);
        receiver.setsockopt(zmq.RCVBUF, 10);
        spawn(() => {
          for (let txI = 0; txI <= 1000; txI++) sender.send(String(txI));
          done.send(0);
        });
        assert.equal(done.wait(), 0);
      }));

    it('test_close_during_recv', () =>
      spawn(() => {
        const [, receiver] = sockets.pair(zmq.XREQ, zmq.XREQ);
        sleep(0);
        const done1 = new Event();
        const done2 = new Event();
        const rx = (e: Event) => {
          assertRaisesErrno(RECV_ON_CLOSED_SOCKET_ERRNOS, () => receiver.recv());
          e.send();
        };
        spawn(rx, done1);
        spawn(rx, done2);
        sleep(0);
        receiver.close();
        done1.wait();
        done2.wait();
      }));

    it('test_getsockopt_events', () =>
      spawn(() => {
        const [sock1, sock2] = sockets.pair(zmq.DEALER, zmq.DEALER);
        sleep(0);
        const pollOut = new zmq.Poller();
        pollOut.register(sock1, zmq.POLLOUT);
        assert.equal(pollOut.poll(100).length, 1);
        assert.equal(sock1.getsockopt(zmq.EVENTS) & zmq.POLLOUT, zmq.POLLOUT);
        sock1.send('');

        const pollIn = new zmq.Poller();
        pollIn.register(sock2, zmq.POLLIN);
        assert.equal(pollIn.poll(100).length, 1);
        assert.equal(sock2.getsockopt(zmq.EVENTS) & zmq.POLLIN, zmq.POLLIN);
      }));

    it('test_cpu_usage_after_bind', () =>
      spawn(() => {
        const sock = sockets.socket(zmq.PUB);
        sock.bindToRandomPort('tcp://127.0.0.1');
        sleep(0);
        checkIdleCpuUsage(0.2, 0.1);
      }));

    it('test_cpu_usage_after_pub_send_or_dealer_recv', () =>
      spawn(() => {
        const [pub, sub] = sockets.pair(zmq.PUB, zmq.SUB);
        sub.setsockopt(zmq.SUBSCRIBE, '');
        sleep(0);
        pub.send('test_send');
        checkIdleCpuUsage(0.2, 0.1);

        const [sender, receiver] = sockets.pair(zmq.DEALER, zmq.DEALER);
        sleep(0);
        sender.send('test_recv');
        assert.equal(receiver.recvString(), 'test_recv');
        checkIdleCpuUsage(0.2, 0.1);
      }));
  });

  describe('TestQueueLock', () => {
    // documented difference: verdant has no _QueueLock; the order it gives eventlet's waiting receivers is the
    // socket's own first-come-first-served line, tested here through three green threads blocked in recv.
    it('test_queue_lock_order', () =>
      spawn(() => {
        const sockets = new SocketSet();
        try {
          const [pull, push] = sockets.pair(zmq.PULL, zmq.PUSH);
          const s = new Semaphore(0);
          const results: number[] = [];
          const lock = (x: number) => {
            pull.recv();
            results.push(x);
            s.release();
          };
          spawn(lock, 1);
          sleep(0);
          spawn(lock, 2);
          sleep(0);
          spawn(lock, 3);
          sleep(0);
          assert.deepEqual(results, []);
          for (let i = 0; i < 3; i++) push.send('go');
          s.acquire();
          s.acquire();
          s.acquire();
          assert.deepEqual(results, [1, 2, 3]);
        } finally {
          sockets.closeAll();
        }
      }));
  });

  describe('module-level tests', () => {
    const sockets = new SocketSet();
    afterEach(() => sockets.closeAll());

    it('test_recv_json_no_args', () =>
      spawn(() => {
        const [s1, s2] = sockets.pair(zmq.REQ, zmq.REP);
        sleep(0);
        spawn(() => s1.sendJson({}));
        assert.deepEqual(s2.recvJson(), {});
      }));

    it('test_recv_timeout', () =>
      spawn(() => {
        const [, sub] = sockets.pair(zmq.PUB, zmq.SUB);
        sleep(0);
        sub.setsockopt(zmq.RCVTIMEO, 100);
        // eventlet: `with eventlet.Timeout(1, False): sub.recv()` then `assert False`: the Timeout(1) must not be
        // what ends the recv; the socket's RCVTIMEO must, with a ZMQError that is_timeout.
        const t = new Timeout(1);
        try {
          sub.recv();
          assert.fail('recv returned');
        } catch (e) {
          assert.notEqual(e, t, 'the Timeout(1) fired first');
          assert.ok(e instanceof zmq.ZmqError, String(e));
          assert.ok(isTimeout(e));
        } finally {
          t.cancel();
        }
      }));
  });
});

// verdant/legacy's api module: coroutines, timers, named, trampoline and the hub, each against the modern
// behaviour it stands for. Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GreenSocket, GreenThread, HubBlockingError, Timeout, sleep as modernSleep, spawn } from 'verdant';
import { HubNotAvailableError, NamedNotFoundError, api } from '../../lib/legacy';
import { waitReasonOf } from '../../lib/runtime/hub';
import { until } from '../sync/helpers';

describe('legacy: api', () => {
  it('spawn starts a coroutine on a later turn of the hub and returns at once', () =>
    spawn(() => {
      const order: string[] = [];
      const gt = api.spawn((who: string) => {
        order.push(`ran ${who}`);
        return who.length;
      }, 'coroutine');
      order.push('spawn returned');
      assert.ok(gt instanceof GreenThread);
      assert.equal(gt.wait(), 9);
      assert.deepEqual(order, ['spawn returned', 'ran coroutine']);
    }));

  it('sleep yields for at least the time asked, and sleep(0) lets others run', () =>
    spawn(() => {
      let ran = false;
      api.spawn(() => (ran = true));
      api.sleep(0);
      assert.equal(ran, true);
      const t0 = performance.now();
      api.sleep(0.05);
      assert.ok(performance.now() - t0 >= 49, 'slept at least 50 ms');
    }));

  it('callAfter runs the function after the delay, in a green thread of its own that may block', () =>
    spawn(() => {
      const calls: unknown[] = [];
      const timer = api.callAfter(0.02, (a: number, b: string) => {
        modernSleep(0.01); // blocking is allowed: it is a green thread
        calls.push([a, b]);
      }, 1, 'two');
      assert.equal(timer.seconds, 0.02);
      assert.equal(timer.pending, true);
      assert.equal(timer.called, false);
      until(() => calls.length === 1, 'the timer fired');
      assert.deepEqual(calls, [[1, 'two']]);
      assert.equal(timer.called, true);
      assert.equal(timer.pending, false);
      timer.cancel(); // too late: nothing happens
    }));

  it('a cancelled callAfter never runs', () =>
    spawn(() => {
      let ran = false;
      const timer = api.callAfter(0.02, () => (ran = true));
      timer.cancel();
      timer.cancel();
      assert.equal(timer.pending, false);
      assert.equal(timer.called, false);
      api.sleep(0.1);
      assert.equal(ran, false);
    }));

  it('callAfter checks its arguments, and works from the main stack', () => {
    assert.throws(() => api.callAfter(-1, () => {}), RangeError);
    assert.throws(() => api.callAfter(1, 'nope' as never), TypeError);
    return new Promise<void>((resolve) => void api.callAfter(0, resolve));
  });

  it('excAfter raises the error in the current coroutine when it is still blocked at the deadline', () =>
    spawn(() => {
      const error = new api.TimeoutError();
      const timer = api.excAfter(0.05, error);
      assert.ok(timer instanceof Timeout);
      assert.throws(() => api.sleep(10), (e) => e === error);
      timer.cancel();

      const own = api.excAfter(0.05);
      assert.throws(() => api.sleep(10), (e) => e === own);
    }));

  it('a cancelled excAfter raises nothing', () =>
    spawn(() => {
      const timer = api.excAfter(0.05, new Error('should not raise'));
      api.sleep(0.01);
      timer.cancel();
      api.sleep(0.1);
      assert.equal(timer.expired, false);
    }));

  it('excAfter needs a green thread and a valid delay', () => {
    assert.throws(() => api.excAfter(1, new Error('x')), HubBlockingError);
    assert.throws(() => api.excAfter(Number.NaN), RangeError);
  });

  it('named resolves a module and a property path, with dots in specifiers', () => {
    assert.equal(api.named('node:path.join'), path.join);
    assert.equal(api.named('node:path.posix.sep'), '/');
    assert.equal(api.named('node:os'), require('node:os'));
    assert.equal(api.named('verdant/legacy.api.named'), api.named); // the package's own exports map
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-named-'));
    try {
      fs.writeFileSync(path.join(dir, 'app.v2.js'), 'exports.handlers = { index: "the index" };');
      assert.equal(api.named('./app.v2.js.handlers.index', { from: dir }), 'the index');
      assert.equal(api.named('./app.v2.handlers.index', { from: dir }), 'the index'); // resolved without .js
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('named says what it could not find', () => {
    assert.throws(() => api.named('no-such-package-anywhere.thing'), (error: unknown) => {
      assert.ok(error instanceof NamedNotFoundError);
      assert.equal(error.lookup, 'no-such-package-anywhere.thing');
      assert.match(error.message, /no prefix of it is a module/);
      return true;
    });
    assert.throws(() => api.named('node:path.nothing.here'), /node:path has no property "nothing"/);
    assert.throws(() => api.named(''), TypeError);
  });

  it('trampoline waits for an fd and raises TimeoutError when the timeout passes first', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      try {
        assert.throws(() => api.trampoline(a.fileno(), { read: true, timeout: 0.05 }), (e: unknown) => {
          assert.ok(e instanceof api.TimeoutError);
          assert.match((e as Error).message, /timed out after 0.05 s waiting to read fd/);
          return true;
        });
        const reader = api.spawn(() => api.trampoline(a.fileno(), { read: true, timeout: 10 }));
        until(() => waitReasonOf(reader) !== undefined, 'the reader waits on the fd');
        b.sendAll('x');
        assert.ok((reader.wait() & 1) !== 0, 'readable');
        assert.ok((api.trampoline(b.fileno(), { write: true }) & 2) !== 0, 'writable');
      } finally {
        a.close();
        b.close();
      }
    }));

  it('getHub is the one hub; useHub accepts only it; getDefaultHub is the same', () =>
    spawn(() => {
      const hub = api.getHub();
      assert.equal(api.getHub(), hub);
      assert.equal(api.getDefaultHub(), hub);
      assert.ok(['epoll', 'kqueue'].includes(hub.poller), hub.poller);
      api.useHub();
      api.useHub('default');
      api.useHub(hub.poller);
      assert.throws(() => api.useHub('twistedr'), (error: unknown) => {
        assert.ok(error instanceof HubNotAvailableError);
        assert.match(error.message, /one hub per thread/);
        return true;
      });

      let fired = false;
      const timer = hub.scheduleCall(0.5, () => (fired = true));
      assert.ok(hub.timers().some((t) => t.kind === 'start' && t.secondsLeft > 0), 'the scheduled call is a hub timer');
      timer.cancel();
      const [a, b] = GreenSocket.pair();
      try {
        const reader = api.spawn(() => a.recv(1));
        until(() => hub.listeners().some((l) => l.fd === a.fileno() && l.read && l.greenlet === reader), 'the reader is a hub listener');
        b.sendAll('y');
        assert.equal(String(reader.wait()), 'y');
      } finally {
        a.close();
        b.close();
      }
      const before = hub.stats().turns;
      api.sleep(0.01);
      assert.ok(hub.stats().turns > before, 'the loop turned');
      assert.equal(fired, false);
    }));
});

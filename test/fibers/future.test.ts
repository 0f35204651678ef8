// verdant/fibers/future: node-fibers' Future library (lib/fibers/future).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Fiber = require('../../lib/fibers');
import Future = require('../../lib/fibers/future');
import { NoFiberError } from '../../lib/fibers/errors';
import { spawn, withTimeout } from 'verdant';

/** Runs `body` in a fiber and resolves with its result once the fiber finishes (it may wait on futures). */
function inFiber<T>(body: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    Fiber(() => {
      try {
        resolve(body());
      } catch (error) {
        reject(error);
      }
    }).run();
  });
}

/** A future resolved by a timer after `ms`, with `value`. */
function later<T>(ms: number, value: T): Future<T> {
  const f = new Future<T>();
  setTimeout(() => f.return(value), ms);
  return f;
}

describe('fibers: Future', () => {
  describe('resolving', () => {
    it('return/get, throw/get, isResolved, and resolving twice', () => {
      const ok = new Future<number>();
      assert.equal(ok.isResolved(), false);
      assert.throws(() => ok.get(), { name: 'FutureNotReadyError', message: 'Future must resolve before value is ready' });
      ok.return(5);
      assert.equal(ok.isResolved(), true);
      assert.equal(ok.get(), 5);
      assert.throws(() => ok.return(6), { name: 'FutureResolvedError', message: 'Future resolved more than once' });
      const bad = new Future();
      const err = new Error('bad');
      bad.throw(err);
      assert.throws(() => bad.get(), (e: unknown) => e === err);
      assert.throws(() => bad.throw(err), Future.FutureResolvedError);
      assert.throws(() => new Future().throw(undefined), { name: 'TypeError', message: 'Must throw non-empty error' });
    });

    it('resolve(cb) calls node-style callbacks in order, now or on resolution; resolveSuccess only on values', () => {
      const log: string[] = [];
      const f = new Future<string>();
      f.resolve((err, v) => log.push(`1:${err}:${v}`)).resolve((err, v) => log.push(`2:${err}:${v}`));
      f.resolveSuccess((v) => log.push(`s:${v}`));
      f.return('x');
      f.resolve((err, v) => log.push(`3:${err}:${v}`));
      const failed = new Future();
      failed.resolveSuccess(() => log.push('never'));
      failed.throw(new Error('e'));
      assert.deepEqual(log, ['1:undefined:x', '2:undefined:x', 's:x', '3:undefined:x']);
    });

    it('resolve(errorsFuture, onValue) sends errors to a future and values to the callback', () => {
      const errors = new Future();
      const values: number[] = [];
      const f = new Future<number>();
      f.resolve(errors, (v) => values.push(v));
      f.return(1);
      const g = new Future<number>();
      g.resolve(errors, (v) => values.push(v));
      g.throw(new Error('to errors'));
      assert.deepEqual(values, [1]);
      assert.throws(() => errors.get(), /to errors/);
      assert.throws(() => f.resolve('nope' as never), TypeError);
    });

    it('a callback that throws does not stop the others; its error becomes an uncaught exception', async () => {
      const seen: unknown[] = [];
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      const caught = new Promise((res) => process.once('uncaughtException', res));
      try {
        const f = new Future();
        f.resolve(() => {
          throw new Error('listener failed');
        });
        f.resolve((_e, v) => seen.push(v));
        f.return('value');
        assert.deepEqual(seen, ['value']);
        assert.match(String(await caught), /listener failed/);
      } finally {
        for (const l of listeners) process.on('uncaughtException', l);
      }
    });

    it('resolver() is a node-style callback; proxy and proxyErrors forward', () => {
      const f = new Future<number>();
      const cb = f.resolver();
      cb(null, 3);
      assert.equal(f.get(), 3);
      const g = new Future();
      g.resolver()(new Error('cb error'));
      assert.throws(() => g.get(), /cb error/);

      const source = new Future<string>();
      const target = new Future<string>();
      source.proxy(target);
      source.return('forwarded');
      assert.equal(target.get(), 'forwarded');

      const failing = new Future();
      const a = new Future();
      const b = new Future();
      failing.proxyErrors([a, b]);
      failing.throw(new Error('both'));
      assert.throws(() => a.get(), /both/);
      assert.throws(() => b.get(), /both/);
    });

    it('promise() settles like the future; fromPromise resolves like the promise', async () => {
      const f = new Future<number>();
      const p = f.promise();
      f.return(9);
      assert.equal(await p, 9);
      const g = new Future();
      const q = g.promise();
      g.throw(new Error('rejected'));
      await assert.rejects(q, /rejected/);
      const fromOk = Future.fromPromise(Promise.resolve('ok'));
      const fromBad = Future.fromPromise(Promise.reject(new Error('no')));
      const fromFalsy = Future.fromPromise(Promise.reject(0));
      await new Promise((r) => setImmediate(r));
      assert.equal(fromOk.get(), 'ok');
      assert.throws(() => fromBad.get(), /no/);
      assert.throws(
        () => fromFalsy.get(),
        (e: unknown) => e instanceof Future.PromiseRejectedError && e.reason === 0 && e.message === 'promise rejected with 0',
      );
      assert.throws(() => Future.fromPromise(42 as never), TypeError);
    });

    it('detach(): an error nobody waits for becomes an uncaught exception', async () => {
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      const caught = new Promise((res) => process.once('uncaughtException', res));
      try {
        const f = new Future();
        f.detach();
        f.throw(new Error('detached failure'));
        assert.match(String(await caught), /detached failure/);
      } finally {
        for (const l of listeners) process.on('uncaughtException', l);
      }
    });
  });

  describe('waiting', () => {
    it('wait() blocks the current fiber only: the main stack goes on, the fiber resumes on resolution', async () => {
      const order: string[] = [];
      const done = inFiber(() => {
        order.push('fiber waits');
        const v = later(5, 'resolved by a timer').wait();
        order.push('fiber resumed');
        return v;
      });
      order.push('main goes on');
      assert.equal(await done, 'resolved by a timer');
      assert.deepEqual(order, ['fiber waits', 'main goes on', 'fiber resumed']);
    });

    it('wait() returns at once for a resolved future and throws its error', async () => {
      const r = new Future();
      r.return('now');
      assert.equal(r.wait(), 'now');
      const failing = new Future();
      setTimeout(() => failing.throw(new TypeError('waited error')), 1);
      await assert.rejects(inFiber(() => failing.wait()), TypeError);
    });

    it('futures resolved from callbacks, promises and other fibers', async () => {
      const r = await inFiber(() => {
        const fromCallback = new Future<string>();
        fs.readFile(__filename, 'utf8', fromCallback.resolver());
        const fromPromise = Future.fromPromise(fs.promises.stat(__filename));
        const fromFiber = new Future<string>();
        Fiber(() => {
          later(2, null).wait();
          fromFiber.return('from another fiber');
        }).run();
        return [fromCallback.wait().length > 0, fromPromise.wait().isFile(), fromFiber.wait()];
      });
      assert.deepEqual(r, [true, true, 'from another fiber']);
    });

    it('Future.wait(...) waits for all, flattens arrays, does not throw their errors', async () => {
      const r = await inFiber(() => {
        const bad = new Future();
        setTimeout(() => bad.throw(new Error('kept')), 3);
        const futures = [later(4, 'a'), [later(1, 'b'), bad]];
        Future.wait(...futures);
        return [futures[0] as Future, ...(futures[1] as Future[])].map((f) => {
          try {
            return f.get();
          } catch (error) {
            return (error as Error).message;
          }
        });
      });
      assert.deepEqual(r, ['a', 'b', 'kept']);
      assert.throws(() => Future.wait(5 as never), { name: 'TypeError', message: '5 is not a future' });
    });

    it('waiting on the main stack throws; in a green thread it parks in the hub', async () => {
      assert.throws(() => later(1, 0).wait(), (e: unknown) => e instanceof NoFiberError && /Can't wait without a fiber/.test((e as Error).message));
      const r = await spawn(() => [later(3, 'green').wait(), Future.task(() => 'task from green').wait()]);
      assert.deepEqual(r, ['green', 'task from green']);
    });

    it('a green thread waiting on a future is cancelled by a verdant Timeout, and a late resolution is harmless', async () => {
      const f = new Future<string>();
      const r = await spawn(() => withTimeout(0.005, () => f.wait(), { timeoutValue: 'timed out' }));
      assert.equal(r, 'timed out');
      f.return('late');
      assert.equal(f.get(), 'late');
    });

    it('thousands of fibers waiting on timers at once', async function () {
      this.timeout(60_000);
      const count = 3000;
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          inFiber(() => {
            let sum = 0;
            for (let k = 0; k < 3; k++) sum += later(1 + ((i + k) % 7), 1).wait();
            return sum;
          }),
        ),
      );
      assert.equal(results.length, count);
      assert.ok(results.every((s) => s === 3));
    });
  });

  describe('tasks, wrap and Function.prototype.future', () => {
    it('Future.task runs in a fiber of its own from the next tick, or inline in the first waiter', async () => {
      const order: string[] = [];
      const t = Future.task(() => {
        order.push(`task in ${Fiber.current ? 'a fiber' : 'no fiber'}`);
        return 7;
      });
      order.push('created');
      await new Promise((r) => process.nextTick(r));
      assert.equal(t.get(), 7);
      assert.deepEqual(order, ['created', 'task in a fiber']);

      const r = await inFiber(() => {
        const me = Fiber.current;
        const inline = Future.task(() => Fiber.current === me);
        return inline.wait();
      });
      assert.equal(r, true, 'the first waiter ran the task in its own fiber');
      const failing = Future.task(() => {
        throw new Error('task failed');
      });
      await assert.rejects(inFiber(() => failing.wait()), /task failed/);
    });

    it("Future.wrap(require('fs')) adds <name>Future methods that return futures", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-future-'));
      try {
        const wrappedFs = Future.wrap(fs);
        assert.equal(typeof wrappedFs.readFileFuture, 'function');
        assert.equal(wrappedFs.readFileSync, fs.readFileSync, 'the originals are inherited');
        const r = await inFiber(() => {
          const file = path.join(dir, 'a.txt');
          wrappedFs.writeFileFuture(file, 'hello').wait();
          const text = wrappedFs.readFileFuture(file, 'utf8').wait();
          const names = wrappedFs.readdirFuture(dir).wait();
          let missing = '';
          try {
            wrappedFs.readFileFuture(path.join(dir, 'missing')).wait();
          } catch (error) {
            missing = (error as NodeJS.ErrnoException).code!;
          }
          return [text, names, missing];
        });
        assert.deepEqual(r, ['hello', ['a.txt'], 'ENOENT']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('Future.wrap of a function, with multi, a custom suffix, and function members', async () => {
      const twoValues = (a: number, cb: (err: unknown, x?: number, y?: number) => void) =>
        setImmediate(() => cb(null, a, a * 2));
      const single = Future.wrap(twoValues);
      const multi = Future.wrap(twoValues, true);
      const api = Object.assign((cb: (e: unknown, v: string) => void) => cb(null, 'called'), {
        get: (key: string, cb: (e: unknown, v: string) => void) => cb(null, `got ${key}`),
      });
      const wrappedApi = Future.wrap(api, false, 'Later');
      const r = await inFiber(() => [
        single(3).wait(),
        multi(3).wait(),
        wrappedApi().wait(),
        wrappedApi.getLater('k').wait(),
      ]);
      assert.deepEqual(r, [3, [3, 6], 'called', 'got k']);
      assert.throws(() => Future.wrap(42 as never), TypeError);
    });

    it('Function.prototype.future is not there until installFunctionFuture()', async () => {
      assert.equal(Object.prototype.hasOwnProperty.call(Function.prototype, 'future'), false);
      Future.installFunctionFuture();
      try {
        const add = function (this: { base: number }, x: number) {
          return this.base + x;
        };
        const futureAdd = add.future!();
        const r = await inFiber(() => futureAdd.call({ base: 10 }, 5).wait());
        assert.equal(r, 15);
        assert.match(String(futureAdd), /^<<Future function/);
      } finally {
        delete (Function.prototype as { future?: unknown }).future;
      }
    });
  });
});

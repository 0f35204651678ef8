/**
 * Greenlets and Node's event loop: resumed from timers, immediates, nextTick and promise reactions; uncaught
 * errors reaching 'uncaughtException'; AsyncLocalStorage per greenlet; async scopes carried across switches.
 */
import { strict as assert } from 'node:assert';
import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import { readFile } from 'node:fs/promises';
import { Greenlet, getCurrent } from '../../lib';
import { describeChild, fullGc, minorGc, NODE_MAJOR, rng, runChild, scaled } from './util';

const main = Greenlet.getMain();

/** Suspends the current greenlet until `schedule(resume)` calls resume(value); returns that value. */
function waitFor<T>(schedule: (resume: (value: T) => void) => void): T {
  const self = getCurrent();
  assert.notEqual(self, main, 'waitFor must run in a greenlet');
  schedule((value) => {
    self.switch(value);
  });
  return main.switch() as T;
}

/** Awaits a promise synchronously from inside a greenlet. */
function awaitSync<T>(p: Promise<T>): T {
  const r = waitFor<{ ok: true; v: T } | { ok: false; e: unknown }>((resume) => {
    p.then(
      (v) => resume({ ok: true, v }),
      (e) => resume({ ok: false, e }),
    );
  });
  if (!r.ok) throw r.e;
  return r.v;
}

/** Starts `fn` in a greenlet (parent main) and resolves with its result once it finishes, wherever that is. */
function spawn<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const g = new Greenlet(() => {
      try {
        resolve(fn());
      } catch (e) {
        reject(e);
      }
    }, main);
    g.switch();
  });
}

// Whether AsyncLocalStorage is built on AsyncContextFrame (the store travels with V8's continuation data, which
// verdant saves per greenlet) or on the execution async resource (one per callback, shared by all greenlets).
function alsUsesContextFrame(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (flags.includes('--no-async-context-frame')) return false;
  if (NODE_MAJOR >= 24) return true;
  return NODE_MAJOR >= 22 && flags.includes('--experimental-async-context-frame');
}

describe('stress: greenlets and the event loop', function () {
  this.timeout(0);

  it('200 greenlets resumed from setTimeout, setImmediate, nextTick, promise reactions and fs callbacks', async () => {
    const COUNT = 200;
    const STEPS = scaled(30, 5);
    const order: number[] = [];
    const tasks = Array.from({ length: COUNT }, (_, id) =>
      spawn(() => {
        const random = rng(id + 1);
        const held = { id, list: Array.from({ length: 20 }, (_, k) => `${id}:${k}`) };
        let total = 0;
        for (let step = 0; step < STEPS; step++) {
          const kind = Math.floor(random() * 6);
          let got: number;
          switch (kind) {
            case 0:
              got = waitFor<number>((r) => setTimeout(() => r(step), Math.floor(random() * 3)));
              break;
            case 1:
              got = waitFor<number>((r) => setImmediate(() => r(step)));
              break;
            case 2:
              got = waitFor<number>((r) => process.nextTick(() => r(step)));
              break;
            case 3:
              got = awaitSync(Promise.resolve(step));
              break;
            case 4:
              got = awaitSync(new Promise<number>((res) => setTimeout(() => res(step), 1)).then((v) => v));
              break;
            default:
              got = awaitSync(readFile(__filename)).length > 0 ? step : -1;
          }
          assert.equal(got, step, `greenlet ${id} step ${step} (kind ${kind})`);
          total += got;
          if (id % 50 === 0 && step % 10 === 0) minorGc();
        }
        assert.equal(held.list[19], `${id}:19`);
        order.push(id);
        return total;
      }),
    );
    const totals = await Promise.all(tasks);
    const expected = (STEPS * (STEPS - 1)) / 2;
    assert.deepEqual(totals, new Array(COUNT).fill(expected));
    assert.equal(new Set(order).size, COUNT);
  });

  it('a rejected promise awaited inside a greenlet throws there', async () => {
    const r = await spawn(() => {
      try {
        awaitSync(Promise.reject(new Error('rejected')));
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    });
    assert.equal(r, 'rejected');
  });

  it('a greenlet resumed from a .then callback resumes another greenlet from inside itself', async () => {
    const log: string[] = [];
    const inner = new Greenlet((x: number) => {
      log.push(`inner got ${x}`);
      const y = getCurrent().parent!.switch(x + 1) as number;
      log.push(`inner got ${y}`);
      return y * 2;
    });
    const result = await spawn(() => {
      const a = awaitSync(Promise.resolve(1));
      inner.parent = getCurrent();
      const b = inner.switch(a) as number; // 2
      const c = waitFor<number>((r) => setTimeout(() => r(b + 10), 1)); // 12
      const d = inner.switch(c) as number; // 24 (inner finished, returned to us)
      fullGc();
      return awaitSync(Promise.resolve(d + 1));
    });
    assert.equal(result, 25);
    assert.deepEqual(log, ['inner got 1', 'inner got 12']);
    assert.ok(inner.dead);
  });

  it("an uncaught error in a greenlet started from a timer reaches 'uncaughtException' (child process)", () => {
    const r = runChild(`
      const { Greenlet, getCurrent } = require(VERDANT);
      let seen = 0;
      process.on('uncaughtException', (err, origin) => {
        seen++;
        console.log('CAUGHT ' + err.message + ' ' + origin);
        if (seen === 2) setTimeout(() => { console.log('ALIVE'); }, 5);
      });
      setTimeout(() => {
        const g = new Greenlet(() => { throw new Error('boom-at-start'); });
        g.switch();
        console.log('NOT REACHED 1');
      }, 5);
      // One that suspends first and throws when a later timer resumes it.
      const h = new Greenlet(() => { getCurrent().parent.switch(); throw new Error('boom-after-resume'); });
      setTimeout(() => { h.switch(); }, 10);
      setTimeout(() => { h.switch(); console.log('NOT REACHED 2'); }, 20);
    `);
    assert.equal(r.status, 0, describeChild(r));
    assert.match(r.stdout, /CAUGHT boom-at-start uncaughtException/, describeChild(r));
    assert.match(r.stdout, /CAUGHT boom-after-resume uncaughtException/, describeChild(r));
    assert.match(r.stdout, /ALIVE/, describeChild(r));
    assert.doesNotMatch(r.stdout, /NOT REACHED/);
  });

  it('without a handler, that error ends the process with status 1 and its stack on stderr (child process)', () => {
    const r = runChild(`
      const { Greenlet } = require(VERDANT);
      setTimeout(() => new Greenlet(() => { throw new Error('unhandled-in-greenlet'); }).switch(), 1);
      setTimeout(() => console.log('NOT REACHED'), 200);
    `);
    assert.equal(r.status, 1, describeChild(r));
    assert.match(r.stderr, /unhandled-in-greenlet/);
    assert.doesNotMatch(r.stdout, /NOT REACHED/);
  });

  describe(`AsyncLocalStorage (${alsUsesContextFrame() ? 'AsyncContextFrame: per greenlet' : 'execution resource: shared'})`, () => {
    const acf = alsUsesContextFrame();

    it('a greenlet created and started inside als.run(store) sees that store', () => {
      const als = new AsyncLocalStorage<{ name: string }>();
      const store = { name: 'outer' };
      const seen = als.run(store, () => new Greenlet(() => als.getStore()).switch());
      assert.equal(seen, store);
    });

    it('a greenlet created inside als.run(store) and started outside it', () => {
      const als = new AsyncLocalStorage<{ name: string }>();
      const store = { name: 'creator' };
      const g = als.run(store, () => new Greenlet(() => als.getStore()));
      assert.equal(als.getStore(), undefined);
      const seen = g.switch();
      // AsyncContextFrame: a new greenlet inherits its creator's context. Execution resource: the store is that
      // of whoever runs the greenlet (none here).
      assert.equal(seen, acf ? store : undefined);
    });

    it('a suspended greenlet resumed under another store', () => {
      const als = new AsyncLocalStorage<string>();
      const g = als.run('mine', () => {
        const g2 = new Greenlet(() => {
          const seen: (string | undefined)[] = [als.getStore()];
          seen.push(getCurrent().parent!.switch() as undefined);
          seen.push(als.getStore());
          return seen;
        });
        g2.switch();
        return g2;
      });
      const seen = als.run('other', () => {
        const r = g.switch() as (string | undefined)[];
        // Main's store is main's again, whatever the greenlet did.
        assert.equal(als.getStore(), 'other');
        return r;
      });
      assert.deepEqual(seen, ['mine', undefined, acf ? 'mine' : 'other']);
    });

    it('enterWith inside a greenlet', () => {
      const als = new AsyncLocalStorage<string>();
      const g = new Greenlet(() => {
        als.enterWith('inside');
        getCurrent().parent!.switch();
        return als.getStore();
      });
      als.run('main-store', () => {
        g.switch();
        // AsyncContextFrame: the greenlet's enterWith stays in the greenlet. Execution resource: it is shared.
        assert.equal(als.getStore(), acf ? 'main-store' : 'inside');
      });
      // Execution resource: main's run() put the shared resource's store back to what it was (none) on exit.
      assert.equal(g.switch(), acf ? 'inside' : undefined);
    });

    it('greenlets resumed from timers keep their own store (AsyncContextFrame) across 50 interleaved greenlets', async () => {
      const als = new AsyncLocalStorage<number>();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, id) =>
          als.run(id, () =>
            spawn(() => {
              const seen: (number | undefined)[] = [];
              for (let i = 0; i < 5; i++) {
                waitFor<void>((r) => setTimeout(() => r(), (id * 7 + i) % 4));
                seen.push(als.getStore());
              }
              return seen;
            }),
          ),
        ),
      );
      for (let id = 0; id < 50; id++) {
        if (acf) assert.deepEqual(results[id], new Array(5).fill(id), `greenlet ${id}`);
        // On the execution resource the store is the timer's, i.e. whatever was current when it was scheduled:
        // the greenlet's own run() scope was entered in main's callback, so only check it is a number or undefined.
        else for (const s of results[id]) assert.ok(s === undefined || typeof s === 'number');
      }
    });
  });

  describe('async scopes entered by a greenlet', () => {
    it("switching out inside the greenlet's own runInAsyncScope carries the scope: it is gone outside and back on resume", async () => {
      const g = new Greenlet(() => {
        const resource = new AsyncResource('verdant-stress');
        const idOutside = executionAsyncId();
        const seen = resource.runInAsyncScope(() => {
          const inside = executionAsyncId();
          assert.notEqual(inside, idOutside);
          const v = main.switch('from inside the scope');
          return [v, executionAsyncId() === inside];
        });
        resource.emitDestroy();
        // Out of the scope: in the context of whoever resumed this greenlet last.
        return [...seen, executionAsyncId()];
      });
      const idMain = executionAsyncId();
      assert.equal(g.switch(), 'from inside the scope');
      assert.equal(executionAsyncId(), idMain);
      // Resumed from a timer callback: a different base under the scope, and the scope on top of it.
      const r = await new Promise((res) => setTimeout(() => res([g.switch('resumed'), executionAsyncId()]), 2));
      const [[value, sameScope, idAfterScope], idTimer] = r as [[string, boolean, number], number];
      assert.deepEqual([value, sameScope, idAfterScope], ['resumed', true, idTimer]);
      // The process keeps working: timers, promises, other greenlets.
      const still = await spawn(() => awaitSync(new Promise((res) => setTimeout(() => res('still fine'), 2))));
      assert.equal(still, 'still fine');
    });

    it('with the mechanism off (VERDANT_ASYNC_STACK=off) the guard refuses such a switch with a catchable error', () => {
      const r = runChild(
        `
        const { Greenlet, GreenletError } = require(VERDANT);
        const { asyncStackSupport } = require(VERDANT.replace(/index\.js$/, 'runtime/async-stack.js'));
        const { AsyncResource } = require('node:async_hooks');
        const main = Greenlet.getMain();
        const g = new Greenlet(() => {
          let refused = null;
          new AsyncResource('x').runInAsyncScope(() => {
            try { main.switch('wrong'); } catch (e) { refused = e; }
          });
          return refused;
        });
        const e = g.switch();
        console.log(JSON.stringify(asyncStackSupport()), e instanceof GreenletError, e.message.slice(0, 40));
        const h = new Greenlet(() => new AsyncResource('y').runInAsyncScope(() => main.switch()));
        try { h.switch(); console.log('not refused'); } catch (err) { console.log('uncaught reaches parent', h.dead); }
        `,
        { env: { VERDANT_ASYNC_STACK: 'off' } },
      );
      assert.equal(r.status, 0, describeChild(r));
      assert.equal(
        r.stdout,
        '{"saved":false,"reason":"VERDANT_ASYNC_STACK=off"} true cannot switch out of a greenlet while it\n' +
          'uncaught reaches parent true\n',
      );
    });

    it("no false positive: a greenlet resumed inside main's own async scope may switch back", () => {
      const resource = new AsyncResource('main-scope');
      const g = new Greenlet(() => {
        let n = 0;
        for (;;) n += main.switch(n) as number;
      });
      g.switch(0);
      const inScope = resource.runInAsyncScope(() => [g.switch(1), g.switch(2)]);
      assert.deepEqual(inScope, [1, 3]);
      assert.equal(g.switch(3), 6);
      g.close();
      resource.emitDestroy();
    });

    it('runInAsyncScope entered and left entirely inside a greenlet between switches is fine', async () => {
      const r = await spawn(() => {
        let sum = 0;
        for (let i = 0; i < 20; i++) {
          sum += new AsyncResource('inner').runInAsyncScope(() => i);
          waitFor<void>((res) => setImmediate(res));
        }
        return sum;
      });
      assert.equal(r, 190);
    });
  });
});

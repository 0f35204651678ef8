// verdant/fibers: node-fibers' Fiber API rule by rule (lib/fibers/fiber.ts).
import { strict as assert } from 'node:assert';
import { AsyncResource, executionAsyncId, executionAsyncResource } from 'node:async_hooks';
import { EventEmitterAsyncResource } from 'node:events';
import Fiber = require('../../lib/fibers');
import { FiberNotYieldingError, FiberRunningError, FiberZombieError, NoFiberError } from '../../lib/fibers/errors';
import { getConfig, Greenlet, sleep, spawn } from 'verdant';

describe('fibers: Fiber', () => {
  describe('creating and running', () => {
    it('is callable with or without new, and both make instances of Fiber', () => {
      const a = Fiber(() => 1);
      const b = new Fiber(() => 2);
      assert.ok(a instanceof Fiber && b instanceof Fiber);
      assert.equal(a.constructor, Fiber);
      assert.deepEqual([a.run(), b.run()], [1, 2]);
    });

    it('rejects a missing, extra or non-function argument with the TypeErrors fibers raised', () => {
      assert.throws(() => (Fiber as any)(), { name: 'TypeError', message: 'Fiber expects 1 argument' });
      assert.throws(() => (Fiber as any)(() => 1, 2), { name: 'TypeError', message: 'Fiber expects 1 argument' });
      assert.throws(() => Fiber('x' as never), { name: 'TypeError', message: 'Fiber expects a function' });
      const f = Fiber(() => Fiber.yield());
      assert.throws(() => (f.run as any)(1, 2), { name: 'TypeError', message: 'run() expects 1 or no arguments' });
      f.run();
      assert.throws(() => (f.throwInto as any)(1, 2), TypeError);
      assert.throws(() => (f.reset as any)(1), { name: 'TypeError', message: 'reset() expects no arguments' });
      assert.throws(() => Fiber(() => (Fiber.yield as any)(1, 2)).run(), {
        name: 'TypeError',
        message: 'yield() expects 1 or no arguments',
      });
      f.reset();
    });

    it('methods called on something that is not a fiber throw a TypeError', () => {
      assert.throws(() => Fiber.prototype.run.call({}), TypeError);
    });

    it('run(value) hands value to the function; the function runs with the global object as this', () => {
      let seen: unknown[] = [];
      Fiber(function (this: unknown, ...args: unknown[]) {
        seen = [this === globalThis, args];
      }).run('v');
      assert.deepEqual(seen, [true, ['v']]);
      Fiber(function (...args: unknown[]) {
        seen = args;
      }).run();
      assert.deepEqual(seen, []);
    });

    it('run returns what the fiber yields, then its return value; yield returns what run passes in', () => {
      const log: unknown[] = [];
      const f = Fiber((first: number) => {
        log.push(first);
        log.push(Fiber.yield('a'));
        log.push(Fiber.yield('b'));
        return 'done';
      });
      assert.equal(f.started, false);
      assert.equal(f.run(1), 'a');
      assert.equal(f.started, true);
      assert.equal(f.run(2), 'b');
      assert.equal(f.run(3), 'done');
      assert.equal(f.started, false);
      assert.deepEqual(log, [1, 2, 3]);
    });

    it('a finished fiber is reset and may be run again from the start', () => {
      let runs = 0;
      const f = Fiber((x: number) => {
        runs++;
        return x + (Fiber.yield(x) as number);
      });
      assert.equal(f.run(1), 1);
      assert.equal(f.run(2), 3);
      assert.equal(f.run(10), 10);
      assert.equal(f.run(5), 15);
      assert.equal(runs, 2);
      assert.ok(Fiber.fibersCreated >= 2);
    });

    it('a generator built from a fiber: the Fibonacci sequence, yielding forever', () => {
      const fibonacci = Fiber(() => {
        let [a, b] = [0, 1];
        for (;;) {
          Fiber.yield(a);
          [a, b] = [b, a + b];
        }
      });
      const first = Array.from({ length: 15 }, () => fibonacci.run());
      assert.deepEqual(first, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377]);
      assert.equal(fibonacci.reset(), undefined);
      assert.equal(fibonacci.started, false);
      assert.equal(fibonacci.run(), 0);
      fibonacci.reset();
    });
  });

  describe('Fiber.current and Fiber.yield', () => {
    it('Fiber.current is the running fiber, undefined on the main stack', () => {
      assert.equal(Fiber.current, undefined);
      const f = Fiber(() => Fiber.current);
      assert.equal(f.run(), f);
      assert.equal(Fiber.current, undefined);
    });

    it('yield with no fiber running throws, on the main stack and in a green thread', async () => {
      assert.throws(() => Fiber.yield(1), (e: unknown) => e instanceof NoFiberError && (e as Error).message === 'yield() called with no fiber running');
      const inGreenThread = await spawn(() => {
        try {
          Fiber.yield();
        } catch (error) {
          return [error instanceof NoFiberError, Fiber.current];
        }
      });
      assert.deepEqual(inGreenThread, [true, undefined]);
    });

    it('expando properties on a fiber stay (wait.for and synchronize keep state there)', () => {
      const f = Fiber(() => {
        (Fiber.current as any).note = 'kept';
        Fiber.yield();
        return (Fiber.current as any).note;
      });
      f.run();
      assert.equal((f as any).note, 'kept');
      assert.equal(f.run(), 'kept');
    });
  });

  describe('fibers inside fibers', () => {
    it('a fiber run by another yields to it, and Fiber.current follows', () => {
      const log: string[] = [];
      const inner = Fiber(() => {
        log.push(`inner sees ${Fiber.current === inner ? 'inner' : 'other'}`);
        Fiber.yield('from inner');
        log.push('inner resumed');
        return 'inner done';
      });
      const outer = Fiber(() => {
        log.push(inner.run() as string);
        log.push(`outer sees ${Fiber.current === outer ? 'outer' : 'other'}`);
        Fiber.yield('from outer');
        log.push(inner.run() as string);
        return 'outer done';
      });
      assert.equal(outer.run(), 'from outer');
      assert.equal(outer.run(), 'outer done');
      assert.deepEqual(log, ['inner sees inner', 'from inner', 'outer sees outer', 'inner resumed', 'inner done']);
    });

    it('a suspended inner fiber may be resumed later by somebody else (the main stack)', () => {
      const inner = Fiber(() => Fiber.yield('first') as string);
      const outer = Fiber(() => inner.run());
      assert.equal(outer.run(), 'first');
      assert.equal(inner.run('second'), 'second');
    });

    it('running a fiber that is running, or its caller, is FiberRunningError', () => {
      const self = Fiber(() => self.run());
      assert.throws(() => self.run(), (e: unknown) => e instanceof FiberRunningError && (e as Error).message === 'This Fiber is already running');
      const outer: Fiber = Fiber(() => Fiber(() => outer.run()).run());
      assert.throws(() => outer.run(), FiberRunningError);
      assert.equal(outer.started, false);
    });
  });

  describe('exceptions across run and yield', () => {
    it('an exception the function throws comes out of run, unchanged, and the fiber is reset', () => {
      class Boom extends Error {}
      const boom = new Boom('boom');
      const f = Fiber(() => {
        Fiber.yield();
        throw boom;
      });
      f.run();
      assert.throws(() => f.run(), (e: unknown) => e === boom);
      assert.equal(f.started, false);
      // Non-Error values too.
      assert.throws(() => Fiber(() => { throw 42; }).run(), (e: unknown) => e === 42);
    });

    it('throwInto makes the pending yield throw; a handled error lets the fiber go on', () => {
      const f = Fiber(() => {
        try {
          Fiber.yield('waiting');
        } catch (error) {
          return `caught ${(error as Error).message}`;
        }
      });
      f.run();
      assert.equal(f.throwInto(new Error('stop')), 'caught stop');
    });

    it('an error the fiber does not handle is thrown back out of throwInto', () => {
      const err = new Error('unhandled');
      const f = Fiber(() => Fiber.yield());
      f.run();
      assert.throws(() => f.throwInto(err), (e: unknown) => e === err);
      assert.equal(f.started, false);
    });

    it('throwInto or reset on a fiber that is not yielding: FiberNotYieldingError (reset of an unstarted one does nothing)', () => {
      const f = Fiber(() => {
        assert.throws(() => f.throwInto(new Error('x')), FiberNotYieldingError);
        assert.throws(() => f.reset(), (e: unknown) => e instanceof FiberNotYieldingError && (e as Error).message === 'This Fiber is not yielding');
        return 'ok';
      });
      assert.throws(() => f.throwInto(new Error('x')), FiberNotYieldingError);
      assert.equal(f.reset(), undefined);
      assert.equal(f.run(), 'ok');
      assert.throws(() => f.throwInto(), FiberNotYieldingError);
    });
  });

  describe('reset', () => {
    it('unwinds a fiber suspended deep in a call stack: every finally runs, innermost first', () => {
      const unwound: number[] = [];
      const descend = (depth: number): void => {
        try {
          if (depth === 0) Fiber.yield('bottom');
          else descend(depth - 1);
        } finally {
          unwound.push(depth);
        }
      };
      const f = Fiber(() => descend(50));
      assert.equal(f.run(), 'bottom');
      assert.equal(f.reset(), undefined);
      assert.deepEqual(unwound, Array.from({ length: 51 }, (_, i) => i));
      assert.equal(f.started, false);
    });

    it('every yield of a fiber being reset throws the zombie error, even after it was caught', () => {
      const errors: unknown[] = [];
      const f = Fiber(() => {
        for (let i = 0; i < 3; i++) {
          try {
            Fiber.yield(i);
          } catch (error) {
            errors.push(error);
          }
        }
        return 'returned after all';
      });
      f.run();
      assert.equal(f.reset(), 'returned after all');
      assert.equal(errors.length, 3);
      assert.ok(errors[0] instanceof FiberZombieError);
      assert.equal((errors[0] as Error).message, 'This Fiber is a zombie');
      assert.ok(errors.every((e) => e === errors[0]));
    });

    it('an error other than the zombie error ending the fiber is thrown out of reset', () => {
      const f = Fiber(() => {
        try {
          Fiber.yield();
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new RangeError('from finally');
        }
      });
      f.run();
      assert.throws(() => f.reset(), RangeError);
    });
  });

  describe('pool and counters', () => {
    it('poolSize is the stack pool, node-fibers default 120, and settable', () => {
      assert.equal(Fiber.poolSize, 120);
      assert.equal(getConfig().stackPoolSize, 120);
      Fiber.poolSize = 10;
      try {
        assert.equal(getConfig().stackPoolSize, 10);
        assert.throws(() => {
          Fiber.poolSize = -1;
        }, RangeError);
      } finally {
        Fiber.poolSize = 120;
      }
    });

    it('fibersCreated counts the fibers started', () => {
      const before = Fiber.fibersCreated;
      for (let i = 0; i < 5; i++) Fiber(() => i).run();
      assert.equal(Fiber.fibersCreated - before, 5);
    });
  });

  describe('async scopes entered inside a fiber', () => {
    it('a fiber may yield inside AsyncResource.runInAsyncScope; its caller never sees the scope', () => {
      const resource = new AsyncResource('fiber-scope');
      const f = Fiber(() =>
        resource.runInAsyncScope(() => {
          const ids: boolean[] = [];
          for (let i = 0; i < 3; i++) {
            Fiber.yield(i);
            ids.push(executionAsyncResource() === resource && executionAsyncId() === resource.asyncId());
          }
          return ids;
        }),
      );
      const outside = executionAsyncId();
      for (let i = 0; i < 3; i++) {
        assert.equal(f.run(), i);
        assert.equal(executionAsyncId(), outside);
      }
      assert.deepEqual(f.run(), [true, true, true]);
      resource.emitDestroy();
    });

    it('an EventEmitterAsyncResource handler may yield the fiber and be resumed from a timer', async () => {
      const emitter = new EventEmitterAsyncResource({ name: 'fiber-emitter' });
      const seen: boolean[] = [];
      emitter.on('work', () => {
        seen.push(executionAsyncId() === emitter.asyncId);
        Fiber.yield();
        seen.push(executionAsyncId() === emitter.asyncId);
      });
      const f = Fiber(() => emitter.emit('work'));
      f.run();
      await new Promise<void>((res) =>
        setTimeout(() => {
          f.run();
          res();
        }, 2),
      );
      assert.deepEqual(seen, [true, true]);
      emitter.emitDestroy();
    });
  });

  describe('with green threads', () => {
    it('a fiber run from the main stack that blocks in the hub goes on by itself; run() returned undefined', async () => {
      const f = Fiber(() => {
        sleep(0.005);
        return `finished ${Fiber.yield('after sleep')}`;
      });
      assert.equal(f.run(), undefined);
      assert.throws(() => f.run(), FiberRunningError);
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(f.started, true);
      assert.equal(f.run('x'), 'finished x');
    });

    it('the error classes hang off Fiber, non-enumerable', () => {
      assert.equal(Fiber.FiberRunningError, FiberRunningError);
      assert.equal(Fiber.NoFiberError, NoFiberError);
      assert.ok(!Object.keys(Fiber).includes('FiberZombieError'));
    });

    it('a fiber run from a green thread may block in verdant (sleep) and yield back to it', () =>
      spawn(() => {
        const f = Fiber((ms: number) => {
          sleep(ms / 1000);
          Fiber.yield('slept');
          return 'done';
        });
        assert.equal(f.run(5), 'slept');
        assert.equal(f.run(), 'done');
        assert.notEqual(Greenlet.getCurrent(), Greenlet.getMain());
      }));
  });
});

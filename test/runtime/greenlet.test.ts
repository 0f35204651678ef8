// The greenlet contract (lib/runtime/greenlet.ts), run on whichever backend is active: `npm test` runs it on
// the fast one, the Node matrix also with VERDANT_BACKEND=threads.
import { strict as assert } from 'node:assert';
import {
  Greenlet,
  GreenletExit,
  backend,
  configure,
  getConfig,
  getCurrent,
  settrace,
  stats,
  type TraceEvent,
} from '../../lib';

const main = Greenlet.getMain();

describe('Greenlet', () => {
  describe('the main greenlet', () => {
    it('is current at top level, has no parent, is started and never dead', () => {
      assert.equal(getCurrent(), main);
      assert.equal(main.parent, null);
      assert.equal(main.started, true);
      assert.equal(main.dead, false);
      assert.equal(main.isMain, true);
    });

    it('refuses a parent', () => {
      assert.throws(() => {
        main.parent = new Greenlet(() => 0);
      }, TypeError);
    });

    it('switching to yourself returns the value at once', () => {
      assert.equal(main.switch(7), 7);
      const g = new Greenlet(() => getCurrent().switch('self'));
      assert.equal(g.switch(), 'self');
    });
  });

  describe('switch', () => {
    it('does not start a greenlet until it is first switched to', () => {
      let ran = false;
      const g = new Greenlet(() => {
        ran = true;
      });
      assert.equal(ran, false);
      assert.equal(g.started, false);
      assert.equal(g.dead, false);
      g.switch();
      assert.equal(ran, true);
      assert.equal(g.started, true);
      assert.equal(g.dead, true);
    });

    it('hands the first value to run and later values to the pending switch, both ways', () => {
      const seen: unknown[] = [];
      const g = new Greenlet((first: number) => {
        seen.push(first);
        const second = main.switch(first + 1);
        seen.push(second);
        const third = main.switch({ object: second });
        seen.push(third);
        return 'done';
      });
      assert.equal(g.switch(1), 2);
      assert.deepEqual(g.switch('two'), { object: 'two' });
      assert.equal(g.switch(undefined), 'done');
      assert.deepEqual(seen, [1, 'two', undefined]);
      assert.equal(g.dead, true);
    });

    it('passes the return value of run to the parent', () => {
      const g = new Greenlet(() => [1, 2, 3]);
      assert.deepEqual(g.switch(), [1, 2, 3]);
    });

    it('resumes in the middle of a 100-deep call stack with every frame intact', () => {
      const g = new Greenlet(() => {
        const dive = (depth: number): number => {
          const local = depth * 3;
          if (depth === 100) return main.switch(depth) as number;
          const below = dive(depth + 1);
          return below + local - depth * 3 + 1;
        };
        return dive(0);
      });
      assert.equal(g.switch(), 100);
      assert.equal(g.switch(1000), 1100);
    });

    it('runs try/finally across switches in the right order', () => {
      const log: string[] = [];
      const g = new Greenlet(() => {
        try {
          log.push('try');
          main.switch();
          log.push('resumed');
        } finally {
          log.push('finally');
        }
      });
      g.switch();
      log.push('main');
      g.switch();
      assert.deepEqual(log, ['try', 'main', 'resumed', 'finally']);
    });

    it('goes to the parent, and up, when switching to a dead greenlet', () => {
      const outer = new Greenlet(() => {
        const inner = new Greenlet(() => 'inner done');
        assert.equal(inner.switch(), 'inner done');
        // inner is dead: switching to it goes to its parent, outer, i.e. to ourselves.
        assert.equal(inner.switch('to self'), 'to self');
        return main.switch('outer waiting');
      });
      assert.equal(outer.switch(), 'outer waiting');
      // A child of the suspended outer: its result resumes outer, which returns it to main.
      const child = new Greenlet(() => 'x', outer);
      assert.equal(child.switch(), 'x');
      assert.equal(outer.dead, true);
      // Both dead: switching to child goes to outer, then to main, i.e. back here.
      assert.equal(child.switch('bounced'), 'bounced');
    });

    it('lets greenlets switch among themselves without returning to main', () => {
      const order: string[] = [];
      let b: Greenlet;
      const a = new Greenlet(() => {
        order.push('a1');
        b.switch();
        order.push('a2');
        b.switch();
        order.push('a3');
        return 'a finished';
      });
      b = new Greenlet(() => {
        order.push('b1');
        a.switch();
        order.push('b2');
        a.switch();
        order.push('never');
      });
      assert.equal(a.switch(), 'a finished');
      assert.deepEqual(order, ['a1', 'b1', 'a2', 'b2', 'a3']);
      assert.equal(b.dead, false);
      b.close();
      assert.equal(b.dead, true);
    });

    it('starts a never-started parent when its child finishes', () => {
      const parent = new Greenlet((value: string) => `parent got ${value}`);
      const child = new Greenlet(() => 'from child', parent);
      // child's result goes to parent, which starts with it; parent's result goes to main.
      assert.equal(child.switch(), 'parent got from child');
      assert.equal(parent.dead, true);
    });
  });

  describe('errors', () => {
    it('throws an uncaught error out of the parent pending switch with its type and stack', () => {
      class CustomError extends Error {}
      const g = new Greenlet(function thrower() {
        throw new CustomError('boom');
      });
      let caught: unknown;
      try {
        g.switch();
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof CustomError);
      assert.equal((caught as Error).message, 'boom');
      assert.match((caught as Error).stack!, /thrower/);
      assert.equal(g.dead, true);
    });

    it('throws non-Error values unchanged', () => {
      const g = new Greenlet(() => {
        throw 42;
      });
      assert.throws(
        () => g.switch(),
        (value: unknown) => value === 42,
      );
    });

    it('propagates through a chain of parents to the first one that catches', () => {
      const middle = new Greenlet(() => {
        const inner = new Greenlet(() => {
          throw new SyntaxError('deep');
        });
        try {
          inner.switch();
        } catch (error) {
          return `middle caught ${(error as Error).name}`;
        }
      });
      assert.equal(middle.switch(), 'middle caught SyntaxError');
    });
  });

  describe('throw', () => {
    it('raises at the suspension point of a running greenlet', () => {
      const g = new Greenlet(() => {
        try {
          main.switch('suspended');
        } catch (error) {
          return `caught ${(error as Error).message}`;
        }
      });
      g.switch();
      assert.equal(g.throw(new Error('injected')), 'caught injected');
    });

    it('returns an uncaught GreenletExit to the parent as a value', () => {
      const g = new Greenlet(() => {
        main.switch();
      });
      g.switch();
      const result = g.throw();
      assert.ok(result instanceof GreenletExit);
      assert.equal(g.dead, true);
    });

    it('raises at the start of a never-started greenlet without running its body', () => {
      let ran = false;
      const g = new Greenlet(() => {
        ran = true;
      });
      assert.throws(() => g.throw(new RangeError('before start')), RangeError);
      assert.equal(ran, false);
      assert.equal(g.dead, true);
      const h = new Greenlet(() => {
        ran = true;
      });
      assert.ok(h.throw() instanceof GreenletExit);
      assert.equal(ran, false);
    });

    it('rethrows other uncaught errors in the parent', () => {
      const g = new Greenlet(() => main.switch());
      g.switch();
      assert.throws(() => g.throw(new TypeError('not caught')), /not caught/);
    });

    it('throws at once when aimed at the current greenlet', () => {
      assert.throws(() => main.throw(new Error('self')), /self/);
    });
  });

  describe('close', () => {
    it('unwinds a suspended greenlet so its finally blocks run, and comes back', () => {
      const log: string[] = [];
      const g = new Greenlet(() => {
        try {
          try {
            main.switch();
          } finally {
            log.push('inner finally');
          }
        } finally {
          log.push('outer finally');
        }
      });
      g.switch();
      g.close();
      assert.deepEqual(log, ['inner finally', 'outer finally']);
      assert.equal(g.dead, true);
    });

    it('comes back to the closer even when the greenlet had another parent', () => {
      const other = new Greenlet(() => 'other');
      const closer = new Greenlet(() => {
        const victim = new Greenlet(() => main.switch(), other);
        victim.switch();
        victim.close();
        return `closed: ${victim.dead}`;
      });
      // closer switches to victim, victim switches to main; resuming closer lets it close victim.
      assert.equal(closer.switch(), undefined);
      assert.equal(closer.switch(), 'closed: true');
    });

    it('lets a greenlet close its own suspended ancestor without making the parent chain a cycle', () => {
      const log: string[] = [];
      const ancestor = new Greenlet(() => {
        const child = new Greenlet(() => {
          ancestor.switch('child parked the ancestor');
          return 'never';
        });
        try {
          child.switch();
          main.switch();
        } finally {
          log.push('ancestor unwound');
        }
      });
      const grandchild = new Greenlet(() => {
        ancestor.close();
        return 'grandchild done';
      }, ancestor);
      assert.equal(ancestor.switch(), undefined); // ancestor started child, child switched back, ancestor to main
      // grandchild closes its own parent: the GreenletExit unwinds ancestor, whose parent is still main, and is
      // returned to main as a value.
      assert.ok(grandchild.switch() instanceof GreenletExit);
      assert.deepEqual(log, ['ancestor unwound']);
      assert.equal(ancestor.dead, true);
      assert.equal(grandchild.dead, false);
      // grandchild's parent is dead: its result climbs to main.
      assert.equal(grandchild.switch(), 'grandchild done');
    });

    it('marks a never-started greenlet dead and does nothing to a dead one', () => {
      let ran = false;
      const g = new Greenlet(() => {
        ran = true;
      });
      g.close();
      assert.equal(g.dead, true);
      assert.equal(ran, false);
      g.close();
      assert.equal(g.dead, true);
    });
  });

  describe('parent', () => {
    it('defaults to the creating greenlet', () => {
      const g = new Greenlet(() => new Greenlet(() => 0).parent);
      assert.equal(g.parent, main);
      assert.equal(g.switch(), g);
    });

    it('can be changed, and the result then goes to the new parent', () => {
      const collector = new Greenlet((value: string) => `collected ${value}`);
      const g = new Greenlet(() => 'payload');
      g.parent = collector;
      assert.equal(g.switch(), 'collected payload');
    });

    it('rejects cycles and non-greenlets with a TypeError', () => {
      const a = new Greenlet(() => 0);
      const b = new Greenlet(() => 0, a);
      assert.throws(() => {
        a.parent = b;
      }, /cyclic/);
      assert.throws(() => {
        a.parent = a;
      }, /cyclic/);
      assert.throws(() => {
        a.parent = {} as Greenlet;
      }, TypeError);
      assert.throws(() => new Greenlet(() => 0, 'nope' as unknown as Greenlet), TypeError);
    });
  });

  describe('subclasses', () => {
    it('may override run', () => {
      class Doubler extends Greenlet<number, number> {
        override run(value: number): number {
          return value * 2;
        }
      }
      assert.equal(new Doubler().switch(21), 42);
    });

    it('without a run function fails in the greenlet and reports it to the parent', () => {
      assert.throws(() => new Greenlet().switch(), /no run function/);
    });
  });

  describe('settrace', () => {
    afterEach(() => settrace(null));

    it('reports every switch and throw with origin and target', () => {
      const events: Array<[TraceEvent, Greenlet, Greenlet]> = [];
      const g = new Greenlet(() => {
        main.switch();
      });
      settrace((event, { origin, target }) => events.push([event, origin, target]));
      g.switch();
      g.throw();
      assert.deepEqual(events, [
        ['switch', main, g],
        ['switch', g, main],
        ['throw', main, g],
        ['switch', g, main],
      ]);
    });

    it('returns the previous tracer and validates its argument', () => {
      const first = () => {};
      assert.equal(settrace(first), null);
      assert.equal(settrace(null), first);
      assert.throws(() => settrace(42 as never), TypeError);
    });

    it('a throwing tracer stops the switch', () => {
      let ran = false;
      const g = new Greenlet(() => {
        ran = true;
      });
      settrace(() => {
        throw new Error('tracer says no');
      });
      assert.throws(() => g.switch(), /tracer says no/);
      settrace(null);
      assert.equal(ran, false);
      g.switch();
      assert.equal(ran, true);
    });
  });

  describe('stacks', () => {
    it('turns deep recursion into a RangeError inside the greenlet, and restores main\'s limit', () => {
      for (const stackSize of [64 * 1024, undefined]) {
        const g = new Greenlet(
          () => {
            // A function compiled on this stack: V8 needs 40 KiB free for that, which 64 KiB leaves.
            const recurse = (n: number): number => recurse(n + 1) + 1;
            try {
              return recurse(0);
            } catch (error) {
              return error;
            }
          },
          null,
          { stackSize },
        );
        assert.ok(g.switch() instanceof RangeError);
      }
      const recurse = (n: number): number => recurse(n + 1) + 1;
      assert.throws(() => recurse(0), RangeError);
    });

    it('gives a bigger stack deeper recursion', () => {
      const depthWith = (stackSize: number) =>
        new Greenlet(
          () => {
            let depth = 0;
            const dive = (): number => {
              depth++;
              return dive() + 1;
            };
            try {
              dive();
            } catch {
              // RangeError: depth is what fitted.
            }
            return depth;
          },
          null,
          { stackSize },
        ).switch() as number;
      // Measure twice and keep the second pair, so both run the same JIT tier of `dive`.
      depthWith(64 * 1024);
      depthWith(512 * 1024);
      const small = depthWith(64 * 1024);
      const large = depthWith(512 * 1024);
      assert.ok(small > 100, `only ${small} frames fit in 64 KiB`);
      assert.ok(large > small * 3, `512 KiB gave ${large} frames, 64 KiB ${small}`);
    });

    it('validates stack sizes', () => {
      assert.throws(() => new Greenlet(() => 0, null, { stackSize: 1024 }), RangeError);
      assert.throws(() => new Greenlet(() => 0, null, { stackSize: 1.5 }), RangeError);
      assert.throws(() => configure({ stackMargin: 1024 }), /stackMargin/);
      assert.equal(getConfig().stackSize, 224 * 1024);
    });

    it('reuses pooled stacks (fcontext) or maps none at all (threads)', () => {
      const before = stats();
      for (let i = 0; i < 100; i++) new Greenlet(() => i).switch();
      const after = stats();
      assert.equal(after.finished - before.finished, 100);
      assert.equal(after.stacksLive, before.stacksLive);
      if (backend().name === 'fcontext') {
        assert.ok(after.stackPoolHits - before.stackPoolHits >= 99);
      } else {
        // Each greenlet runs on an OS thread whose stack belongs to the thread library.
        assert.equal(after.stackMmaps, 0);
      }
    });
  });

  describe('async context', () => {
    it('carries an async scope the greenlet entered itself across a switch (test/runtime/async-scopes.test.ts has the rest)', async () => {
      const { AsyncResource, executionAsyncResource } = await import('node:async_hooks');
      const resource = new AsyncResource('verdant-test');
      const g = new Greenlet(() =>
        resource.runInAsyncScope(() => {
          main.switch('inside scope');
          return executionAsyncResource() === resource;
        }),
      );
      assert.equal(g.switch(), 'inside scope');
      assert.notEqual(executionAsyncResource(), resource);
      assert.equal(g.switch(), true);
      resource.emitDestroy();
    });
  });

  describe('backend', () => {
    it('names the backend in use and why it fell back', () => {
      const info = backend();
      assert.ok(info.name === 'fcontext' || info.name === 'threads');
      if (process.env.VERDANT_BACKEND === 'threads') {
        assert.equal(info.name, 'threads');
        assert.match(info.reason!, /VERDANT_BACKEND/);
      } else if (info.name === 'threads') {
        assert.ok(info.reason && info.reason.length > 0);
      }
    });

    it('carries V8\'s per-thread state in a compact record on fcontext, unless asked for a V8 thread per greenlet', () => {
      const info = backend();
      if (info.name === 'threads') {
        assert.equal(info.state, 'v8-thread');
      } else if (process.env.VERDANT_BACKEND === 'v8-thread') {
        assert.equal(info.state, 'v8-thread');
        assert.match(info.stateReason!, /VERDANT_BACKEND=v8-thread/);
      } else {
        // Every Node line and CPU verdant supports validates the record: falling back here is a regression.
        assert.equal(info.state, 'record', `fell back: ${info.stateReason}`);
        assert.equal(info.stateReason, undefined);
      }
    });
  });
});

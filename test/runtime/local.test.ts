// local(): attributes per green thread (eventlet's corolocal.local), the class form, what the object's
// reflection shows, and that a finished green thread's values are not kept.
import { strict as assert } from 'node:assert';
import { inspect } from 'node:util';
import { Greenlet, getCurrent, sleep, spawn } from 'verdant';
import { park, wake } from '../../lib/runtime/hub';
import { Local, local } from '../../lib/runtime/local';
import { GreenPool } from '../../lib/pool';

// Full GCs and event-loop turns until `done()` (finalizers run on a later turn than the GC that found them).
function collectUntil(done: () => boolean): void {
  for (let i = 0; i < 50 && !done(); i++) {
    global.gc!();
    sleep(0.002);
  }
}

describe('local', () => {
  it('each green thread sees its own attributes, and main its own', () => {
    const l = local<{ name: string; count: number }>();
    l.name = 'main';
    return spawn(() => {
      assert.equal(l.name, undefined);
      l.name = 'a';
      const b = spawn(() => {
        assert.equal(l.name, undefined);
        l.name = 'b';
        sleep(0.002);
        return l.name;
      });
      sleep(0.001);
      assert.equal(l.name, 'a');
      assert.equal(b.wait(), 'b');
      assert.equal(l.name, 'a');
    }).then(() => assert.equal(l.name, 'main'));
  });

  it('keeps each of many pool threads apart across their switches', () =>
    spawn(() => {
      const l = local<{ id: number }>();
      const pool = new GreenPool(20);
      const threads = Array.from({ length: 100 }, (_, i) =>
        pool.spawn(() => {
          l.id = i;
          sleep(0.001 * (i % 3));
          return l.id;
        }),
      );
      assert.deepEqual(
        threads.map((gt) => gt.wait()),
        Array.from({ length: 100 }, (_, i) => i),
      );
      assert.equal(l.id, undefined);
    }));

  it('Object.keys, in, delete and JSON.stringify see the current green thread only', () =>
    spawn(() => {
      const l = local<Record<string, number>>();
      l.x = 1;
      l.y = 2;
      const other = spawn(() => {
        const view = { keys: Object.keys(l), hasX: 'x' in l, json: JSON.stringify(l) };
        l.z = 3;
        delete l.z;
        return { ...view, afterDelete: Object.keys(l) };
      }).wait();
      assert.deepEqual(other, { keys: [], hasX: false, json: '{}', afterDelete: [] });
      assert.deepEqual(Object.keys(l), ['x', 'y']);
      assert.equal('x' in l, true);
      assert.equal('toString' in l, true, 'inherited members are there for everyone');
      assert.equal(delete l.x, true);
      assert.deepEqual({ ...l }, { y: 2 });
      assert.equal(JSON.stringify(l), '{"y":2}');
    }));

  it("console.log and util.inspect show the current green thread's attributes", () =>
    spawn(() => {
      const l = local<{ user: string }>();
      l.user = 'alice';
      assert.equal(inspect(l), "Local { user: 'alice' }");
      assert.equal(spawn(() => inspect(l)).wait(), 'Local {}');
    }));

  it('the class form runs the constructor once per green thread, so each starts from the defaults', () =>
    spawn(() => {
      let constructed = 0;
      class Session extends Local {
        user = 'anonymous';
        calls = 0;
        constructor() {
          super();
          constructed++;
        }
        touch(): number {
          return ++this.calls;
        }
        get label(): string {
          return `${this.user}#${this.calls}`;
        }
        set label(value: string) {
          this.user = value.split('#')[0];
        }
      }
      const session = new Session();
      assert.equal(constructed, 1);
      session.user = 'alice';
      session.touch();
      session.touch();
      const seenElsewhere = spawn(() => {
        const before = { user: session.user, calls: session.calls };
        session.label = 'bob#0';
        session.touch();
        return { before, after: session.label, isSession: session instanceof Session };
      }).wait();
      assert.deepEqual(seenElsewhere, { before: { user: 'anonymous', calls: 0 }, after: 'bob#1', isSession: true });
      assert.equal(constructed, 2);
      assert.equal(session.label, 'alice#2');
      assert.equal(constructed, 2, 'once per green thread, not per access');
    }));

  it('a subclass constructor that fails for a green thread fails its first access, and the next one tries again', () =>
    spawn(() => {
      let failNext = false;
      class Picky extends Local {
        value = 1;
        constructor() {
          super();
          if (failNext) throw new EvalError('not today');
        }
      }
      const picky = new Picky();
      failNext = true;
      const outcome = spawn(() => {
        assert.throws(() => picky.value, EvalError);
        failNext = false;
        return picky.value;
      }).wait();
      assert.equal(outcome, 1);
    }));

  it('rejects what would not be per green thread, with errors that say so', () => {
    const l = local<Record<string, number>>();
    assert.throws(
      () => Object.defineProperty(l, 'fixed', { value: 1, configurable: false }),
      /cannot have a non-configurable attribute \(fixed\)/,
    );
    assert.throws(() => Object.freeze(l), /cannot be frozen/);
    assert.throws(() => Object.setPrototypeOf(l, null), /cannot change its prototype/);
    // defineProperty without `configurable` makes a configurable attribute (a proxy can report no other).
    Object.defineProperty(l, 'defined', { value: 5, enumerable: true, writable: true });
    assert.equal(l.defined, 5);
    assert.deepEqual(Object.keys(l), ['defined']);
    class WithParameters extends Local {
      constructor(readonly name: string) {
        super();
      }
    }
    assert.throws(() => new WithParameters('x'), /WithParameters: a Local's constructor takes no parameters/);
  });

  it("a finished green thread's values can be collected; a live one's are kept", () => {
    assert.equal(typeof global.gc, 'function', 'the suites run with --expose-gc (.mocharc.json)');
    return spawn(() => {
      const l = local<{ payload: object }>();
      let finalized = 0;
      const registry = new FinalizationRegistry(() => finalized++);
      const give = (holder: { ref?: WeakRef<object> }) => {
        const payload = { data: new Array(1000).fill(7) };
        l.payload = payload;
        holder.ref = new WeakRef(payload);
        registry.register(payload, 'payload');
      };

      // A thread that is still alive (here, parked) keeps its values.
      const alive: { ref?: WeakRef<object> } = {};
      let parkedSelf: Greenlet | undefined;
      const parked = spawn(() => {
        give(alive);
        parkedSelf = getCurrent();
        park('test: parked until woken');
      });
      sleep(0.002);
      for (let i = 0; i < 3; i++) (global.gc!(), sleep(0.001));
      assert.notEqual(alive.ref!.deref(), undefined);
      assert.equal(finalized, 0);
      wake(parkedSelf!);
      parked.wait();

      // A thread that finished, and that nobody refers to any more, leaves nothing behind.
      const dead: { ref?: WeakRef<object> } = {};
      (() => {
        spawn(give, dead).wait();
      })();
      collectUntil(() => finalized > 0 && dead.ref!.deref() === undefined);
      assert.equal(dead.ref!.deref(), undefined);
      assert.equal(finalized, 1);
      // (`parked` is still referenced here: a finished GreenThread object that is kept keeps its values too.)
      assert.notEqual(alive.ref!.deref(), undefined);
      assert.equal(parked.dead, true);
    });
  });
});

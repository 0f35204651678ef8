/**
 * Stack limits: unbounded recursion inside a greenlet must be a catchable RangeError (never a fault), on the
 * default stack and on the smallest one; main's own limit must be restored afterwards; and exceptions thrown and
 * caught on greenlet stacks mapped at any address relative to older ones must behave (the "central stack" check
 * of V8 13+, greenlet-mechanism.md).
 */
import { strict as assert } from 'node:assert';
import { configure, getConfig, Greenlet, getCurrent } from '../../lib';
import { fullGc, minorGc } from './util';

let depth = 0;
function recurse(limit: number): number {
  depth++;
  if (depth >= limit) return depth;
  return recurse(limit) + 0; // not a tail call
}

/** Recurses until the stack limit; returns the depth reached and the error. */
function overflow(): { depth: number; error: unknown } {
  depth = 0;
  try {
    recurse(Infinity);
  } catch (error) {
    return { depth, error };
  }
  throw new Error('unbounded recursion returned');
}

function measureMain(): number {
  const { depth: d, error } = overflow();
  assert.ok(error instanceof RangeError, `main: ${String(error)}`);
  return d;
}

describe('stress: recursion and stack limits', function () {
  this.timeout(0);
  let mainDepthBefore = 0;

  before(() => {
    recurse(10);
    depth = 0;
    mainDepthBefore = measureMain();
    // Warm the runtime's own functions on a roomy stack (see the 64 KiB test below for why this matters).
    new Greenlet(() => overflow()).switch();
  });

  it('main reaches a reasonable depth before any test', () => {
    assert.ok(mainDepthBefore > 5000, `main only reached ${mainDepthBefore} frames`);
  });

  for (const stackSize of [undefined, 128 * 1024, 1024 * 1024]) {
    const label = stackSize === undefined ? 'default stack' : `stackSize ${stackSize}`;

    it(`${label}: unbounded recursion is a RangeError caught inside the greenlet, which goes on working`, () => {
      const g = new Greenlet(
        () => {
          const first = overflow();
          assert.ok(first.error instanceof RangeError, String(first.error));
          // The greenlet is still usable: suspend, recurse again after the resume, and return.
          const again = getCurrent().parent!.switch(first.depth) as string;
          assert.equal(again, 'again');
          const second = overflow();
          assert.ok(second.error instanceof RangeError);
          return second.depth;
        },
        undefined,
        { stackSize },
      );
      const d1 = g.switch() as number;
      const d2 = g.switch('again') as number;
      assert.ok(g.dead);
      assert.ok(d1 > 200, `only ${d1} frames on a ${label}`);
      assert.ok(Math.abs(d1 - d2) < d1 / 2, `depths differ: ${d1} then ${d2}`);
      if (stackSize === 1024 * 1024) {
        assert.ok(d1 > 8000, `a 1 MiB stack gave only ${d1} frames: the greenlet's own limit is not in force`);
      }
    });

    it(`${label}: an uncaught RangeError from unbounded recursion reaches the parent`, () => {
      const g = new Greenlet(() => recurse(Infinity), undefined, { stackSize });
      assert.throws(() => g.switch(), RangeError);
      assert.ok(g.dead);
    });
  }

  it('a bigger stack gives a deeper recursion (each greenlet runs with its own limit)', () => {
    const reach = (stackSize: number) => new Greenlet(() => overflow().depth, undefined, { stackSize }).switch() as number;
    const small = reach(128 * 1024);
    const big = reach(512 * 1024);
    assert.ok(big > 3 * small, `128 KiB: ${small} frames, 512 KiB: ${big} frames`);
  });

  it('stackSize 65536 (the minimum): unbounded recursion is a RangeError caught inside the greenlet', () => {
    // Warm everything the greenlet calls, so that only the stack limit is tested here.
    const body = () => overflow();
    new Greenlet(body).switch();
    const g = new Greenlet(body, undefined, { stackSize: 65536 });
    const r = g.switch() as { depth: number; error: unknown };
    assert.ok(r.error instanceof RangeError, String(r.error));
    assert.ok(r.depth > 100, `only ${r.depth} frames on a 64 KiB stack`);
    const g2 = new Greenlet(() => recurse(Infinity), undefined, { stackSize: 65536 });
    assert.throws(() => g2.switch(), RangeError);
  });

  it('stackSize 65536 (the minimum): a greenlet can call a function that was never compiled', () => {
    // V8 refuses to compile lazily with less than ~40 KiB of stack above the limit; the minimum stack must leave
    // at least that much to the greenlet (the threads backend does: it adds the margin to stackSize).
    const fresh = new Function('x', 'return [x, "fresh"]') as (x: number) => unknown;
    const g = new Greenlet(fresh, undefined, { stackSize: 65536 });
    assert.deepEqual(g.switch(7), [7, 'fresh']);
    const g2 = new Greenlet(
      (x: number) => {
        const inner = new Function('y', 'return y * 2') as (y: number) => number;
        return inner(x) + (getCurrent().parent!.switch(1) as number);
      },
      undefined,
      { stackSize: 65536 },
    );
    assert.equal(g2.switch(20), 1);
    assert.equal(g2.switch(2), 42);
  });

  it('nested greenlets: overflow in a child is caught by the parent greenlet, which then overflows itself', () => {
    const outer = new Greenlet(() => {
      const child = new Greenlet(() => recurse(Infinity));
      let caught: unknown;
      try {
        child.switch();
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof RangeError);
      const own = overflow();
      assert.ok(own.error instanceof RangeError);
      return own.depth;
    });
    assert.ok((outer.switch() as number) > 200);
  });

  it('overflows in 200 fresh greenlets (reused stacks) while others stay suspended and intact', () => {
    const sleepers = Array.from({ length: 20 }, (_, i) =>
      new Greenlet(() => {
        const mine = { i, data: Array.from({ length: 50 }, (_, k) => k * i) };
        for (;;) {
          getCurrent().parent!.switch(mine.data.reduce((a, b) => a + b, 0) + mine.i);
        }
      }),
    );
    const sums = sleepers.map((g) => g.switch());
    for (let n = 0; n < 200; n++) {
      const g = new Greenlet(() => recurse(Infinity), undefined, n % 3 === 0 ? { stackSize: 128 * 1024 } : undefined);
      assert.throws(() => g.switch(), RangeError);
      if (n % 20 === 0) {
        minorGc();
        assert.deepEqual(sleepers.map((s) => s.switch()), sums);
      }
    }
    fullGc();
    assert.deepEqual(sleepers.map((s) => s.switch()), sums);
    for (const s of sleepers) s.close();
  });

  it('a greenlet suspended a few frames short of its limit survives GCs and unwinds intact', () => {
    let target = Infinity;
    let reached = 0;
    function dive(n: number): number {
      const local = { n, s: `frame ${n}`, a: [n, n + 1] };
      reached = n;
      const below = n === target ? (getCurrent().parent!.switch('at the bottom') as number) : dive(n + 1);
      if (local.n !== n || local.s !== `frame ${n}` || local.a[1] !== n + 1) throw new Error(`frame ${n} corrupted`);
      return below + 1;
    }
    // Measure how deep dive() itself gets on a default greenlet stack, then stop a quarter short of that. Frames
    // are not a fixed size: under --deopt-every-n-times the second dive may run in a lower tier than the first, with
    // larger frames (a margin of 100 frames overflowed on Node 26 now and then).
    assert.throws(() => new Greenlet(() => dive(0)).switch(), RangeError);
    assert.ok(reached > 500, `dive reached only ${reached} frames`);
    target = Math.floor(reached * 0.75);
    const g = new Greenlet(() => dive(0));
    assert.equal(g.switch(), 'at the bottom');
    for (let i = 0; i < 4; i++) {
      fullGc();
      minorGc();
    }
    assert.equal(g.switch(0), target + 1);
  });

  it("central stack: exceptions thrown and caught on stacks mapped above older greenlets' stacks", () => {
    const saved = getConfig();
    // No pooling: finished stacks are unmapped, so new mappings land in the holes, above older live stacks.
    configure({ stackPoolSize: 0 });
    try {
      const live: Greenlet[] = [];
      const make = (tag: number, stackSize?: number) =>
        new Greenlet(
          () => {
            let rounds = 0;
            for (;;) {
              const kinds: string[] = [];
              try {
                throw new Error(`thrown ${tag}`);
              } catch (e) {
                kinds.push((e as Error).message);
              }
              try {
                JSON.parse('{not json');
              } catch (e) {
                kinds.push((e as Error).name);
              }
              try {
                (undefined as unknown as () => void)();
              } catch (e) {
                kinds.push((e as Error).name);
              }
              const inner = () => {
                try {
                  return [1, 2, 3].map((x) => {
                    if (x === 2) throw new RangeError('from a builtin callback');
                    return x;
                  });
                } catch (e) {
                  return (e as Error).message;
                }
              };
              kinds.push(String(inner()));
              rounds++;
              const cmd = getCurrent().parent!.switch({ tag, rounds, kinds });
              if (cmd === 'stop') return tag;
            }
          },
          undefined,
          { stackSize },
        );
      const expectKinds = (tag: number) => [`thrown ${tag}`, 'SyntaxError', 'TypeError', 'from a builtin callback'];
      let tag = 0;
      // Generation A: 64 started greenlets of mixed sizes.
      for (let i = 0; i < 64; i++) {
        const g = make(tag++, i % 2 ? 128 * 1024 : undefined);
        const r = g.switch() as { tag: number; kinds: string[] };
        assert.deepEqual(r.kinds, expectKinds(r.tag));
        live.push(g);
      }
      // Finish every other one: their stacks are unmapped.
      for (let i = 0; i < live.length; i += 2) assert.equal(typeof live[i].switch('stop'), 'number');
      const survivors = live.filter((g) => !g.dead);
      // Generation B fills the holes, above the surviving older stacks; C after B's first half finishes.
      for (let gen = 0; gen < 2; gen++) {
        for (let i = 0; i < 48; i++) {
          const g = make(tag++, i % 3 === 0 ? 128 * 1024 : undefined);
          const r = g.switch() as { tag: number; kinds: string[] };
          assert.deepEqual(r.kinds, expectKinds(r.tag));
          survivors.push(g);
        }
        for (let i = 0; i < 24; i++) survivors[survivors.length - 48 + 2 * i].switch('stop');
      }
      // Every live greenlet, old and new, throws and catches again, in an order that jumps between addresses.
      for (let pass = 0; pass < 3; pass++) {
        const order = survivors.filter((g) => !g.dead);
        if (pass === 1) order.reverse();
        for (const g of order) {
          const r = g.switch('again') as { tag: number; rounds: number; kinds: string[] };
          assert.deepEqual(r.kinds, expectKinds(r.tag));
          assert.ok(r.rounds >= 2);
        }
        // Main catches too, between greenlets.
        assert.throws(() => JSON.parse('{'), SyntaxError);
      }
      for (const g of survivors) g.close();
    } finally {
      configure({ stackPoolSize: saved.stackPoolSize });
    }
  });

  it("afterwards main's limit is restored: RangeError, at a depth comparable to before", () => {
    const after = measureMain();
    assert.ok(after > 5000, `main only reaches ${after} frames after greenlets ran`);
    assert.ok(after > mainDepthBefore * 0.5, `main reached ${mainDepthBefore} frames before, ${after} after`);
    // And it is main's limit, not a greenlet's: far deeper than any default greenlet stack.
    const greenletDepth = new Greenlet(() => overflow().depth).switch() as number;
    assert.ok(after > 2 * greenletDepth, `main ${after} frames, a default greenlet ${greenletDepth}`);
    assert.ok(measureMain() > 5000);
  });
});

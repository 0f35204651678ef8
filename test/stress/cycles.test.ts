/**
 * Lifecycle churn: hundreds of thousands of create/run/finish cycles (V8 thread ids and stacks are recycled on the
 * fcontext backend; each greenlet is an OS thread on the threads backend, so it runs fewer), checked against the
 * runtime's counters; and tens of thousands of suspended greenlets unwound by close().
 */
import { strict as assert } from 'node:assert';
import { Greenlet, getCurrent, stats } from '../../lib';
import { fullGc, IS_THREADS, minorGc, scaled } from './util';

const CYCLES = scaled(IS_THREADS ? 20_000 : 300_000, 100);
const SUSPENDED = scaled(IS_THREADS ? 5_000 : 20_000, 100);

describe('stress: create/finish cycles', function () {
  this.timeout(0);

  it(`${CYCLES} create/run/finish cycles: counters, stacks back to where they were, pool hits`, () => {
    new Greenlet(() => 0).switch(); // the stack pool has at least one stack now
    const before = stats();
    let sum = 0;
    for (let i = 0; i < CYCLES; i++) {
      const g = new Greenlet((x: number) => x + 1);
      const r = g.switch(i) as number;
      if (r !== i + 1) assert.fail(`cycle ${i}: got ${r}`);
      sum += r;
      if (!g.dead) assert.fail(`cycle ${i}: not dead`);
      if (i % 10_000 === 0) minorGc();
    }
    assert.equal(sum, (CYCLES * (CYCLES + 1)) / 2);
    const after = stats();
    assert.equal(after.started - before.started, CYCLES);
    assert.equal(after.finished - before.finished, CYCLES);
    assert.equal(after.active, before.active);
    assert.equal(after.stacksLive, before.stacksLive);
    assert.ok(after.switches - before.switches >= CYCLES, `switch counter ${after.switches - before.switches}`);
    if (!IS_THREADS) {
      assert.ok(after.stackPoolHits - before.stackPoolHits >= CYCLES - 1, `pool hits ${after.stackPoolHits - before.stackPoolHits}`);
      assert.ok(after.stackMmaps - before.stackMmaps <= 1, `mmaps ${after.stackMmaps - before.stackMmaps}`);
    }
  });

  it(`${Math.round(CYCLES / (IS_THREADS ? 10 : 3))} cycles that suspend once, nest a child, and throw`, () => {
    const n = Math.round(CYCLES / (IS_THREADS ? 10 : 3));
    const before = stats();
    for (let i = 0; i < n; i++) {
      const g = new Greenlet((x: number) => {
        const child = new Greenlet((y: number) => y * 2);
        const doubled = child.switch(x) as number;
        const more = getCurrent().parent!.switch(doubled) as number;
        if (more < 0) throw new Error(`negative ${more}`);
        return doubled + more;
      });
      if (g.switch(i) !== 2 * i) assert.fail(`cycle ${i}: first switch`);
      if (i % 7 === 0) {
        assert.throws(() => g.switch(-1), /negative -1/);
      } else if (g.switch(1) !== 2 * i + 1) assert.fail(`cycle ${i}: second switch`);
    }
    const after = stats();
    assert.equal(after.started - before.started, 2 * n);
    assert.equal(after.finished - before.finished, 2 * n);
    assert.equal(after.active, before.active);
    assert.equal(after.stacksLive, before.stacksLive);
  });

  it(`${SUSPENDED} suspended greenlets, then all finished by close(): every finally block runs`, () => {
    const before = stats();
    let finallies = 0;
    let exits = 0;
    const all: Greenlet[] = [];
    for (let i = 0; i < SUSPENDED; i++) {
      const g = new Greenlet(
        () => {
          const held = { i };
          try {
            try {
              getCurrent().parent!.switch(held);
            } finally {
              finallies++;
            }
          } catch (e) {
            if ((e as Error).name === 'GreenletExit') exits++;
            throw e;
          }
        },
        undefined,
        { stackSize: 128 * 1024 + (i % 2) * 64 * 1024 },
      );
      const held = g.switch() as { i: number };
      if (held.i !== i) assert.fail(`greenlet ${i} handed ${held.i}`);
      all.push(g);
    }
    const during = stats();
    assert.equal(during.active - before.active, SUSPENDED);
    // The threads backend may not count stacks (its greenlets' stacks are thread stacks).
    if (!IS_THREADS || during.stacksLive !== before.stacksLive) {
      assert.equal(during.stacksLive - before.stacksLive, SUSPENDED);
    }
    fullGc();
    // Close in an interleaved order.
    for (let i = 0; i < SUSPENDED; i += 2) all[i].close();
    for (let i = 1; i < SUSPENDED; i += 2) all[i].close();
    assert.equal(finallies, SUSPENDED);
    assert.equal(exits, SUSPENDED);
    assert.ok(all.every((g) => g.dead));
    const after = stats();
    assert.equal(after.active, before.active);
    assert.equal(after.finished - before.finished, SUSPENDED);
    assert.equal(after.stacksLive, before.stacksLive);
  });

  it('the wrappers of finished greenlets are collectable (no unbounded heap growth)', function () {
    if (typeof (globalThis as { gc?: unknown }).gc !== 'function') this.skip();
    fullGc();
    const base = process.memoryUsage().heapUsed;
    for (let i = 0; i < scaled(IS_THREADS ? 5_000 : 50_000, 100); i++) new Greenlet(() => new Array(16).fill(i)).switch();
    fullGc();
    fullGc();
    const grown = process.memoryUsage().heapUsed - base;
    assert.ok(grown < 16 * 1024 * 1024, `heap grew by ${grown} bytes`);
  });
});

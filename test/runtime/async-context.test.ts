// The async-context slot (V8's continuation-preserved embedder data, where AsyncLocalStorage keeps its frame from
// Node 24 on, and on 22 with --experimental-async-context-frame) under collections while greenlets are suspended.
// V8 visits that slot once per V8 thread, and every suspended greenlet is one: a young frame in it was copied
// twice by the scavenger and the heap corrupted (a crash at a later collection) until native/greenlet/greenlet.cc
// stashed the slot in a global handle for the duration of every collection.
import { strict as assert } from 'node:assert';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Greenlet, sleep, spawn } from 'verdant';

const minorGc = () => (globalThis as { gc?: (o?: object) => void }).gc?.({ type: 'minor' });

describe('async context slot under collections', () => {
  it('keeps AsyncLocalStorage frames intact through scavenges with greenlets suspended', () => {
    const als = new AsyncLocalStorage<{ id: number }>();
    const main = Greenlet.getMain();
    for (let round = 0; round < 30; round++) {
      const suspended = Array.from({ length: 4 }, () => new Greenlet(() => main.switch()));
      for (const g of suspended) g.switch();
      // A young frame in the slot on main while four greenlets are archived V8 threads.
      als.run({ id: round }, () => {
        for (let i = 0; i < 10; i++) {
          minorGc();
          void new Array(256).fill({ round });
          assert.equal(als.getStore()!.id, round);
        }
      });
      // And on a greenlet, with main archived too.
      const inside = new Greenlet(() =>
        als.run({ id: -round }, () => {
          for (let i = 0; i < 10; i++) minorGc();
          return als.getStore()!.id;
        }),
      );
      assert.equal(inside.switch(), -round);
      for (const g of suspended) g.switch();
    }
  });

  it('green threads keep their own stores through collections while they wait', () =>
    spawn(() => {
      const als = new AsyncLocalStorage<string>();
      const threads = Array.from({ length: 8 }, (_, i) =>
        spawn(() =>
          als.run(`t${i}`, () => {
            for (let k = 0; k < 5; k++) {
              sleep(0);
              minorGc();
            }
            return als.getStore();
          }),
        ),
      );
      assert.deepEqual(
        threads.map((t) => t.wait()),
        threads.map((_, i) => `t${i}`),
      );
    }));
});

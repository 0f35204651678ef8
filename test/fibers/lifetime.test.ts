// What becomes of suspended fibers: collected and unwound when nothing references them, left alone at exit.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import Fiber = require('../../lib/fibers');

const FIBERS = path.resolve(__dirname, '..', '..', 'lib', 'fibers', 'index.js');
const gc = (globalThis as { gc?: () => void }).gc;

function child(source: string) {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', `const Fiber = require(${JSON.stringify(FIBERS)});\n${source}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** Collects and lets finalization callbacks run until `done()` or a bounded number of rounds. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let round = 0; round < 50 && !done(); round++) {
    gc!();
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('fibers: lifetimes', () => {
  before(function () {
    if (gc === undefined) this.skip();
  });

  it('a suspended fiber nothing references is unwound: its finally blocks run, innermost first', async () => {
    const log: string[] = [];
    const start = () => {
      const f = Fiber(() => {
        try {
          try {
            Fiber.yield('suspended');
          } finally {
            log.push('inner finally');
          }
        } finally {
          log.push('outer finally');
        }
      });
      assert.equal(f.run(), 'suspended');
    };
    start();
    await collectUntil(() => log.length === 2);
    assert.deepEqual(log, ['inner finally', 'outer finally']);
  });

  it('a fiber still referenced is left alone, and can be resumed after collections', async () => {
    const f = Fiber(() => Fiber.yield('first') as string);
    f.run();
    await collectUntil(() => false);
    assert.equal(f.started, true);
    assert.equal(f.run('resumed'), 'resumed');
  });

  it('many abandoned fibers are all unwound', async () => {
    let unwound = 0;
    for (let i = 0; i < 200; i++) {
      Fiber(() => {
        try {
          Fiber.yield();
        } finally {
          unwound++;
        }
      }).run();
    }
    await collectUntil(() => unwound === 200);
    assert.equal(unwound, 200);
  });

  it('an error thrown while an abandoned fiber unwinds becomes an uncaught exception', () => {
    const r = child(`
      Fiber(() => { try { Fiber.yield(); } finally { throw new Error('thrown while unwinding'); } }).run();
      (async () => { for (let i = 0; i < 50; i++) { gc(); await new Promise((r) => setTimeout(r, 2)); } })();
    `);
    assert.equal(r.status, 1);
    assert.match(r.err, /Error: thrown while unwinding/);
  });

  it('the process exits normally with fibers still suspended (they are not unwound at exit)', () => {
    const r = child(`
      const kept = [];
      for (let i = 0; i < 100; i++) {
        const f = Fiber(() => { try { Fiber.yield(i); } finally { console.log('unwound at exit?'); } });
        f.run();
        kept.push(f);
      }
      setTimeout(() => console.log('last timer', kept.length), 5);
    `);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, 'last timer 100\n');
    assert.equal(r.err, '');
  });

  it('process.exit() inside a fiber exits with its code', () => {
    const r = child(`
      Fiber(() => { Fiber.yield(); }).run();
      Fiber(() => { console.log('exiting'); process.exit(7); }).run();
      console.log('not reached');
    `);
    assert.equal(r.status, 7, r.err);
    assert.equal(r.out, 'exiting\n');
  });
});

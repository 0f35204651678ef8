/**
 * Greenlets suspended inside code that only V8 references: a `vm` script compiled and run on the spot, suspended
 * in the middle, with full GCs (and, under the runner's flags, bytecode flushing) while it is suspended. Nothing
 * in JS keeps the script, its function or its context alive except the suspended stack, so this checks that the
 * frames of a suspended greenlet keep their code and context alive and are updated when the GC moves things.
 */
import { strict as assert } from 'node:assert';
import * as vm from 'node:vm';
import { Greenlet, getCurrent } from '../../lib';
import { fullGc, minorGc, scaled } from './util';

const main = Greenlet.getMain();
let unique = 0;

/** Source of a script that builds locals, suspends `depth` frames deep `times` times, and checks its locals. */
function scriptSource(tag: number, depth: number, times: number): string {
  return `
    (function outer${tag}() {
      'use strict';
      const tag = ${tag};
      const obj = { tag, name: 'script-' + tag, list: [tag, tag + 1, tag + 2] };
      const text = 'held by script ' + tag + ' ' + 'x'.repeat(tag % 17);
      const big = 12345678901234567890n * BigInt(tag + 1);
      const bytes = new Uint8Array(40).map((_, k) => (k + tag) & 255);
      const map = new Map([[obj, 'obj'], ['k', tag]]);
      const fn = (k) => obj.tag * k + text.length;
      function check(where) {
        if (obj.tag !== tag || obj.name !== 'script-' + tag || obj.list[2] !== tag + 2) throw new Error(where + ': obj');
        if (text !== 'held by script ' + tag + ' ' + 'x'.repeat(tag % 17)) throw new Error(where + ': text');
        if (big !== 12345678901234567890n * BigInt(tag + 1)) throw new Error(where + ': bigint');
        for (let k = 0; k < 40; k++) if (bytes[k] !== ((k + tag) & 255)) throw new Error(where + ': bytes');
        if (map.get(obj) !== 'obj' || map.get('k') !== tag) throw new Error(where + ': map');
        if (fn(3) !== tag * 3 + text.length) throw new Error(where + ': closure');
      }
      function down(n) {
        const frameLocal = { n, s: 'frame ' + n + ' of ' + tag };
        let got = 0;
        if (n > 0) got = down(n - 1);
        else for (let i = 0; i < ${times}; i++) { got += suspend({ tag, i }); check('resume ' + i); }
        if (frameLocal.n !== n || frameLocal.s !== 'frame ' + n + ' of ' + tag) throw new Error('frame ' + n);
        return got + 1;
      }
      check('start');
      return [tag, down(${depth})];
    })()`;
}

function suspend(v: unknown): number {
  return main.switch(v) as number;
}

function churn(): void {
  // Garbage and fresh scripts, so that unreferenced code objects and contexts become collectable.
  for (let i = 0; i < 5; i++) {
    vm.runInNewContext(`${'[1,2,3].map(x => x * ' + i + ')'.repeat(1)}; ({ junk: ${unique++} })`);
    new Array(2000).fill(0).map((_, k) => ({ k }));
  }
  fullGc();
  minorGc();
  fullGc();
}

describe('stress: greenlets suspended inside vm scripts', function () {
  this.timeout(0);

  const run = (label: string, runScript: (src: string, sandbox: object) => unknown) => {
    it(`${label}: suspended scripts keep their locals across full GCs`, () => {
      const COUNT = scaled(40, 4);
      const TIMES = 3;
      const gs: Greenlet[] = [];
      for (let i = 0; i < COUNT; i++) {
        const tag = 1000 + unique++;
        const depth = i % 12;
        // The source and the sandbox are built inside the greenlet and dropped: only its stack holds them.
        gs.push(new Greenlet(() => runScript(scriptSource(tag, depth, TIMES), { suspend })));
      }
      const tags = gs.map((g) => (g.switch() as { tag: number }).tag);
      for (let round = 0; round < TIMES; round++) {
        churn();
        gs.forEach((g, i) => {
          const r = g.switch(1);
          if (round < TIMES - 1) {
            // Objects of another context: compare their JSON, not their prototypes.
            assert.equal(JSON.stringify(r), JSON.stringify({ tag: tags[i], i: round + 1 }), `greenlet ${i} round ${round}`);
          } else {
            assert.equal(JSON.stringify(r), JSON.stringify([tags[i], TIMES + (i % 12) + 1]), `greenlet ${i} result`);
          }
        });
      }
      assert.ok(gs.every((g) => g.dead));
    });
  };

  run('vm.runInNewContext', (src, sandbox) => vm.runInNewContext(src, sandbox));
  run('new vm.Script(src).runInThisContext()', (src) => {
    (globalThis as { suspend?: unknown }).suspend = suspend;
    return new vm.Script(src, { filename: `verdant-stress-${unique++}.js` }).runInThisContext();
  });
  run('vm.compileFunction', (src, sandbox) =>
    vm.compileFunction(`return (${src});`, [], { contextExtensions: [sandbox] })(),
  );

  it('a greenlet suspended inside a new context, whose context object is dropped, survives GCs', () => {
    const g = new Greenlet(() =>
      vm.runInNewContext(
        `const local = { a: [1, 2, 3], s: 'ctx-local' }; globalThis.onGlobal = { v: 42 };
         const r = suspend(0);
         JSON.stringify([local, onGlobal.v, r]);`,
        { suspend: (v: number) => getCurrent().parent!.switch(v) },
      ),
    );
    assert.equal(g.switch(), 0);
    for (let i = 0; i < 5; i++) churn();
    assert.equal(g.switch(7), '[{"a":[1,2,3],"s":"ctx-local"},42,7]');
  });
});

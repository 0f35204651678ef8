/**
 * Process-level behaviour, each case in a child process: process.exit from a greenlet, clean exit with thousands
 * of greenlets suspended, worker threads with greenlets of their own (concurrently with main's), a worker exiting
 * with greenlets suspended, process.exit inside a worker's greenlet, worker.terminate() of a worker inside a
 * greenlet.
 */
import { strict as assert } from 'node:assert';
import { Greenlet } from '../../lib';
import { BACKEND, describeChild, IS_THREADS, runChild, scaled } from './util';

// Worker test size: each threads-backend switch is an OS-thread hand-off, so it gets less work.
const W_N = IS_THREADS ? 20 : 100;
const W_ROUNDS = scaled(IS_THREADS ? 50 : 200, 10);

describe('stress: process exit and worker threads (child processes)', function () {
  this.timeout(0);

  it('process.exit(3) from inside a greenlet exits with 3, running exit handlers, skipping the rest', () => {
    const r = runChild(`
      const { Greenlet, getCurrent } = require(VERDANT);
      process.on('exit', (code) => console.log('exit handler ' + code));
      const keep = [];
      for (let i = 0; i < 100; i++) { const g = new Greenlet(() => getCurrent().parent.switch()); g.switch(); keep.push(g); }
      function deep(n) { if (n === 0) { process.exit(3); } return deep(n - 1) + 1; }
      const g = new Greenlet(() => { const inner = new Greenlet(() => deep(50)); inner.switch(); console.log('NOT REACHED'); });
      g.switch();
      console.log('NOT REACHED');
    `);
    assert.equal(r.status, 3, describeChild(r));
    assert.match(r.stdout, /exit handler 3/);
    assert.doesNotMatch(r.stdout, /NOT REACHED/);
    assert.equal(r.stderr, '', describeChild(r));
  });

  it('process.exit(5) from a greenlet resumed by a timer', () => {
    const r = runChild(`
      const { Greenlet, getCurrent } = require(VERDANT);
      const g = new Greenlet(() => { getCurrent().parent.switch(); process.exit(5); });
      g.switch();
      setTimeout(() => g.switch(), 5);
      setTimeout(() => console.log('NOT REACHED'), 500);
    `);
    assert.equal(r.status, 5, describeChild(r));
    assert.doesNotMatch(r.stdout, /NOT REACHED/);
  });

  it('exits cleanly (0, empty stderr) with 5000 greenlets still suspended at various depths', () => {
    const r = runChild(`
      const { Greenlet, getCurrent, stats } = require(VERDANT);
      function sink(n, held) { if (n === 0) return getCurrent().parent.switch(held.length); return sink(n - 1, held) + 1; }
      const all = [];
      for (let i = 0; i < 5000; i++) {
        const g = new Greenlet(() => sink(i % 20, [i, 'x' + i, { i }]));
        if (g.switch() !== 3) throw new Error('bad switch');
        all.push(g);
      }
      // Some never started, some finished, some suspended in a nested parent chain.
      for (let i = 0; i < 100; i++) all.push(new Greenlet(() => 1));
      const s = stats();
      console.log('active ' + s.active);
      if (typeof gc === 'function') gc();
    `);
    assert.equal(r.status, 0, describeChild(r));
    assert.equal(r.signal, null);
    assert.equal(r.stderr, '', describeChild(r));
    assert.match(r.stdout, /active 5000/);
  });

  it('explicit process.exit(0) from main with 5000 suspended greenlets is clean too', () => {
    const r = runChild(`
      const { Greenlet, getCurrent } = require(VERDANT);
      const all = [];
      for (let i = 0; i < 5000; i++) { const g = new Greenlet(() => { try { getCurrent().parent.switch(); } finally { console.log('NO FINALLY AT EXIT'); } }); g.switch(); all.push(g); }
      setTimeout(() => process.exit(0), 1);
    `);
    assert.equal(r.status, 0, describeChild(r));
    assert.equal(r.stderr, '', describeChild(r));
    // Suspended greenlets are abandoned at exit, not unwound.
    assert.doesNotMatch(r.stdout, /NO FINALLY/);
  });

  it('3 workers switch their own greenlets concurrently; main keeps switching its greenlets meanwhile', () => {
    const r = runChild(`
      const { Worker } = require('worker_threads');
      const { Greenlet, getCurrent, backend } = require(VERDANT);
      const workerSource = \`
        const { parentPort, workerData } = require('worker_threads');
        const { Greenlet, getCurrent, backend, stats } = require(workerData.entry);
        const N = ${W_N}, ROUNDS = ${W_ROUNDS};
        const gs = [];
        for (let i = 0; i < N; i++) {
          gs.push(new Greenlet((x) => {
            const held = { i, w: workerData.id, list: [i, i * 2, 'w' + workerData.id] };
            let acc = x;
            for (;;) {
              const v = getCurrent().parent.switch(acc);
              if (held.list[1] !== i * 2 || held.w !== workerData.id) throw new Error('corrupted in worker');
              acc += v * (workerData.id + 1);
            }
          }));
        }
        let sum = 0;
        for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < N; i++) sum += gs[i].switch(1);
        if (typeof gc === 'function') gc();
        for (const g of gs) g.close();
        parentPort.postMessage({ id: workerData.id, sum, backend: backend().name, stats: stats() });
      \`;
      const mainGs = Array.from({ length: 50 }, (_, i) => new Greenlet(() => { let n = 0; for (;;) n += getCurrent().parent.switch(n); }));
      for (const g of mainGs) g.switch(0);
      let mainSwitches = 0;
      let running = true;
      (function spin() {
        for (const g of mainGs) { g.switch(1); mainSwitches++; }
        if (running) setImmediate(spin);
      })();
      const results = [];
      let exited = 0;
      for (let id = 0; id < 3; id++) {
        const w = new Worker(workerSource, { eval: true, workerData: { id, entry: VERDANT } });
        w.on('message', (m) => results.push(m));
        w.on('error', (e) => { console.log('WORKER ERROR ' + e.stack); process.exitCode = 9; });
        w.on('exit', (code) => {
          if (code !== 0) { console.log('WORKER EXIT ' + code); process.exitCode = 8; }
          if (++exited === 3) {
            running = false;
            setImmediate(() => {
              const totals = mainGs.map((g) => g.switch(0));
              console.log(JSON.stringify({ results: results.sort((a, b) => a.id - b.id), mainSwitches, totals, backend: backend().name }));
            });
          }
        });
      }
    `);
    assert.equal(r.status, 0, describeChild(r));
    assert.equal(r.stderr, '', describeChild(r));
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(out.backend, BACKEND);
    assert.equal(out.results.length, 3);
    for (const res of out.results) {
      // Each greenlet returns acc after its first switch(1): 1, then 1 + (id+1)*k ... summed over rounds.
      const N = W_N;
      const ROUNDS = W_ROUNDS;
      let perGreenlet = 0;
      for (let k = 0; k < ROUNDS; k++) perGreenlet += 1 + k * (res.id + 1);
      assert.equal(res.sum, N * perGreenlet, `worker ${res.id}`);
      assert.equal(res.backend, BACKEND, `worker ${res.id} backend`);
      assert.equal(res.stats.active, 0, `worker ${res.id} active greenlets`);
    }
    assert.ok(out.mainSwitches > 0);
    // Each main greenlet's running total: every spin switched 1 into it.
    const perMain = out.mainSwitches / 50;
    assert.deepEqual(out.totals, new Array(50).fill(perMain));
  });

  it('a worker that ends with greenlets suspended exits with 0; main goes on with greenlets', () => {
    const r = runChild(`
      const { Worker } = require('worker_threads');
      const { Greenlet, getCurrent } = require(VERDANT);
      const src = \`
        const { Greenlet, getCurrent } = require(require('worker_threads').workerData);
        const keep = [];
        for (let i = 0; i < 300; i++) { const g = new Greenlet(() => { const x = [i]; getCurrent().parent.switch(); return x; }); g.switch(); keep.push(g); }
        globalThis.keep = keep;
        require('worker_threads').parentPort.postMessage('suspended 300');
      \`;
      let runs = 0;
      const start = () => {
        const w = new Worker(src, { eval: true, workerData: VERDANT });
        w.on('message', (m) => console.log('msg ' + m));
        w.on('error', (e) => { console.log('WORKER ERROR ' + e.stack); process.exitCode = 9; });
        w.on('exit', (code) => {
          console.log('worker exit ' + code);
          const g = new Greenlet((x) => x * 2);
          console.log('main greenlet ' + g.switch(21));
          if (++runs < 3) start();
        });
      };
      start();
    `);
    assert.equal(r.status, 0, describeChild(r));
    assert.equal(r.stderr, '', describeChild(r));
    assert.equal((r.stdout.match(/msg suspended 300/g) ?? []).length, 3, describeChild(r));
    assert.equal((r.stdout.match(/worker exit 0/g) ?? []).length, 3, describeChild(r));
    assert.equal((r.stdout.match(/main greenlet 42/g) ?? []).length, 3, describeChild(r));
  });

  it("process.exit(7) inside a worker's greenlet ends only that worker, with 7", () => {
    const r = runChild(`
      const { Worker } = require('worker_threads');
      const { Greenlet, getCurrent } = require(VERDANT);
      const src = \`
        const { parentPort, workerData } = require('worker_threads');
        const { Greenlet, getCurrent } = require(workerData);
        const others = [];
        for (let i = 0; i < 20; i++) { const g = new Greenlet(() => getCurrent().parent.switch()); g.switch(); others.push(g); }
        const g = new Greenlet(() => {
          const inner = new Greenlet(() => { process.exit(7); parentPort.postMessage('NOT REACHED inner'); });
          inner.switch();
          parentPort.postMessage('NOT REACHED outer');
        });
        g.switch();
        parentPort.postMessage('NOT REACHED main');
      \`;
      const w = new Worker(src, { eval: true, workerData: VERDANT });
      w.on('message', (m) => console.log('msg ' + m));
      w.on('error', (e) => console.log('WORKER ERROR ' + e.stack));
      w.on('exit', (code) => {
        console.log('worker exit ' + code);
        const g = new Greenlet(() => getCurrent().parent.switch('main ok') );
        console.log(g.switch());
      });
    `);
    assert.equal(r.status, 0, describeChild(r));
    assert.match(r.stdout, /worker exit 7/, describeChild(r));
    assert.match(r.stdout, /main ok/, describeChild(r));
    assert.doesNotMatch(r.stdout, /NOT REACHED/, describeChild(r));
    assert.equal(r.stderr, '', describeChild(r));
  });

  it('worker.terminate() while the worker spins inside a suspended-greenlet-rich greenlet', () => {
    const r = runChild(`
      const { Worker } = require('worker_threads');
      const src = \`
        const { parentPort, workerData } = require('worker_threads');
        const { Greenlet, getCurrent } = require(workerData);
        const keep = [];
        for (let i = 0; i < 50; i++) { const g = new Greenlet(() => getCurrent().parent.switch()); g.switch(); keep.push(g); }
        new Greenlet(() => { parentPort.postMessage('spinning'); for (;;) {} }).switch();
      \`;
      const w = new Worker(src, { eval: true, workerData: VERDANT });
      w.on('message', () => w.terminate());
      w.on('error', (e) => console.log('WORKER ERROR ' + e.stack));
      w.on('exit', (code) => console.log('worker exit ' + code));
    `);
    assert.equal(r.status, 0, describeChild(r));
    assert.match(r.stdout, /worker exit 1/, describeChild(r));
    assert.equal(r.stderr, '', describeChild(r));
  });

  it('main greenlets in this process still work after all that', () => {
    assert.equal(new Greenlet((x: number) => x + 1).switch(1), 2);
  });
});

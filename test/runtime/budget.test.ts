// Running out of greenlet stacks is a catchable GreenletError before the kernel's mapping limit, never a crash.
// VERDANT_MAX_STACKS lowers the per-process budget so a child process can reach it quickly.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const script = `
const { Greenlet, GreenletError, stats } = require(${JSON.stringify(join(__dirname, '..', '..', 'lib'))});
const main = Greenlet.getMain();
const parked = [];
let error;
let refused;
try {
  for (let i = 0; i < 200; i++) {
    refused = new Greenlet(() => main.switch());
    refused.switch();
    parked.push(refused);
  }
} catch (e) {
  error = e;
}
// Finishing one frees a stack: the next greenlet can start again.
parked.pop().close();
const again = new Greenlet(() => 'ran');
const result = again.switch();
console.log(JSON.stringify({
  parked: parked.length + 1,
  isGreenletError: error instanceof GreenletError,
  message: error && error.message,
  budget: stats().stackBudget,
  result,
  refusedStarted: refused.started,
  refusedDead: refused.dead,
}));
`;

describe('stack budget', () => {
  it('refuses a new greenlet with a GreenletError once the budget is used up, and recovers', () => {
    const child = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, VERDANT_MAX_STACKS: '50' },
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    const report = JSON.parse(child.stdout);
    assert.equal(report.budget, 50);
    assert.equal(report.parked, 50);
    assert.equal(report.isGreenletError, true);
    assert.match(report.message, /budget exhausted/);
    assert.equal(report.result, 'ran');
    // The greenlet that could not get a stack never started and can still be started later.
    assert.equal(report.refusedStarted, false);
    assert.equal(report.refusedDead, false);
  });
});

// Parks `count` greenlets in a child process and reports the stack figures and how many kernel mappings they added.
const layoutScript = (count: number) => `
const { Greenlet, stats, backend } = require(${JSON.stringify(join(__dirname, '..', '..', 'lib'))});
const { readFileSync } = require('node:fs');
const maps = () => readFileSync('/proc/self/maps', 'utf8').split('\\n').length;
const main = Greenlet.getMain();
const before = { maps: maps(), mmaps: stats().stackMmaps };
const parked = [];
for (let i = 0; i < ${count}; i++) {
  const g = new Greenlet(() => main.switch());
  g.switch();
  parked.push(g);
}
const after = stats();
console.log(JSON.stringify({
  backend: backend().name,
  layout: after.stackLayout,
  mmaps: after.stackMmaps - before.mmaps,
  maps: maps() - before.maps,
}));
for (const g of parked) g.close();
`;

function parkInChild(count: number, env: NodeJS.ProcessEnv) {
  const child = spawnSync(process.execPath, ['-e', layoutScript(count)], { env, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { backend: string; layout: string; mmaps: number; maps: number };
}

describe('stack layout', () => {
  it('carves stacks from shared slabs where the kernel marks guard pages, else maps each one', () => {
    const report = parkInChild(1000, process.env);
    if (report.layout === 'carved') {
      // 1000 stacks in 16 slabs of 64: a mapping per slab, not two per stack.
      assert.equal(report.backend, 'fcontext');
      assert.equal(report.mmaps, Math.ceil(1000 / 64));
      assert.ok(report.maps <= 200, `${report.maps} new mappings for 1000 parked greenlets`);
    } else if (report.backend === 'fcontext') {
      assert.equal(report.mmaps, 1000);
      assert.ok(report.maps >= 2000, `${report.maps} new mappings for 1000 parked greenlets`);
    } else {
      // The threads backend parks OS threads, whose stacks (a mapping and a guard each) are the C library's.
      assert.equal(report.mmaps, 0);
      assert.ok(report.maps >= 2000, `${report.maps} new mappings for 1000 parked greenlets`);
    }
  });

  it('VERDANT_STACK_LAYOUT=mapped gives every stack a mapping of its own', () => {
    const report = parkInChild(200, { ...process.env, VERDANT_STACK_LAYOUT: 'mapped' });
    assert.equal(report.layout, 'mapped');
    if (report.backend === 'fcontext') assert.equal(report.mmaps, 200);
    assert.ok(report.maps >= 400, `${report.maps} new mappings for 200 parked greenlets`);
  });
});

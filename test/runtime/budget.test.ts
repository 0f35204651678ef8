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

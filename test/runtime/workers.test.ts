// Greenlets in worker threads: each worker has its own runtime, main greenlet and stacks. A worker's own stack is
// an ordinary mapping with holes above it; greenlet stacks must still be placed below it, or V8 13+ aborts when a
// greenlet unwinds an exception ("Check failed: IsOnCentralStack()" on Node 26). Workers that start and exit
// while others run keep opening such holes.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { backend } from '../../lib/runtime/config';
import { patience } from '../support/patience';

const entry = join(__dirname, '..', '..', 'lib');
// 40 workers, four at a time, each mapping 20 fresh stacks per round: 50 rounds keep every worker alive long
// enough for others to start and exit around it (the holes this test is about). Each started greenlet is an OS
// thread on the threads backend (chosen, or the fallback where the fast one is not validated): fewer rounds keep
// the test quick there (under qemu-user, 2,400 emulated threads take a minute), and within memory under qemu-user,
// which keeps part of every thread it ever ran.
const rounds = backend().name === 'threads' ? 3 : 50;

const script = `
const { Worker } = require('node:worker_threads');
const source = \`
  const { parentPort, workerData } = require('node:worker_threads');
  const { Greenlet, getCurrent, configure } = require(workerData.entry);
  configure({ stackPoolSize: 0 }); // every greenlet maps a fresh stack
  let caught = 0;
  for (let round = 0; round < ${rounds}; round++) {
    const parked = [];
    for (let i = 0; i < 20; i++) {
      const g = new Greenlet(() => {
        try { throw new Error('caught on the greenlet stack'); } catch { caught++; }
        getCurrent().parent.switch();
      });
      g.switch();
      parked.push(g);
    }
    for (const g of parked) g.close();
  }
  parentPort.postMessage(caught);
\`;
let started = 0;
let finished = 0;
const counts = [];
function start() {
  started++;
  const worker = new Worker(source, { eval: true, workerData: { entry: ${JSON.stringify(entry)} } });
  worker.on('message', (caught) => counts.push(caught));
  worker.on('error', (error) => { console.error('worker error: ' + error.message); process.exitCode = 3; });
  worker.on('exit', () => {
    finished++;
    if (started < 40) start();
    if (finished === 40) console.log(JSON.stringify(counts));
  });
}
for (let i = 0; i < 4; i++) start();
`;

describe('greenlets in worker threads', () => {
  it('run in workers that come and go, catching exceptions on their own stacks', () => {
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: patience(120_000) });
    assert.equal(child.signal, null, `killed by ${child.signal}: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stderr, '');
    const counts = JSON.parse(child.stdout);
    assert.deepEqual(counts, Array(40).fill(rounds * 20));
  });
});

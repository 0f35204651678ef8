// Twenty slow jobs through a coroutine pool of five: the pool blocks the submitter while it is full.
//   node bin/verdant.js run examples/legacy/pool-slow-jobs.js [seconds per job, default 1]
'use strict';
const { api, coros } = require('verdant/legacy');

const seconds = Number(process.argv[2] ?? 1);
const pool = new coros.CoroutinePool(5);

function slowSquare(n) {
  api.sleep(seconds);
  console.log(`job ${n} done`);
  return n * n;
}

const started = Date.now();
const results = [];
for (let n = 0; n < 20; n++) {
  console.log(`submitting job ${n} (${pool.free()} free)`);
  results.push(pool.execute(slowSquare, n)); // blocks here while five jobs run
}
const total = results.reduce((sum, evt) => sum + evt.wait(), 0);
console.log(`sum of squares: ${total}`);
console.log(`20 jobs of ${seconds} s, five at a time, took ${((Date.now() - started) / 1000).toFixed(1)} s`);

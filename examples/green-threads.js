// Green threads: code that reads as if it blocked, running concurrently in one OS thread. Run it with
//   node bin/verdant.js run examples/green-threads.js      (or `npx verdant run ...` once installed)
// Its top level is the program's main green thread, so it may sleep, wait for promises and join threads.
'use strict';
const { readFile } = require('node:fs/promises');
const { spawn, sleep, wait, withTimeout, getCurrent } = require('..');

const started = Date.now();
const log = (msg) => console.log(`${String(Date.now() - started).padStart(4)} ms  ${getCurrent().name}: ${msg}`);

function worker(name, seconds) {
  log(`${name} starts, will take ${seconds} s`);
  sleep(seconds); // only this green thread waits; the others and the event loop go on
  log(`${name} done`);
  return name.toUpperCase();
}

const threads = [spawn(worker, 'alpha', 0.3), spawn(worker, 'beta', 0.1), spawn(worker, 'gamma', 0.2)];
log('spawned three workers');

// Any Promise API, from blocking-style code: wait() blocks this green thread only.
const pkg = JSON.parse(wait(readFile(require.resolve('../package.json'), 'utf8')));
log(`read package.json: ${pkg.name} ${pkg.version}`);

log(`results: ${threads.map((t) => t.wait()).join(', ')}`);

// A deadline around any blocking code.
const late = withTimeout(0.05, () => sleep(10), { timeoutValue: 'gave up after 50 ms' });
log(late);

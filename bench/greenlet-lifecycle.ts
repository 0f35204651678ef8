/**
 * Create + run + finish of a greenlet whose function returns at once, with the stack pool (the default) and
 * without it (`configure({ stackPoolSize: 0 })`: a fresh mmap and munmap per greenlet), next to creating and
 * awaiting an async function, measured in the same process, interleaved run by run.
 *
 *   node dist/bench/greenlet-lifecycle.js [--runs=7] [--iters=100000] [--warmup=20000]
 *
 * Prints µs per greenlet (median and range over the runs), the ratios against async, and the stack pool
 * counters of stats() for each mode.
 */
import { Greenlet, backend, configure, getConfig, stats } from '../lib';
import {
  asyncCreateAwait,
  consume,
  environmentLine,
  fmt,
  fmtSummary,
  fullGc,
  median,
  noop,
  nowNs,
  options,
  printTable,
  record,
  setRecordBackend,
  summarize,
  tick,
} from './harness';

const opts = options({ runs: 7, iters: 100_000, warmup: 20_000 });

/** µs per `new Greenlet(noop).switch(i)`: allocate (or reuse) a stack, start, return to main, release it. */
function greenletLifecycles(n: number): number {
  let acc = 0;
  const t0 = nowNs();
  for (let i = 0; i < n; i++) acc += new Greenlet(noop).switch(i) as number;
  const dt = nowNs() - t0;
  consume(acc);
  return dt / n / 1000;
}

interface PoolCounters {
  hits: number;
  mmaps: number;
}

function poolCounters(): PoolCounters {
  const s = stats();
  return { hits: s.stackPoolHits, mmaps: s.stackMmaps };
}

async function main(): Promise<void> {
  const info = backend();
  setRecordBackend(info.name);
  const defaultPool = getConfig().stackPoolSize;
  console.log('greenlet-lifecycle: create + run + finish vs create + await an async function');
  console.log(environmentLine(info.name, info.reason ? `(${info.reason})` : ''));
  console.log(`${opts.runs} runs of ${opts.iters} after ${opts.warmup} warm-up; µs per greenlet / task`);

  const modes = [
    { name: `verdant, stack pool ${defaultPool} (default)`, pool: defaultPool },
    { name: 'verdant, stackPoolSize 0 (mmap each)', pool: 0 },
  ];
  const times: number[][] = modes.map(() => []);
  const counters: PoolCounters[] = modes.map(() => ({ hits: 0, mmaps: 0 }));
  const asyncTimes: number[] = [];

  for (const m of modes) {
    configure({ stackPoolSize: m.pool });
    greenletLifecycles(opts.warmup);
  }
  await asyncCreateAwait(opts.warmup);

  for (let run = 0; run < opts.runs; run++) {
    for (let i = 0; i < modes.length; i++) {
      configure({ stackPoolSize: modes[i].pool });
      fullGc();
      const before = poolCounters();
      times[i].push(greenletLifecycles(opts.iters));
      const after = poolCounters();
      counters[i].hits += after.hits - before.hits;
      counters[i].mmaps += after.mmaps - before.mmaps;
    }
    fullGc();
    asyncTimes.push(await asyncCreateAwait(opts.iters));
    await tick();
  }
  configure({ stackPoolSize: defaultPool });

  const asyncSummary = summarize(asyncTimes);
  const total = opts.runs * opts.iters;
  const rows: string[][] = [['case', 'µs each median (min–max)', 'vs async', 'pool hits', 'mmaps']];
  modes.forEach((m, i) => {
    const s = summarize(times[i]);
    const ratio = median(times[i].map((t, r) => t / asyncTimes[r]));
    rows.push([m.name, fmtSummary(s), `${fmt(ratio)}x`, `${counters[i].hits}/${total}`, `${counters[i].mmaps}`]);
    record('lifecycle', m.pool === 0 ? 'verdant_unpooled' : 'verdant_pooled', s.median, 'µs', {
      min: s.min,
      max: s.max,
      poolHits: counters[i].hits,
      mmaps: counters[i].mmaps,
      count: total,
      ratioAsync: ratio,
    });
  });
  rows.push(['async function, create + await', fmtSummary(asyncSummary), '1x', '', '']);
  printTable(rows);
  record('lifecycle', 'async', asyncSummary.median, 'µs', { min: asyncSummary.min, max: asyncSummary.max });
  if (info.name === 'threads') {
    console.log('threads backend: each greenlet is an OS thread; the stack pool and its counters do not apply.');
  }
  const s = stats();
  console.log(
    `stats(): started ${s.started}, finished ${s.finished}, active ${s.active}, stacksLive ${s.stacksLive}, ` +
      `stacksPooled ${s.stacksPooled}, stackPoolHits ${s.stackPoolHits}, stackMmaps ${s.stackMmaps}` +
      (fullGc() ? '' : ' (run with --expose-gc for a full GC between runs)'),
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

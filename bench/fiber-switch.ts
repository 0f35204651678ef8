/**
 * Fiber run/yield round trip (verdant/fibers) next to the greenlet switch round trip it is built on, and a
 * Future.wait round trip (a fiber waits on a future that the main stack resolves), all measured in the same
 * process, interleaved run by run.
 *
 *   node dist/bench/fiber-switch.js [--runs=7] [--iters=200000] [--warmup=50000]
 *
 * Prints ns per round trip (median and range over the runs) and the ratios fiber/greenlet and future/greenlet
 * (medians of the per-run ratios). VERDANT_BACKEND=threads runs the portable backend.
 */
import { backend } from '../lib';
import Fiber = require('../lib/fibers');
import Future = require('../lib/fibers/future');
import { environmentLine, fmt, fmtSummary, median, nowNs, options, printTable, record, setRecordBackend, summarize } from './harness';
import { closeGreenletEcho, greenletRoundTrips } from './greenlet-echo';

const opts = options({ runs: 7, iters: 200_000, warmup: 50_000 });

// --- fiber: the same echo with run() and Fiber.yield().
const fiberEcho = Fiber((first: number) => {
  let value = first;
  for (;;) value = Fiber.yield(value + 1) as number;
});

function fiberRoundTrips(n: number): number {
  let acc = 0;
  const t0 = nowNs();
  for (let i = 0; i < n; i++) acc = fiberEcho.run(acc) as number;
  const dt = nowNs() - t0;
  if (acc !== n) throw new Error(`fiber echo returned ${acc}, expected ${n}`);
  return dt / n;
}

// --- Future: the fiber waits on a fresh future that main resolves; return() resumes the fiber (node-fibers'
// Future.wait: a callback that calls fiber.run()), which records the value, makes the next future and waits again,
// which brings control back to return(). One return() is one round trip.
const slot: { next: Future<number> | null; last: number } = { next: null, last: -1 };
const waiter = Fiber(() => {
  for (;;) {
    const f = new Future<number>();
    slot.next = f;
    slot.last = f.wait();
  }
});
waiter.run();

function futureRoundTrips(n: number): number {
  const t0 = nowNs();
  for (let i = 0; i < n; i++) slot.next!.return(i);
  const dt = nowNs() - t0;
  if (slot.last !== n - 1) throw new Error(`future round trips: last value ${slot.last}, expected ${n - 1}`);
  return dt / n;
}

function main(): void {
  const info = backend();
  setRecordBackend(info.name);
  console.log('fiber-switch: Fiber run/yield round trip vs greenlet switch round trip vs Future.wait round trip');
  console.log(environmentLine(info.name, info.reason ? `(${info.reason})` : ''));
  console.log(`${opts.runs} runs of ${opts.iters} round trips after ${opts.warmup} warm-up; ns per round trip`);

  greenletRoundTrips(opts.warmup);
  fiberRoundTrips(opts.warmup);
  futureRoundTrips(opts.warmup);

  const g: number[] = [];
  const f: number[] = [];
  const w: number[] = [];
  for (let run = 0; run < opts.runs; run++) {
    g.push(greenletRoundTrips(opts.iters));
    f.push(fiberRoundTrips(opts.iters));
    w.push(futureRoundTrips(opts.iters));
  }
  const gs = summarize(g);
  const fs = summarize(f);
  const ws = summarize(w);
  const fiberRatio = median(f.map((x, i) => x / g[i]));
  const futureRatio = median(w.map((x, i) => x / g[i]));
  printTable([
    ['case', 'ns/round trip median (min–max)'],
    [`greenlet g.switch (${info.name})`, fmtSummary(gs)],
    ['fiber.run / Fiber.yield', fmtSummary(fs)],
    ['Future.wait resolved from main', fmtSummary(ws)],
  ]);
  console.log(`ratio fiber/greenlet: ${fmt(fiberRatio)}; future/greenlet: ${fmt(futureRatio)}`);

  record('fiber-switch', 'greenlet_round_trip', gs.median, 'ns', { min: gs.min, max: gs.max });
  record('fiber-switch', 'fiber_round_trip', fs.median, 'ns', { min: fs.min, max: fs.max });
  record('fiber-switch', 'future_round_trip', ws.median, 'ns', { min: ws.min, max: ws.max });
  record('fiber-switch', 'ratio_fiber_greenlet', fiberRatio, 'x');
  record('fiber-switch', 'ratio_future_greenlet', futureRatio, 'x');
}

try {
  main();
  closeGreenletEcho();
  fiberEcho.reset();
  waiter.reset();
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}

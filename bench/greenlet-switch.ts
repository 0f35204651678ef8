/**
 * Switch round trip main → g → main, next to an async/await ping-pong between two tasks and a plain function
 * call, all measured in the same process, interleaved run by run.
 *
 *   node dist/bench/greenlet-switch.js [--runs=7] [--iters=200000] [--warmup=50000]
 *
 * Prints ns per round trip (median and range over the runs) and the ratio verdant / async (median of the
 * per-run ratios). VERDANT_BACKEND=threads runs the portable backend.
 */
import { backend, stats } from '../lib';
import {
  consume,
  environmentLine,
  fmt,
  fmtSummary,
  median,
  nowNs,
  options,
  printTable,
  record,
  setRecordBackend,
  summarize,
} from './harness';
import { closeGreenletEcho, greenletRoundTrips } from './greenlet-echo';

const opts = options({ runs: 7, iters: 200_000, warmup: 50_000 });

// --- async/await: two async functions hand a value back and forth through fresh promises. One round trip =
// ping → pong + pong → ping (two hand-offs, two new promises, two awaits), as in the anchors' node_micro.js.
async function asyncRoundTrips(n: number): Promise<number> {
  let toPong: ((v: number) => void) | null = null;
  let toPing: ((v: number) => void) | null = null;
  const pong = (async () => {
    for (;;) {
      const v = await new Promise<number>((resolve) => (toPong = resolve));
      if (v < 0) return;
      toPing!(v + 1);
    }
  })();
  await null; // let pong reach its first await
  let acc = 0;
  const t0 = nowNs();
  for (let i = 0; i < n; i++) {
    const p = new Promise<number>((resolve) => (toPing = resolve));
    toPong!(acc);
    acc = await p;
  }
  const dt = nowNs() - t0;
  toPong!(-1);
  await pong;
  if (acc !== n) throw new Error(`async ping-pong returned ${acc}, expected ${n}`);
  return dt / n;
}

// --- baseline: a plain call of a small function (the optimizer may inline it; that is what a call costs then).
function plainCallee(x: number): number {
  return x + 1;
}
const callees = [plainCallee];

function plainCalls(n: number): number {
  const f = callees[0];
  let acc = 0;
  const t0 = nowNs();
  for (let i = 0; i < n; i++) acc = f(acc);
  const dt = nowNs() - t0;
  consume(acc);
  return dt / n;
}

async function main(): Promise<void> {
  const info = backend();
  setRecordBackend(info.name);
  console.log(`greenlet-switch: round trip main → g → main vs async/await ping-pong`);
  console.log(environmentLine(info.name, info.reason ? `(${info.reason})` : ''));
  console.log(`${opts.runs} runs of ${opts.iters} round trips after ${opts.warmup} warm-up; ns per round trip`);

  greenletRoundTrips(opts.warmup);
  await asyncRoundTrips(opts.warmup);
  plainCalls(opts.warmup * 10);

  const g: number[] = [];
  const a: number[] = [];
  const c: number[] = [];
  const ratios: number[] = [];
  const switchesBefore = stats().switches;
  for (let run = 0; run < opts.runs; run++) {
    const gi = greenletRoundTrips(opts.iters);
    const ai = await asyncRoundTrips(opts.iters);
    c.push(plainCalls(opts.iters));
    g.push(gi);
    a.push(ai);
    ratios.push(gi / ai);
  }
  const switches = stats().switches - switchesBefore;

  const gs = summarize(g);
  const as = summarize(a);
  const cs = summarize(c);
  const rs = summarize(ratios);
  printTable([
    ['case', 'ns/round trip median (min–max)'],
    [`verdant g.switch (${info.name})`, fmtSummary(gs)],
    ['async/await ping-pong', fmtSummary(as)],
    ['plain function call', fmtSummary(cs)],
  ]);
  console.log(`ratio verdant/async: ${fmt(rs.median)} (per-run ${fmt(rs.min)}–${fmt(rs.max)})`);
  console.log(`ratio verdant/plain call: ${fmt(median(g.map((x, i) => x / c[i])))}`);
  console.log(`native switches counted: ${switches} (expected ${2 * opts.runs * opts.iters})`);

  record('switch', 'verdant_round_trip', gs.median, 'ns', { min: gs.min, max: gs.max });
  record('switch', 'async_round_trip', as.median, 'ns', { min: as.min, max: as.max });
  record('switch', 'plain_call', cs.median, 'ns');
  record('switch', 'ratio_verdant_async', rs.median, 'x', { min: rs.min, max: rs.max });
}

main()
  .then(() => closeGreenletEcho())
  .then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

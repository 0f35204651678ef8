/**
 * The hub's hot paths, each next to the Node construct a user would reach for instead, measured in the same
 * process and interleaved run by run:
 *
 * - yield: `sleep(0)` in a green thread (a trip through the event loop and back, other ready threads run first)
 *   vs `await new Promise(r => setImmediate(r))`; with 1, 100 and 1000 green threads yielding in turn;
 * - spawn+wait: `spawn(noop).wait()` from a green thread vs `await noopAsync()`;
 * - queue handoff: items through a `Queue(1)` from a producer green thread to a consumer blocked in `get()` vs the
 *   same through an async one-slot queue built on promises;
 * - raw handoff: one value from a producer to a consumer blocked on it, through the hub's park/wake (what every
 *   queue, event and lock does underneath) vs an async pair handing over through a fresh promise.
 *
 *   node dist/bench/hub.js [--runs=7] [--iters=100000] [--warmup=20000]
 *
 * Prints µs per operation (median and range over the runs) and the ratio against the Node baseline, then
 * eventlet's and gevent's figures for sleep(0) and spawn+wait measured now on this machine, when Debian's
 * python3-eventlet / python3-gevent are installed (../shared/anchors/bench/micro/py_micro.py, or $VERDANT_ANCHORS).
 */
import { join } from 'node:path';
import { GreenThread, Queue, backend, sleep, spawn } from '../lib';
import { park, wake } from '../lib/runtime/hub';
import { Greenlet } from '../lib/runtime/greenlet';
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
  runPythonAnchor,
  setRecordBackend,
  summarize,
} from './harness';

const opts = options({ runs: 7, iters: 100_000, warmup: 20_000 });

/** Runs `fn` in a green thread and resolves with its result. */
function green<T>(fn: () => T): Promise<T> {
  return Promise.resolve(spawn(fn));
}

// --- yield --------------------------------------------------------------------------------------------------------

/** µs per sleep(0) of one green thread, averaged over `threads` green threads yielding in turn. */
function yields(n: number, threads: number): Promise<number> {
  return green(() => {
    const per = Math.ceil(n / threads);
    const t0 = nowNs();
    const all: GreenThread[] = [];
    for (let t = 0; t < threads; t++) {
      all.push(
        spawn(() => {
          for (let i = 0; i < per; i++) sleep(0);
        }),
      );
    }
    for (const t of all) t.wait();
    return (nowNs() - t0) / (per * threads) / 1000;
  });
}

async function immediateYields(n: number, tasks: number): Promise<number> {
  const per = Math.ceil(n / tasks);
  const t0 = nowNs();
  const all: Promise<void>[] = [];
  for (let t = 0; t < tasks; t++) {
    all.push(
      (async () => {
        for (let i = 0; i < per; i++) await new Promise((resolve) => setImmediate(resolve));
      })(),
    );
  }
  await Promise.all(all);
  return (nowNs() - t0) / (per * tasks) / 1000;
}

// --- spawn + wait -------------------------------------------------------------------------------------------------

function spawnWaits(n: number): Promise<number> {
  return green(() => {
    let acc = 0;
    const t0 = nowNs();
    for (let i = 0; i < n; i++) acc += spawn(noop, i).wait();
    const dt = nowNs() - t0;
    consume(acc);
    return dt / n / 1000;
  });
}

// --- handoff ------------------------------------------------------------------------------------------------------

/** µs per value handed from a producer green thread to a consumer parked for it (and the ack back). */
function handoffs(n: number): Promise<number> {
  return green(() => {
    let consumerWaiting: Greenlet | null = null;
    let producerWaiting: Greenlet | null = null;
    let box = 0;
    let full = false;
    let acc = 0;
    const consumer = spawn(() => {
      for (let i = 0; i < n; i++) {
        while (!full) {
          consumerWaiting = Greenlet.getCurrent();
          park('bench.get');
        }
        acc += box;
        full = false;
        if (producerWaiting !== null) wake(producerWaiting);
      }
    });
    const t0 = nowNs();
    for (let i = 0; i < n; i++) {
      while (full) {
        producerWaiting = Greenlet.getCurrent();
        park('bench.put');
      }
      box = i;
      full = true;
      if (consumerWaiting !== null) wake(consumerWaiting);
    }
    consumer.wait();
    const dt = nowNs() - t0;
    consume(acc);
    return dt / n / 1000;
  });
}

async function promiseHandoffs(n: number): Promise<number> {
  let deliver: ((v: number) => void) | null = null;
  let ack: (() => void) | null = null;
  let acc = 0;
  const consumer = (async () => {
    for (let i = 0; i < n; i++) {
      acc += await new Promise<number>((resolve) => (deliver = resolve));
      ack!();
    }
  })();
  const t0 = nowNs();
  for (let i = 0; i < n; i++) {
    const acked = new Promise<void>((resolve) => (ack = resolve));
    while (deliver === null) await null;
    const d: (v: number) => void = deliver;
    deliver = null;
    d(i);
    await acked;
  }
  await consumer;
  const dt = nowNs() - t0;
  consume(acc);
  return dt / n / 1000;
}

/** µs per item through a Queue(1) from a producer green thread to a consumer blocked in get(). */
function queueHandoffs(n: number): Promise<number> {
  return green(() => {
    const q = new Queue<number>(1);
    let acc = 0;
    const consumer = spawn(() => {
      for (let i = 0; i < n; i++) acc += q.get();
    });
    const t0 = nowNs();
    for (let i = 0; i < n; i++) q.put(i);
    consumer.wait();
    const dt = nowNs() - t0;
    consume(acc);
    return dt / n / 1000;
  });
}

/** The same through an async queue of one slot: promises both ways. */
async function asyncQueueHandoffs(n: number): Promise<number> {
  const items: number[] = [];
  let getter: ((v: number) => void) | null = null;
  let putter: (() => void) | null = null;
  const put = async (v: number) => {
    while (items.length >= 1) await new Promise<void>((resolve) => (putter = resolve));
    if (getter !== null) {
      const g: (v: number) => void = getter;
      getter = null;
      g(v);
    } else {
      items.push(v);
    }
  };
  const get = async () => {
    let v: number;
    if (items.length > 0) v = items.shift()!;
    else v = await new Promise<number>((resolve) => (getter = resolve));
    if (putter !== null) {
      const p: () => void = putter;
      putter = null;
      p();
    }
    return v;
  };
  let acc = 0;
  const consumer = (async () => {
    for (let i = 0; i < n; i++) acc += await get();
  })();
  const t0 = nowNs();
  for (let i = 0; i < n; i++) await put(i);
  await consumer;
  const dt = nowNs() - t0;
  consume(acc);
  return dt / n / 1000;
}

// --- driver -------------------------------------------------------------------------------------------------------

interface Case {
  name: string;
  metric: string;
  verdant: (n: number) => Promise<number>;
  baselineName: string;
  baseline: (n: number) => Promise<number>;
  target?: string;
  scale?: number;
}

const cases: Case[] = [
  {
    name: 'sleep(0), 1 green thread',
    metric: 'yield_1',
    verdant: (n) => yields(n, 1),
    baselineName: 'await setImmediate, 1 task',
    baseline: (n) => immediateYields(n, 1),
    target: '≤ 1.5 µs',
  },
  {
    name: 'sleep(0), 100 green threads',
    metric: 'yield_100',
    verdant: (n) => yields(n, 100),
    baselineName: 'await setImmediate, 100 tasks',
    baseline: (n) => immediateYields(n, 100),
    target: '≤ 1.5 µs',
  },
  {
    // The working set of a busy server: a thousand stacks and thread states switched in turn miss the caches.
    name: 'sleep(0), 1000 green threads',
    metric: 'yield_1000',
    verdant: (n) => yields(n, 1000),
    baselineName: 'await setImmediate, 1000 tasks',
    baseline: (n) => immediateYields(n, 1000),
    target: '≤ 1.5 µs',
  },
  {
    name: 'spawn + wait, no-op',
    metric: 'spawn_wait',
    verdant: spawnWaits,
    baselineName: 'create + await async fn',
    baseline: asyncCreateAwait,
    target: '≤ 5 µs',
  },
  {
    name: 'Queue(1) put/get handoff',
    metric: 'queue_handoff',
    verdant: queueHandoffs,
    baselineName: 'async queue, 1 slot',
    baseline: asyncQueueHandoffs,
  },
  {
    name: 'handoff via park/wake',
    metric: 'handoff',
    verdant: handoffs,
    baselineName: 'handoff via promise',
    baseline: promiseHandoffs,
  },
];

async function main(): Promise<void> {
  const info = backend();
  setRecordBackend(info.name);
  // The threads backend pays an OS thread per green thread: fewer iterations keep it to a few seconds.
  const iters = info.name === 'threads' ? Math.min(opts.iters, 10_000) : opts.iters;
  const warmup = info.name === 'threads' ? Math.min(opts.warmup, 2_000) : opts.warmup;
  console.log('hub: yield, spawn+wait and handoff, each vs the Node construct it replaces');
  console.log(environmentLine(info.name, info.reason ? `(${info.reason})` : ''));
  console.log(`${opts.runs} runs of ${iters} after ${warmup} warm-up; µs per operation`);

  const rows: string[][] = [['case', 'verdant µs median (min–max)', 'Node baseline', 'baseline µs', 'ratio', 'target']];
  for (const c of cases) {
    await c.verdant(warmup);
    await c.baseline(warmup);
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < opts.runs; run++) {
      fullGc();
      mine.push(await c.verdant(iters));
      fullGc();
      theirs.push(await c.baseline(iters));
    }
    const s = summarize(mine);
    const b = summarize(theirs);
    const ratio = median(mine.map((m, i) => m / theirs[i]));
    rows.push([c.name, fmtSummary(s), c.baselineName, fmtSummary(b), `${fmt(ratio)}x`, c.target ?? '']);
    record('hub', c.metric, s.median, 'µs', { min: s.min, max: s.max, baseline: b.median, ratio });
  }
  printTable(rows);
  printPythonAnchors();
}

/** eventlet's and gevent's own figures for the same operations, run now on this machine when installed. */
function printPythonAnchors(): void {
  const rows: string[][] = [['anchor (same machine, now)', 'sleep(0) µs', 'spawn+wait µs']];
  for (const kind of ['eventlet', 'gevent'] as const) {
    const lines = runPythonAnchor(join('micro', 'py_micro.py'), [kind]);
    if (lines === null) {
      rows.push([kind, 'not installed', '']);
      continue;
    }
    const pick = (suffix: string) => lines.find((l) => String(l.bench).endsWith(suffix))?.ns_per_op as number | undefined;
    const show = (ns: number | undefined) => (ns === undefined ? '—' : fmt(ns / 1000));
    rows.push([kind, show(pick('.sleep0')), show(pick('.spawn_join_seq'))]);
    record('hub', `${kind}_sleep0`, (pick('.sleep0') ?? NaN) / 1000, 'µs');
    record('hub', `${kind}_spawn_wait`, (pick('.spawn_join_seq') ?? NaN) / 1000, 'µs');
  }
  console.log('');
  printTable(rows);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

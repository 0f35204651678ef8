/**
 * Runs the greenlet and hub benchmarks for one Node binary and both backends, then prints a summary table.
 *
 *   node dist/bench/run-all.js [--backend=fcontext|threads|both] [--only=switch,lifecycle,memory,hub,hub-memory]
 *
 * Environment:
 * - NODE: the node binary that runs the benchmarks (default: `node` on PATH). It must match the addon:
 * - VERDANT_ADDON: the addon built for that node (default: build/Release/verdant.node of the package), e.g.
 *   `NODE=/tmp/nodes/26.10.0/package/bin/node VERDANT_ADDON=/tmp/b26/build/Release/verdant.node`.
 *
 * The threads backend runs an OS thread per greenlet, so its runs are capped: 10k greenlets in the memory
 * benchmark, 10k iterations in the lifecycle benchmark, 20k round trips per run in the switch benchmark.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, printTable } from './harness';

type Backend = 'fcontext' | 'threads';
type Bench = 'switch' | 'lifecycle' | 'memory' | 'hub' | 'hub-memory';

const ARGS: Record<Backend, Record<Bench, string[]>> = {
  fcontext: {
    switch: [],
    lifecycle: [],
    memory: [],
    hub: [],
    'hub-memory': [],
  },
  threads: {
    switch: ['--iters=20000', '--warmup=5000', '--runs=5'],
    lifecycle: ['--iters=10000', '--warmup=1000', '--runs=3'],
    memory: ['--max=10000'],
    hub: ['--runs=3'],
    'hub-memory': ['--count=2000', '--runs=1'],
  },
};

const SCRIPTS: Record<Bench, string> = {
  switch: 'greenlet-switch.js',
  lifecycle: 'greenlet-lifecycle.js',
  memory: 'greenlet-memory.js',
  hub: 'hub.js',
  'hub-memory': 'hub-memory.js',
};

function flag(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  const arg = process.argv.slice(2).find((a) => a.startsWith(prefix));
  return arg === undefined ? fallback : arg.slice(prefix.length);
}

interface Line {
  bench: string;
  metric: string;
  value: number;
  unit: string;
  node: string;
  backend: string;
  count?: number;
  alive?: number;
  poolHits?: number;
  min?: number;
  max?: number;
  error?: string;
  baseline?: number;
}

function main(): number {
  const node = process.env.NODE || 'node';
  const backendArg = flag('backend', 'both');
  const backends: Backend[] = backendArg === 'both' ? ['fcontext', 'threads'] : [backendArg as Backend];
  const benches = flag('only', 'switch,lifecycle,memory,hub,hub-memory').split(',') as Bench[];
  for (const b of backends) if (!(b in ARGS)) throw new RangeError(`unknown backend ${b}`);
  for (const b of benches) if (!(b in SCRIPTS)) throw new RangeError(`unknown benchmark ${b}`);

  const dir = mkdtempSync(join(tmpdir(), 'verdant-bench-'));
  const jsonFile = join(dir, 'results.jsonl');
  let failures = 0;
  console.log(`verdant benchmarks: NODE=${node}, VERDANT_ADDON=${process.env.VERDANT_ADDON ?? '(package build)'}`);
  console.log('Figures are medians over runs on whatever machine this is; compare ratios taken in one run only.\n');

  for (const backend of backends) {
    for (const bench of benches) {
      const env: NodeJS.ProcessEnv = { ...process.env, VERDANT_BENCH_JSON: jsonFile };
      if (backend === 'threads') env.VERDANT_BACKEND = 'threads';
      else delete env.VERDANT_BACKEND;
      const args = ['--expose-gc', join(__dirname, SCRIPTS[bench]), ...ARGS[backend][bench]];
      console.log(`=== ${bench}, backend ${backend}: ${node} ${args.join(' ')}`);
      const out = spawnSync(node, args, { env, stdio: 'inherit' });
      if (out.status !== 0) {
        failures++;
        console.log(`!!! ${bench} (${backend}) failed: status ${out.status}, signal ${out.signal}, ${out.error ?? ''}`);
      }
      console.log('');
    }
  }

  let lines: Line[] = [];
  try {
    lines = readFileSync(jsonFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  } catch {
    // No results at all: every benchmark failed; reported below.
  }
  rmSync(dir, { recursive: true, force: true });

  const pick = (bench: string, metric: string, backend: string, count?: number) =>
    lines.find((l) => l.bench === bench && l.metric === metric && l.backend === backend && (count === undefined || l.count === count));
  const show = (l: Line | undefined, digits = 3) => (l === undefined ? '—' : `${fmt(l.value, digits)} ${l.unit}`);

  const version = lines[0]?.node ?? '?';
  const rows: string[][] = [['figure (median)', ...backends.map((b) => `verdant ${b}`), 'async/await baseline', 'target (fcontext)']];
  const asyncBackend = backends[0];
  rows.push([
    'switch round trip',
    ...backends.map((b) => show(pick('switch', 'verdant_round_trip', b))),
    show(pick('switch', 'async_round_trip', asyncBackend)),
    '≤ 1 µs',
  ]);
  rows.push(['ratio verdant/async', ...backends.map((b) => show(pick('switch', 'ratio_verdant_async', b))), '1', '']);
  rows.push([
    'create+run+finish, pooled',
    ...backends.map((b) => show(pick('lifecycle', 'verdant_pooled', b))),
    show(pick('lifecycle', 'async', asyncBackend)),
    '≤ 3 µs',
  ]);
  rows.push([
    'create+run+finish, unpooled',
    ...backends.map((b) => show(pick('lifecycle', 'verdant_unpooled', b))),
    '',
    '',
  ]);
  for (const count of [10_000, 100_000]) {
    const alive = (l: Line | undefined) => (l && l.alive !== undefined && l.alive !== count ? ` (${l.alive} alive)` : '');
    rows.push([
      `RSS per suspended, ${count / 1000}k`,
      ...backends.map((b) => {
        const l = pick('memory', 'verdant_rss_per_greenlet', b, count);
        return show(l) + alive(l);
      }),
      show(pick('memory', 'async_rss_per_task', asyncBackend, count)),
      count === 100_000 ? '≤ 12 KB, 100k alive' : '≤ 12 KB',
    ]);
  }
  const hubRow = (label: string, metric: string, target: string) =>
    rows.push([label, ...backends.map((b) => show(pick('hub', metric, b))), show(baselineOf(pick('hub', metric, asyncBackend))), target]);
  const baselineOf = (l: Line | undefined): Line | undefined =>
    l === undefined || l.baseline === undefined ? undefined : { ...l, value: l.baseline };
  hubRow('sleep(0), 1 green thread (vs await setImmediate)', 'yield_1', '≤ 1.5 µs');
  hubRow('sleep(0), 100 green threads', 'yield_100', '≤ 1.5 µs');
  hubRow('spawn + wait a no-op (vs await async fn)', 'spawn_wait', '≤ 5 µs');
  hubRow('Queue(1) put/get handoff (vs async queue)', 'queue_handoff', '');
  hubRow('handoff park/wake (vs promise)', 'handoff', '');
  rows.push([
    'RSS per idle green thread (vs async on a timer)',
    ...backends.map((b) => show(pick('hub-memory', 'verdant_idle_green_thread', b))),
    show(pick('hub-memory', 'async_idle_timer', asyncBackend)),
    '≤ 12 KB',
  ]);
  console.log(`=== summary, node ${version}`);
  printTable(rows);
  if (failures > 0) console.log(`${failures} benchmark(s) failed; see above.`);
  return failures > 0 ? 1 : 0;
}

process.exitCode = main();

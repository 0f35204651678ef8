/**
 * Resident memory per suspended greenlet, with 10k and 100k greenlets alive at once (each suspended a few frames
 * deep inside its function), next to resident memory per pending async function (awaiting a promise that is
 * never resolved).
 *
 *   node dist/bench/greenlet-memory.js [--runs=3] [--depth=4] [--max=100000]
 *
 * Each measurement runs in a fresh child process started with --expose-gc (this script re-executes itself), so
 * that one case's heap growth does not hide in another's: RSS and heapUsed after two full GCs, before and after
 * creating the greenlets (or tasks). `--max` caps the counts (bench/run-all.ts passes 10000 for the threads
 * backend, where each greenlet is an OS thread).
 *
 * Where the RSS goes, per unit: `malloc` is the C heap's main arena ([heap] in /proc/self/smaps: handle blocks,
 * greenlet records, V8's per-thread archives), `V8 pages` the physical size of V8's heap, and `rest` everything else
 * (for greenlets, essentially their stacks' touched pages).
 *
 * 100k greenlets need 100k stacks within vm.max_map_count: two mappings each when mapped, one per 64 when carved
 * (stats().stackLayout; stats().stackBudget is what verdant allows itself). When the budget is smaller, the script
 * says so and measures as many as fit.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Greenlet, backend, stats } from '../lib';
import { environmentLine, fmt, fullGc, median, options, printTable, record, setRecordBackend, tick } from './harness';

const CHILD_ENV = 'VERDANT_BENCH_MEMORY_CHILD';
const COUNTS = [10_000, 100_000];

interface ChildResult {
  kind: 'greenlet' | 'async';
  requested: number;
  alive: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  mallocBefore: number;
  mallocAfter: number;
  v8PagesBefore: number;
  v8PagesAfter: number;
  stacksLive: number;
  error?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Child: creates `requested` suspended greenlets or pending async functions and reports the memory they take.

/** Resident bytes of the C heap's main arena ([heap]). */
function mallocResident(): number {
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.indexOf(' [heap]\n');
  if (at < 0) return 0;
  const rss = /\nRss:\s+(\d+) kB/.exec(smaps.slice(at));
  return rss ? Number(rss[1]) * 1024 : 0;
}

interface Settled {
  rss: number;
  heap: number;
  malloc: number;
  v8Pages: number;
}

async function settledMemory(): Promise<Settled> {
  await tick();
  fullGc();
  await new Promise((resolve) => setTimeout(resolve, 100));
  fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, malloc: mallocResident(), v8Pages: getHeapStatistics().total_physical_size };
}

function memoryFields(before: Settled, after: Settled) {
  return {
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heap,
    heapAfter: after.heap,
    mallocBefore: before.malloc,
    mallocAfter: after.malloc,
    v8PagesBefore: before.v8Pages,
    v8PagesAfter: after.v8Pages,
  };
}

/** Suspends the current greenlet `depth` JS frames below its function, holding a small object. */
function descend(depth: number, holder: { id: number }): number {
  if (depth === 0) return (Greenlet.getCurrent().parent!.switch(holder) as number) + holder.id;
  return descend(depth - 1, holder) + 1;
}

async function childGreenlets(requested: number, depth: number): Promise<ChildResult> {
  // Warm up: the first greenlet pays for code compilation and lazy runtime set-up; its stack goes to the pool.
  const warm = new Greenlet((id: number) => descend(depth, { id }));
  warm.switch(0);
  warm.switch(0);
  const before = await settledMemory();
  const alive: Greenlet[] = [];
  let error: string | undefined;
  for (let i = 0; i < requested; i++) {
    const g = new Greenlet((id: number) => descend(depth, { id }));
    try {
      g.switch(i);
    } catch (e) {
      error = `${(e as Error).constructor?.name}: ${(e as Error).message}`;
      break;
    }
    alive.push(g);
  }
  const after = await settledMemory();
  const s = stats();
  const result: ChildResult = {
    kind: 'greenlet',
    requested,
    alive: alive.length,
    ...memoryFields(before, after),
    stacksLive: s.stacksLive,
    error,
  };
  if (alive.length > 0 && alive[alive.length - 1].dead) throw new Error('a measured greenlet is not suspended');
  return result;
}

async function childAsync(requested: number): Promise<ChildResult> {
  const resolvers: (() => void)[] = [];
  async function pending(): Promise<void> {
    await new Promise<void>((resolve) => resolvers.push(resolve));
  }
  // Warm up the same code path.
  const warm = pending();
  resolvers.pop()!();
  await warm;
  const before = await settledMemory();
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < requested; i++) tasks.push(pending());
  const after = await settledMemory();
  return {
    kind: 'async',
    requested,
    alive: tasks.length,
    ...memoryFields(before, after),
    stacksLive: 0,
  };
}

async function child(spec: string): Promise<void> {
  const [kind, count, depth] = spec.split(':');
  const result =
    kind === 'greenlet' ? await childGreenlets(Number(count), Number(depth)) : await childAsync(Number(count));
  process.stdout.write(JSON.stringify(result) + '\n');
  // Exiting with every greenlet still suspended is supported; no need to unwind 100k stacks first.
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: runs every case in fresh children and prints the table.

function readMaxMapCount(): number | null {
  try {
    return Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim());
  } catch {
    return null;
  }
}

function runChild(spec: string): ChildResult {
  const out = spawnSync(process.execPath, ['--expose-gc', __filename], {
    env: { ...process.env, [CHILD_ENV]: spec },
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const last = (out.stdout ?? '').trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !last.startsWith('{')) {
    throw new Error(
      `memory child ${spec} failed (status ${out.status}, signal ${out.signal}):\n${out.stdout}\n${out.stderr}`,
    );
  }
  return JSON.parse(last) as ChildResult;
}

/** The vm.max_map_count whose budget (see native/greenlet/stack.cc) fits `count` stacks plus a pooled one. */
function neededMapCount(count: number): number {
  return Math.max(Math.ceil(((count + 1) * 16) / 7), 2 * (count + 1) + 8192);
}

async function parent(): Promise<void> {
  const opts = options({ runs: 3, depth: 4, max: 100_000 });
  const info = backend();
  setRecordBackend(info.name);
  const budget = stats().stackBudget;
  const maxMapCount = readMaxMapCount();
  console.log('greenlet-memory: RSS per suspended greenlet vs per pending async function');
  console.log(environmentLine(info.name, info.reason ? `(${info.reason})` : ''));
  console.log(
    `vm.max_map_count ${maxMapCount ?? 'unknown'}, stats().stackBudget ${budget || 'n/a (no mmap budget in this backend)'}; ` +
      `greenlets suspended ${opts.depth} frames deep; median of ${opts.runs} fresh processes per case`,
  );

  const counts = [...new Set(COUNTS.map((c) => Math.min(c, opts.max)))];
  const rows: string[][] = [
    ['case', 'alive', 'RSS/unit', 'heap/unit', 'malloc/unit', 'V8 pages/unit', 'rest/unit', 'RSS total Δ', 'note'],
  ];
  for (const count of counts) {
    for (const kind of ['greenlet', 'async'] as const) {
      let requested = count;
      let note = '';
      if (kind === 'greenlet' && info.name === 'fcontext' && budget > 0 && budget < count) {
        // Leave room for the warm-up greenlet's pooled stack.
        requested = budget - 1;
        note = `budget ${budget} < ${count}: measured ${requested}`;
        console.log(
          `NOTE: stack budget ${budget} (vm.max_map_count ${maxMapCount}) is below ${count} greenlets; raise it ` +
            `with \`sysctl -w vm.max_map_count=${neededMapCount(count)}\`. Measuring ${requested}.`,
        );
      }
      const results: ChildResult[] = [];
      for (let run = 0; run < opts.runs; run++) {
        results.push(runChild(`${kind}:${requested}:${opts.depth}`));
      }
      const alive = Math.min(...results.map((r) => r.alive));
      const errors = [...new Set(results.filter((r) => r.error).map((r) => r.error!))];
      if (errors.length > 0) {
        note = (note ? note + '; ' : '') + `stopped at ${alive}: ${errors.join(' / ')}`;
        console.log(`NOTE: ${kind} ${count}: creation stopped at ${alive} alive: ${errors.join(' / ')}`);
      }
      const perUnit = (f: (r: ChildResult) => number) => median(results.map((r) => f(r) / Math.max(1, r.alive)));
      const rss = perUnit((r) => r.rssAfter - r.rssBefore);
      const heap = perUnit((r) => r.heapAfter - r.heapBefore);
      const malloc = perUnit((r) => r.mallocAfter - r.mallocBefore);
      const v8Pages = perUnit((r) => r.v8PagesAfter - r.v8PagesBefore);
      const rest = perUnit((r) => r.rssAfter - r.rssBefore - (r.mallocAfter - r.mallocBefore) - (r.v8PagesAfter - r.v8PagesBefore));
      const rssTotal = median(results.map((r) => r.rssAfter - r.rssBefore));
      const label = kind === 'greenlet' ? `verdant greenlet (${info.name})` : 'pending async function';
      rows.push([
        `${label}, ${count}`,
        String(alive),
        `${fmt(rss / 1024)} KB`,
        `${fmt(heap / 1024)} KB`,
        `${fmt(malloc / 1024)} KB`,
        `${fmt(v8Pages / 1024)} KB`,
        `${fmt(rest / 1024)} KB`,
        `${fmt(rssTotal / 1024 / 1024)} MB`,
        note,
      ]);
      record('memory', kind === 'greenlet' ? 'verdant_rss_per_greenlet' : 'async_rss_per_task', rss / 1024, 'KB', {
        count,
        alive,
        heapPerUnitKB: heap / 1024,
        mallocPerUnitKB: malloc / 1024,
        v8PagesPerUnitKB: v8Pages / 1024,
        restPerUnitKB: rest / 1024,
        runs: results.map((r) => (r.rssAfter - r.rssBefore) / Math.max(1, r.alive) / 1024),
        error: errors[0],
      });
    }
  }
  printTable(rows);
  console.log(
    'KB = 1024 bytes; RSS/unit = (RSS after − RSS before) / alive, after full GCs; heap = V8 heapUsed; malloc = the C ' +
      "heap's main arena; V8 pages = V8's physical heap size; rest = RSS − malloc − V8 pages (for greenlets, their stacks).",
  );
}

const spec = process.env[CHILD_ENV];
(spec ? child(spec) : parent()).catch((error) => {
  console.error(error);
  process.exit(1);
});

/**
 * Resident memory per idle green thread: 10k green threads spawned and parked in `sleep(3600)` (waiting on a hub
 * timer, like a handler waiting for I/O), next to 10k async functions awaiting a one-hour `setTimeout`, and next to
 * eventlet and gevent idle green threads when the machine has them (Debian's python3-eventlet, python3-gevent).
 *
 *   node dist/bench/hub-memory.js [--runs=3] [--count=10000]
 *
 * Each case runs in a fresh child process with --expose-gc: RSS and heapUsed after two full GCs, before and after
 * the threads (or tasks) exist and wait. The Python anchors use ../shared/anchors/bench/mem/py_idle.py
 * (override with $VERDANT_ANCHORS, the anchors' bench directory).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { backend, sleep, spawn } from '../lib';
import {
  environmentLine,
  fmt,
  fullGc,
  median,
  options,
  printTable,
  record,
  runPythonAnchor,
  setRecordBackend,
  tick,
} from './harness';

const CHILD_ENV = 'VERDANT_BENCH_HUB_MEMORY_CHILD';

interface Measure {
  alive: number;
  rss: number;
  heap: number;
}

async function settled(): Promise<{ rss: number; heap: number }> {
  await tick();
  fullGc();
  await new Promise((resolve) => setTimeout(resolve, 200));
  fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

async function child(kind: string, count: number): Promise<Measure> {
  if (kind === 'green') {
    // Warm-up: compile the paths and give the hub its handles before the baseline.
    await spawn(() => sleep(0.001));
    const before = await settled();
    for (let i = 0; i < count; i++) spawn(() => sleep(3600));
    const after = await settled();
    return { alive: count, rss: after.rss - before.rss, heap: after.heap - before.heap };
  }
  const idle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 3600e3));
  };
  const before = await settled();
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < count; i++) tasks.push(idle());
  const after = await settled();
  return { alive: tasks.length, rss: after.rss - before.rss, heap: after.heap - before.heap };
}

function runChild(kind: string, count: number): Measure {
  const out = spawnSync(process.execPath, ['--expose-gc', __filename], {
    env: { ...process.env, [CHILD_ENV]: `${kind}:${count}` },
    encoding: 'utf8',
  });
  const last = (out.stdout ?? '').trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !last.startsWith('{')) {
    throw new Error(`memory child ${kind} failed (status ${out.status}):\n${out.stdout}\n${out.stderr}`);
  }
  return JSON.parse(last) as Measure;
}

/** eventlet/gevent bytes per idle green thread, or null when Python or the module is missing. */
function pythonAnchor(kind: 'eventlet' | 'gevent', count: number): number | null {
  const lines = runPythonAnchor(join('mem', 'py_idle.py'), [kind, String(count)]);
  return lines === null || lines.length === 0 ? null : (lines[0].bytes_per_unit as number);
}

async function parent(): Promise<void> {
  const opts = options({ runs: 3, count: 10_000 });
  const info = backend();
  setRecordBackend(info.name);
  console.log('hub-memory: RSS per idle green thread (parked on a hub timer) vs per idle async function');
  console.log(environmentLine(info.name, info.reason ? `(${info.reason})` : ''));
  console.log(`${opts.count} at once; median of ${opts.runs} fresh processes per case`);
  const rows: string[][] = [['case', 'RSS/unit', 'heap/unit', 'target']];
  for (const [kind, label] of [
    ['green', `verdant green thread, sleep(3600) (${info.name})`],
    ['async', 'async fn awaiting setTimeout(1 h)'],
  ] as const) {
    const results = Array.from({ length: opts.runs }, () => runChild(kind, opts.count));
    const rss = median(results.map((r) => r.rss / r.alive));
    const heap = median(results.map((r) => r.heap / r.alive));
    rows.push([label, `${fmt(rss / 1024)} KB`, `${fmt(heap / 1024)} KB`, kind === 'green' ? '≤ 12 KB' : '']);
    record('hub-memory', kind === 'green' ? 'verdant_idle_green_thread' : 'async_idle_timer', rss / 1024, 'KB', {
      heap: heap / 1024,
      count: opts.count,
    });
  }
  for (const kind of ['eventlet', 'gevent'] as const) {
    const bytes = pythonAnchor(kind, opts.count);
    rows.push([`${kind} idle green thread (anchor)`, bytes === null ? 'not installed' : `${fmt(bytes / 1024)} KB`, '', '']);
  }
  printTable(rows);
}

const spec = process.env[CHILD_ENV];
if (spec) {
  const [kind, count] = spec.split(':');
  child(kind, Number(count)).then((m) => {
    process.stdout.write(JSON.stringify(m) + '\n');
    process.exit(0);
  });
} else {
  parent().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

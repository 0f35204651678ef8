/**
 * The HTTP server benchmark: hello world with keep-alive under `wrk -t1` at 100 and 1000 connections, verdant's
 * green server (a plain-object handler, a WHATWG Response handler, a Hono app) against Node's `http.createServer`
 * and the same Hono app on @hono/node-server, started side by side and measured interleaved run by run;
 * eventlet.wsgi and gevent.pywsgi too when ../shared/anchors and those Python packages are there. Server pinned to CPU 1, wrk to CPU 0 when the machine allows.
 *
 * Prints requests per second with the ratio to Node's, p50/p99 latency, and the server's CPU time per request
 * (from /proc: unlike requests per second, it stays meaningful when something else shares the machine).
 *
 *   node dist/bench/http.js [--runs=3] [--seconds=5] [--warmup=2]
 *
 * Needs wrk (`apt-get install -y wrk`); says so and exits 1 when it is missing. The same with worker processes
 * and a reload under load: bench/http-launcher.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backend } from '../lib/runtime/config';
import { environmentLine, fmt, median, options, printTable, pythonAnchorServer, record } from './harness';
import { cpuSeconds, failures, hasWrk, pinned, startServer, stopServer, wrk, type StartedServer } from './wrk';

const opts = options({ runs: 3, seconds: 5, warmup: 2 });
const CONNS = [100, 1000];
const SERVER_CPU = 1;
const CLIENT_CPU = 0;
const anchors = process.env.VERDANT_ANCHORS ?? join(__dirname, '..', '..', '..', 'shared', 'anchors', 'bench');

interface Contender {
  name: string;
  command: string[];
}

const servers = join(__dirname, 'http', 'servers.js');
const contenders: Contender[] = [
  { name: 'node http.createServer', command: [process.execPath, servers, 'node-http'] },
  { name: 'verdant http.serve (plain object)', command: [process.execPath, servers, 'verdant-plain'] },
  { name: 'verdant http.serve (Response)', command: [process.execPath, servers, 'verdant-response'] },
  { name: 'Hono app on @hono/node-server', command: [process.execPath, servers, 'hono-node-server'] },
  { name: 'Hono app on verdant http.serve', command: [process.execPath, servers, 'hono-verdant'] },
];
for (const [name, script, module] of [['eventlet.wsgi', 'eventlet_wsgi.py', 'eventlet'], ['gevent.pywsgi', 'gevent_wsgi.py', 'gevent']] as const) {
  const command = pythonAnchorServer(join(anchors, 'http'), script, module);
  if (command) contenders.push({ name, command });
}

let nextPort = 21000 + (process.pid % 400) * 8;

interface Sample {
  perSecond: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
}

async function measure(server: StartedServer, name: string, connections: number): Promise<Sample> {
  const cpu0 = cpuSeconds(server.child.pid!);
  const result = await wrk(server.port, { connections, seconds: opts.seconds, latency: true, cpu: CLIENT_CPU });
  const cpu = cpuSeconds(server.child.pid!) - cpu0;
  if (failures(result) > 0) console.log(`  (${name}, ${connections} connections: ${failures(result)} failed requests or socket errors)`);
  return { perSecond: result.perSecond, p50: result.p50, p99: result.p99, cpuPerRequest: (cpu / result.requests) * 1e6 };
}

async function compare(connections: number): Promise<void> {
  const started: StartedServer[] = [];
  const samples: Sample[][] = contenders.map(() => []);
  try {
    for (const contender of contenders) {
      const port = nextPort++;
      // The anchors print READY without the port: it is the one they were given.
      started.push({ ...(await startServer(pinned(SERVER_CPU, [...contender.command, String(port)]), /READY/)), port });
    }
    for (const server of started) await wrk(server.port, { connections, seconds: opts.warmup, cpu: CLIENT_CPU });
    for (let run = 0; run < opts.runs; run++) {
      for (const [i, server] of started.entries()) samples[i].push(await measure(server, contenders[i].name, connections));
    }
  } finally {
    for (const server of started) await stopServer(server.child);
  }
  const baseline = median(samples[0].map((s) => s.perSecond));
  const rows = [['server', 'req/s', 'vs node', 'p50 ms', 'p99 ms', 'CPU us/req']];
  contenders.forEach((contender, i) => {
    const rate = median(samples[i].map((s) => s.perSecond));
    const cpu = median(samples[i].map((s) => s.cpuPerRequest));
    rows.push([contender.name, fmt(rate), fmt(rate / baseline), fmt(median(samples[i].map((s) => s.p50))),
      fmt(median(samples[i].map((s) => s.p99))), fmt(cpu)]);
    const key = contender.name.replace(/[^a-z]+/gi, '_').toLowerCase();
    record('http', `${key}_c${connections}_rps`, rate, 'req/s', { ratio: rate / baseline, cpuPerRequestUs: cpu });
  });
  console.log(`\nhello world, keep-alive, wrk -t1 -c${connections} -d${opts.seconds}s, medians of ${opts.runs} interleaved runs:`);
  printTable(rows);
}

async function main(): Promise<number> {
  console.log(`http benchmark: ${environmentLine(backend().name)}`);
  if (!hasWrk()) {
    console.log('wrk is missing: this benchmark needs it (apt-get install -y wrk). Nothing was measured.');
    return 1;
  }
  for (const connections of CONNS) await compare(connections);
  return 0;
}

main().then((code) => (process.exitCode = code));

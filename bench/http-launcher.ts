/**
 * The launcher benchmark: hello-world requests per second with `wrk -t1 -c100` against `verdant serve
 * --processes 4` and against a Node `cluster` http server with 4 workers, started side by side and measured
 * interleaved run by run; then "reload under load": wrk runs while `verdant serve` gets SIGHUP three times, and
 * every failed or non-2xx request is counted (there must be none).
 *
 *   node dist/bench/http-launcher.js [--runs=3] [--seconds=5] [--processes=4] [--connections=100] [--reloads=3]
 *
 * Needs wrk (`apt-get install -y wrk`); says so and exits 1 when it is missing. Nothing is pinned: the servers'
 * processes and wrk share the machine's cores, so compare the ratio, not the absolute figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { backend } from '../lib/runtime/config';
import { environmentLine, fmt, median, options, printTable, record } from './harness';
import { KeepAliveLoad, type WorkerLoad } from './http/keepalive-client';
import { failures, hasWrk, startServer, stopServer as stop, wrk, type WrkResult } from './wrk';

const opts = options({ runs: 3, seconds: 5, processes: 4, connections: 100, reloads: 3, warmup: 1, 'kill-connections': 50 });
const VERDANT = join(__dirname, '..', '..', 'bin', 'verdant.js');
/** The controller's lines once every worker of the first generation serves; the port is group 1. */
const VERDANT_READY = /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*generation 1 ready/;

const CLUSTER_SERVER = `'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const n = Number(process.argv[2]);
const body = process.argv[3] === 'pid' ? () => String(process.pid) : () => 'hello world\\n';
if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < n; i++) cluster.fork();
  cluster.on('listening', (worker, address) => {
    if (++listening === n) console.log('READY ' + address.port);
  });
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); });
} else {
  http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body());
  }).listen(0, '127.0.0.1');
}
`;

const HELLO_APP = `module.exports = () => new Response('hello world\\n', { headers: { 'content-type': 'text/plain' } });\n`;
/** Answers with the pid of the worker that served, for the kill test. */
const PID_APP = `module.exports = () => new Response(String(process.pid));\n`;

async function throughput(dir: string): Promise<void> {
  const app = join(dir, 'hello.js');
  writeFileSync(app, HELLO_APP);
  writeFileSync(join(dir, 'cluster.js'), CLUSTER_SERVER);
  const n = String(opts.processes);
  const servers = [
    {
      name: `verdant serve --processes ${n}`,
      ...(await startServer([process.execPath, VERDANT, 'serve', app, '--port', '0', '--host', '127.0.0.1', '--processes', n], VERDANT_READY, 'stderr')),
    },
    { name: `node cluster, ${n} workers`, ...(await startServer([process.execPath, join(dir, 'cluster.js'), n], /READY (\d+)/)) },
  ];
  const rates: number[][] = servers.map(() => []);
  try {
    for (const server of servers) await wrk(server.port, { connections: opts.connections, seconds: opts.warmup });
    for (let run = 0; run < opts.runs; run++) {
      for (const [i, server] of servers.entries()) {
        const result = await wrk(server.port, { connections: opts.connections, seconds: opts.seconds });
        const errors = failures(result);
        if (errors > 0) console.log(`  (${server.name}, run ${run + 1}: ${errors} errors)`);
        rates[i].push(result.perSecond);
      }
    }
  } finally {
    for (const server of servers) await stop(server.child);
  }
  const baseline = median(rates[1]);
  const rows = [['server', 'req/s median', 'runs', 'ratio vs node cluster']];
  servers.forEach((server, i) => {
    rows.push([server.name, fmt(median(rates[i])), rates[i].map((r) => fmt(r)).join(', '), fmt(median(rates[i]) / baseline)]);
  });
  console.log(`\nhello world, wrk -t1 -c${opts.connections} -d${opts.seconds}s, median of ${opts.runs} interleaved runs:`);
  printTable(rows);
  record('http-launcher', 'verdant_serve_rps', median(rates[0]), 'req/s', { processes: opts.processes, baseline });
  record('http-launcher', 'ratio_verdant_cluster', median(rates[0]) / baseline, 'x');
}

async function reloadUnderLoad(dir: string): Promise<boolean> {
  const app = join(dir, 'hello.js');
  const n = String(opts.processes);
  const server = await startServer(
    [process.execPath, VERDANT, 'serve', app, '--port', '0', '--host', '127.0.0.1', '--processes', n],
    VERDANT_READY,
    'stderr',
  );
  const seconds = Math.max(opts.seconds, 2 + opts.reloads * 2);
  let result: WrkResult;
  const reloadTimes: number[] = [];
  try {
    const load = wrk(server.port, { connections: opts.connections, seconds });
    for (let i = 0; i < opts.reloads; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const generation = i + 2;
      const t0 = performance.now();
      server.child.kill('SIGHUP');
      // Until the new generation serves and the old one has been told to go.
      while (!new RegExp(`generation ${generation} ready`).test(server.output())) await new Promise((r) => setTimeout(r, 20));
      reloadTimes.push((performance.now() - t0) / 1000);
    }
    result = await load;
  } finally {
    await stop(server.child);
  }
  const failed = result.connectErrors + result.readErrors + result.writeErrors + result.timeouts;
  console.log(`\nreload under load: wrk -t1 -c${opts.connections} -d${seconds}s while SIGHUP is sent ${opts.reloads} times (--processes ${n})`);
  printTable([
    ['requests', 'req/s', 'connect errors', 'read errors', 'write errors', 'timeouts', 'non-2xx', 'seconds to each new generation ready'],
    [String(result.requests), fmt(result.perSecond), String(result.connectErrors), String(result.readErrors), String(result.writeErrors),
      String(result.timeouts), String(result.non2xx), reloadTimes.map((t) => fmt(t)).join(', ')],
  ]);
  const generations = (server.output().match(/generation \d+ ready/g) ?? []).length;
  console.log(failed + result.non2xx === 0 ? `OK: no failed request, ${generations} generations served` : `FAILED: ${failed} failed and ${result.non2xx} non-2xx requests`);
  record('http-launcher', 'reload_failed_requests', failed + result.non2xx, 'requests', { reloads: opts.reloads });
  return failed + result.non2xx === 0;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * "kill -9 under load": keep-alive connections with one request always in flight; once the load has settled, the
 * worker holding the most connections is killed with SIGKILL. Its in-flight requests are lost with it (nothing
 * can answer them); every other request must succeed. Printed: how the connections were spread over the
 * workers at the kill, and the failed requests by the worker that held them.
 */
async function killUnderLoad(dir: string): Promise<boolean> {
  writeFileSync(join(dir, 'pid.js'), PID_APP);
  writeFileSync(join(dir, 'cluster.js'), CLUSTER_SERVER);
  const n = String(opts.processes);
  const contenders = [
    { name: `verdant serve --processes ${n}`, command: [process.execPath, VERDANT, 'serve', join(dir, 'pid.js'), '--port', '0', '--host', '127.0.0.1', '--processes', n], ready: VERDANT_READY, stream: 'stderr' as const },
    { name: `node cluster, ${n} workers`, command: [process.execPath, join(dir, 'cluster.js'), n, 'pid'], ready: /READY (\d+)/, stream: 'stdout' as const },
  ];
  const rows = [['server', 'connections per worker at the kill', "victim's in flight", 'failed: victim', 'failed: others', 'answered']];
  let ok = true;
  for (const contender of contenders) {
    const server = await startServer(contender.command, contender.ready, contender.stream);
    try {
      const load = new KeepAliveLoad(server.port, opts['kill-connections']);
      await pause(2000);
      const spread = load.byWorker();
      const [victim, held] = [...spread].sort((a, b) => b[1].connections - a[1].connections)[0] as [number, WorkerLoad];
      process.kill(victim, 'SIGKILL');
      await pause(2000);
      const result = load.stop();
      const lostByVictim = result.failedBy.get(victim) ?? 0;
      const lostElsewhere = [...result.failedBy].reduce((sum, [pid, count]) => (pid === victim ? sum : sum + count), 0);
      // The victim's connections each had at most one request in flight; nothing else may fail.
      if (lostByVictim > held.connections || lostElsewhere > 0) ok = false;
      const counts = [...spread.values()].map((w) => w.connections).sort((a, b) => b - a);
      rows.push([contender.name, counts.join('/'), String(held.inFlight), String(lostByVictim), String(lostElsewhere), String(result.answered)]);
      record('http-launcher', 'kill_failed_requests', lostByVictim + lostElsewhere, 'requests', { server: contender.name, victimConnections: held.connections });
    } finally {
      await stop(server.child);
    }
  }
  console.log(`\nkill -9 under load: ${opts['kill-connections']} keep-alive connections, the most loaded worker killed after 2 s, 2 s more`);
  printTable(rows);
  console.log(ok ? 'OK: only the killed worker\'s requests failed' : 'FAILED: requests failed beyond the killed worker\'s connections');
  return ok;
}

async function main(): Promise<number> {
  console.log(`launcher benchmark: ${environmentLine(backend().name, `${os.cpus().length} CPUs shared by servers and wrk`)}`);
  if (!hasWrk()) {
    console.log('wrk is missing: this benchmark needs it (apt-get install -y wrk). Nothing was measured.');
    return 1;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'verdant-launcher-bench-'));
  try {
    if (opts.runs > 0 && !process.argv.includes('--only-kill')) await throughput(dir);
    const reloaded = process.argv.includes('--only-kill') || (await reloadUnderLoad(dir));
    const killed = await killUnderLoad(dir);
    return reloaded && killed ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => (process.exitCode = code));

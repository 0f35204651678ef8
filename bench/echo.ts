/**
 * The echo benchmark: 64-byte ping-pong over loopback at 100 and 1000 connections, verdant's green echo server
 * against Node's own net server in callback style (and the eventlet and gevent servers of ../shared/anchors when
 * they and python3 are there), run side by side; then the server's RSS per idle connection at 10k connections.
 *
 *   node dist/bench/echo.js [--seconds=4] [--runs=3] [--idle=10000] [--only-memory=1] [--skip-memory=1] [--skip-tls=1]
 *
 * The TLS echo (100 connections; TLS 1.3, an EC P-256 certificate made with the openssl CLI) runs verdant's green
 * TLS server against Node's tls server in callback style; its load generator is loadgen.c built with OpenSSL
 * (Debian's libssl-dev), skipped when that does not build.
 *
 * The load generator is bench/echo/loadgen.c (built here with the C compiler): one epoll thread keeping every
 * connection in a closed loop. With two or more CPUs, the server is pinned to CPU 1 and the client to CPU 0.
 * Runs are interleaved server by server, and figures are medians; ratios are against Node's server in the same
 * run.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { environmentLine, fmt, median, options, printTable, pythonAnchorServer, record } from './harness';

const opts = options({ seconds: 4, runs: 3, idle: 10000, 'only-memory': 0, 'skip-memory': 0, 'skip-tls': 0, size: 64 });
const CONNS = [100, 1000];
const pinned = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const anchors = process.env.VERDANT_ANCHORS ?? join(__dirname, '..', '..', '..', 'shared', 'anchors', 'bench');

interface Server {
  name: string;
  command: string[];
}

const servers: Server[] = [
  { name: 'node net (callbacks)', command: [process.execPath, join(__dirname, 'echo', 'servers.js'), 'node-callback'] },
  { name: 'verdant recv', command: [process.execPath, join(__dirname, 'echo', 'servers.js'), 'verdant'] },
  { name: 'verdant makefile', command: [process.execPath, join(__dirname, 'echo', 'servers.js'), 'verdant-file'] },
];
for (const [name, script] of [['eventlet', 'eventlet_echo.py'], ['gevent', 'gevent_echo.py']] as const) {
  const command = pythonAnchorServer(join(anchors, 'echo'), script, name);
  if (command) servers.push({ name, command });
}

function pin(cpu: number, command: string[]): string[] {
  return pinned ? ['taskset', '-c', String(cpu), ...command] : command;
}

let nextPort = 19000 + (process.pid % 500) * 2;

/** Starts a server on a fresh port and waits for its READY line. */
async function startServer(server: Server, env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; port: number }> {
  const port = nextPort++;
  const [cmd, ...args] = pin(1, [...server.command, String(port)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${server.name} did not start`)), 10000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`${server.name} exited with ${code}`)));
  });
  return { child, port };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

const scratch = mkdtempSync(join(os.tmpdir(), 'verdant-echo-'));
const loadgenSource = join(__dirname, '..', '..', 'bench', 'echo', 'loadgen.c');

function buildLoadgen(): string {
  const out = join(scratch, 'loadgen');
  execFileSync('cc', ['-O2', '-o', out, loadgenSource]);
  return out;
}

/** The TLS load generator and a certificate for the servers, or null when OpenSSL's headers are missing. */
function prepareTls(): { loadgen: string; env: NodeJS.ProcessEnv } | null {
  const loadgen = join(scratch, 'loadgen-tls');
  try {
    execFileSync('cc', ['-O2', '-DLOADGEN_TLS', '-o', loadgen, loadgenSource, '-lssl', '-lcrypto'], { stdio: 'pipe' });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', join(scratch, 'key.pem'), '-out', join(scratch, 'cert.pem')], { stdio: 'pipe' });
  } catch (error) {
    console.log(`(TLS echo skipped: ${(error as Error).message.split('\n')[0]})`);
    return null;
  }
  return { loadgen, env: { ...process.env, ECHO_TLS_CERT: join(scratch, 'cert.pem'), ECHO_TLS_KEY: join(scratch, 'key.pem') } };
}

interface Result {
  rate: number;
  p50_us: number;
  p99_us: number;
}

async function throughput(loadgen: string): Promise<void> {
  const results = new Map<string, Result[]>();
  for (let run = 0; run < opts.runs; run++) {
    for (const conns of CONNS) {
      for (const server of servers) {
        const { child, port } = await startServer(server);
        try {
          const out = execFileSync(pin(0, [loadgen])[0], [...pin(0, [loadgen]).slice(1), '127.0.0.1', String(port), String(conns), String(opts.seconds), String(opts.size), '1'], {
            encoding: 'utf8',
          });
          const key = `${server.name}|${conns}`;
          results.set(key, [...(results.get(key) ?? []), JSON.parse(out) as Result]);
        } catch (error) {
          console.log(`!!! ${server.name} at ${conns} connections failed: ${(error as Error).message.split('\n')[0]}`);
        } finally {
          await stop(child);
        }
      }
    }
  }
  const rows: string[][] = [['server', 'conns', 'messages/s', 'ratio to node', 'p50 µs', 'p99 µs']];
  for (const conns of CONNS) {
    const base = median((results.get(`${servers[0].name}|${conns}`) ?? []).map((r) => r.rate));
    for (const server of servers) {
      const rs = results.get(`${server.name}|${conns}`);
      if (!rs?.length) continue;
      const rate = median(rs.map((r) => r.rate));
      const p50 = median(rs.map((r) => r.p50_us));
      const p99 = median(rs.map((r) => r.p99_us));
      rows.push([server.name, String(conns), fmt(rate), `${(rate / base).toFixed(2)}×`, fmt(p50), fmt(p99)]);
      record('echo', `${server.name} c${conns}`, rate, 'msg/s', { p50, p99, baseline: base, min: Math.min(...rs.map((r) => r.rate)), max: Math.max(...rs.map((r) => r.rate)) });
    }
  }
  console.log(`\nEcho, ${opts.size}-byte ping-pong, ${opts.seconds} s per run, median of ${opts.runs} runs:`);
  printTable(rows);
}

/** Server RSS per idle connection: RSS with `idle` connections held, minus RSS before, over `idle`. */
async function memory(loadgen: string): Promise<void> {
  const rows: string[][] = [['server', 'idle conns', 'KB per connection', 'RSS before (MB)', 'RSS after (MB)']];
  for (const server of servers.filter((s) => s.name !== 'verdant makefile')) {
    const { child, port } = await startServer(server);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = rssKb(child.pid!);
      const [cmd, ...args] = pin(0, [loadgen, '127.0.0.1', String(port), String(opts.idle), '0', String(opts.size)]);
      const holder = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d) => String(d).includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`the load generator exited with ${code} (ulimit -n?)`)));
      });
      await new Promise((r) => setTimeout(r, 500));
      const after = rssKb(child.pid!);
      holder.stdin!.end();
      await stop(holder);
      const perConn = (after - before) / opts.idle;
      rows.push([server.name, String(opts.idle), fmt(perConn), fmt(before / 1024), fmt(after / 1024)]);
      record('echo-memory', server.name, perConn, 'KB/conn', { count: opts.idle });
    } catch (error) {
      console.log(`!!! ${server.name}: ${(error as Error).message}`);
    } finally {
      await stop(child);
    }
  }
  console.log(`\nRSS per idle connection (each echoed once, then held open):`);
  printTable(rows);
}

async function tlsThroughput(tls: { loadgen: string; env: NodeJS.ProcessEnv }): Promise<void> {
  const tlsServers: Server[] = [
    { name: 'node tls (callbacks)', command: [process.execPath, join(__dirname, 'echo', 'servers.js'), 'node-tls'] },
    { name: 'verdant TLS recv', command: [process.execPath, join(__dirname, 'echo', 'servers.js'), 'verdant-tls'] },
  ];
  const rates = new Map<string, Result[]>();
  for (let run = 0; run < opts.runs; run++) {
    for (const server of tlsServers) {
      const { child, port } = await startServer(server, tls.env);
      try {
        const [cmd, ...args] = pin(0, [tls.loadgen, '127.0.0.1', String(port), '100', String(opts.seconds), String(opts.size), '1', 'tls']);
        rates.set(server.name, [...(rates.get(server.name) ?? []), JSON.parse(execFileSync(cmd, args, { encoding: 'utf8' })) as Result]);
      } catch (error) {
        console.log(`!!! ${server.name} failed: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await stop(child);
      }
    }
  }
  const rows: string[][] = [['server', 'conns', 'messages/s', 'ratio to node', 'p50 µs', 'p99 µs']];
  const base = median((rates.get(tlsServers[0].name) ?? []).map((r) => r.rate));
  for (const server of tlsServers) {
    const rs = rates.get(server.name);
    if (!rs?.length) continue;
    const rate = median(rs.map((r) => r.rate));
    rows.push([server.name, '100', fmt(rate), `${(rate / base).toFixed(2)}×`, fmt(median(rs.map((r) => r.p50_us))), fmt(median(rs.map((r) => r.p99_us)))]);
    record('echo-tls', server.name, rate, 'msg/s', { baseline: base });
  }
  console.log(`\nTLS echo, ${opts.size}-byte ping-pong, ${opts.seconds} s per run, median of ${opts.runs} runs:`);
  printTable(rows);
}

async function main(): Promise<void> {
  console.log(environmentLine('fcontext', pinned ? 'server on CPU 1, client on CPU 0' : 'not pinned'));
  const loadgen = buildLoadgen();
  if (!opts['only-memory']) await throughput(loadgen);
  if (!opts['only-memory'] && !opts['skip-tls']) {
    const tls = prepareTls();
    if (tls !== null) await tlsThroughput(tls);
  }
  if (!opts['skip-memory']) await memory(loadgen);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

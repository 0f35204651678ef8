// `verdant serve` as a user runs it: a real controller process and its workers on a real socket, talked to with
// Node's http client. Spreading over processes, the status path, the tpool size, access logs, a killed worker,
// SIGTERM, an app that throws at load, ES module apps, and bad command lines.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { listen } from '../../lib/net/convenience';
import { appSource, get, runToEnd, sleepMs, useScratchApp, writeApp } from './support';

/** Whether `pid` is a process that still runs (not gone, not a zombie). */
/**
 * What a new connection to `port` meets within a second: refused (nothing listens), answered (a worker served a
 * request on it), reset or closed (it reached the queue in the instant between the workers' last accept and the
 * socket's close: the client learns at once), or stuck (the kernel took it into a backlog nobody accepts from, and
 * it waits there).
 */
function probe(port: number): Promise<'refused' | 'answered' | 'reset' | 'closed' | 'stuck'> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const stuck = setTimeout(() => {
      sock.destroy();
      resolve('stuck');
    }, 1000);
    sock.on('connect', () => sock.write('GET /slow?ms=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    sock.on('data', () => {
      clearTimeout(stuck);
      sock.destroy();
      resolve('answered');
    });
    sock.on('close', () => {
      clearTimeout(stuck);
      resolve('closed');
    });
    sock.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(stuck);
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ECONNRESET' ? 'reset' : 'stuck');
    });
  });
}

function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/**
 * A keep-alive connection that stays open between requests: `request()` sends `GET /` and resolves with the pid
 * of the worker that answered, or 'failed' when the connection broke first.
 */
class KeptConnection {
  readonly #sock: net.Socket;
  #buffer = '';
  #pending: ((answer: number | 'failed') => void) | null = null;

  constructor(port: number) {
    this.#sock = net.connect(port, '127.0.0.1');
    this.#sock.setEncoding('latin1');
    this.#sock.on('data', (chunk: string) => {
      this.#buffer += chunk;
      const end = this.#buffer.indexOf('\r\n\r\n');
      const length = /content-length: *(\d+)/i.exec(this.#buffer.slice(0, Math.max(0, end)));
      if (end < 0 || length === null || this.#buffer.length < end + 4 + Number(length[1])) return;
      const body = this.#buffer.slice(end + 4, end + 4 + Number(length[1]));
      this.#buffer = '';
      this.#settle((JSON.parse(body) as { pid: number }).pid);
    });
    const broken = () => this.#settle('failed');
    this.#sock.on('error', broken);
    this.#sock.on('close', broken);
  }

  request(): Promise<number | 'failed'> {
    return new Promise((resolve) => {
      this.#pending = resolve;
      if (this.#sock.destroyed) return this.#settle('failed');
      this.#sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
  }

  close(): void {
    this.#sock.destroy();
  }

  #settle(answer: number | 'failed'): void {
    const pending = this.#pending;
    this.#pending = null;
    pending?.(answer);
  }
}

describe('verdant serve', function () {
  this.timeout(30000);
  const scratch = useScratchApp();
  const serve = (args: string[]) => scratch.serve(args);

  it('spreads requests over its worker processes, serves the status on a loopback socket of its own, sizes the tpool', async () => {
    const s = await serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '2', '--threads', '3', '--status-listen', '0', '--status-path', '/_verdant/status']).ready();
    assert.match(s.stderr, new RegExp(`status on http://127\\.0\\.0\\.1:${s.statusPort}/_verdant/status\\n`), 'loopback unless told otherwise');
    // Requests that keep a worker's CPU busy for a moment, 4 at a time on fresh connections: a busy worker is
    // not accepting, so the other one takes the next connection from the shared queue.
    const pids = new Set<number>();
    for (let round = 0; round < 10 && pids.size < 2; round++) {
      const answers = await Promise.all([0, 1, 2, 3].map(() => get(s.port, '/spin?ms=20')));
      for (const a of answers) pids.add((JSON.parse(a.body) as { pid: number }).pid);
    }
    assert.equal(pids.size, 2, `two worker processes answered: ${[...pids]}`);
    assert.ok(!pids.has(s.pid), 'the controller serves nothing itself');

    const tpool = JSON.parse((await get(s.port, '/tpool')).body) as { size: number; uv: string };
    assert.deepEqual(tpool, { size: 3, uv: '3' }, '--threads sizes both pools behind tpool.execute');

    await sleepMs(1200); // every worker has sent its stats once
    const status = await get(s.statusPort, '/_verdant/status');
    assert.equal(status.status, 200);
    assert.equal(status.headers['content-type'], 'application/json');
    const doc = JSON.parse(status.body) as {
      controller: { pid: number; uptime: number };
      generation: number;
      processes: number;
      workers: { pid: number; generation: number; state: string; age: number; requests: number; rss: number; connections: number; retiring: string | null }[];
    };
    assert.equal(doc.controller.pid, s.pid);
    assert.ok(doc.controller.uptime > 1);
    assert.equal(doc.generation, 1);
    assert.equal(doc.processes, 2);
    assert.deepEqual(doc.workers.map((w) => w.pid).sort(), [...pids].sort());
    for (const w of doc.workers) {
      assert.equal(w.generation, 1);
      assert.equal(w.state, 'ready');
      assert.equal(w.retiring, null);
      assert.ok(w.age > 1 && w.age < 60, `age ${w.age}`);
      assert.ok(w.rss > 10 * 1024 * 1024, `rss ${w.rss}`);
      assert.ok(w.requests >= 1, 'each served some of the spinning requests');
    }
    const served = doc.workers.reduce((sum, w) => sum + w.requests, 0);
    assert.ok(served >= 5, `requests counted: ${served}`);
    assert.equal((await get(s.statusPort, '/_verdant/status?x=1')).headers['content-type'], 'application/json', 'a query does not matter');
    assert.equal((await get(s.statusPort, '/_verdant/statusx')).status, 404);
    // The app's socket knows nothing of it: the path is the app's like any other.
    assert.equal((JSON.parse((await get(s.port, '/_verdant/status')).body) as { version: number }).version, 1, 'the app answers its own socket');

    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  });

  it('replaces a worker that is killed, refuses a second launcher on its port or pid file, and SIGTERM drains in-flight requests, exits 0 and removes the pid file', async () => {
    const pidFile = path.join(scratch.dir, 'serve.pid');
    const log = path.join(scratch.dir, 'access.log');
    const s = await serve([scratch.app, '--port=0', '--host=127.0.0.1', '--processes=2', `--pid-file=${pidFile}`, `--access-log=${log}`, '--status-listen=127.0.0.1:0']).ready();
    assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(s.pid));
    const workers = () => get(s.statusPort, '/status').then((r) => (JSON.parse(r.body) as { workers: { pid: number; state: string }[] }).workers);
    const before = await workers();
    assert.equal(before.length, 2);

    const victim = before[0].pid;
    const mark = s.stderr.length;
    process.kill(victim, 'SIGKILL');
    await s.waitFor(new RegExp(`worker ${victim} \\(generation 1\\) exited unexpectedly \\(signal SIGKILL\\)`), 10000, mark);
    const [, replacement] = await s.waitFor(/worker (\d+) ready \(generation 1\)/, 10000, mark);
    const after = await workers();
    assert.deepEqual(after.map((w) => w.pid).sort(), [before[1].pid, Number(replacement)].sort());
    assert.ok(after.every((w) => w.state === 'ready'));

    // A second launcher on the same port, or with the same pid file, stops before starting anything.
    const [busyPort, takenPidFile] = await Promise.all([
      runToEnd([scratch.app, '--port', String(s.port), '--host', '127.0.0.1', '--processes', '1']),
      runToEnd([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '1', '--pid-file', pidFile]),
    ]);
    assert.equal(busyPort.code, 1);
    assert.match(busyPort.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${s.port}: bind EADDRINUSE`));
    assert.equal(takenPidFile.code, 1);
    assert.match(takenPidFile.stderr, new RegExp(`the pid file .* names process ${s.pid}, which is running`));
    assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(s.pid), 'and it is left alone');

    // A slow request in flight when SIGTERM arrives still gets its answer; meanwhile new connections are refused
    // as soon as the workers stop accepting, rather than queued in a backlog nobody will accept from.
    const slow = get(s.port, '/slow?ms=2500');
    await sleepMs(200);
    s.child.kill('SIGTERM');
    const probes: string[] = [];
    while (probes.at(-1) !== 'refused' && probes.length < 10) probes.push(await probe(s.port));
    assert.equal(probes.at(-1), 'refused', `after SIGTERM, new connections met: ${probes.join(', ')}`);
    assert.ok(!probes.includes('stuck'), `after SIGTERM, new connections met: ${probes.join(', ')}`);
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.connection, 'close');
    assert.deepEqual(await s.exited, { code: 0, signal: null });
    assert.equal(fs.existsSync(pidFile), false, 'the pid file is removed');
    assert.match(s.stderr, /SIGTERM: stopping 2 worker\(s\)\n[\s\S]*stopped\n$/);
    for (const w of after) assert.equal(isRunning(w.pid), false, `worker ${w.pid} is gone`);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    assert.ok(lines.some((l) => /^127\.0\.0\.1 - - \[.*\] "GET \/slow\?ms=2500 HTTP\/1\.1" 200 \d+ "-" "-" \d+\.\d+$/.test(l)), lines.join('\n'));
  });

  it('spreads a burst of keep-alive connections evenly over the workers, so a killed worker costs only its own', async () => {
    const s = await scratch.serve([scratch.app, '--port=0', '--host=127.0.0.1', '--processes=4']).ready();
    const connections = Array.from({ length: 40 }, () => new KeptConnection(s.port));
    try {
      const first = await Promise.all(connections.map((c) => c.request()));
      const held = new Map<number, number>();
      for (const pid of first) {
        assert.notEqual(pid, 'failed');
        held.set(pid as number, (held.get(pid as number) ?? 0) + 1);
      }
      // Taken greedily, the burst lands on one or two workers (49/1/0/0 for 50 before the balance).
      const counts = [...held.values()].sort((a, b) => b - a);
      assert.equal(counts.length, 4, `every worker holds some: ${counts.join('/')}`);
      assert.ok(counts[0] <= 14 && counts[3] >= 6, `spread evenly: ${counts.join('/')}`);

      const [victim, victimHeld] = [...held].sort((a, b) => b[1] - a[1])[0];
      process.kill(victim, 'SIGKILL');
      await s.waitFor(new RegExp(`worker ${victim} \\(generation 1\\) exited unexpectedly`), 10000);
      const second = await Promise.all(connections.map((c) => c.request()));
      const failed = second.filter((answer, i) => answer === 'failed' && first[i] === victim).length;
      assert.equal(failed, victimHeld, "the killed worker's connections broke");
      second.forEach((answer, i) => {
        if (first[i] !== victim) assert.equal(answer, first[i], 'every other connection is served by its worker');
      });
    } finally {
      connections.forEach((c) => c.close());
    }
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  });

  it('answers the liveness and readiness paths itself: 200, and 503 for readiness from a stopping worker', async () => {
    const s = await serve([scratch.app, '--port=0', '--host=127.0.0.1', '--processes=1', '--live-path=/livez', '--ready-path=/readyz']).ready();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const live = await get(s.port, '/livez', { agent });
      assert.deepEqual([live.status, (JSON.parse(live.body) as { status: string }).status], [200, 'ok']);
      const ready = await get(s.port, '/readyz?probe=1', { agent });
      assert.deepEqual([ready.status, (JSON.parse(ready.body) as { status: string }).status], [200, 'ok']);
      assert.equal((JSON.parse((await get(s.port, '/readyzz', { agent })).body) as { version: number }).version, 1, 'another path goes to the app');
      // The kept-alive connection may send one more request to the stopping worker: it learns to go elsewhere.
      s.child.kill('SIGTERM');
      await s.waitFor(/SIGTERM: stopping/);
      await sleepMs(300);
      const stopping = await get(s.port, '/readyz', { agent });
      assert.deepEqual([stopping.status, (JSON.parse(stopping.body) as { status: string }).status], [503, 'stopping']);
      assert.deepEqual(await s.exited, { code: 0, signal: null });
    } finally {
      agent.destroy();
    }
    const clash = await runToEnd([scratch.app, '--live-path=/same', '--ready-path=/same']);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /--live-path and --ready-path must differ/);
  });

  it('serves the socket systemd passes (socket activation), and refuses to start with two', async () => {
    const listener = listen(['127.0.0.1', 0]);
    try {
      const port = (listener.getSockName() as { port: number }).port;
      const s = scratch.serve([scratch.app, '--processes=1', '--port=1'], { activation: { fd: listener.fileno() } });
      const [, listened] = await s.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+) \(socket activation\)/);
      assert.equal(Number(listened), port, 'the passed socket, not --port');
      await s.waitFor(/generation 1 ready/);
      const answer = await get(port, '/');
      assert.equal(answer.status, 200);
      assert.equal((JSON.parse(answer.body) as { version: number }).version, 1);
      assert.deepEqual(await s.stop(), { code: 0, signal: null });

      const two = scratch.serve([scratch.app, '--processes=1'], { activation: { fd: listener.fileno(), count: 2 } });
      assert.deepEqual(await two.exited, { code: 1, signal: null });
      assert.match(two.stderr, /socket activation: LISTEN_FDS is "2"; verdant serve takes exactly one listening socket/);
    } finally {
      listener.close();
    }
  });

  it('leaves no worker behind when the controller itself is killed', async () => {
    const s = await serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '2', '--status-listen', '0']).ready();
    const doc = JSON.parse((await get(s.statusPort, '/status')).body) as { workers: { pid: number }[] };
    const pids = doc.workers.map((w) => w.pid);
    assert.equal(pids.length, 2);
    assert.ok(pids.every(isRunning));
    assert.deepEqual(await s.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
    // Each worker sees its IPC channel close, drains and exits (a zombie until init reaps it is gone enough).
    const deadline = Date.now() + 5000;
    while (pids.some(isRunning) && Date.now() < deadline) await sleepMs(50);
    assert.deepEqual(pids.filter(isRunning), [], 'no worker outlives its controller');
  });

  it('reports an app that throws at load, retries with a growing delay, and serves once the code is fixed', async () => {
    writeApp(scratch.app, appSource(1, "throw new Error('boom at load');"));
    const s = serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '2']);
    await s.waitFor(/could not start:\n.*threw while loading: Error: boom at load/, 10000);
    await sleepMs(2500);
    const attempts = (s.stderr.match(/could not start/g) ?? []).length;
    // 2 at once, then 0.5 s, 1 s, 2 s apart per failed round: a handful of attempts, not a spin.
    assert.ok(attempts >= 2 && attempts <= 8, `${attempts} attempts in 2.5 s:\n${s.stderr}`);
    assert.equal((s.stderr.match(/boom at load/g) ?? []).length, 1, 'the error is printed once, then "the same error again"');
    assert.match(s.stderr, /starting a replacement in \d+(\.\d+)? s/);
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(s.stderr)![1]);

    writeApp(scratch.app, appSource(2));
    s.child.kill('SIGHUP'); // retry now rather than after the delay
    await s.waitFor(/generation 2 ready/, 10000);
    assert.equal((JSON.parse((await get(port, '/')).body) as { version: number }).version, 2);
    assert.deepEqual(await s.stop('SIGINT'), { code: 0, signal: null });
  });

  it('serves an ES module exporting an object with a fetch method, and logs to stdout with --access-log -', async () => {
    const esm = path.join(scratch.dir, 'app.mjs');
    writeApp(esm, 'export default { greeting: "hi", fetch(req) { return new Response(`${this.greeting} ${new URL(req.url).pathname}`); } };\n');
    const s = await serve([esm, '--port', '0', '--host', '127.0.0.1', '--processes', '1', '--access-log', '-']).ready();
    const answer = await get(s.port, '/esm');
    assert.equal(answer.body, 'hi /esm');
    await sleepMs(100);
    assert.match(s.stdout, /"GET \/esm HTTP\/1\.1" 200 7 /);
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  });

  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    const cert = path.join(scratch.dir, 'cert.pem');
    const key = path.join(scratch.dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const s = await serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '1', '--tls-cert', cert, '--tls-key', key]).ready();
    assert.match(s.stderr, /listening on https:\/\/127\.0\.0\.1:/);
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: s.port, path: '/', ca: fs.readFileSync(cert), agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.equal((JSON.parse(body) as { version: number }).version, 1);
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  });

  it('exits with code 2 and names the problem for bad flags and a missing app file (1 for a host that does not resolve)', async () => {
    const cases: [string[], RegExp][] = [
      [[scratch.app, '--prot', '80'], /unknown flag --prot/],
      [[scratch.app, '--processes', 'four'], /--processes takes an integer, not "four"/],
      [[scratch.app, '--port', '70000'], /--port takes an integer >= 0 and <= 65535, not 70000/],
      [[path.join(scratch.dir, 'missing.js')], /no such app file: .*missing\.js/],
      [[scratch.app, '--tls-cert', scratch.app], /--tls-cert needs --tls-key/],
    ];
    const results = await Promise.all(cases.map(([args]) => runToEnd(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i][0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i][1]);
    });
    const unresolvable = await runToEnd([scratch.app, '--host', 'nosuch.invalid', '--port', '0']);
    assert.equal(unresolvable.code, 1, 'not a usage error: the name might resolve another time');
    assert.match(unresolvable.stderr, /^verdant serve: cannot listen on nosuch\.invalid:0: getaddrinfo /);
    const help = await runToEnd(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--graceful-timeout/);
  });
});

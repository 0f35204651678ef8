// The early-API examples (examples/legacy) run as a user would run them, `verdant run examples/legacy/<file>`, each
// in a child process; the tests read their output and, for the servers, talk to them over real sockets.
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import * as path from 'node:path';
import { type GreenSocket, connect, listen, spawn, wait } from 'verdant';

const root = path.join(__dirname, '..', '..', '..');

function startExample(example: string, args: string[]): ChildProcess {
  const file = path.join(root, 'examples', 'legacy', example);
  return spawnProcess(process.execPath, [path.join(root, 'bin', 'verdant.js'), 'run', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Runs an example to its end and returns its output lines; fails on a non-zero exit or anything on stderr. The
 * calling green thread waits (on a promise), so servers in this process go on serving the example meanwhile.
 */
function runExample(example: string, ...args: string[]): string[] {
  const child = startExample(example, args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data) => (stdout += data));
  child.stderr!.on('data', (data) => (stderr += data));
  const code = wait(new Promise<number | null>((resolve) => child.once('close', resolve)));
  assert.equal(stderr, '', `${example} wrote to stderr`);
  assert.equal(code, 0, `${example} exited with ${code}; it printed:\n${stdout}`);
  return stdout.trimEnd().split('\n');
}

/** A loopback HTTP server for the timeout example: `reply` answers each request, or null to never answer. */
function httpServer(reply: string | null): { url: string; close(): void } {
  const server = listen(['127.0.0.1', 0]);
  const held: GreenSocket[] = [];
  const acceptor = spawn(() => {
    for (;;) {
      const [conn] = server.accept();
      held.push(conn);
      spawn(() => {
        const request = conn.makefile('r', { encoding: 'utf8' });
        request.readline(); // the request line is enough
        request.close(); // the connection stays held below, for the client to see its reply or nothing
        if (reply !== null) conn.sendAll(reply);
      });
    }
  });
  const address = server.getSockName();
  assert.ok('port' in address);
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close() {
      acceptor.kill();
      server.close();
      for (const conn of held) conn.close();
    },
  };
}

describe('examples: legacy', () => {
  it('producer-consumer.js passes every pair through the channel exactly once', () =>
    spawn(() => {
      const lines = runExample('producer-consumer.js');
      assert.equal(lines.pop(), 'all producers and consumers are done');
      assert.equal(lines.length, 25);
      const pairs = lines.map((line) => /^consumer (\d) received (\d) from producer (\d)$/.exec(line)!);
      assert.ok(pairs.every((m) => m !== null), lines.join('\n'));
      assert.deepEqual(pairs.map((m) => `${m[3]}:${m[2]}`).sort(), [0, 1, 2, 3, 4].flatMap((p) => [0, 1, 2, 3, 4].map((i) => `${p}:${i}`)));
      for (const consumer of ['0', '1', '2', '3', '4']) assert.equal(pairs.filter((m) => m[1] === consumer).length, 5);
    }));

  it('event-fanout.js wakes all five waiters with the one value sent', () =>
    spawn(() => {
      const lines = runExample('event-fanout.js');
      const sent = lines.indexOf('sending hello');
      assert.deepEqual(lines.slice(0, sent).sort(), [0, 1, 2, 3, 4].map((i) => `waiter ${i} is waiting`));
      assert.deepEqual(lines.slice(sent + 1).sort(), [0, 1, 2, 3, 4].map((i) => `waiter ${i} got hello`));
    }));

  it('pool-slow-jobs.js runs twenty jobs five at a time, blocking the submitter while the pool is full', () =>
    spawn(() => {
      const lines = runExample('pool-slow-jobs.js', '0.1');
      const submitted = (n: number) => lines.findIndex((line) => line.startsWith(`submitting job ${n} `));
      const done = (n: number) => lines.indexOf(`job ${n} done`);
      assert.deepEqual([0, 1, 2, 3, 4].map((n) => lines[submitted(n)]), [5, 4, 3, 2, 1].map((free, n) => `submitting job ${n} (${free} free)`));
      // The sixth submission had to wait for a slot: some job finished before the seventh was submitted.
      assert.ok(Math.min(...[0, 1, 2, 3, 4].map(done)) < submitted(6), lines.join('\n'));
      for (let n = 0; n < 20; n++) assert.ok(done(n) >= 0, `job ${n} done`);
      assert.equal(lines.at(-2), 'sum of squares: 2470');
      assert.match(lines.at(-1)!, /^20 jobs of 0\.1 s, five at a time, took \d+\.\d s$/);
    }));

  it('slow-actor.js: casts return at once, and the actor handles one message at a time, in order', () =>
    spawn(() => {
      const lines = runExample('slow-actor.js', '0.2');
      const casts = lines.filter((line) => line.includes('cast returned'));
      assert.deepEqual(casts.sort(), Array.from({ length: 10 }, (_, n) => `sender ${n}: cast returned`).sort());
      const firstDone = lines.indexOf('actor: done with message 0');
      assert.ok(lines.slice(0, firstDone).filter((line) => line.includes('cast returned')).length === 10, 'every cast returned before the actor finished one message');
      const work = lines.filter((line) => line.startsWith('actor: '));
      assert.deepEqual(work, Array.from({ length: 10 }, (_, n) => [`actor: working on message ${n}`, `actor: done with message ${n}`]).flat());
    }));

  it('timeout-request.js prints "Timed out!" when the server does not answer in time, the response when it does', () =>
    spawn(() => {
      const silent = httpServer(null);
      const answering = httpServer('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
      try {
        assert.deepEqual(runExample('timeout-request.js', silent.url, '0.5'), ['Timed out!']);
        assert.deepEqual(runExample('timeout-request.js', answering.url, '30'), ['got 200 with 5 characters']);
      } finally {
        silent.close();
        answering.close();
      }
    }));

  it('echo-server.js echoes each line back to its client', () =>
    spawn(() => {
      const child = startExample('echo-server.js', ['0']);
      try {
        const first = wait(new Promise<string>((resolve, reject) => {
          child.stdout!.once('data', (data) => resolve(String(data)));
          child.once('exit', (code) => reject(new Error(`echo-server.js exited with ${code}`)));
        }));
        const port = Number(/listening on port (\d+)/.exec(first)?.[1]);
        assert.ok(port > 0, first);
        const socks = [0, 1].map(() => connect(['127.0.0.1', port], { timeout: 10 }));
        const clients = socks.map((sock) => sock.makefile('rw', { encoding: 'utf8' }));
        for (const [i, file] of clients.entries()) {
          file.write(`line from client ${i}\n`);
          file.flush();
        }
        assert.deepEqual(clients.map((file) => file.readline()), ['line from client 0\n', 'line from client 1\n']);
        for (const file of clients) file.close();
        for (const sock of socks) sock.close();
      } finally {
        child.kill();
      }
    }));
});

// Replacing workers under load: SIGHUP reloads, --max-requests recycling, and --reload's file watching. Load comes
// from Node http clients, some on keep-alive connections and some opening a connection per request; every
// failure is counted, and none is allowed.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appSource, get, sleepMs, startLoad, useScratchApp, writeApp, type LoadResult } from './support';

function assertNoFailures(result: LoadResult): void {
  assert.deepEqual(
    { refused: result.refused, non2xx: result.non2xx, errors: result.errors.slice(0, 5) },
    { refused: 0, non2xx: 0, errors: [] },
    `${result.errors.length} failed requests`,
  );
}

/** The last `n` versions each client saw. */
const tails = (result: LoadResult, n: number) => result.versions.map((v) => v.slice(-n));

describe('verdant serve: replacing workers under load', function () {
  this.timeout(40000);
  const scratch = useScratchApp();
  const serve = (args: string[]) => scratch.serve(args);

  it('SIGHUP under constant load: no request fails, no connection is refused, and the new code answers', async () => {
    const s = await serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '2']).ready();
    const load = startLoad(s.port, { keepAlive: 4, fresh: 2 });
    await sleepMs(300);
    for (const version of [2, 3]) {
      // A slow request in flight across the reload: the old worker finishes it with the old code.
      const slow = get(s.port, '/slow?ms=700', { agent: false });
      await sleepMs(100);
      const mark = s.stderr.length;
      writeApp(scratch.app, appSource(version));
      s.child.kill('SIGHUP');
      await s.waitFor(new RegExp(`generation ${version} ready`), 20000, mark);
      // Both workers of the old generation have drained and exited.
      const [, ...stopped] = await s.waitFor(/stopping worker (\d+)[\s\S]*stopping worker (\d+)/, 20000, mark);
      for (const pid of stopped) await s.waitFor(new RegExp(`worker ${pid} \\(generation ${version - 1}\\) exited \\(code 0\\)`), 20000, mark);
      const answer = await slow;
      assert.equal((JSON.parse(answer.body) as { version: number }).version, version - 1);
      await sleepMs(300);
    }
    const result = await load.stop();
    assertNoFailures(result);
    assert.ok(result.ok > 200, `${result.ok} requests answered`);
    for (const tail of tails(result, 3)) assert.deepEqual(tail, [3, 3, 3], 'every client ends on the newest code');
    const seen = new Set(result.versions.flat());
    assert.deepEqual([...seen].sort(), [1, 2, 3]);
    assert.equal(result.pids.size, 6, 'three generations of two workers answered');
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  });

  it('recycles workers past --max-requests (new one first, then the old one drains) without failures', async () => {
    const s = await serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '2', '--max-requests', '150', '--status-listen', '0']).ready();
    const load = startLoad(s.port, { keepAlive: 3, fresh: 1 });
    await s.waitFor(/worker \d+ reached max-requests: starting its replacement/, 20000);
    await s.waitFor(/stopping worker \d+ \(generation 1, max-requests\)/, 20000);
    const [, gone] = await s.waitFor(/worker (\d+) \(generation 1\) exited \(code 0\)/, 20000);
    await sleepMs(500);
    const result = await load.stop();
    assertNoFailures(result);
    assert.ok(result.pids.size >= 3, `a replacement answered too (${result.pids.size} pids)`);
    // The replacement started before the old one was told to stop.
    const log = s.stderr;
    const reached = log.indexOf(`worker ${gone} reached max-requests`);
    const stopping = log.indexOf(`stopping worker ${gone} `);
    const replacementReady = log.slice(reached).search(/worker \d+ ready/) + reached;
    assert.ok(reached >= 0 && replacementReady > reached && replacementReady < stopping, log);
    const doc = JSON.parse((await get(s.statusPort, '/status')).body) as { generation: number; workers: { pid: number; state: string }[] };
    assert.equal(doc.generation, 1, 'recycling is not a reload');
    assert.ok(!doc.workers.some((w) => w.pid === Number(gone)));
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  });

  it('recycles a worker past --max-age, and kills a worker that does not stop within --graceful-timeout', async () => {
    const s = await serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '1', '--max-age', '1', '--graceful-timeout', '0.5']).ready();
    const [, old] = await s.waitFor(/worker (\d+) reached max-age: starting its replacement/, 10000);
    await s.waitFor(new RegExp(`worker ${old} \\(generation 1\\) exited \\(code 0\\)`), 10000);
    assert.equal((await get(s.port, '/')).status, 200);
    // A worker whose event loop is stuck (a handler spinning for 20 s) cannot drain: past --graceful-timeout
    // and the margin it is killed, and the controller still stops.
    const stuck = get(s.port, '/spin?ms=20000').catch((error: Error) => error);
    await sleepMs(300);
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    assert.deepEqual(await s.exited, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 10000);
    assert.match(s.stderr, /worker \d+ did not exit within --graceful-timeout: killing it/);
    assert.ok((await stuck) instanceof Error, 'the stuck request was cut off');
  });

  it('--reload reloads when a file in the app directory changes, and ignores its own access log', async () => {
    const log = path.join(scratch.dir, 'access.log');
    const s = await serve([scratch.app, '--port', '0', '--host', '127.0.0.1', '--processes', '1', '--reload', '--access-log', log]).ready();
    for (let i = 0; i < 3; i++) await get(s.port, '/');
    await sleepMs(500);
    assert.doesNotMatch(s.stderr, /reloading/, 'writing the access log is no change');
    fs.mkdirSync(path.join(scratch.dir, 'lib'));
    await s.waitFor(/a file changed: reloading, starting generation 2/, 10000);
    await s.waitFor(/generation 2 ready/, 10000);
    writeApp(path.join(scratch.dir, 'lib', 'helper.js'), 'module.exports = 1;\n'); // in a directory created after the start
    await s.waitFor(/generation 3 ready/, 10000);
    writeApp(scratch.app, appSource(7));
    await s.waitFor(/generation 4 ready/, 10000);
    assert.equal((JSON.parse((await get(s.port, '/')).body) as { version: number }).version, 7);
    assert.deepEqual(await s.stop(), { code: 0, signal: null });
  });
});

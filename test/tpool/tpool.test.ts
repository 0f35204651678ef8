// tpool.execute: module exports in real worker threads (results, errors with both stacks, crashes, killall,
// queueing, transfer, process exit), and Node's blocking functions on the libuv threadpool. tpool.proxy: objects
// living in a worker (identity, conversions, arguments by reference, release, killall, worker death). Test bodies
// run in green threads. eventlet's own tpool tests are ported in test/eventlet/tpool.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { threadId } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { ConnectionRefusedError, HubBlockingError, IOError, Timeout, spawn } from 'verdant';
import * as tpool from '../../lib/tpool';
import { STACK_JOIN } from '../../lib/tpool/remote-error';
import { removeScratch, root, scratchDir, ticker } from '../support/green-io';
import { until } from '../sync/helpers';

const tasks = path.join(__dirname, '..', 'fixtures', 'tpool-tasks.js');
const task = (name: string) => ({ module: tasks, name });

describe('tpool: worker tasks', () => {
  afterEach(() => {
    tpool.killall({ force: true });
    tpool.setSize(4);
  });

  it('runs a module export with cloned arguments; a returned Promise is awaited', () =>
    spawn(() => {
      assert.equal(tpool.execute(task('add'), 2, 3), 5);
      assert.equal(tpool.execute(`${tasks}#add`, 'a', 'b'), 'ab', "the 'module#name' form");
      assert.equal(tpool.execute({ module: pathToFileURL(tasks).href, name: 'add' }, 1, 1), 2, 'a file: URL');
      assert.equal(tpool.execute(task('doubleLater'), 21), 42);
      assert.deepEqual(tpool.execute(task('block'), 0, { nested: [1, new Map([[1, 2]])] }), {
        nested: [1, new Map([[1, 2]])],
      });
      const esm = path.join(root, 'test', 'fixtures', 'esm-task.mjs');
      assert.equal(tpool.execute(`${esm}#greet`, 'esm'), 'hello, esm', 'an ES module');
      const relative = './' + path.relative(process.cwd(), tasks);
      assert.equal(tpool.execute({ module: relative, name: 'add' }, 4, 4), 8, 'a specifier resolved from the cwd');
    }));

  it('lets other green threads run while a task keeps its worker busy', () =>
    spawn(() => {
      const t = ticker();
      assert.equal(tpool.execute(task('spin'), 200), 200);
      const ticks = t.ticks;
      t.stop();
      assert.ok(ticks >= 5, `the ticker ran ${ticks} times during a 200 ms task`);
    }));

  it("rethrows a task's error with its name, message, properties and cause, and both stacks", () =>
    spawn(() => {
      try {
        tpool.execute(task('failTyped'), 'bad value');
        assert.fail('no error');
      } catch (error) {
        const e = error as TypeError & { code: string; cause: unknown };
        assert.ok(e instanceof TypeError);
        assert.equal(e.message, 'bad value');
        assert.equal(e.code, 'E_FIXTURE');
        assert.ok(e.cause instanceof RangeError);
        assert.equal((e.cause as Error).message, 'the cause');
        const [worker, caller] = e.stack!.split(STACK_JOIN);
        assert.match(worker, /^TypeError: bad value\n\s+at failTyped .*tpool-tasks\.js/, 'where it was thrown');
        assert.doesNotMatch(worker, /tpool[/\\]worker\.js/, "the worker script's own frames are left out");
        assert.match(caller, /tpool\.test\.js/, 'where tpool.execute was called');
      }
      assert.throws(() => tpool.execute(task('failCustom')), (e: Error) => {
        assert.equal(e.name, 'ParseFailure');
        assert.equal(e.message, 'bad input at line 3');
        assert.match(String(e), /^ParseFailure: bad input at line 3$/);
        return true;
      });
      assert.throws(() => tpool.execute(task('throwValue')), (v) => {
        assert.deepEqual(v, { reason: 'not an error', n: 42 }, 'a non-Error comes back as the value');
        return true;
      });
    }));

  it('explains tasks it cannot run: a plain function, a missing export, a malformed reference', () =>
    spawn(() => {
      assert.throws(() => tpool.execute(() => 1), /plain JS functions run in worker threads: pass \{ module, name \}/);
      assert.throws(() => tpool.execute(task('nope')), /has no exported function "nope"; it exports: .*add/);
      assert.throws(() => tpool.execute(task('notAFunction')), /"notAFunction" \(it is number\)/);
      assert.throws(() => tpool.execute('/no/hash/in/it.js'), /names no export: write it as "module#exportName"/);
      assert.throws(() => tpool.execute({ module: './does-not-exist.js', name: 'x' }), { code: 'MODULE_NOT_FOUND' });
      assert.throws(() => tpool.execute(42 as never), TypeError);
      assert.throws(() => tpool.execute(task('add'), () => {}), { name: 'DataCloneError' }, 'uncloneable arguments');
      assert.throws(() => tpool.execute(task('returnFunction')), /cannot be sent back to the calling thread/);
      assert.equal(tpool.execute(task('add'), 1, 2), 3, 'the pool is fine afterwards');
    }));

  it('fails the call of a worker that dies with a TpoolWorkerError, and replaces the worker', () =>
    spawn(() => {
      tpool.setSize(1);
      const before = tpool.execute<number>(task('threadId'));
      assert.throws(() => tpool.execute(task('exitWorker'), 7), (e: tpool.TpoolWorkerError) => {
        assert.ok(e instanceof tpool.TpoolWorkerError);
        assert.equal(e.exitCode, 7);
        assert.match(e.message, /exited with code 7 while running "exitWorker"/);
        assert.match(e.stack!, /tpool\.test\.js/, 'the stack is the caller');
        return true;
      });
      assert.throws(() => tpool.execute(task('crashLater')), (e: tpool.TpoolWorkerError) => {
        assert.ok(e instanceof tpool.TpoolWorkerError);
        assert.match(e.message, /died of an uncaught error while running "crashLater".*escaped asynchronously/);
        assert.equal((e.cause as Error).message, 'escaped asynchronously');
        return true;
      });
      const after = tpool.execute<number>(task('threadId'));
      assert.notEqual(after, before, 'a new worker');
      assert.equal(tpool.stats().workers, 1);
    }));

  it('queues calls beyond the pool size, first come first served', () =>
    spawn(() => {
      tpool.setSize(2);
      const finished: number[] = [];
      const calls = [0, 1, 2, 3, 4].map((i) =>
        spawn(() => {
          tpool.execute(task('block'), 60, i);
          finished.push(i);
        }),
      );
      until(() => tpool.stats().queued === 3, '3 calls are queued');
      assert.deepEqual(tpool.stats(), { size: 2, workers: 2, busy: 2, queued: 3, proxied: 0 });
      for (const call of calls) call.wait();
      assert.deepEqual([...finished].sort(), [0, 1, 2, 3, 4]);
      assert.equal(tpool.stats().workers, 2, 'never more workers than the size');

      tpool.setSize(1);
      const order: number[] = [];
      const serial = [0, 1, 2, 3].map((i) => spawn(() => order.push(tpool.execute<number>(task('block'), 10, i)!)));
      for (const call of serial) call.wait();
      assert.deepEqual(order, [0, 1, 2, 3], 'one worker: in submission order');
    }));

  it('killall lets running calls finish and queued calls run in new workers; the old workers then stop', () =>
    spawn(() => {
      tpool.setSize(1);
      const old = tpool.execute<number>(task('threadId'));
      // The running call holds its worker until the test opens the gate: no timing decides what the test sees.
      const gate = new SharedArrayBuffer(4);
      const running = spawn(() => tpool.execute(task('blockUntilOpened'), gate, 'finished'));
      const queued = spawn(() => tpool.execute<number>(task('threadId')));
      until(() => tpool.stats().busy === 1 && tpool.stats().queued === 1, 'one call runs, one waits');
      tpool.killall();
      assert.notEqual(queued.wait(), old, 'the queued call ran at once, in a new worker');
      assert.equal(tpool.stats().workers, 2, 'the old worker finishes its call meanwhile');
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
      assert.equal(running.wait(), 'finished', 'the running call delivered its result');
      until(() => tpool.stats().workers === 1, 'the old worker stopped');
      assert.notEqual(tpool.execute(task('threadId')), old);
      assert.throws(() => tpool.killall(null as never), /takes an options object/);
    }));

  it('killall({ force: true }) fails running and queued calls with TpoolKilledError; the pool works again', () =>
    spawn(() => {
      tpool.setSize(1);
      const failure = (call: () => unknown) => () => {
        try {
          return call();
        } catch (error) {
          return error;
        }
      };
      const running = spawn(failure(() => tpool.execute(task('block'), 10_000, 'never')));
      const queued = spawn(failure(() => tpool.execute(task('add'), 1, 2)));
      until(() => tpool.stats().busy === 1 && tpool.stats().queued === 1, 'one call runs, one waits');
      tpool.killall({ force: true });
      const killed = running.wait() as Error;
      assert.ok(killed instanceof tpool.TpoolKilledError);
      assert.match(killed.message, /terminated the worker running "block"/);
      const cancelled = queued.wait() as Error;
      assert.ok(cancelled instanceof tpool.TpoolKilledError);
      assert.match(cancelled.message, /cancelled "add" .* before it started/);
      assert.deepEqual(tpool.stats(), { size: 1, workers: 0, busy: 0, queued: 0, proxied: 0 });
      assert.equal(tpool.execute(task('add'), 2, 2), 4);
    }));

  it("brings verdant's error classes back as themselves: Timeout, I/O errors", () =>
    spawn(() => {
      assert.throws(() => tpool.execute(task('raiseTimeout')), (e: Timeout) => {
        assert.ok(e instanceof Timeout, 'a Timeout');
        assert.equal(e.message, 'timed out');
        assert.equal(e.seconds, null);
        assert.equal(e.pending, false, 'disarmed: it never fires here');
        e.cancel(); // its methods work
        assert.match(e.stack!, new RegExp(STACK_JOIN));
        return true;
      });
      assert.throws(() => tpool.execute(task('raiseConnectionRefused')), (e: ConnectionRefusedError) => {
        assert.ok(e instanceof ConnectionRefusedError);
        assert.ok(e instanceof IOError);
        assert.equal(e.code, 'ECONNREFUSED');
        assert.equal(e.syscall, 'connect');
        assert.equal(e.address, '127.0.0.1:1');
        return true;
      });
    }));

  it('a Timeout drops a queued call; a running task runs to its end and its worker is reused', () =>
    spawn(() => {
      tpool.setSize(1);
      const busy = spawn(() => tpool.execute(task('block'), 200, 'done'));
      until(() => tpool.stats().busy === 1, 'the worker is busy');
      const t = new Timeout(0.02);
      try {
        assert.throws(() => tpool.execute(task('add'), 1, 1), (e) => e === t);
      } finally {
        t.cancel();
      }
      assert.equal(tpool.stats().queued, 0, 'the queued call was dropped');
      const t2 = new Timeout(0.02);
      try {
        assert.throws(() => busy.wait(), (e) => e === t2);
      } finally {
        t2.cancel();
      }
      assert.equal(busy.wait(), 'done');
      assert.equal(tpool.execute(task('add'), 1, 1), 2);
      assert.equal(tpool.stats().workers, 1);
    }));

  it('executeWith moves transferables to the worker', () =>
    spawn(() => {
      const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
      assert.equal(tpool.executeWith({ transfer: [buffer] }, task('byteSum'), buffer), 10);
      assert.equal(buffer.byteLength, 0, 'detached here');
      assert.throws(() => tpool.executeWith({ transfer: [new ArrayBuffer(1)] }, fs.readFileSync, __filename), /worker tasks only/);
      assert.throws(() => tpool.executeWith(null as never, task('add')), /takes an options object first/);
    }));

  it('checks sizes and reads VERDANT_TPOOL_SIZE', () => {
    assert.throws(() => tpool.setSize(0), /integer size >= 1, not 0/);
    assert.throws(() => tpool.configure({ size: 1.5 }), RangeError);
    assert.throws(() => tpool.setSize('2' as never), TypeError);
    const child = spawnSync(
      process.execPath,
      ['-e', `const t = require(${JSON.stringify(path.join(root, 'dist/lib/tpool'))}); console.log(t.stats().size)`],
      { env: { ...process.env, VERDANT_TPOOL_SIZE: '7' }, encoding: 'utf8' },
    );
    assert.equal(child.stdout.trim(), '7', child.stderr);
  });

  it('throws HubBlockingError on the main stack', () => {
    assert.throws(() => tpool.execute(task('add'), 1, 2), /^HubBlockingError: tpool\.execute would block/);
    assert.throws(() => tpool.execute(fs.readFileSync, __filename), HubBlockingError);
    assert.equal(tpool.stats().workers, 0, 'no worker was started');
  });

  it('idle workers do not keep the process alive', () => {
    const script = `
      const { run } = require(${JSON.stringify(path.join(root, 'dist/lib'))});
      const tpool = require(${JSON.stringify(path.join(root, 'dist/lib/tpool'))});
      run(() => console.log(tpool.execute(${JSON.stringify(`${tasks}#add`)}, 20, 22)));`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.signal, null, 'it exited by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), '42');
  });
});

describe('tpool: proxies', () => {
  const targets = path.join(__dirname, '..', 'fixtures', 'tpool-proxy-targets.js');
  type Targets = typeof import('../fixtures/tpool-proxy-targets');
  const held = () => tpool.execute<number>(task('heldObjects'));

  afterEach(() => {
    tpool.killall({ force: true });
    tpool.setSize(4);
  });

  it('keeps the object in a worker: reads, calls, construction and errors happen there', () =>
    spawn(() => {
      const m = tpool.proxy<Targets>(targets);
      assert.ok(m instanceof tpool.Proxy && tpool.isProxy(m));
      assert.notEqual(m.whereAmI(), threadId, 'the module runs in a worker thread');
      assert.equal(m.one, 1);
      const pattern = m.compile('(a)(b)');
      assert.ok(tpool.isProxy(pattern), 'a class instance stays in the worker');
      assert.equal(pattern.groups, 2);
      assert.deepEqual(pattern.match('xab'), ['ab', 'a', 'b'], 'plain results are copies');
      const dummy = new m.Dummy();
      assert.ok(tpool.isProxy(dummy), 'new on a proxied class constructs there');
      assert.equal(dummy.foo(0, { token: 9 }), 9);
      const Dummy = tpool.proxy<Targets['Dummy']>({ module: targets, name: 'Dummy' });
      assert.equal(typeof Dummy, 'function', 'a proxied function is callable');
      assert.equal(new Dummy().foo(0, { token: 3 }), 3);
      assert.equal(tpool.proxy<Targets['wrapped']>(`${targets}#wrapped`)('x'), 'x');
      assert.throws(() => dummy.foo(0), (e: Error) => {
        assert.ok(e instanceof TypeError);
        assert.equal(e.message, 'foo needs a token');
        const [worker, caller] = e.stack!.split(STACK_JOIN);
        assert.match(worker, /at Dummy\.foo .*tpool-proxy-targets\.js/);
        assert.match(caller, /tpool\.test\.js/);
        return true;
      });
      assert.throws(() => tpool.proxy({ module: targets, name: 'nothing' }), /has no export "nothing"; it exports: .*compile/);
      assert.throws(() => tpool.proxy({ module: './no-such-module.js' }), { code: 'MODULE_NOT_FOUND' });
      assert.throws(() => tpool.proxy(42 as never), /takes what to proxy as \{ module, name\? \}/);
      assert.throws(() => tpool.proxy(targets, { autowrap: 'number' as never }), /autowrap must be an iterable of strings/);
      assert.equal(tpool.proxy<typeof import('node:path')>('node:path').join('a', 'b'), path.join('a', 'b'), 'a builtin');
    }));

  it('copies plain data, proxies the rest, and gives the same proxy for the same object', () =>
    spawn(() => {
      const m = tpool.proxy<Targets>(targets);
      assert.equal(m.compile('x'), m.compile('x'), 'the same object: the same proxy');
      assert.notEqual(m.compile('x'), m.compile('y'));
      const store = new m.Store();
      assert.equal(store.put('k', Buffer.from('hi')), 1);
      const back = store.take('k')!;
      assert.ok(Buffer.isBuffer(back), 'a Buffer comes back as a Buffer');
      assert.equal(back.toString(), 'hi');
      assert.equal(store.later(21), 42, 'a returned Promise is awaited in the worker');
      const values = tpool.proxyValue({ list: [1, { deep: new Map([['k', new Date(0)]]) }] });
      assert.deepEqual(values.list, [1, { deep: new Map([['k', new Date(0)]]) }], 'plain all the way down: a copy');
      const asMap = tpool.proxyValue(new Map([['a', 1]]), { autowrap: ['Map'] });
      assert.equal(asMap.get('a'), 1);
      const numbers = tpool.proxy<Targets>(targets, { autowrap: ['Number'] });
      assert.ok(tpool.isProxy(numbers.one), 'autowrap by class name matches primitives through their wrapper class');
    }));

  it('maps conversions, keys, in, delete, assignment and iteration (sync and async) onto the object there', () =>
    spawn(() => {
      const value = tpool.proxyValue<Record<string, number>>({ a: 1, b: 2 });
      assert.deepEqual(Object.keys(value), ['a', 'b']);
      assert.ok('a' in value);
      value.c = 3;
      delete value.a;
      assert.deepEqual({ ...value }, { b: 2, c: 3 });
      assert.equal(String(value), '[object Object]');
      assert.throws(() => Object.defineProperty(value, 'd', { value: 1 }), /assign the property instead/);
      const text = tpool.proxyValue('abc');
      assert.equal(`${text}!`, 'abc!');
      assert.equal(text.toUpperCase(), 'ABC');
      assert.deepEqual([...text], ['a', 'b', 'c']);
      const m = tpool.proxy<Targets>(targets);
      const seen: number[] = [];
      for (const n of m.range(5)) {
        if (n === 3) break; // ends the iteration there early
        seen.push(n);
      }
      assert.deepEqual(seen, [0, 1, 2]);
      assert.deepEqual([...new m.Store().countdown(3)], [3, 2, 1], 'an async iterator is iterated blocking-style');
      assert.ok(!(Symbol.iterator in m.compile('x')), 'a non-iterable has no iterator');
      assert.throws(() => [...(m.compile('x') as unknown as Iterable<unknown>)], TypeError);
    }));

  it('passes proxies of the same worker by reference, and refuses those of another', () =>
    spawn(() => {
      tpool.setSize(2);
      const m = tpool.proxy<Targets>(targets);
      const a = new m.Store();
      const b = new m.Store();
      assert.ok(a.isStore(b), 'the object itself arrives');
      a.put('k', Buffer.from('v'));
      assert.equal(a.copyInto(b, 'k'), 1);
      assert.equal(b.take('k')!.toString(), 'v');
      const elsewhere = tpool.proxy<Targets>(targets);
      assert.notEqual(elsewhere.whereAmI(), m.whereAmI(), 'a second proxy is spread to a second worker');
      assert.throws(() => a.isStore(new elsewhere.Store()), /lives in another worker thread/);
      const near = tpool.proxy<Targets>(targets, { sameWorkerAs: a });
      assert.equal(near.whereAmI(), m.whereAmI(), 'sameWorkerAs');
      assert.ok(a.isStore(new near.Store()));
      assert.throws(() => tpool.proxy(targets, { sameWorkerAs: {} }), /sameWorkerAs must be a tpool proxy/);
    }));

  it('releases the object in its worker when the proxy is disposed or garbage-collected', () =>
    spawn(() => {
      tpool.setSize(1);
      const before = held();
      const m = tpool.proxy<Targets>(targets);
      let pattern: tpool.Remote<ReturnType<Targets['compile']>> | null = m.compile('gc');
      const dummy = new m.Dummy();
      assert.equal(held(), before + 3);
      assert.equal(tpool.stats().proxied, 3);
      dummy[Symbol.dispose]();
      dummy[Symbol.dispose](); // twice is harmless
      assert.throws(() => dummy.foo(0, { token: 1 }), (e: Error) => {
        assert.ok(e instanceof tpool.TpoolProxyDisposedError);
        assert.match(e.message, /cannot read "foo" of a proxied Dummy: the proxy was disposed/);
        return true;
      });
      assert.equal(inspect(dummy), '[tpool.Proxy Dummy (disposed)]');
      assert.equal(held(), before + 2);
      pattern = null;
      until(() => {
        global.gc!();
        return tpool.stats().proxied === 1;
      }, 'the pattern proxy is finalized');
      until(() => held() === before + 1, 'the worker let the pattern go');
      assert.equal(m.one, 1, 'the module proxy is unaffected');
      assert.equal(pattern, null);
    }));

  it('killall: a retiring worker serves its proxied objects until they are released', () =>
    spawn(() => {
      tpool.setSize(1);
      const m = tpool.proxy<Targets>(targets);
      const home = m.whereAmI();
      tpool.killall();
      assert.equal(m.one, 1, 'still usable');
      assert.notEqual(tpool.execute(task('threadId')), home, 'new calls go to a new worker');
      assert.equal(tpool.stats().workers, 2);
      m[Symbol.dispose]();
      until(() => tpool.stats().workers === 1, 'the old worker stopped once its object was released');
    }));

  it('killall({ force: true }) and a dying worker fail the calls on their objects', () =>
    spawn(() => {
      tpool.setSize(1);
      const killed = tpool.proxy<Targets>(targets);
      tpool.killall({ force: true });
      assert.throws(() => killed.one, (e: Error) => {
        assert.ok(e instanceof tpool.TpoolKilledError);
        assert.match(e.message, /terminated the worker holding the object: cannot read "one" of a proxied Object$/);
        return true;
      });
      const dying = tpool.proxy<Targets>(targets);
      assert.throws(() => tpool.execute(task('exitWorker'), 3), tpool.TpoolWorkerError);
      assert.throws(() => dying.one, (e: tpool.TpoolWorkerError) => {
        assert.ok(e instanceof tpool.TpoolWorkerError);
        assert.equal(e.exitCode, 3);
        assert.match(e.message, /exited with code 3 while holding proxied objects: cannot read "one" of a proxied/);
        return true;
      });
      assert.equal(tpool.proxy<Targets>(targets).two, 2, 'new proxies work');
    }));

  it('on the main stack: operations throw HubBlockingError; inspect, then and disposal need no worker', async () => {
    const m = await spawn(() => tpool.proxy<Targets>(targets));
    assert.throws(() => m.one, HubBlockingError);
    assert.throws(() => String(m), HubBlockingError);
    assert.equal(inspect(m), '[tpool.Proxy Object]');
    assert.equal((m as unknown as { then: unknown }).then, undefined, 'never a thenable');
    assert.equal(await Promise.resolve(m), m);
    assert.throws(() => new (tpool.Proxy as unknown as new () => object)(), /not constructible/);
    m[Symbol.dispose]();
  });
});

describe('tpool: Node blocking functions on the libuv threadpool', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratchDir();
  });
  afterEach(() => removeScratch(dir));

  it('runs fs functions with the results and errors of the sync ones', () =>
    spawn(() => {
      const file = path.join(dir, 'n.txt');
      tpool.execute(fs.writeFileSync, file, 'native');
      assert.equal(tpool.execute(fs.readFileSync, file, 'utf8'), 'native');
      assert.equal(tpool.execute(fs.statSync, file)!.size, 6);
      assert.throws(() => tpool.execute(fs.readFileSync, path.join(dir, 'missing')), { code: 'ENOENT', syscall: 'open' });
    }));

  it('runs every zlib one-shot function: same output as the sync one', () =>
    spawn(() => {
      const input = Buffer.from('verdant '.repeat(1000));
      const pairs: Array<[(b: zlib.InputType) => Buffer, (b: zlib.InputType) => Buffer]> = [
        [zlib.gzipSync, zlib.gunzipSync],
        [zlib.deflateSync, zlib.inflateSync],
        [zlib.deflateRawSync, zlib.inflateRawSync],
        [zlib.brotliCompressSync, zlib.brotliDecompressSync],
        [zlib.deflateSync, zlib.unzipSync],
      ];
      for (const [compress, decompress] of pairs) {
        const packed = tpool.execute(compress, input);
        assert.deepEqual(packed, compress(input), compress.name);
        assert.deepEqual(tpool.execute(decompress, packed), input, decompress.name);
      }
      assert.deepEqual(tpool.execute(zlib.gzipSync, 'text', { level: 1 }), zlib.gzipSync('text', { level: 1 }));
      assert.throws(() => tpool.execute(zlib.gunzipSync, Buffer.from('not gzip')), { code: 'Z_DATA_ERROR' });
    }));

  it('runs the crypto functions: same keys and bytes as the sync ones', () =>
    spawn(() => {
      assert.deepEqual(
        tpool.execute(crypto.pbkdf2Sync, 'pw', 'salt', 1000, 32, 'sha256'),
        crypto.pbkdf2Sync('pw', 'salt', 1000, 32, 'sha256'),
      );
      assert.deepEqual(tpool.execute(crypto.scryptSync, 'pw', 'salt', 16), crypto.scryptSync('pw', 'salt', 16));
      assert.deepEqual(
        tpool.execute(crypto.scryptSync, 'pw', 'salt', 16, { N: 1024 }),
        crypto.scryptSync('pw', 'salt', 16, { N: 1024 }),
      );
      assert.deepEqual(
        Buffer.from(tpool.execute(crypto.hkdfSync, 'sha256', 'key', 'salt', 'info', 16)),
        Buffer.from(crypto.hkdfSync('sha256', 'key', 'salt', 'info', 16)),
      );
      const filled = tpool.execute(crypto.randomFillSync, Buffer.alloc(16, 0), 8) as Buffer;
      assert.ok(filled.subarray(0, 8).equals(Buffer.alloc(8, 0)), 'offset honoured');
      const pair = tpool.execute(crypto.generateKeyPairSync, 'ed25519', {}) as crypto.KeyPairKeyObjectResult;
      assert.equal(pair.publicKey.asymmetricKeyType, 'ed25519');
      assert.equal(pair.privateKey.type, 'private');
      assert.equal(tpool.execute(crypto.generateKeySync, 'hmac', { length: 64 }).symmetricKeySize, 8);
      assert.equal(tpool.execute(crypto.checkPrimeSync, 7n), true);
      assert.equal(typeof tpool.execute(crypto.generatePrimeSync, 16, { bigint: true }), 'bigint');
      assert.throws(() => tpool.execute(crypto.pbkdf2Sync, 'pw', 'salt', 1, 32, 'no-such-digest'), /Invalid digest/);
    }));
});

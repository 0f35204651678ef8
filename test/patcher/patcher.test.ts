// The patcher: blocking *Sync functions made cooperative in green threads and untouched on the main stack,
// reversible patching (identity restored, ESM namespaces included), the warning about captured originals, atomic
// module loading, and child_process results matching the sync functions. Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import * as childProcess from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawn } from 'verdant';
import { isPatched, monkeyPatch, original, unpatch } from '../../lib/patcher';
import * as tpool from '../../lib/tpool';
import { removeScratch, root, scratchDir, ticker } from '../support/green-io';

// The module objects themselves, as the patcher changes them (not TypeScript's namespace copies).
const fs: typeof import('node:fs') = require('node:fs');
const cp: typeof import('node:child_process') = require('node:child_process');
const importModule = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

/** spawnSync's result without the pid (which differs between runs), errors reduced to their fields. */
function comparable(result: childProcess.SpawnSyncReturns<unknown>) {
  const { pid, error, ...rest } = result;
  const e = error as (NodeJS.ErrnoException & { spawnargs?: string[] }) | undefined;
  return {
    ...rest,
    pidIsNumber: typeof pid === 'number',
    error: e && { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, spawnargs: e.spawnargs },
  };
}

function runNode(script: string) {
  return childProcess.spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
}

describe('patcher: monkeyPatch', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratchDir();
  });
  afterEach(() => {
    unpatch();
    removeScratch(dir);
  });

  it('makes the blocking functions cooperative in green threads: others run meanwhile, results are the same', () =>
    spawn(() => {
      monkeyPatch();
      const t = ticker();
      assert.equal(cp.execSync('sleep 0.2; echo done', { encoding: 'utf8' }), 'done\n');
      const ticks = t.ticks;
      t.stop();
      assert.ok(ticks >= 5, `the ticker ran ${ticks} times during a 200 ms execSync`);
      const file = path.join(dir, 'p.txt');
      fs.writeFileSync(file, 'patched');
      assert.equal(fs.readFileSync(file, 'utf8'), 'patched');
      assert.throws(() => fs.readFileSync(path.join(dir, 'missing')), { code: 'ENOENT', syscall: 'open' });
      assert.deepEqual(zlib.gunzipSync(zlib.gzipSync('round trip')), Buffer.from('round trip'));
      assert.deepEqual(crypto.scryptSync('pw', 'salt', 8), original('crypto.scryptSync')('pw', 'salt', 8));
      assert.equal(tpool.execute(fs.readFileSync, file, 'utf8'), 'patched', 'tpool knows the patched functions');
    }));

  it('leaves calls on the main stack exactly as the originals', () => {
    monkeyPatch();
    const file = path.join(dir, 'main.txt');
    fs.writeFileSync(file, 'on main');
    assert.equal(fs.readFileSync(file, 'utf8'), 'on main');
    assert.equal(cp.execFileSync('echo', ['sync'], { encoding: 'utf8' }), 'sync\n');
    let error: any;
    try {
      fs.readFileSync(path.join(dir, 'missing'));
    } catch (e) {
      error = e;
    }
    assert.equal(error.code, 'ENOENT');
    assert.match(error.stack, /patcher\.test\.js/, 'the synchronous error, with the caller in its stack');
    assert.equal(fs.readFileSync.name, 'readFileSync');
    assert.equal(fs.readFileSync.length, original('fs.readFileSync').length);
    assert.equal(fs.realpathSync.native, (original('fs.realpathSync') as typeof fs.realpathSync).native, 'own properties are carried over');
  });

  it('is reversible: unpatch restores the very same functions, in CJS and in ESM namespaces', async () => {
    const originals = { fs: { ...original('fs') }, crypto: { ...original('crypto') } };
    const undo = monkeyPatch({ fs: true });
    assert.equal(isPatched('fs'), true);
    assert.equal(isPatched('crypto'), false, 'only what was selected');
    assert.notEqual(fs.readFileSync, originals.fs.readFileSync);
    assert.equal(require('fs').readFileSync, fs.readFileSync, "require('fs') is the same object");
    const esm = await importModule('node:fs');
    assert.equal(esm.readFileSync, fs.readFileSync, 'the ESM namespace follows');
    const undoAll = monkeyPatch();
    assert.equal(isPatched('crypto'), true);
    undo();
    assert.equal(isPatched('fs'), false, 'the first undo removes its own patches');
    assert.equal(isPatched('crypto'), true, '... and only those');
    undoAll();
    for (const [name, fn] of Object.entries(originals.fs)) assert.equal((fs as any)[name], fn, `fs.${name}`);
    for (const [name, fn] of Object.entries(originals.crypto)) assert.equal((crypto as any)[name], fn, `crypto.${name}`);
    assert.equal(esm.readFileSync, originals.fs.readFileSync);
    assert.equal(fs.readFileSync, original('fs.readFileSync'));
  });

  it('reads selections as eventlet does, and names what it takes', () => {
    monkeyPatch({ zlib: false });
    assert.deepEqual(
      ['fs', 'childProcess', 'zlib', 'crypto'].map((m) => isPatched(m as never)),
      [true, true, false, true],
    );
    unpatch({ fs: true });
    assert.equal(isPatched('fs'), false);
    assert.equal(isPatched('crypto'), true);
    assert.throws(() => monkeyPatch({ os: true } as never), /takes one of 'fs', 'childProcess', 'zlib', 'crypto', not os/);
    assert.throws(() => isPatched('http' as never), TypeError);
    assert.throws(() => original('fs.readFile' as never), /does not replace fs\.readFile/);
    assert.equal(original('zlib').gzipSync, zlib.gzipSync);
    assert.ok(Object.isFrozen(original('fs')));
  });

  it('warns once, naming the modules that exported captured originals', () => {
    const fixture = path.join(root, 'test', 'fixtures', 'captures-read-file.js');
    const patcher = JSON.stringify(path.join(root, 'dist', 'lib', 'patcher'));
    const captured = runNode(`require(${JSON.stringify(fixture)}); require(${patcher}).monkeyPatch();`);
    assert.equal(captured.status, 0, captured.stderr);
    assert.equal(captured.stderr.match(/VerdantPatchWarning/g)?.length, 1, captured.stderr);
    assert.ok(captured.stderr.includes(`${fixture} (fs.readFileSync)`), captured.stderr);
    const clean = runNode(`require(${patcher}).monkeyPatch();`);
    assert.equal(clean.stderr, '', 'no warning when no module captured anything');
  });

  it('keeps module loading atomic: two green threads requiring one module both get it whole', () =>
    spawn(() => {
      monkeyPatch({ fs: true });
      const fixture = path.join(root, 'test', 'fixtures', 'loaded-by-green-threads.js');
      const loads = [spawn(() => require(fixture)), spawn(() => require(fixture))];
      for (const load of loads) assert.deepEqual({ ...load.wait() }, { first: true, last: true });
    }));
});

describe('patcher: child_process results match the sync functions', () => {
  beforeEach(() => monkeyPatch({ childProcess: true }));
  afterEach(() => unpatch());

  const spawnSync = original('childProcess.spawnSync') as typeof childProcess.spawnSync;
  const cases: Array<[string, string, string[], childProcess.SpawnSyncOptions]> = [
    ['output as strings, a non-zero status', 'sh', ['-c', 'echo out; echo err >&2; exit 3'], { encoding: 'utf8' }],
    ['input, as Buffers', 'cat', [], { input: 'fed to stdin' }],
    ['stdio slots that are not pipes', 'sh', ['-c', 'echo hidden'], { stdio: ['pipe', 'ignore', 'pipe'] }],
    ['a missing program', 'verdant-no-such-program', ['x'], {}],
    ['a timeout', 'sleep', ['5'], { timeout: 100 }],
    ['killed by a signal', 'sh', ['-c', 'kill -9 $$'], {}],
    ['a shell', 'echo $0', [], { shell: true, encoding: 'latin1' }],
    ['cwd and env', 'sh', ['-c', 'pwd; echo $VERDANT_X'], { cwd: '/', env: { VERDANT_X: 'y' }, encoding: 'utf8' }],
  ];
  for (const [what, file, args, options] of cases) {
    it(`spawnSync: ${what}`, () =>
      spawn(() => {
        assert.deepEqual(comparable(cp.spawnSync(file, args, options)), comparable(spawnSync(file, args, options)));
      }));
  }

  it('spawnSync: maxBuffer fails with ENOBUFS, as the sync function', () =>
    spawn(() => {
      // `yes` never ends by itself, so the kill at the limit always decides how it ends.
      const result = cp.spawnSync('yes', [], { maxBuffer: 10 });
      const expected = spawnSync('yes', [], { maxBuffer: 10 });
      // How much output each collected before the kill differs (read sizes); the outcome must not.
      const outcome = (r: typeof result) => comparable({ ...r, stdout: null, output: [] });
      assert.deepEqual(outcome(result), outcome(expected));
    }));

  it('execSync and execFileSync: stdout, or an Error carrying status, stdout and stderr', () =>
    spawn(() => {
      const execSync = original('childProcess.execSync') as typeof childProcess.execSync;
      const execFileSync = original('childProcess.execFileSync') as typeof childProcess.execFileSync;
      assert.deepEqual(cp.execSync('echo hi'), execSync('echo hi'));
      assert.equal(cp.execSync('cat', { input: 'x', encoding: 'utf8' }), 'x');
      assert.equal(cp.execFileSync('echo', ['a', 'b'], { encoding: 'utf8' }), 'a b\n');
      const failure = (call: () => unknown) => {
        try {
          call();
        } catch (error) {
          const { pid, ...rest } = error as any;
          return { message: (error as Error).message, ...rest, pid: typeof pid };
        }
        assert.fail('no error');
      };
      const options = { stdio: 'pipe' as const, encoding: 'utf8' as const };
      assert.deepEqual(failure(() => cp.execSync('echo bad >&2; exit 2', options)), failure(() => execSync('echo bad >&2; exit 2', options)));
      assert.deepEqual(failure(() => cp.execFileSync('false', [], options)), failure(() => execFileSync('false', [], options)));
      const missing = failure(() => cp.execFileSync('verdant-no-such-program', options));
      assert.equal(missing.code, 'ENOENT');
      assert.equal(missing.message, 'spawnSync verdant-no-such-program ENOENT');
    }));

  it('hands options it does not reproduce (an ipc or stream stdio) to the blocking original', () =>
    spawn(() => {
      assert.throws(() => cp.spawnSync('true', [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }), (e) => {
        assert.throws(() => spawnSync('true', [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] }), { message: (e as Error).message });
        return true;
      });
    }));
});

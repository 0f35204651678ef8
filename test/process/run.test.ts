// run and checkOutput with real child processes: captured output, input, check, timeouts (the child is
// killed), and what is inherited by default. Each test body runs in a green thread (mocha awaits it).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GreenletExit, spawn } from 'verdant';
import { CalledProcessError, OutputTooLargeError, SpawnError, SubprocessTimeoutError, checkOutput, run } from '../../lib/process';
import { until } from '../sync/helpers';

describe('process: run and checkOutput', () => {
  it('run captures stdout and stderr and reports the status', () =>
    spawn(() => {
      const result = run('sh', ['-c', 'echo out; echo err >&2; exit 3'], { capture: true, encoding: 'utf8' });
      assert.equal(result.status, 3);
      assert.equal(result.returncode, 3);
      assert.equal(result.signal, null);
      assert.equal(result.stdout, 'out\n');
      assert.equal(result.stderr, 'err\n');
      assert.equal(result.command, 'sh');
      assert.ok(result.pid > 0);
    }));

  it('run feeds input (stdin becomes a pipe) and inherits uncaptured streams', () =>
    spawn(() => {
      const result = run('wc', ['-c'], { input: Buffer.alloc(100_000), stdout: 'pipe', encoding: 'utf8' });
      assert.equal(result.stdout!.toString().trim(), '100000');
      assert.equal(result.stderr, null);
      const quiet = run('true');
      assert.deepEqual([quiet.status, quiet.stdout, quiet.stderr], [0, null, null]);
    }));

  it('check: a non-zero exit throws CalledProcessError with the status and the output', () =>
    spawn(() => {
      assert.throws(
        () => run('sh', ['-c', 'echo why >&2; exit 2'], { capture: true, check: true, encoding: 'utf8' }),
        (e: unknown) =>
          e instanceof CalledProcessError && e.status === 2 && e.returncode === 2 && e.stderr === 'why\n' && /status 2/.test(e.message),
      );
      assert.throws(
        () => run('sh', ['-c', 'kill -TERM $$'], { check: true }),
        (e: unknown) => e instanceof CalledProcessError && e.signal === 'SIGTERM' && e.status === null && /SIGTERM/.test(e.message),
      );
      assert.equal(run('true', [], { check: true }).status, 0);
    }));

  it('timeout: the child is killed and waited for, and the error carries the partial output', () =>
    spawn(() => {
      let error: unknown;
      const t0 = performance.now();
      try {
        run('sh', ['-c', 'echo started; echo $$; exec sleep 10'], { capture: true, timeout: 0.3, encoding: 'utf8' });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof SubprocessTimeoutError, String(error));
      assert.ok(performance.now() - t0 < 5000);
      const [first, pid] = String(error.stdout).split('\n');
      assert.equal(first, 'started');
      assert.ok(!fs.existsSync(`/proc/${pid}`), 'the child was killed and reaped');
    }));

  it('output past maxOutputSize: the child is killed and waited for, and the error carries the output up to the limit', () =>
    spawn(() => {
      let error: unknown;
      try {
        // A child that ignores SIGPIPE would write on forever; run must still end it.
        run('sh', ['-c', 'echo $$; trap "" PIPE; exec yes 2>/dev/null'], { capture: true, maxOutputSize: 65536 });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof OutputTooLargeError, String(error));
      assert.equal((error.stdout as Buffer).length, 65536);
      const pid = (error.stdout as Buffer).toString().split('\n')[0];
      assert.ok(!fs.existsSync(`/proc/${pid}`), 'the child was killed and reaped');
    }));

  it('a run whose green thread is killed kills its child', () =>
    spawn(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-run-'));
      const pidFile = path.join(dir, 'pid');
      const runner = spawn(() => run('sh', ['-c', `echo $$ > ${pidFile}; exec sleep 10`]));
      until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n'), 'the child wrote its pid');
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      runner.kill();
      assert.throws(() => runner.wait(), GreenletExit);
      until(() => !fs.existsSync(`/proc/${pid}`), `process ${pid} killed and reaped`);
      fs.rmSync(dir, { recursive: true });
    }));

  it('checkOutput returns stdout, and throws CalledProcessError (with the output) on failure', () =>
    spawn(() => {
      assert.equal(checkOutput('echo', ['hello'], { encoding: 'utf8' }), 'hello\n');
      assert.ok(Buffer.isBuffer(checkOutput('echo', ['bytes'])));
      assert.throws(
        () => checkOutput('sh', ['-c', 'echo partial; exit 1'], { encoding: 'utf8' }),
        (e: unknown) => e instanceof CalledProcessError && e.stdout === 'partial\n',
      );
      assert.throws(() => checkOutput('verdant-no-such-program'), SpawnError);
    }));

  it('rejects capture combined with explicit stdout or stderr', () =>
    spawn(() => {
      assert.throws(() => run('true', [], { capture: true, stdout: 'pipe' }), TypeError);
    }));
});

// Subprocess with real child processes: pipes both ways, communicate (big input and output, deadlock-free,
// timeouts), exit statuses and signals, no zombies, spawn errors without fd leaks, concurrency, and blocking
// calls on the main stack. Each test body runs in a green thread (mocha awaits it).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClosedError, GreenThread, HubBlockingError, spawn } from 'verdant';
import {
  CommunicationStartedError,
  DEFAULT_MAX_OUTPUT_SIZE,
  OutputTooLargeError,
  SpawnError,
  Subprocess,
  SubprocessTimeoutError,
  spawnProcess,
} from '../../lib/process';
import { until } from '../sync/helpers';

const MiB = 1 << 20;

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0): look at its state.
  return processState(pid) !== 'Z';
}

/** The state letter in /proc/<pid>/stat ('Z' for a zombie), or null when the process is gone. */
function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('process: Subprocess pipes and communicate', () => {
  it('cat round trip through stdin and stdout pipes, then end of stream and exit status 0', () =>
    spawn(() => {
      const cat = new Subprocess('cat', [], { stdin: 'pipe', stdout: 'pipe' });
      assert.ok(cat.pid > 0);
      assert.equal(cat.stderr, null);
      cat.stdin!.writeAll('hello, cat\n');
      assert.equal(cat.stdout!.read(100).toString(), 'hello, cat\n');
      cat.stdin!.writeAll('again');
      assert.equal(cat.stdout!.read(100).toString(), 'again');
      cat.stdin!.close();
      assert.equal(cat.stdout!.read(100).length, 0, 'end of stream once stdin is closed');
      assert.equal(cat.wait(), 0);
      assert.equal(cat.returncode, 0);
      cat.close();
    }));

  it('communicate moves 1 MiB in and 1 MiB out without deadlock', () =>
    spawn(() => {
      const input = pattern(MiB, 7);
      const cat = new Subprocess('cat', [], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
      const [out, err] = cat.communicate(input);
      assert.ok(Buffer.isBuffer(out) && out.equals(input));
      assert.equal((err as Buffer).length, 0);
      assert.equal(cat.returncode, 0);
      assert.ok(cat.stdin!.closed && cat.stdout!.closed && cat.stderr!.closed, 'communicate closes the pipes');
    }));

  it('a child filling stderr before it reads stdin does not deadlock communicate', () =>
    spawn(() => {
      const input = pattern(MiB, 3);
      const child = new Subprocess('sh', ['-c', `head -c ${MiB} /dev/zero >&2; cat`], {
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const [out, err] = child.communicate(input) as [Buffer, Buffer];
      assert.ok(out.equals(input));
      assert.equal(err.length, MiB);
      assert.ok(err.every((b) => b === 0));
      assert.equal(child.returncode, 0);
    }));

  it('stderr separate, and merged into stdout with stderr: "stdout"', () =>
    spawn(() => {
      const script = 'echo to-out; echo to-err >&2';
      const separate = new Subprocess('sh', ['-c', script], { stdout: 'pipe', stderr: 'pipe', encoding: 'utf8' });
      assert.deepEqual(separate.communicate(), ['to-out\n', 'to-err\n']);
      const merged = new Subprocess('sh', ['-c', script], { stdout: 'pipe', stderr: 'stdout', encoding: 'utf8' });
      const [out, err] = merged.communicate();
      assert.equal(out, 'to-out\nto-err\n');
      assert.equal(err, null);
      assert.equal(merged.stderr, null);
    }));

  it('with an encoding, communicate takes and returns strings', () =>
    spawn(() => {
      const cat = new Subprocess('cat', [], { stdin: 'pipe', stdout: 'pipe', encoding: 'utf8' });
      assert.deepEqual(cat.communicate('grüße ✓'), ['grüße ✓', null]);
    }));

  it('a child that exits without reading its input is not an error (EPIPE on stdin is ignored)', () =>
    spawn(() => {
      const child = new Subprocess('true', [], { stdin: 'pipe', stdout: 'pipe' });
      const [out] = child.communicate(Buffer.alloc(4 * MiB));
      assert.equal((out as Buffer).length, 0);
      assert.equal(child.returncode, 0);
    }));

  it('communicate with a timeout throws SubprocessTimeoutError with the partial output; the child keeps running; a second call gets everything', () =>
    spawn(() => {
      const child = new Subprocess('sh', ['-c', 'echo partial; exec sleep 10'], { stdout: 'pipe', encoding: 'utf8' });
      const t0 = performance.now();
      let error: unknown;
      try {
        child.communicate(null, { timeout: 0.3 });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof SubprocessTimeoutError, String(error));
      assert.ok(performance.now() - t0 >= 250);
      assert.equal(error.stdout, 'partial\n');
      assert.equal(error.timeout, 0.3);
      assert.equal(child.poll(), null);
      assert.ok(isAlive(child.pid));
      child.kill();
      assert.deepEqual(child.communicate(), ['partial\n', null]);
      assert.equal(child.signalCode, 'SIGTERM');
      assert.throws(
        () => child.communicate('late input'),
        (e: unknown) =>
          e instanceof CommunicationStartedError &&
          e.command === 'sh' &&
          /^communicate refused: input can only be given to the first communicate\(\) call, and communication with command 'sh -c echo partial; exec sleep 10' has already started/.test(e.message),
      );
    }));

  it('a child writing without end gets an OutputTooLargeError at the default 64 MiB, not the parent\'s memory; the pipe closed, it dies of SIGPIPE', () =>
    spawn(() => {
      const child = new Subprocess('yes', [], { stdout: 'pipe', stderr: 'pipe' });
      let error: unknown;
      try {
        child.communicate();
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof OutputTooLargeError, String(error));
      assert.equal(error.stream, 'stdout');
      assert.equal(error.limit, DEFAULT_MAX_OUTPUT_SIZE);
      assert.match(error.message, /'yes' wrote more than 67108864 bytes to stdout \(maxOutputSize\)/);
      const out = error.stdout as Buffer;
      assert.equal(out.length, DEFAULT_MAX_OUTPUT_SIZE);
      assert.equal(out.subarray(0, 4).toString(), 'y\ny\n');
      assert.equal((error.stderr as Buffer).length, 0);
      assert.ok(child.stdout!.closed, 'the overflowing stream is closed');
      assert.equal(child.wait(5), -13, 'yes ended by SIGPIPE, not killed by communicate');
      assert.throws(() => child.communicate(), OutputTooLargeError, 'a later call says the same');
    }));

  it('maxOutputSize applies to each stream: stderr past it while stdout is small; within it, all is returned; null lifts it', () =>
    spawn(() => {
      const noisy = new Subprocess('sh', ['-c', 'echo fine; head -c 100000 /dev/zero >&2; exec sleep 10'], {
        stdout: 'pipe',
        stderr: 'pipe',
        maxOutputSize: 4096,
      });
      const t0 = performance.now();
      assert.throws(
        () => noisy.communicate(null, { timeout: 20 }),
        (e: unknown) =>
          e instanceof OutputTooLargeError && e.stream === 'stderr' && e.limit === 4096 && (e.stderr as Buffer).length === 4096,
      );
      assert.ok(performance.now() - t0 < 5000, 'thrown when it happened, not when the child ended');
      noisy.kill('SIGKILL');
      noisy.wait();
      noisy.close();

      const exact = new Subprocess('head', ['-c', '4096', '/dev/zero'], { stdout: 'pipe', maxOutputSize: 4096 });
      assert.equal((exact.communicate()[0] as Buffer).length, 4096);
      const lifted = new Subprocess('head', ['-c', String(3 * MiB), '/dev/zero'], { stdout: 'pipe', maxOutputSize: null });
      assert.equal((lifted.communicate()[0] as Buffer).length, 3 * MiB);
      assert.throws(() => new Subprocess('true', [], { maxOutputSize: -1 }), RangeError);
      assert.throws(() => new Subprocess('true', [], { maxOutputSize: 'big' as never }), TypeError);
    }));

  it('communicate refuses input without a stdin pipe', () =>
    spawn(() => {
      const child = new Subprocess('true');
      assert.throws(() => child.communicate('x'), TypeError);
      child.wait();
    }));

  it('close() wakes a green thread blocked reading the child with a ClosedError', () =>
    spawn(() => {
      const child = new Subprocess('sleep', ['10'], { stdout: 'pipe' });
      const reader = spawn(() => child.stdout!.read(10));
      until(() => reader.started, 'the reader started');
      child.close();
      assert.throws(() => reader.wait(), ClosedError);
      child.kill('SIGKILL');
      assert.equal(child.wait(), -9);
    }));

  it('stdin "ignore" reads /dev/null; stdout to an fd number writes into that file; cwd and env apply', () =>
    spawn(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-process-'));
      const file = path.join(dir, 'out.txt');
      const fd = fs.openSync(file, 'w');
      const child = new Subprocess('sh', ['-c', 'cat; pwd; echo "$GREETING"'], {
        stdin: 'ignore',
        stdout: fd,
        cwd: dir,
        env: { PATH: process.env.PATH, GREETING: 'hi there' },
      });
      fs.closeSync(fd);
      assert.equal(child.wait(), 0);
      assert.equal(fs.readFileSync(file, 'utf8'), `${fs.realpathSync(dir)}\nhi there\n`);
      fs.rmSync(dir, { recursive: true });
    }));

  it('shell: true runs the command line through /bin/sh', () =>
    spawn(() => {
      const child = new Subprocess('echo $((6 * 7)) | tr 4 X', { shell: true, stdout: 'pipe', encoding: 'utf8' });
      assert.deepEqual(child.communicate(), ['X2\n', null]);
    }));
});

describe('process: Subprocess exit, signals, wait', () => {
  it('wait and poll report the exit status; exitCode and signalCode follow Node', () =>
    spawn(() => {
      const child = spawnProcess('sh', ['-c', 'sleep 0.1; exit 7']);
      assert.equal(child.poll(), null);
      assert.equal(child.returncode, null);
      assert.equal(child.exitCode, null);
      assert.equal(child.wait(), 7);
      assert.equal(child.poll(), 7);
      assert.equal(child.exitCode, 7);
      assert.equal(child.signalCode, null);
      assert.equal(child.wait(), 7, 'waiting again returns at once');
      assert.match(String(child), /returncode 7/);
    }));

  it('kill() sends SIGTERM and the signal is reported; kill("SIGKILL") gives -9; signals after exit do nothing', () =>
    spawn(() => {
      const sleeper = new Subprocess('sleep', ['10']);
      sleeper.kill();
      assert.equal(sleeper.wait(), -os.constants.signals.SIGTERM);
      assert.equal(sleeper.signalCode, 'SIGTERM');
      assert.equal(sleeper.exitCode, null);
      sleeper.kill('SIGKILL'); // already exited: nothing happens
      sleeper.terminate();

      // An ignored signal stays ignored across exec; 'ready' says the trap is in place.
      const stubborn = new Subprocess('sh', ['-c', "trap '' TERM; echo ready; exec sleep 10"], { stdout: 'pipe' });
      assert.equal(stubborn.stdout!.read(10).toString(), 'ready\n');
      stubborn.terminate();
      assert.throws(() => stubborn.wait(0.2), SubprocessTimeoutError);
      stubborn.sendSignal('SIGKILL');
      assert.equal(stubborn.wait(), -9);
      assert.equal(stubborn.signalCode, 'SIGKILL');
      stubborn.close();
    }));

  it('wait(timeout) throws SubprocessTimeoutError and leaves the child running', () =>
    spawn(() => {
      const child = new Subprocess('sleep', ['10']);
      const t0 = performance.now();
      assert.throws(
        () => child.wait(0.2),
        (e: unknown) => e instanceof SubprocessTimeoutError && e.timeout === 0.2 && e.command === 'sleep' && e.args[0] === '10',
      );
      assert.ok(performance.now() - t0 >= 150);
      assert.ok(isAlive(child.pid), 'the child still runs');
      assert.equal(child.poll(), null);
      child.kill('SIGKILL');
      assert.equal(child.wait(5), -9);
    }));

  it('leaves no zombie: once wait returns, the child is reaped', () =>
    spawn(() => {
      const child = new Subprocess('sh', ['-c', 'exit 0']);
      const pid = child.pid;
      assert.equal(child.wait(), 0);
      assert.equal(processState(pid), null, `process ${pid} is gone (state ${processState(pid)})`);
    }));

  it('leaves no zombie either when nobody waits for it', () =>
    spawn(() => {
      const child = new Subprocess('true');
      const pid = child.pid;
      until(() => processState(pid) === null, `process ${pid} reaped`);
    }));

  it('other green threads keep running while one waits for a child', () =>
    spawn(() => {
      let ticks = 0;
      const waiter = spawn(() => new Subprocess('sleep', ['0.3']).wait());
      until(() => ++ticks >= 20, 'twenty ticks');
      assert.ok(!waiter.dead, 'still waiting');
      assert.equal(waiter.wait(), 0);
    }));

  it('fifty concurrent subprocesses, each with its own input, all finish with their own output; no fd left open', () =>
    spawn(() => {
      const before = openFds();
      const threads: Array<GreenThread<void>> = [];
      for (let i = 0; i < 50; i++) {
        threads.push(
          spawn(() => {
            const input = pattern(64 * 1024 + i, i);
            const cat = new Subprocess('cat', [], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
            const [out] = cat.communicate(input);
            assert.ok((out as Buffer).equals(input), `child ${i}`);
            assert.equal(cat.returncode, 0);
          }),
        );
      }
      for (const t of threads) t.wait();
      assert.equal(openFds(), before);
    }));
});

describe('process: Subprocess spawn errors and the main stack', () => {
  it('a missing program throws SpawnError (ENOENT) from the constructor and leaks no fd', () =>
    spawn(() => {
      // Warm up whatever Node opens once for child processes.
      new Subprocess('true').wait();
      const before = openFds();
      for (let i = 0; i < 5; i++) {
        assert.throws(
          () => new Subprocess('verdant-no-such-program', ['x'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' }),
          (e: unknown) =>
            e instanceof SpawnError && e.code === 'ENOENT' && e.command === 'verdant-no-such-program' && e.args[0] === 'x',
        );
      }
      assert.equal(openFds(), before);
    }));

  it('a missing working directory is a SpawnError too, with no fd leaked', () =>
    spawn(() => {
      const before = openFds();
      assert.throws(() => new Subprocess('true', [], { cwd: '/verdant/no/such/dir', stdout: 'pipe' }), SpawnError);
      assert.equal(openFds(), before);
    }));

  it('rejects bad arguments with TypeErrors before starting anything', () =>
    spawn(() => {
      assert.throws(() => new Subprocess(''), TypeError);
      assert.throws(() => new Subprocess('true', [1 as unknown as string]), TypeError);
      assert.throws(() => new Subprocess('true', [], { stdout: 'piped' as 'pipe' }), /stdout is 'pipe'/);
      assert.throws(() => new Subprocess('true', [], { stdin: 'stdout' as 'pipe' }), TypeError);
      assert.throws(() => new Subprocess('true', [], { stderr: -1 }), TypeError);
      assert.throws(() => new Subprocess('true', [], { encoding: 'klingon' as BufferEncoding }), TypeError);
      const child = new Subprocess('true');
      assert.throws(() => child.wait(-1), RangeError);
      child.wait();
    }));

  it('on the main stack: starting a child and waiting on a running one throw HubBlockingError; poll works', async () => {
    assert.throws(() => new Subprocess('true'), HubBlockingError);
    const child = await spawn(() => new Subprocess('sleep', ['10'], { stdout: 'pipe' }));
    assert.throws(() => child.wait(), HubBlockingError);
    assert.throws(() => child.communicate(), HubBlockingError);
    assert.equal(child.poll(), null);
    child.kill('SIGKILL');
    assert.equal(await spawn(() => child.wait()), -9);
    child.close();
  });
});

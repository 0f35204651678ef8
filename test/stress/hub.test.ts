/**
 * The hub under GC and JIT stress: thousands of green threads parking and resuming through every kind of wait
 * (timers, yields, promises, fds, joins, Timeouts, kills), with collections forced while they are suspended on the
 * hub's records and resumed from C++. Every thread checks the objects it holds across its waits.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GreenletExit, Timeout, kill, sleep, spawn, trampoline, wait, withTimeout } from '../../lib';
import { hubStats } from '../../lib/runtime/hub';
import { fullGc, minorGc, rng, scaled } from './util';

describe('stress: hub', () => {
  it('mixed waits across thousands of green threads survive forced collections', function () {
    this.timeout(600_000);
    return spawn(() => {
      const random = rng(0x5eed);
      const threads = scaled(2000, 50);
      const rounds = 6;
      const before = hubStats();
      const workers = Array.from({ length: threads }, (_, id) =>
        spawn(() => {
          // Objects kept only on this green thread's stack across every wait.
          const held = { id, payload: new Array(8).fill(id), text: `thread-${id}` };
          let checks = 0;
          for (let round = 0; round < rounds; round++) {
            switch ((id + round) % 5) {
              case 0:
                sleep((random() * 3) / 1000);
                break;
              case 1:
                sleep(0);
                break;
              case 2:
                assert.equal(wait(new Promise((r) => setImmediate(() => r(id)))), id);
                break;
              case 3:
                assert.equal(spawn(() => held.id * 2).wait(), id * 2);
                break;
              case 4:
                assert.equal(withTimeout(0.001, () => sleep(1), { timeoutValue: 'late' }), 'late');
                break;
            }
            if (id % 97 === round) minorGc();
            assert.equal(held.text, `thread-${id}`);
            assert.equal(held.payload.reduce((a, b) => a + b, 0), 8 * id);
            checks++;
          }
          return checks;
        }),
      );
      // Collections while most of them are parked.
      for (let i = 0; i < 5; i++) {
        sleep(0.002);
        fullGc();
      }
      let total = 0;
      for (const w of workers) total += w.wait() as number;
      assert.equal(total, threads * rounds);
      assert.ok(hubStats().resumes - before.resumes >= threads * rounds);
    });
  });

  it('kills and timeouts landing on parked threads while collections run', function () {
    this.timeout(600_000);
    return spawn(() => {
      const n = scaled(1000, 20);
      const victims = Array.from({ length: n }, (_, i) =>
        spawn(() => {
          const t = new Timeout(i % 2 === 0 ? 0.002 : null);
          try {
            sleep(10);
            return 'slept';
          } catch (error) {
            if (error === t) return 'timeout';
            throw error;
          } finally {
            t.cancel();
          }
        }),
      );
      sleep(0);
      fullGc();
      for (let i = 1; i < n; i += 2) kill(victims[i]);
      fullGc();
      let timeouts = 0;
      let killed = 0;
      for (const v of victims) {
        try {
          if (v.wait() === 'timeout') timeouts++;
        } catch (error) {
          if (error instanceof GreenletExit) killed++;
          else throw error;
        }
      }
      assert.equal(timeouts, Math.ceil(n / 2));
      assert.equal(killed, Math.floor(n / 2));
    });
  });

  it('fd waits on many FIFOs with collections between writes', function () {
    this.timeout(600_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-stress-hub-'));
    return spawn(() => {
      const count = scaled(200, 10);
      const fds: number[] = [];
      try {
        for (let i = 0; i < count; i++) {
          const file = path.join(dir, `f${i}`);
          execFileSync('mkfifo', [file]);
          fds.push(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
        }
        const readers = fds.map((fd, i) =>
          spawn(() => {
            const buf = Buffer.alloc(64);
            let got = '';
            while (got.length < 3 * String(i).length) {
              try {
                const n = fs.readSync(fd, buf, 0, buf.length, null);
                got += buf.subarray(0, n).toString();
              } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
                trampoline(fd, { read: true, timeout: 60 });
              }
            }
            return got === String(i).repeat(3);
          }),
        );
        for (let round = 0; round < 3; round++) {
          sleep(0);
          fullGc();
          fds.forEach((fd, i) => fs.writeSync(fd, String(i)));
        }
        assert.equal(readers.filter((r) => r.wait() === true).length, count);
      } finally {
        for (const fd of fds) fs.closeSync(fd);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

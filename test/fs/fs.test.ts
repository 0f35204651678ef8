// lib/fs: green file operations on real files. Each one must give what its fs.*Sync twin gives (values, errors,
// validation), block only the calling green thread, refuse the main stack, and let a Timeout end the wait.
// Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HubBlockingError, Timeout, spawn } from 'verdant';
import * as gfs from '../../lib/fs';
import { makeFifo, releaseFifo, removeScratch, scratchDir } from '../support/green-io';
import { until } from '../sync/helpers';

/** What a call threw (or 'returned'), reduced to the fields that must match between sync and green calls. */
function outcome(call: () => unknown): unknown {
  try {
    const value = call();
    return { returned: value instanceof fs.Stats ? { size: value.size, mode: value.mode, ino: value.ino } : value };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
  }
}

describe('fs: green file operations', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratchDir();
  });
  afterEach(() => removeScratch(dir));

  it('reads, writes, appends, copies and truncates whole files as the sync functions do', () =>
    spawn(() => {
      const file = path.join(dir, 'a.txt');
      assert.equal(gfs.writeFile(file, 'hello'), undefined);
      assert.equal(gfs.readFile(file, 'utf8'), 'hello');
      assert.deepEqual(gfs.readFile(file), Buffer.from('hello'));
      assert.equal(gfs.readFile(file, { encoding: 'latin1', flag: 'r' }), 'hello');
      gfs.appendFile(file, ', world');
      gfs.writeFile(path.join(dir, 'b.bin'), new Uint8Array([1, 2, 3]), { mode: 0o600 });
      assert.deepEqual(fs.readFileSync(path.join(dir, 'b.bin')), Buffer.from([1, 2, 3]));
      assert.equal(fs.statSync(path.join(dir, 'b.bin')).mode & 0o777, 0o600);
      gfs.copyFile(file, path.join(dir, 'c.txt'));
      assert.equal(fs.readFileSync(path.join(dir, 'c.txt'), 'utf8'), 'hello, world');
      assert.throws(() => gfs.copyFile(file, path.join(dir, 'c.txt'), fs.constants.COPYFILE_EXCL), { code: 'EEXIST' });
      gfs.truncate(file, 5);
      assert.equal(fs.readFileSync(file, 'utf8'), 'hello');
      const fd = fs.openSync(file, 'r');
      try {
        assert.equal(gfs.readFile(fd, 'utf8'), 'hello', 'readFile takes an fd too');
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('opens, reads and writes at positions, in both argument forms of read and write, then closes', () =>
    spawn(() => {
      const file = path.join(dir, 'fd.txt');
      fs.writeFileSync(file, 'abcdefghij');
      const fd = gfs.open(file, 'r+');
      try {
        const buf = Buffer.alloc(10);
        assert.equal(gfs.read(fd, buf), 10, 'the whole buffer from the current position');
        assert.equal(buf.toString(), 'abcdefghij');
        buf.fill(0);
        assert.equal(gfs.read(fd, buf, 2, 3, 4), 3, '(offset, length, position)');
        assert.equal(buf.subarray(2, 5).toString(), 'efg');
        assert.equal(gfs.read(fd, buf, { offset: 0, length: 2, position: 8 }), 2, 'the options form');
        assert.equal(buf.subarray(0, 2).toString(), 'ij');
        assert.equal(gfs.read(fd, buf, 0, 0, 0), 0, 'a zero-length read');
        assert.equal(gfs.write(fd, 'XY', 0), 2, 'a string at a position');
        assert.equal(gfs.write(fd, Buffer.from('0123'), 1, 2, 5), 2, 'part of a buffer at a position');
        assert.equal(gfs.write(fd, Buffer.from('Z'), { position: 9 } as never), 1);
        assert.equal(gfs.writev(fd, [Buffer.from('q'), Buffer.from('r')], 2), 2);
        const parts = [Buffer.alloc(2), Buffer.alloc(3)];
        assert.equal(gfs.readv(fd, parts, 0), 5);
        assert.equal(Buffer.concat(parts).toString(), 'XYqre');
        assert.equal(gfs.fstat(fd).size, 10);
        gfs.fsync(fd);
        gfs.fdatasync(fd);
        gfs.ftruncate(fd, 4);
      } finally {
        gfs.close(fd);
      }
      assert.equal(fs.readFileSync(file, 'utf8'), 'XYqr');
      assert.throws(() => fs.fstatSync(fd), { code: 'EBADF' }, 'close closed it');
    }));

  it('stats, lists, creates, renames and removes paths as the sync functions do', () =>
    spawn(() => {
      const file = path.join(dir, 'f.txt');
      fs.writeFileSync(file, '12345');
      assert.equal(gfs.stat(file).size, 5);
      assert.equal(gfs.stat(path.join(dir, 'missing'), { throwIfNoEntry: false }), undefined);
      assert.equal(typeof gfs.stat(file, { bigint: true })!.size, 'bigint');
      gfs.symlink(file, path.join(dir, 'link'));
      assert.equal(gfs.lstat(path.join(dir, 'link')).isSymbolicLink(), true);
      assert.equal(gfs.readlink(path.join(dir, 'link')), file);
      assert.equal(gfs.realpath(path.join(dir, 'link')), fs.realpathSync(file));
      gfs.link(file, path.join(dir, 'hard'));
      assert.equal(fs.statSync(path.join(dir, 'hard')).nlink, 2);

      assert.equal(gfs.mkdir(path.join(dir, 'x', 'y', 'z'), { recursive: true }), path.join(dir, 'x'));
      assert.equal(gfs.mkdir(path.join(dir, 'x', 'y'), { recursive: true }), undefined, 'nothing created');
      assert.equal(gfs.mkdir(path.join(dir, 'plain')), undefined);
      assert.deepEqual(gfs.readdir(dir).sort(), fs.readdirSync(dir).sort());
      const entries = gfs.readdir(dir, { withFileTypes: true });
      assert.equal(entries.find((e) => e.name === 'x')!.isDirectory(), true);
      assert.equal(entries.find((e) => e.name === 'f.txt')!.isFile(), true);
      assert.ok(gfs.mkdtemp(path.join(dir, 'tmp-')).startsWith(path.join(dir, 'tmp-')));

      gfs.rename(file, path.join(dir, 'g.txt'));
      assert.equal(gfs.exists(file), false);
      assert.equal(gfs.exists(path.join(dir, 'g.txt')), true);
      assert.equal(gfs.exists(42n as never), false, 'exists never throws, as existsSync');
      assert.equal(gfs.access(path.join(dir, 'g.txt'), fs.constants.R_OK), undefined);
      gfs.chmod(path.join(dir, 'g.txt'), 0o640);
      assert.equal(fs.statSync(path.join(dir, 'g.txt')).mode & 0o777, 0o640);
      gfs.utimes(path.join(dir, 'g.txt'), 1000, 2000);
      assert.equal(fs.statSync(path.join(dir, 'g.txt')).mtimeMs, 2_000_000);
      gfs.unlink(path.join(dir, 'g.txt'));
      gfs.rmdir(path.join(dir, 'plain'));
      gfs.rm(path.join(dir, 'x'), { recursive: true });
      assert.equal(fs.existsSync(path.join(dir, 'x')), false);
    }));

  it("fails with Node's own errno errors, exactly as the sync functions", () =>
    spawn(() => {
      const missing = path.join(dir, 'missing');
      fs.writeFileSync(path.join(dir, 'file'), '');
      const pairs: Array<[string, () => unknown, () => unknown]> = [
        ['readFile', () => fs.readFileSync(missing), () => gfs.readFile(missing)],
        ['open', () => fs.openSync(missing, 'r'), () => gfs.open(missing, 'r')],
        ['stat', () => fs.statSync(missing), () => gfs.stat(missing)],
        ['readdir', () => fs.readdirSync(path.join(dir, 'file')), () => gfs.readdir(path.join(dir, 'file'))],
        ['mkdir', () => fs.mkdirSync(dir), () => gfs.mkdir(dir)],
        ['rename', () => fs.renameSync(missing, missing + '2'), () => gfs.rename(missing, missing + '2')],
        ['unlink', () => fs.unlinkSync(missing), () => gfs.unlink(missing)],
        ['rmdir', () => fs.rmdirSync(path.join(dir, 'file')), () => gfs.rmdir(path.join(dir, 'file'))],
        ['access', () => fs.accessSync(missing), () => gfs.access(missing)],
        ['close', () => fs.closeSync(987654), () => gfs.close(987654)],
      ];
      for (const [name, sync, green] of pairs) {
        const expected = outcome(sync);
        assert.ok(!('returned' in (expected as object)), `${name}: the sync call should fail`);
        assert.deepEqual(outcome(green), expected, name);
      }
      try {
        gfs.readFile(missing);
        assert.fail('no error');
      } catch (error) {
        assert.ok(error instanceof Error);
        assert.equal((error as NodeJS.ErrnoException).code, 'ENOENT');
      }
    }));

  it("rejects bad arguments with Node's own validation errors, without waiting", () =>
    spawn(() => {
      const file = path.join(dir, 'v.txt');
      fs.writeFileSync(file, 'x');
      const fd = fs.openSync(file, 'r');
      try {
        const pairs: Array<[string, () => unknown, () => unknown]> = [
          ['read into a string', () => fs.readSync(fd, 'x' as never), () => gfs.read(fd, 'x' as never)],
          ['read with a number as options', () => fs.readSync(fd, Buffer.alloc(1), 0 as never), () => gfs.read(fd, Buffer.alloc(1), 0 as never)],
          ['open with bad flags', () => fs.openSync(file, 'zz'), () => gfs.open(file, 'zz')],
          ['readFile of a number-ish path', () => fs.readFileSync({} as never), () => gfs.readFile({} as never)],
          ['mkdir with a bad mode', () => fs.mkdirSync(dir, { mode: 'rwx' as never }), () => gfs.mkdir(dir, { mode: 'rwx' as never })],
        ];
        for (const [name, sync, green] of pairs) {
          const expected = outcome(sync) as { code?: string };
          assert.match(String(expected.code), /^ERR_/, `${name}: the sync call should reject its arguments`);
          assert.deepEqual(outcome(green), expected, name);
        }
      } finally {
        fs.closeSync(fd);
      }
    }));

  it('blocks only the calling green thread: another one runs (and unblocks it) meanwhile', () =>
    spawn(() => {
      const fifo = makeFifo(dir);
      // The reader's open of the FIFO waits in the threadpool until a writer comes: that writer is a green thread.
      const reader = spawn(() => gfs.readFile(fifo, 'utf8'));
      const writer = spawn(() => {
        const fd = gfs.open(fifo, 'w');
        gfs.write(fd, 'from another green thread');
        gfs.close(fd);
      });
      writer.wait();
      assert.equal(reader.wait(), 'from another green thread');
    }));

  it('throws HubBlockingError on the main stack, naming the operation', () => {
    const file = path.join(dir, 'main.txt');
    fs.writeFileSync(file, 'x');
    assert.throws(() => gfs.readFile(file), HubBlockingError);
    assert.throws(() => gfs.stat(file), /^HubBlockingError: fs\.stat would block the main stack/);
    assert.throws(() => gfs.writeFile(file, 'y'), HubBlockingError);
    assert.equal(fs.readFileSync(file, 'utf8'), 'x', 'nothing was written');
  });

  it('a Timeout around a read that cannot finish raises in the green thread; the operation is left to finish', () =>
    spawn(() => {
      const fifo = makeFifo(dir);
      const t = new Timeout(0.05);
      try {
        assert.throws(() => gfs.readFile(fifo, 'utf8'), (error) => error === t);
      } finally {
        t.cancel();
      }
      // The threadpool still has the read; a writer lets it end, and its result goes nowhere.
      releaseFifo(fifo, 'late');
      assert.equal(gfs.readFile(path.join(__filename)).length > 0, true, 'the threadpool works on');
    }));

  it('closes an fd whose open completes after its waiter timed out', function () {
    if (!fs.existsSync('/proc/self/fd')) this.skip();
    return spawn(() => {
      const fifo = makeFifo(dir);
      const fdsOnFifo = () =>
        fs.readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return fs.readlinkSync(`/proc/self/fd/${fd}`) === fifo;
          } catch {
            return false;
          }
        }).length;
      const t = new Timeout(0.05);
      try {
        assert.throws(() => gfs.open(fifo, 'r'), (error) => error === t);
      } finally {
        t.cancel();
      }
      releaseFifo(fifo);
      until(() => fdsOnFifo() === 0, 'the late fd is closed');
    });
  });
});

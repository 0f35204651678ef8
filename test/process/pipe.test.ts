// GreenPipe on real OS pipes: round trips, end of stream, closing under a waiter, broken pipes, timeouts,
// makefile, and blocking calls on the main stack. Each test body runs in a green thread (mocha awaits it).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BrokenPipeError,
  ClosedError,
  HubBlockingError,
  IOError,
  SocketTimeoutError,
  WouldBlockError,
  sleep,
  spawn,
} from 'verdant';
import { GreenPipe } from '../../lib/process';
import { until } from '../sync/helpers';
import { makeFifo, releaseFifo, removeScratch, scratchDir } from '../support/green-io';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** The open-file flags of `fd`, from /proc (Linux). */
function fdFlags(fd: number): number {
  const line = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').find((l) => l.startsWith('flags:'));
  return parseInt(line!.split(/\s+/)[1], 8);
}

describe('process: GreenPipe', () => {
  it('create() gives a non-blocking, close-on-exec pair that moves bytes one way', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      for (const end of [reader, writer]) {
        if (fs.existsSync('/proc/self/fdinfo')) {
          const flags = fdFlags(end.fileno());
          assert.ok(flags & O_NONBLOCK, 'O_NONBLOCK');
          assert.ok(flags & O_CLOEXEC, 'O_CLOEXEC');
        }
      }
      assert.equal(writer.write('ping'), 4);
      assert.equal(reader.read(100).toString(), 'ping');
      writer.writeAll(new Uint8Array([1, 2, 3]));
      const buf = Buffer.alloc(8);
      assert.equal(reader.readInto(buf), 3);
      assert.deepEqual([...buf.subarray(0, 3)], [1, 2, 3]);
      reader.close();
      writer.close();
    }));

  it('a read waits (in its green thread only) until a writer writes; 4 MiB through writeAll arrive whole', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      const big = Buffer.alloc(4 << 20);
      for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
      const received: Buffer[] = [];
      const consumer = spawn(() => {
        for (;;) {
          const chunk = reader.read(65536);
          if (chunk.length === 0) return;
          received.push(chunk);
        }
      });
      writer.writeAll(big);
      writer.close();
      consumer.wait();
      assert.ok(Buffer.concat(received).equals(big));
      reader.close();
    }));

  it('reads end of stream (an empty Buffer, 0) once the writer closes', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      const got = spawn(() => reader.read(10));
      sleep(0.01);
      writer.write('x');
      writer.close();
      assert.equal(got.wait().toString(), 'x');
      assert.equal(reader.read(10).length, 0);
      assert.equal(reader.readInto(Buffer.alloc(4)), 0);
      reader.close();
    }));

  it('closing it under a waiting reader wakes that reader with a ClosedError', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      const blocked = spawn(() => reader.read(10));
      sleep(0.01);
      reader.close();
      assert.throws(
        () => blocked.wait(),
        (e: unknown) =>
          e instanceof ClosedError &&
          e.code === 'EBADF' &&
          e.whileWaiting &&
          e.what === 'GreenPipe' &&
          e.message === 'read refused: the GreenPipe was closed by another green thread while this one waited on it',
      );
      assert.throws(
        () => reader.read(1),
        (e: unknown) =>
          e instanceof ClosedError && !e.whileWaiting && e.message === 'read refused: the GreenPipe was already closed when this call was made',
      );
      assert.equal(reader.fileno(), -1);
      assert.ok(reader.closed);
      reader.close(); // harmless
      writer.close();
    }));

  it('writing to a pipe whose reader closed throws a BrokenPipeError (EPIPE), also for a blocked writer', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      reader.close();
      assert.throws(() => writer.write('x'), (e: unknown) => e instanceof BrokenPipeError && e.code === 'EPIPE');
      writer.close();

      const [r2, w2] = GreenPipe.create();
      const filler = spawn(() => w2.writeAll(Buffer.alloc(1 << 20)));
      sleep(0.01);
      assert.ok(!filler.dead, 'the writer waits on the full pipe');
      r2.close();
      assert.throws(
        () => filler.wait(),
        (e: unknown) => e instanceof BrokenPipeError && typeof (e as { bytesWritten?: number }).bytesWritten === 'number',
      );
      w2.close();
    }));

  it('timeouts: a read that waits too long throws SocketTimeoutError; timeout 0 throws WouldBlockError', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      reader.setTimeout(0.03);
      const t0 = performance.now();
      assert.throws(() => reader.read(1), SocketTimeoutError);
      assert.ok(performance.now() - t0 >= 25);
      reader.setBlocking(false);
      assert.equal(reader.getTimeout(), 0);
      assert.throws(() => reader.read(1), WouldBlockError);
      writer.write('z');
      assert.equal(reader.read(1).toString(), 'z', 'the pipe is still usable');
      reader.close();
      writer.close();
    }));

  it('makefile: lines through a buffered reader and writer, with an encoding', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      const out = writer.makefile('w', { encoding: 'utf8' });
      const inp = reader.makefile('r', { encoding: 'utf8' });
      spawn(() => {
        out.write('first line\n');
        out.write('zweite Zeile ü\nlast');
        out.close();
        writer.close();
      });
      assert.deepEqual(inp.readlines(), ['first line\n', 'zweite Zeile ü\n', 'last']);
      inp.close();
      reader.close();
    }));

  it('fromFd adopts an fd and makes it non-blocking; rejects non-fds', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      const dupReader = GreenPipe.fromFd(fs.openSync(`/proc/self/fd/${reader.fileno()}`, 'r'));
      if (fs.existsSync('/proc/self/fdinfo')) assert.ok(fdFlags(dupReader.fileno()) & O_NONBLOCK);
      writer.write('via the adopted fd');
      assert.equal(dupReader.read(100).toString(), 'via the adopted fd');
      assert.match(String(dupReader), /^GreenPipe\(fd \d+\)$/);
      dupReader.close();
      assert.equal(String(dupReader), 'GreenPipe(closed)');
      assert.throws(() => GreenPipe.fromFd(-1), TypeError);
      assert.throws(() => GreenPipe.fromFd(1.5), TypeError);
      assert.throws(() => reader.read(-1), RangeError);
      assert.throws(() => reader.readInto(Buffer.alloc(2), 3), RangeError);
      assert.throws(() => writer.write(42 as unknown as string), TypeError);
      reader.close();
      writer.close();
    }));

  it('reading from the write end is an IOError (EBADF), not a ClosedError', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      assert.throws(() => writer.read(1), (e: unknown) => e instanceof IOError && !(e instanceof ClosedError) && e.code === 'EBADF');
      reader.close();
      writer.close();
    }));

  it('on the main stack, a call that would wait throws HubBlockingError; one that need not wait works', () => {
    const [reader, writer] = GreenPipe.create();
    assert.throws(() => reader.read(1), HubBlockingError);
    writer.write('ready');
    assert.equal(reader.read(10).toString(), 'ready');
    reader.close();
    writer.close();
  });

  it('other green threads run while one waits on a pipe', () =>
    spawn(() => {
      const [reader, writer] = GreenPipe.create();
      let ticks = 0;
      const blocked = spawn(() => reader.read(1));
      until(() => ticks++ >= 5, 'five ticks');
      assert.ok(!blocked.dead);
      writer.write('!');
      assert.equal(blocked.wait().toString(), '!');
      reader.close();
      writer.close();
    }));
});

describe('process: GreenPipe on a path (open, openFile, seek, tell, truncate)', () => {
  let dir: string;
  beforeEach(() => {
    dir = scratchDir();
  });
  afterEach(() => removeScratch(dir));

  it('open takes Python\'s modes: r reads, w creates or empties, a appends, x creates a new file, + does both', () =>
    spawn(() => {
      const file = path.join(dir, 'f');
      const w = GreenPipe.open(file, 'w');
      w.writeAll('hello');
      assert.throws(() => w.read(1), (e: unknown) => e instanceof IOError && e.code === 'EBADF', 'w does not read');
      w.close();
      const a = GreenPipe.open(file, 'ab');
      a.seek(0); // appends go to the end wherever the offset is
      a.writeAll(', world');
      a.close();
      assert.equal(fs.readFileSync(file, 'utf8'), 'hello, world');
      const r = GreenPipe.open(file);
      assert.equal(r.read(100).toString(), 'hello, world');
      assert.equal(r.read(100).length, 0, 'end of file');
      r.close();
      const rw = GreenPipe.open(file, 'r+');
      rw.writeAll('HELLO');
      assert.equal(rw.read(100).toString(), ', world');
      rw.close();
      assert.equal(fs.readFileSync(file, 'utf8'), 'HELLO, world');
      assert.throws(() => GreenPipe.open(file, 'x'), (e: unknown) => e instanceof IOError && e.code === 'EEXIST' && e.address === file);
      const fresh = GreenPipe.open(path.join(dir, 'new'), 'x+');
      fresh.close();
      assert.throws(() => GreenPipe.open(path.join(dir, 'missing')), (e: unknown) => e instanceof IOError && e.code === 'ENOENT');
      for (const bad of ['rw', 'wr', '+', 'rt', 'b', '']) {
        assert.throws(() => GreenPipe.open(file, bad as never), (e: unknown) => e instanceof TypeError && /not an open mode/.test(e.message));
      }
      const fd = GreenPipe.open(file);
      assert.ok((fs.fstatSync(fd.fileno()).mode & fs.constants.S_IFMT) === fs.constants.S_IFREG);
      assert.ok(String(fd).includes(file));
      fd.close();
    }));

  it('a regular file: short reads do not make the next read wait; seek, tell and truncate move the offset', () =>
    spawn(() => {
      const f = GreenPipe.open(path.join(dir, 'f'), 'w+');
      f.writeAll('0123456789');
      assert.equal(f.tell(), 10);
      assert.equal(f.seek(2), 2);
      assert.equal(f.read(3).toString(), '234');
      assert.equal(f.read(100).toString(), '56789', 'a short read...');
      assert.equal(f.read(100).length, 0, '...then end of file at once, no wait');
      assert.equal(f.seek(-4, 2), 6);
      assert.equal(f.seek(1, 1), 7);
      assert.equal(f.truncate(4), 4, 'truncate returns the size');
      assert.equal(f.tell(), 4, 'and moves the offset there (eventlet)');
      assert.equal(f.truncate(), 4);
      assert.throws(() => f.seek(1.5), TypeError);
      assert.throws(() => f.seek(0, 3 as never), TypeError);
      assert.throws(() => f.truncate(-1), TypeError);
      assert.throws(() => f.seek(-100), (e: unknown) => e instanceof IOError && e.code === 'EINVAL');
      f.close();
      const file = path.join(dir, 'f');
      assert.throws(
        () => f.tell(),
        (e: unknown) =>
          e instanceof ClosedError && e.address === file && e.message === `seek refused: the GreenPipe (${file}) was already closed when this call was made`,
      );
      assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), '0123');
    }));

  it('a pipe has no offset: seek is an IOError ESPIPE', () =>
    spawn(() => {
      const [r, w] = GreenPipe.create();
      assert.throws(() => r.seek(0), (e: unknown) => e instanceof IOError && e.code === 'ESPIPE');
      assert.throws(() => r.makefile('r').tell(), (e: unknown) => e instanceof IOError && e.code === 'ESPIPE');
      r.close();
      w.close();
    }));

  it('openFile: a buffered file that owns the fd, whose offset counts what it buffers; reads see earlier writes', () =>
    spawn(() => {
      const file = path.join(dir, 'f');
      const f = GreenPipe.openFile(file, 'w+', { encoding: 'utf8', bufferSize: 4 });
      f.write('ab');
      assert.equal(f.tell(), 2, 'two bytes buffered');
      f.write('cdefgh\nline two\n');
      f.seek(0);
      assert.equal(f.readline(), 'abcdefgh\n');
      assert.equal(f.tell(), 9, 'what was read ahead is not counted');
      f.write('LINE'); // goes where the reader stands, not after what was read ahead
      f.seek(0);
      assert.deepEqual(f.readlines(), ['abcdefgh\n', 'LINE two\n']);
      f.write('more\n'); // at the end: a file's end is not final
      f.seek(-5, 1);
      assert.equal(f.read(), 'more\n');
      assert.equal(f.truncate(3), 3);
      assert.equal(f.read(), '');
      f.close();
      assert.equal(fs.readFileSync(file, 'utf8'), 'abc');
      const r = GreenPipe.openFile(file);
      assert.equal(r.mode, 'r');
      assert.throws(() => r.write('x'), /mode 'r'/);
      r.close();
      const w = GreenPipe.openFile(file, 'a');
      assert.equal(w.mode, 'w');
      w.close();
    }));

  it('a FIFO opens without blocking the hub and reads as a pipe; a pipe\'s file keeps the fd past the pipe\'s close', () =>
    spawn(() => {
      const fifo = makeFifo(dir);
      const opening = spawn(() => GreenPipe.open(fifo, 'r'));
      // A writer (once the reader waits in its open, on the threadpool): the open returns; it writes and closes.
      releaseFifo(fifo, 'through the fifo\n');
      const reader = opening.wait();
      const file = reader.makefile();
      reader.close();
      assert.equal(file.readline().toString(), 'through the fifo\n');
      assert.equal(file.readline().length, 0);
      file.close();
    }));
});

// GreenFile (makefile): buffered lines and reads over real sockets, writes that flush, and modes.
import { strict as assert } from 'node:assert';
import { ClosedError, FileModeError, GreenFile, GreenSocket, IOError, LineTooLongError, SocketTimeoutError, WouldBlockError, sleep, spawn } from 'verdant';
import { DEFAULT_MAX_LINE_SIZE } from '../../lib/net';

describe('net: GreenFile (makefile)', () => {
  it('readline returns lines with their newline, the last without, then empty; iteration gives the same', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const writer = spawn(() => {
        // Lines split across sends, and one send with several lines.
        for (const piece of ['fir', 'st\nsec', 'ond\nthird\nfour', 'th']) {
          a.sendAll(piece);
        }
        a.close();
      });
      const file = b.makefile('r', { encoding: 'utf8' });
      assert.equal(file.readline(), 'first\n');
      assert.deepEqual(file.readlines(), ['second\n', 'third\n', 'fourth']);
      assert.equal(file.readline(), '');
      writer.wait();
      b.close();
    }));

  it('read(n) returns exactly n bytes (fewer only at the end); read() returns the rest; read1 what one recv brings', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const data = Buffer.alloc(100_000);
      for (let i = 0; i < data.length; i++) data[i] = i % 251;
      spawn(() => {
        a.sendAll(data);
        a.close();
      });
      const file = b.makefile('rb', { bufferSize: 1024 });
      const first = file.read(10) as Buffer;
      assert.deepEqual(first, data.subarray(0, 10));
      const chunk = file.read1(5) as Buffer;
      assert.ok(chunk.length >= 1 && chunk.length <= 5);
      assert.deepEqual(chunk, data.subarray(10, 10 + chunk.length));
      const rest = file.read() as Buffer;
      assert.deepEqual(rest, data.subarray(10 + chunk.length));
      assert.equal(file.read(10).length, 0);
      b.close();
    }));

  it('a line longer than the buffer grows it; readline(limit) stops at the limit', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const long = 'x'.repeat(5000) + '\n';
      spawn(() => a.sendAll(long + 'short\nabcdefgh\n'));
      const file = b.makefile('r', { bufferSize: 64, encoding: 'latin1' });
      assert.equal(file.readline(), long);
      assert.equal(file.readline(), 'short\n');
      assert.equal(file.readline(3), 'abc');
      assert.equal(file.readline(), 'defgh\n');
      a.close();
      b.close();
    }));

  it('a peer sending a line past maxLineSize gets a LineTooLongError while it still waits to send; the bytes stay readable', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const total = 64 * DEFAULT_MAX_LINE_SIZE; // no newline in 64 MiB
      const writer = spawn(() => {
        const block = Buffer.alloc(65536, 0x78);
        for (let sent = 0; sent < total; sent += block.length) a.sendAll(block);
        a.sendAll('\n');
      });
      const file = b.makefile('rb');
      assert.throws(
        () => file.readline(),
        (e: unknown) => e instanceof LineTooLongError && e.limit === DEFAULT_MAX_LINE_SIZE && /maxLineSize/.test(e.message),
      );
      assert.ok(!writer.dead, 'the reader stopped taking bytes: the peer is still blocked sending');
      assert.throws(() => file.readline(), LineTooLongError, 'again for the same line');
      const head = file.read(DEFAULT_MAX_LINE_SIZE) as Buffer;
      assert.equal(head.length, DEFAULT_MAX_LINE_SIZE);
      assert.ok(head.every((byte) => byte === 0x78), 'the bytes read before the error are not lost');
      writer.kill();
      a.close();
      b.close();
    }));

  it('a line of exactly maxLineSize bytes passes, one byte more does not; null lifts the limit; readline(limit) is not affected', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      spawn(() => {
        a.sendAll('abcdefg\n' + 'abcdefgh\n' + 'abcdefgh\n');
        a.close();
      });
      const file = b.makefile('r', { encoding: 'latin1', maxLineSize: 8, bufferSize: 4 });
      assert.equal(file.readline(), 'abcdefg\n');
      assert.throws(() => file.readline(), (e: unknown) => e instanceof LineTooLongError && e.limit === 8);
      assert.equal(file.readline(4), 'abcd');
      assert.equal(file.readline(), 'efgh\n');
      assert.throws(() => [...file], LineTooLongError, 'iteration is limited too');
      b.close();

      const [c, d] = GreenSocket.pair();
      const long = 'y'.repeat(3 * DEFAULT_MAX_LINE_SIZE) + '\n';
      spawn(() => {
        c.sendAll(long);
        c.close();
      });
      assert.equal(d.makefile('r', { encoding: 'latin1', maxLineSize: null }).readline(), long);
      d.close();

      const [e, f] = GreenSocket.pair();
      assert.throws(() => e.makefile('r', { maxLineSize: 0 }), RangeError);
      assert.throws(() => e.makefile('r', { maxLineSize: 1.5 }), RangeError);
      e.close();
      f.close();
    }));

  it('writes are buffered until flush (or a full buffer, or close); close leaves the socket open', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const file = a.makefile('w', { bufferSize: 16 });
      file.write('hello ');
      b.setTimeout(0.05);
      assert.throws(() => b.recv(100), /timed out/);
      file.flush();
      assert.equal(b.recv(100).toString(), 'hello ');
      file.write('0123456789abcdefXYZ'); // larger than the buffer: goes straight out
      assert.equal(b.recv(100).toString(), '0123456789abcdefXYZ');
      file.write('tail');
      file.close();
      assert.equal(b.recv(100).toString(), 'tail');
      a.sendAll('socket still open');
      assert.equal(b.recv(100).toString(), 'socket still open');
      assert.throws(() => file.write('x'), /^ClosedError: write refused: the GreenFile was already closed when this call was made$/);
      a.close();
      b.close();
    }));

  it('mode is enforced and bad options are errors', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      assert.throws(
        () => a.makefile('r').write('x'),
        (e: unknown) =>
          e instanceof FileModeError &&
          e.operation === 'write' &&
          e.mode === 'r' &&
          e.message === "write refused: this GreenFile was opened with mode 'r', which does not allow writing",
      );
      assert.throws(
        () => a.makefile('w').readline(),
        (e: unknown) => e instanceof FileModeError && e.mode === 'w' && /^readline refused: .*mode 'w', which does not allow reading$/.test(e.message),
      );
      assert.throws(() => a.makefile('x' as never), /not a file mode/);
      assert.throws(() => a.makefile('r', { bufferSize: 0 }), RangeError);
      assert.throws(() => new GreenFile({ read: () => 0, write: () => {} }, 'r', { encoding: 'klingon' as never }), /unknown encoding/);
      a.close();
      b.close();
    }));
});

describe('net: GreenFile and the socket it was made from (they share the fd)', () => {
  it('closing the socket ends its own calls but leaves its files working; the fd closes with the last of them', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const f1 = a.makefile('rw', { encoding: 'utf8' });
      const f2 = a.makefile('r');
      const fd = a.fileno();
      a.close();
      assert.ok(a.closed);
      assert.equal(a.fileno(), -1);
      assert.equal(f1.fileno(), fd);
      assert.throws(() => a.send('x'), ClosedError);
      assert.throws(() => a.recv(1), ClosedError);
      assert.throws(() => a.makefile('r'), ClosedError);
      b.sendAll('ping\n');
      assert.equal(f1.readline(), 'ping\n');
      f1.write('pong\n');
      f1.close();
      assert.equal(b.recv(100).toString(), 'pong\n');
      b.setTimeout(0.05);
      assert.throws(() => b.recv(1), SocketTimeoutError, 'f2 still holds the connection open');
      f2.close();
      assert.equal(b.recv(1).length, 0, 'the last file closed the fd: end of stream');
      assert.equal(f2.fileno(), -1);
      b.close();
    }));

  it('a green thread waiting on the socket when it is closed goes on waiting while a file holds the fd', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const file = a.makefile('r');
      const waiter = spawn(() => a.recv(100).toString());
      sleep(0);
      a.close();
      sleep(0.01);
      b.sendAll('data');
      assert.equal(waiter.wait(), 'data');
      file.close();
      b.close();
    }));

  it('a green thread reading a file: closing the socket does not disturb it; closing the file, the last user, wakes it with ClosedError', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const file = a.makefile('r', { encoding: 'utf8' });
      const first = spawn(() => file.readline());
      sleep(0);
      a.close();
      b.sendAll('one\n');
      assert.equal(first.wait(), 'one\n');
      const second = spawn(() => file.readline());
      sleep(0.01);
      file.close(); // the fd closes now: its waiter wakes
      assert.throws(() => second.wait(), (e: unknown) => e instanceof ClosedError && /while this one waited/.test(e.message));
      assert.equal(b.recv(1).length, 0);
      b.close();
    }));

  it('closing a file while another green thread reads from it, the socket open: the reader gets a ClosedError when data comes', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const file = a.makefile('r');
      const reader = spawn(() => file.readline());
      sleep(0.01);
      file.close();
      b.sendAll('late\n');
      assert.throws(
        () => reader.wait(),
        (e: unknown) =>
          e instanceof ClosedError &&
          e.whileWaiting &&
          e.message === 'read refused: the GreenFile was closed by another green thread while this one waited on it',
      );
      b.sendAll('again');
      assert.equal(a.recv(100).toString(), 'again', 'the socket itself is untouched');
      a.close();
      b.close();
    }));

  it('a makefile that fails (bad mode or options) holds nothing; detach is refused while a file is open', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      assert.throws(() => a.makefile('x' as never), TypeError);
      assert.throws(() => a.makefile('r', { bufferSize: -1 }), RangeError);
      const file = a.makefile('r');
      assert.throws(() => a.detach(), (e: unknown) => e instanceof IOError && e.code === 'EBUSY' && /1 file made by makefile\(\) still uses fd/.test(e.message));
      file.close();
      const fd = a.detach();
      assert.ok(fd >= 0 && a.closed);
      GreenSocket.fromFd(fd).close();
      assert.equal(b.recv(1).length, 0, 'closed: nothing held the fd');
      b.close();
    }));

  it('a file dropped without close lets go of the fd when it is garbage-collected', function () {
    if (global.gc === undefined) this.skip(); // needs --expose-gc
    return spawn(() => {
      const [a, b] = GreenSocket.pair();
      ((): void => {
        a.makefile('r'); // dropped at once
      })();
      a.close();
      b.setBlocking(false);
      assert.throws(() => b.recv(1), WouldBlockError, 'the dropped file still holds the fd');
      let ended = false;
      for (let i = 0; i < 100 && !ended; i++) {
        global.gc!();
        sleep(0.01); // finalization callbacks run from the event loop
        try {
          ended = b.recv(1).length === 0;
        } catch (error) {
          if (!(error instanceof WouldBlockError)) throw error;
        }
      }
      assert.ok(ended, 'the fd closed once the file was collected');
      b.close();
    });
  });

  it('writelines writes each item as write does, adding nothing', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const file = a.makefile('w', { bufferSize: 8 });
      file.writelines(['one\n', Buffer.from('two'), 'three-and-more-than-a-buffer\n']);
      file.writelines((function* () {
        yield 'gen\n';
      })());
      file.close();
      a.close();
      assert.equal(b.makefile('r', { encoding: 'utf8' }).read(), 'one\ntwothree-and-more-than-a-buffer\ngen\n');
      b.close();
    }));

  it('read, read1 and readline take an integer or null; anything else is a TypeError', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const file = b.makefile('r', { encoding: 'utf8' });
      for (const bad of ['3', 1.5, Number.NaN, {}, true]) {
        for (const call of [() => file.read(bad as never), () => file.read1(bad as never), () => file.readline(bad as never)]) {
          assert.throws(call, (e: unknown) => e instanceof TypeError && /the size must be an integer/.test(e.message));
        }
      }
      a.sendAll('ab\ncd\n');
      a.close();
      assert.equal(file.readline(null), 'ab\n');
      assert.equal(file.read(null), 'cd\n');
      file.close();
      b.close();
    }));

  it('over a socket, seek, tell and truncate are an IOError ESPIPE, and fileno is the socket\'s fd', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const file = a.makefile('rw');
      assert.equal(file.fileno(), a.fileno());
      for (const call of [() => file.seek(0), () => file.tell(), () => file.truncate()]) {
        assert.throws(call, (e: unknown) => e instanceof IOError && e.code === 'ESPIPE' && /socket or a pipe/.test(e.message));
      }
      assert.throws(() => new GreenFile({ read: () => 0, write: () => {} }).fileno(), TypeError);
      file.close();
      assert.throws(
        () => file.read(1),
        (e: unknown) => e instanceof ClosedError && e.message === 'read refused: the GreenFile was already closed when this call was made',
      );
      a.close();
      b.close();
    }));
});

// GreenFile (makefile): buffered lines and reads over real sockets, writes that flush, and modes.
import { strict as assert } from 'node:assert';
import { GreenFile, GreenSocket, LineTooLongError, spawn } from 'verdant';
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

      assert.throws(() => a.makefile('r', { maxLineSize: 0 }), RangeError);
      assert.throws(() => a.makefile('r', { maxLineSize: 1.5 }), RangeError);
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
      assert.throws(() => file.write('x'), /closed GreenFile/);
      a.close();
      b.close();
    }));

  it('mode is enforced and bad options are errors', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      assert.throws(() => a.makefile('r').write('x'), /mode 'r'/);
      assert.throws(() => a.makefile('w').readline(), /mode 'w'/);
      assert.throws(() => a.makefile('x' as never), /not a file mode/);
      assert.throws(() => a.makefile('r', { bufferSize: 0 }), RangeError);
      assert.throws(() => new GreenFile({ read: () => 0, write: () => {} }, 'r', { encoding: 'klingon' as never }), /unknown encoding/);
      a.close();
      b.close();
    }));
});

// The green select (lib/io/select.ts): what it reports for sockets, pipes and files, how it waits (only the
// calling green thread, within the timeout), and its errors.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import {
  ClosedError,
  GreenPipe,
  GreenSocket,
  HubBlockingError,
  IOError,
  Timeout,
  select,
  sleep,
  spawn,
} from 'verdant';
import { MSG } from '../../lib/net';
import { listeners } from '../../lib/runtime/hub';
import { removeScratch, scratchDir } from '../support/green-io';
import { secondsSince } from '../sync/helpers';

describe('net: select', () => {
  it('reports what is ready now, in each list\'s order, as the items given; timeout 0 only looks', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const [c, d] = GreenSocket.pair();
      assert.deepEqual(select([a, b, c, d], [], [], 0), [[], [], []]);
      d.sendAll('x');
      b.sendAll('y');
      const [readable, writable, errors] = select([a, b, c, d], [d, a], [], 0);
      assert.deepEqual(readable, [a, c]);
      assert.deepEqual(writable, [d, a]);
      assert.deepEqual(errors, []);
      for (const s of [a, b, c, d]) s.close();
    }));

  it('waits, parking only the calling green thread, until an fd is ready; other green threads run meanwhile', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      let ticks = 0;
      const ticker = spawn(() => {
        for (;;) {
          ticks++;
          sleep(0.005);
        }
      });
      spawn(() => {
        sleep(0.05);
        b.sendAll('late');
      });
      const t0 = performance.now();
      assert.deepEqual(select([a], [], []), [[a], [], []]);
      assert.ok(secondsSince(t0) >= 0.04, 'it waited for the data');
      assert.ok(ticks >= 3, `other green threads ran (${ticks} ticks)`);
      assert.equal(a.recv(10).toString(), 'late');
      ticker.kill();
      a.close();
      b.close();
    }));

  it('returns three empty arrays when the timeout passes first, and leaves no wait behind', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const t0 = performance.now();
      assert.deepEqual(select([a, b], [], [], 0.05), [[], [], []]);
      assert.ok(secondsSince(t0) >= 0.045);
      sleep(0); // the helpers it stopped take their turn to end
      assert.deepEqual(listeners().filter((l) => l.fd === a.fileno() || l.fd === b.fileno()), []);
      // With nothing at all to watch, it is a sleep.
      const t1 = performance.now();
      assert.deepEqual(select([], [], [], 0.02), [[], [], []]);
      assert.ok(secondsSince(t1) >= 0.015);
      a.close();
      b.close();
    }));

  it('names every fd ready when it wakes, not only the first', () =>
    spawn(() => {
      const pairs = [GreenSocket.pair(), GreenSocket.pair(), GreenSocket.pair()];
      spawn(() => {
        sleep(0.02);
        for (const [, far] of pairs) far.sendAll('x'); // all in one turn
      });
      const [readable] = select(pairs.map(([near]) => near), [], []);
      assert.deepEqual(readable, pairs.map(([near]) => near));
      for (const s of pairs.flat()) s.close();
    }));

  it('a peer that hung up reads as readable; out-of-band data is an exceptional condition', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      b.close();
      assert.deepEqual(select([a], [], [a], 0), [[a], [], []]);
      assert.equal(a.recv(1).length, 0);
      a.close();

      const listener = new GreenSocket();
      listener.bind(['127.0.0.1', 0]);
      listener.listen();
      const client = new GreenSocket();
      client.connect(listener.getSockName());
      const [server] = listener.accept();
      client.send('!', MSG.OOB);
      const deadline = new Timeout(2);
      try {
        assert.deepEqual(select([], [], [server]), [[], [], [server]]);
      } finally {
        deadline.cancel();
      }
      for (const s of [client, server, listener]) s.close();
    }));

  it('takes fds, pipes and files (anything with fileno()); a regular file is always ready', () =>
    spawn(() => {
      const dir = scratchDir();
      try {
        const [r, w] = GreenPipe.create();
        const reader = r.makefile('r');
        assert.deepEqual(select([reader, r.fileno()], [w], [], 0), [[], [w], []]);
        w.write('line\n');
        assert.deepEqual(select([reader, r.fileno()], [], [], 0), [[reader, r.fileno()], [], []]);
        const file = GreenPipe.openFile(`${dir}/f`, 'w+');
        assert.deepEqual(select([file], [file], [], 0), [[file], [file], []]);
        for (const f of [file, reader, r, w]) f.close();
      } finally {
        removeScratch(dir);
      }
    }));

  it('does not collide with a green thread reading the same socket, and reports what woke it though that one took it', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const reader = spawn(() => a.recv(100).toString());
      sleep(0);
      const selecting = spawn(() => select([a], [], []));
      sleep(0.01);
      b.sendAll('both see it');
      assert.equal(reader.wait(), 'both see it');
      // a was readable when select woke, as the system's select would say; nothing is left by the time it returns.
      assert.deepEqual(selecting.wait(), [[a], [], []]);
      assert.deepEqual(select([a], [], [], 0), [[], [], []]);
      a.close();
      b.close();
    }));

  it('a Timeout around it, or a kill, ends it and its helpers', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const timeout = new Timeout(0.02);
      assert.throws(() => select([a], [], []), (e: unknown) => e === timeout);
      const gt = spawn(() => select([a], [], []));
      sleep(0.01);
      gt.kill();
      sleep(0);
      assert.deepEqual(listeners().filter((l) => l.fd === a.fileno()), []);
      a.close();
      b.close();
    }));

  it('closing an fd it waits on is a ClosedError; a closed object, an fd not open, a bad item are errors', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const waiting = spawn(() => select([a], [], []));
      sleep(0.01);
      a.close();
      assert.throws(
        () => waiting.wait(),
        (e: unknown) =>
          e instanceof ClosedError && /^select refused: the GreenSocket with fd \d+ was closed by another green thread while this one waited on it$/.test(e.message),
      );
      assert.throws(
        () => select([a], [], [], 0),
        (e: unknown) => e instanceof ClosedError && e.message === 'select refused: the GreenSocket (fileno() -1) was already closed when this call was made',
      );

      const notOpen = fs.openSync('/dev/null', 'r');
      fs.closeSync(notOpen);
      assert.throws(() => select([notOpen], [], [], 0), (e: unknown) => e instanceof IOError && e.code === 'EBADF');
      assert.throws(() => select([-1], [], [], 0), RangeError);
      assert.throws(() => select([1.5], [], [], 0), TypeError);
      assert.throws(() => select([{}] as never, [], [], 0), /an object with a fileno\(\) method, got an instance of Object/);
      assert.throws(() => select(null as never, [], []), /readers must be an array/);
      assert.throws(() => select([], [], [], -1), RangeError);
      b.close();
    }));

  it('on the main stack, looking works and waiting is a HubBlockingError', () => {
    const [a, b] = GreenSocket.pair();
    try {
      assert.deepEqual(select([a], [b], [], 0), [[], [b], []]);
      assert.throws(() => select([a], [], [], 1), HubBlockingError);
    } finally {
      a.close();
      b.close();
    }
  });
});

// Accept balancing: the shared load table, and accept loops that take turns on one listening socket. Two accept
// loops of this process, each on its own dup of the listener and its own slot, stand for two worker processes;
// test/launcher/serve.test.ts checks real ones.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { AcceptBalance, Event, GreenSocket, IOError, LoadTable, connect, listen, serve, spawn } from 'verdant';

function portOf(sock: GreenSocket): number {
  const addr = sock.getSockName();
  assert.ok('port' in addr);
  return addr.port;
}

/** Serves `listener` with `balance`, holding every connection open until `release`; returns how many it took. */
function holdingServer(listener: GreenSocket, balance: AcceptBalance | undefined, release: Event<void>, taken: number[], index: number) {
  return spawn(() =>
    serve(listener, (conn) => {
      taken[index]++;
      conn.sendAll('hi');
      release.wait();
    }, { balance }),
  );
}

describe('net: accept balance', () => {
  it('a table is shared through its fd: what one mapping publishes, another sees; slots start empty', () => {
    const { table, fd } = LoadTable.create(4);
    try {
      const other = LoadTable.open(fd, 4);
      assert.deepEqual([0, 1, 2, 3].map((s) => other.connections(s)), [-1, -1, -1, -1]);
      table.publish(2, 17);
      assert.equal(other.connections(2), 17);
      other.clear(2);
      assert.equal(table.connections(2), -1);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('rejects bad sizes, slots and fds with errors that name them', () => {
    assert.throws(() => LoadTable.create(0), /1 to 4096 slots, not 0/);
    assert.throws(() => LoadTable.create(1.5), RangeError);
    const { table, fd } = LoadTable.create(2);
    try {
      assert.throws(() => new AcceptBalance(table, 2), /slot must be an integer from 0 to 1, not 2/);
      // Longer than the file: mapping it would fault past the end, so it is refused.
      assert.throws(() => LoadTable.open(fd, 64), (e: unknown) => e instanceof IOError && e.code === 'EINVAL');
    } finally {
      fs.closeSync(fd);
    }
    assert.throws(() => LoadTable.open(fd, 2), (e: unknown) => e instanceof IOError && e.code === 'EBADF');
  });

  it('two accept loops on one socket split a burst of connections evenly; without balance one takes nearly all', () =>
    spawn(() => {
      const spread = (balanced: boolean): number[] => {
        const listener = listen(['127.0.0.1', 0]);
        const { table, fd } = LoadTable.create(2);
        const release = new Event<void>();
        const taken = [0, 0];
        const loops = [listener, listener.dup()].map((sock, i) =>
          holdingServer(sock, balanced ? new AcceptBalance(table, i) : undefined, release, taken, i));
        const clients = Array.from({ length: 20 }, () => spawn(() => {
          const c = connect(['127.0.0.1', portOf(listener)]);
          assert.equal(c.recv(2).toString(), 'hi');
          return c;
        }));
        for (const c of clients) c.wait();
        release.send();
        for (const c of clients) c.wait().close();
        listener.close();
        for (const loop of loops) loop.kill();
        fs.closeSync(fd);
        return taken;
      };
      const balanced = spread(true);
      assert.ok(Math.abs(balanced[0] - balanced[1]) <= 2, `balanced: ${balanced.join('/')}`);
      // What the balance is for: one loop (the one first to run) takes the burst.
      const greedy = spread(false);
      assert.ok(Math.abs(greedy[0] - greedy[1]) > 10, `unbalanced: ${greedy.join('/')}`);
    }));

  it('a less loaded peer that does not accept (busy, blocked) delays connections by the grace, never holds them', () =>
    spawn(() => {
      const listener = listen(['127.0.0.1', 0]);
      const { table, fd } = LoadTable.create(2);
      table.publish(1, 0); // a peer holding nothing, which never accepts
      const release = new Event<void>();
      const taken = [0];
      const balance = new AcceptBalance(table, 0);
      const loop = holdingServer(listener, balance, release, taken, 0);
      const clients = Array.from({ length: 5 }, () => {
        const c = connect(['127.0.0.1', portOf(listener)]);
        assert.equal(c.recv(2).toString(), 'hi');
        return c;
      });
      assert.equal(taken[0], 5);
      assert.equal(table.connections(0), 5, 'it publishes what it holds');
      release.send();
      for (const c of clients) c.close();
      listener.close();
      loop.wait();
      assert.equal(table.connections(0), -1, 'a loop that stopped accepting clears its slot');
      fs.closeSync(fd);
    }));
});

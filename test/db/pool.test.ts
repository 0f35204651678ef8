// db.ConnectionPool against a real PostgreSQL server: a private one started for this suite (test/support/
// postgres.ts), fails (does not skip) when the server binaries are missing. Test bodies run in green threads.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { HubBlockingError, Timeout, sleep, spawn, wait, withTimeout } from 'verdant';
import {
  ConnectTimeoutError,
  ConnectionPool,
  ConnectionReleasedError,
  PoolClosedError,
  PoolTimeoutError,
  type ConnectionPoolOptions,
} from '../../lib/db';
import { secondsSince, until } from '../sync/helpers';
import { findPostgresBin, startPostgres, type PostgresServer } from '../support/postgres';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('db: ConnectionPool (on a private PostgreSQL server)', function () {
  let server: PostgresServer;
  let admin: ConnectionPool;
  const pools: ConnectionPool[] = [];

  before(async function () {
    this.timeout(120_000);
    server = await startPostgres();
    admin = new ConnectionPool({ ...server.settings, maxSize: 2 });
  });

  after(() => {
    admin?.close();
    server?.stop();
  });

  afterEach(() => {
    for (const pool of pools.splice(0)) pool.close();
  });

  function open(options: ConnectionPoolOptions = {}): ConnectionPool {
    const pool = new ConnectionPool({ ...server.settings, ...options });
    pools.push(pool);
    return pool;
  }

  // Whether the server still has a session with this backend process id.
  function backendAlive(pid: number): boolean {
    return admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid]).rows[0].n > 0;
  }

  function pidOf(pool: ConnectionPool): number {
    return pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').rows[0].pid;
  }

  it('runs queries with parameters; an SQL error leaves the connection usable', () =>
    spawn(() => {
      const pool = open();
      assert.equal(pool.query('SELECT 1 + $1::int AS n', [41]).rows[0].n, 42);
      pool.item((conn) => {
        assert.equal(typeof conn.processId, 'number');
        assert.throws(() => conn.query('SELECT * FROM no_such_table'), (e: unknown) => {
          assert.equal((e as { code?: string }).code, '42P01');
          return true;
        });
        assert.equal(conn.broken, false);
        assert.equal(conn.transactionStatus, 'idle');
        assert.deepEqual(conn.query({ text: 'SELECT $1::text AS t', values: ['obj'], rowMode: 'array' }).rows, [['obj']]);
      });
      assert.equal(pool.statistics().created, 1);
      assert.equal(pool.statistics().broken, 0);
    }));

  it('many green threads share a pool of 3 for real queries: at most 3 connections, 3 in use at once', () =>
    spawn(() => {
      const pool = open({ maxSize: 3 });
      const pids = new Set<number>();
      let peak = 0;
      const workers = range(12).map((i) =>
        spawn(() =>
          pool.item((conn) => {
            peak = Math.max(peak, pool.statistics().inUse);
            pids.add(conn.processId!);
            const { rows } = conn.query<{ sq: number; pid: number }>(
              'SELECT $1::int * $1::int AS sq, pg_backend_pid() AS pid, pg_sleep(0.02)',
              [i],
            );
            assert.equal(rows[0].pid, conn.processId);
            return rows[0].sq;
          }),
        ),
      );
      assert.deepEqual(
        workers.map((w) => w.wait()),
        range(12).map((i) => i * i),
      );
      assert.equal(peak, 3);
      assert.equal(pids.size, 3);
      const stats = pool.statistics();
      assert.equal(stats.created, 3);
      assert.equal(stats.inUse, 0);
      assert.equal(stats.free, 3);
    }));

  it('queries of several green threads really overlap: three pg_sleep(0.4) take far less than 1.2 s', () =>
    spawn(() => {
      const pool = open({ maxSize: 3 });
      // Connect first, so the timing is the queries' alone.
      const conns = range(3).map(() => pool.get());
      for (const conn of conns) pool.put(conn);
      let ticks = 0;
      let ticking = true;
      const ticker = spawn(() => {
        while (ticking) {
          ticks++;
          sleep(0.01);
        }
      });
      const t0 = performance.now();
      const sleepers = range(3).map(() => spawn(() => pool.query('SELECT pg_sleep(0.4)')));
      for (const s of sleepers) s.wait();
      const elapsed = secondsSince(t0);
      ticking = false;
      ticker.wait();
      assert.ok(elapsed >= 0.39, `each slept 0.4 s (${elapsed.toFixed(3)})`);
      assert.ok(elapsed < 0.8, `they slept at the same time: ${elapsed.toFixed(3)} s, not 1.2`);
      assert.ok(ticks >= 10, `other green threads ran meanwhile (${ticks} ticks)`);
    }));

  it('a connection given back inside a transaction is rolled back before it is reused', () =>
    spawn(() => {
      const pool = open({ maxSize: 1 });
      pool.query('CREATE TABLE rollback_test (n int)');
      const conn = pool.get();
      const pid = conn.processId;
      conn.query('BEGIN');
      conn.query('INSERT INTO rollback_test VALUES (1)');
      assert.equal(conn.transactionStatus, 'inTransaction');
      pool.put(conn);
      assert.equal(pool.statistics().rolledBack, 1);
      pool.item((again) => {
        assert.equal(again.processId, pid, 'the same connection, reused');
        assert.equal(again.transactionStatus, 'idle');
        assert.equal(again.query('SELECT count(*)::int AS n FROM rollback_test').rows[0].n, 0);
        // A failed transaction is rolled back too.
        again.query('BEGIN');
        assert.throws(() => again.query('SELECT 1/0'), /division by zero/);
        assert.equal(again.transactionStatus, 'inFailedTransaction');
      });
      assert.equal(pool.statistics().rolledBack, 2);
      pool.item((again) => {
        assert.equal(again.processId, pid);
        assert.equal(again.transactionStatus, 'idle');
        again.query('BEGIN');
        again.query('INSERT INTO rollback_test VALUES (2)');
        again.query('COMMIT');
      });
      assert.equal(pool.query('SELECT count(*)::int AS n FROM rollback_test').rows[0].n, 1, 'committed work stays');
      assert.equal(pool.statistics().created, 1);
      pool.query('DROP TABLE rollback_test');
    }));

  it('maxAge: a connection older than maxAge is closed, not reused', () =>
    spawn(() => {
      const pool = open({ maxSize: 1, maxAge: 0.3, maxIdle: 10 });
      const first = pidOf(pool);
      assert.equal(pidOf(pool), first, 'young enough to be reused');
      sleep(0.4);
      const second = pidOf(pool);
      assert.notEqual(second, first);
      assert.ok(pool.statistics().expired >= 1);
      until(() => !backendAlive(first), 'the old session ended on the server');
      // Given back after its age passed: closed at once.
      const conn = pool.get();
      sleep(0.35);
      pool.put(conn);
      assert.equal(pool.statistics().size, 0);
    }));

  it('maxIdle: an idle connection is closed after maxIdle seconds, with nobody calling the pool', () =>
    spawn(() => {
      const pool = open({ maxSize: 2, maxIdle: 0.2, maxAge: 30 });
      const pid = pidOf(pool);
      const t0 = performance.now();
      assert.equal(pool.statistics().free, 1);
      until(() => pool.statistics().size === 0, 'the sweep closed it');
      assert.ok(secondsSince(t0) >= 0.19, 'not before maxIdle');
      assert.equal(pool.statistics().expired, 1);
      until(() => !backendAlive(pid), 'its session ended on the server');
      assert.notEqual(pidOf(pool), pid);
    }));

  it('maxAge 0 closes every connection when it is given back (the pool only limits concurrency)', () =>
    spawn(() => {
      const pool = open({ maxSize: 2, maxAge: 0 });
      const a = pidOf(pool);
      const b = pidOf(pool);
      assert.notEqual(a, b);
      assert.equal(pool.statistics().size, 0);
    }));

  it('connectTimeout: a server that accepts but never answers makes get throw ConnectTimeoutError; the slot is freed', () =>
    spawn(() => {
      const held: net.Socket[] = [];
      let closed = 0;
      const silent = net.createServer((socket) => {
        held.push(socket);
        socket.resume(); // reads (and ignores) the startup message, so it sees the client's end
        socket.on('close', () => closed++);
      });
      wait(new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve)));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const pool = open({ host: '127.0.0.1', port, maxSize: 2, connectTimeout: 0.3 });
        const t0 = performance.now();
        assert.throws(() => pool.get(), (e: unknown) => {
          assert.ok(e instanceof ConnectTimeoutError, String(e));
          assert.equal(e.timeout, 0.3);
          assert.match(e.message, new RegExp(`connecting to 127\\.0\\.0\\.1:${port} took longer than the connectTimeout of 0\\.3 s`));
          return true;
        });
        const elapsed = secondsSince(t0);
        assert.ok(elapsed >= 0.29 && elapsed < 2, `gave up after the timeout (${elapsed.toFixed(3)} s)`);
        assert.equal(pool.free(), 2, 'the slot is free again');
        assert.equal(pool.statistics().size, 0);
        until(() => closed === 1, 'the abandoned socket was closed');
      } finally {
        for (const s of held) s.destroy();
        silent.close();
      }
    }));

  it('a connection that fails to open frees its slot: the error is pg\'s', () =>
    spawn(() => {
      const port = wait(freeClosedPort());
      const pool = open({ host: '127.0.0.1', port, maxSize: 1 });
      assert.throws(() => pool.get(), /ECONNREFUSED/);
      assert.equal(pool.free(), 1);
    }));

  it('a connection broken while checked out (pg_terminate_backend) is discarded when given back', () =>
    spawn(() => {
      const pool = open({ maxSize: 1 });
      const conn = pool.get();
      const pid = conn.processId!;
      assert.equal(admin.query('SELECT pg_terminate_backend($1) AS ok', [pid]).rows[0].ok, true);
      assert.throws(() => conn.query('SELECT 1'));
      assert.equal(conn.broken, true);
      pool.put(conn);
      const stats = pool.statistics();
      assert.equal(stats.broken, 1);
      assert.equal(stats.size, 0, 'its slot is free');
      const fresh = pidOf(pool);
      assert.notEqual(fresh, pid);
    }));

  it('an idle connection broken in the pool is discarded by the next get, which gets a good one', () =>
    spawn(() => {
      const pool = open({ maxSize: 1 });
      const pid = pidOf(pool);
      admin.query('SELECT pg_terminate_backend($1)', [pid]);
      until(() => !backendAlive(pid), 'the server ended the session');
      sleep(0.2); // for the client to see its socket close (loopback: well within this)
      const fresh = pidOf(pool);
      assert.notEqual(fresh, pid);
      assert.equal(pool.statistics().broken, 1);
    }));

  it('a query abandoned by a Timeout makes its connection be discarded, not reused', () =>
    spawn(() => {
      const pool = open({ maxSize: 1 });
      const conn = pool.get();
      const pid = conn.processId!;
      assert.throws(() => withTimeout(0.1, () => conn.query('SELECT pg_sleep(1)')), Timeout);
      assert.equal(conn.broken, true);
      pool.put(conn);
      assert.equal(pool.statistics().broken, 1);
      assert.notEqual(pidOf(pool), pid);
    }));

  it('get waits in line for a connection; with a timeout it throws PoolTimeoutError', () =>
    spawn(() => {
      const pool = open({ maxSize: 1 });
      const conn = pool.get();
      assert.throws(() => pool.get({ timeout: 0.05 }), (e: unknown) => {
        assert.ok(e instanceof PoolTimeoutError);
        assert.match(e.message, /db\.ConnectionPool\.get: no item became free within 0\.05 s/);
        return true;
      });
      const order: number[] = [];
      const waiters = range(3).map((i) => spawn(() => pool.item(() => order.push(i))));
      until(() => pool.waiting() === 3, 'the 3 getters wait');
      pool.put(conn);
      for (const w of waiters) w.wait();
      assert.deepEqual(order, [0, 1, 2]);
    }));

  it('a connection given back cannot be used; a foreign one cannot be put', () =>
    spawn(() => {
      const pool = open();
      const other = open();
      const conn = pool.get();
      pool.put(conn);
      assert.equal(conn.released, true);
      assert.throws(() => conn.query('SELECT 1'), ConnectionReleasedError);
      assert.throws(() => pool.put(conn), /db\.ConnectionPool\.put: this connection was given back to its pool/);
      conn.release(); // does nothing
      const foreign = other.get();
      assert.throws(() => pool.put(foreign), /takes a connection that this pool's get\(\) returned/);
      foreign.release();
      assert.equal(other.statistics().inUse, 0);
      // item() gives the connection back however fn ends.
      assert.throws(() => pool.item(() => {
        throw new Error('boom');
      }), /boom/);
      assert.equal(pool.statistics().inUse, 0);
    }));

  it('close: waiters and later gets throw PoolClosedError; connections are closed, in use ones when given back', () =>
    spawn(() => {
      const pool = open({ maxSize: 2 });
      const idle = pool.get();
      const idlePid = idle.processId!;
      const busy = pool.get();
      const busyPid = busy.processId!;
      pool.put(idle);
      pool.get(); // the idle one again: the pool is now full with nothing idle
      const waiter = spawn(() => pool.get());
      until(() => pool.waiting() === 1, 'the getter waits');
      pool.close();
      assert.throws(() => waiter.wait(), PoolClosedError);
      assert.throws(() => pool.get(), /db\.ConnectionPool\.get: the pool is closed/);
      assert.ok(backendAlive(busyPid), 'a connection in use is left alone');
      assert.equal(busy.query('SELECT 7 AS n').rows[0].n, 7);
      pool.put(busy);
      until(() => !backendAlive(busyPid), 'closed once given back');
      assert.ok(backendAlive(idlePid), 'the other one is still checked out');
    }));

  it('minSize opens connections up front (in a green thread)', () =>
    spawn(() => {
      const pool = open({ minSize: 2, maxSize: 3 });
      assert.equal(pool.statistics().free, 2);
      assert.equal(pool.statistics().created, 2);
    }));

  it('on the main stack: opening a connection or querying throws HubBlockingError', () => {
    const pool = open();
    assert.throws(() => pool.get(), HubBlockingError);
    assert.equal(pool.free(), 4, 'the slot came back');
    assert.throws(() => pool.query('SELECT 1'), HubBlockingError);
  });

  it('idle connections do not keep a finished program alive', () => {
    const lib = path.join(__dirname, '..', '..', 'lib');
    const script = `
      const { spawn } = require(${JSON.stringify(lib)});
      const { ConnectionPool } = require(${JSON.stringify(path.join(lib, 'db'))});
      const pool = new ConnectionPool({ ...${JSON.stringify(server.settings)}, maxIdle: 60, maxAge: 60 });
      spawn(() => console.log(pool.query('SELECT 40 + 2 AS n').rows[0].n, pool.statistics().free));`;
    const t0 = performance.now();
    const out = execFileSync(process.execPath, ['-e', script], { timeout: 20_000 }).toString();
    assert.equal(out.trim(), '42 1');
    assert.ok(secondsSince(t0) < 10, 'it exited without waiting for maxIdle');
  });

  it('rejects bad options with errors that name them', () => {
    assert.throws(() => new ConnectionPool({ maxSize: -1 }), /db\.ConnectionPool maxSize takes a pool size/);
    assert.throws(() => new ConnectionPool({ maxIdle: -1 }), /db\.ConnectionPool maxIdle takes a finite number of seconds/);
    assert.throws(() => new ConnectionPool({ connectTimeout: Infinity }), /connectTimeout/);
    assert.throws(() => new ConnectionPool({ driver: {} as never }), /driver must be the pg module/);
  });
});

describe('db: the test server helper', () => {
  it('without the PostgreSQL binaries, it fails saying which package to install', () => {
    assert.throws(() => findPostgresBin('/nonexistent'), (e: unknown) => {
      assert.match(String(e), /no initdb\/pg_ctl\/postgres under \/nonexistent\/\*\/bin/);
      assert.match(String(e), /Install Debian's `postgresql` package \(apt-get install postgresql\)/);
      return true;
    });
  });
});

describe('db: loading pg', () => {
  const dist = path.join(__dirname, '..', '..', 'lib', 'db');

  it('verdant loads lib/db without loading pg', () => {
    const out = execFileSync(process.execPath, [
      '-e',
      `require(${JSON.stringify(dist)}); ` +
        `console.log(Object.keys(require.cache).some((f) => f.includes('/node_modules/pg/')))`,
    ]).toString();
    assert.equal(out.trim(), 'false');
  });

  it('without pg installed, the first connect says to install it', () => {
    const out = execFileSync(process.execPath, [
      '-e',
      `const Module = require('module'); const resolve = Module._resolveFilename;
       Module._resolveFilename = function (request, ...rest) {
         if (request === 'pg') { const e = new Error("Cannot find module 'pg'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
         return resolve.call(this, request, ...rest);
       };
       const { PgNotInstalledError } = require(${JSON.stringify(path.join(dist, 'errors'))});
       try { require(${JSON.stringify(path.join(dist, 'driver'))}).loadPg(); }
       catch (e) { console.log(e instanceof PgNotInstalledError, e.cause.code, e.message); }`,
    ]).toString();
    assert.match(out, /^true MODULE_NOT_FOUND verdant's db.ConnectionPool needs the PostgreSQL driver `pg`, which is not installed: npm install pg$/m);
  });
});

// A loopback port nobody listens on (it was free a moment ago).
function freeClosedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// GreenSocket on real loopback sockets: TCP over IPv4 and IPv6, Unix stream sockets, UDP; timeouts, closing
// under a waiter, half-close, resets, and bad input. Each test body runs in a green thread (mocha awaits it).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AddressInUseError,
  BrokenPipeError,
  ClosedError,
  ConcurrentWaitError,
  ConnectionRefusedError,
  ConnectionResetError,
  DnsError,
  GreenSocket,
  HubBlockingError,
  IOError,
  SocketTimeoutError,
  WouldBlockError,
  connect,
  dns,
  listen,
  select,
  shutdownSafe,
  sleep,
  spawn,
  trampoline,
} from 'verdant';
import { SOCKET_OPTIONS } from '../../lib/net';
import { patience } from '../support/patience';
import { until } from '../sync/helpers';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-net-'));
}

function portOf(sock: GreenSocket): number {
  const addr = sock.getSockName();
  assert.ok('port' in addr);
  return addr.port;
}

/** A listener on a free loopback port and a connected pair through it. */
function tcpPair(host = '127.0.0.1'): { server: GreenSocket; client: GreenSocket; accepted: GreenSocket } {
  const server = listen({ host, port: 0 });
  const client = connect({ host, port: portOf(server) });
  const [accepted] = server.accept();
  return { server, client, accepted };
}

/** TcpExt ListenOverflows of this network namespace: SYNs dropped because a listener's accept queue was full. */
function listenOverflows(): number {
  const lines = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/);
  return Number(values[names.indexOf('ListenOverflows')]);
}

describe('net: GreenSocket over TCP', () => {
  it('listen() takes a burst of 400 connections before the first accept (a backlog of 511, as Node\'s)', () =>
    spawn(() => {
      const overflowsBefore = listenOverflows();
      const server = listen(['127.0.0.1', 0]);
      const timeout = patience(800) / 1000;
      const clients = Array.from({ length: 400 }, () => spawn(() => connect(['127.0.0.1', portOf(server)], { timeout })));
      try {
        // A backlog of 128 would drop the rest's SYNs (the kernel counts each as a listen overflow) and leave them
        // waiting for SYN retries, a second or more: past the timeout on a machine that is not slowed down.
        const connected = clients.map((c) => c.wait());
        assert.equal(connected.length, 400);
        assert.equal(listenOverflows() - overflowsBefore, 0, 'SYNs dropped by a full accept queue');
        connected.forEach((sock) => sock.close());
      } finally {
        server.close();
      }
    }));

  it('connects, accepts, and moves bytes both ways over IPv4, with addresses on both ends', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      client.sendAll('ping');
      assert.equal(accepted.recv(100).toString(), 'ping');
      accepted.sendAll(Buffer.from('pong'));
      assert.equal(client.recv(100).toString(), 'pong');
      assert.deepEqual(client.getPeerName(), { family: 'IPv4', address: '127.0.0.1', port: portOf(server) });
      const local = client.getSockName();
      assert.deepEqual(accepted.getPeerName(), local);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('works over IPv6 loopback', function () {
    if (!Object.values(os.networkInterfaces()).flat().some((i) => i?.address === '::1')) this.skip();
    return spawn(() => {
      const { server, client, accepted } = tcpPair('::1');
      assert.equal(client.family, 'IPv6');
      client.sendAll('six');
      assert.equal(accepted.recv(10).toString(), 'six');
      const peer = accepted.getPeerName();
      assert.ok('address' in peer && peer.address === '::1' && peer.family === 'IPv6');
      for (const s of [client, accepted, server]) s.close();
    });
  });

  it('a thousand round trips keep their order and content; a big sendAll arrives whole', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      const echo = spawn(() => {
        const buf = Buffer.alloc(65536);
        let total = 0;
        for (;;) {
          const n = accepted.recvInto(buf);
          if (n === 0) return total;
          total += n;
          accepted.sendAll(buf.subarray(0, n));
        }
      });
      for (let i = 0; i < 1000; i++) {
        client.sendAll(`m${i};`);
        let got = '';
        while (got.length < `m${i};`.length) got += client.recv(64).toString();
        assert.equal(got, `m${i};`);
      }
      // 8 MiB: far more than the socket buffers hold, so both sides must wait and interleave.
      const big = Buffer.alloc(8 << 20, 7);
      const reader = spawn(() => {
        let n = 0;
        while (n < big.length) n += client.recv(1 << 16).length;
        return n;
      });
      client.sendAll(big);
      assert.equal(reader.wait(), big.length);
      client.shutdown('write');
      assert.ok(echo.wait() > big.length);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('connect resolves names with getaddrinfo (localhost) and tries each address', () =>
    spawn(() => {
      const server = listen(['127.0.0.1', 0]);
      const client = connect(`localhost:${portOf(server)}`, { family: 4, timeout: 5 });
      const [accepted] = server.accept();
      client.sendAll('via name');
      assert.equal(accepted.recv(100).toString(), 'via name');
      for (const s of [client, accepted, server]) s.close();
    }));

  it('connection refused is a ConnectionRefusedError with errno, syscall and address', () =>
    spawn(() => {
      const probe = listen(0);
      const port = portOf(probe);
      probe.close();
      const error = (() => {
        try {
          connect(['127.0.0.1', port]);
        } catch (e) {
          return e as IOError;
        }
        assert.fail('connect should fail');
      })();
      assert.ok(error instanceof ConnectionRefusedError && error instanceof IOError);
      assert.equal(error.code, 'ECONNREFUSED');
      assert.equal(error.syscall, 'connect');
      assert.equal(error.address, `127.0.0.1:${port}`);
    }));

  it('an unknown name is a DnsError (ENOTFOUND); an address already bound is an AddressInUseError', () =>
    spawn(() => {
      assert.throws(() => connect('no-such-host.invalid:80', { timeout: 20 }), (e: unknown) => e instanceof DnsError && e.hostname === 'no-such-host.invalid');
      const server = listen(0, { reuseAddr: false });
      assert.throws(() => listen(portOf(server), { reuseAddr: false }), AddressInUseError);
      server.close();
    }));

  it('the socket timeout bounds each blocking call and the socket stays usable after it', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      client.setTimeout(0.05);
      assert.equal(client.getTimeout(), 0.05);
      const t0 = performance.now();
      assert.throws(() => client.recv(10), (e: unknown) => e instanceof SocketTimeoutError && e.syscall === 'recv');
      assert.ok(performance.now() - t0 >= 45);
      accepted.sendAll('late');
      assert.equal(client.recv(10).toString(), 'late');
      client.setBlocking(false);
      assert.equal(client.getBlocking(), false);
      assert.throws(() => client.recv(10), WouldBlockError);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('sendAll under a timeout reports how much went out when the peer does not read', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      client.setsockopt('SO_SNDBUF', 4096);
      client.setTimeout(0.1);
      let error: unknown;
      try {
        client.sendAll(Buffer.alloc(16 << 20));
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof SocketTimeoutError);
      const written = (error as { bytesWritten?: number }).bytesWritten!;
      assert.ok(written > 0 && written < 16 << 20, `bytesWritten ${written}`);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('connect with a timeout to a listener that does not answer is a SocketTimeoutError', () =>
    spawn(() => {
      // A listener whose accept queue is full drops new SYNs, so the next connect hangs until its timeout.
      const server = listen(['127.0.0.1', 0], { backlog: 0 });
      const port = portOf(server);
      const queued: GreenSocket[] = [];
      let error: unknown;
      for (let i = 0; i < 8 && error === undefined; i++) {
        try {
          queued.push(connect(['127.0.0.1', port], { timeout: 0.2 }));
        } catch (e) {
          error = e;
        }
      }
      assert.ok(error instanceof SocketTimeoutError, String(error));
      assert.equal((error as SocketTimeoutError).syscall, 'connect');
      for (const s of [...queued, server]) s.close();
    }));

  it('closing a socket wakes the green thread waiting on it with a ClosedError; calls after close fail the same way', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      const reader = spawn(() => catching(() => client.recv(10)));
      until(() => client.fileno() >= 0 && reader.dead === false && sleepOnce(), 'the reader parks');
      client.close();
      const error = reader.wait();
      assert.ok(error instanceof ClosedError, String(error));
      assert.match((error as Error).message, /closed .*while this one waited/);
      assert.equal(client.fileno(), -1);
      assert.throws(() => client.recv(1), ClosedError);
      assert.throws(() => client.sendAll('x'), ClosedError);
      client.close(); // twice is harmless
      accepted.close();
      server.close();
    }));

  it('a ClosedError names the call, the socket (and its address, once known) and who closed it: close() before the call, or another green thread during the wait', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      const peer = `127.0.0.1:${portOf(server)}`;
      // An error that names the peer first: the socket has learnt its address, which ClosedError names from then on.
      client.setBlocking(false);
      assert.throws(() => client.recv(1), WouldBlockError);
      client.setBlocking(true);
      const reader = spawn(() => catching(() => client.recv(10)));
      until(() => reader.dead === false && sleepOnce(), 'the reader parks');
      client.close(); // by this green thread, while the reader waits
      const waited = reader.wait() as ClosedError;
      assert.ok(waited instanceof ClosedError, String(waited));
      assert.equal(waited.message, `recv refused: the GreenSocket (${peer}) was closed by another green thread while this one waited on it`);
      assert.deepEqual(
        [waited.syscall, waited.code, waited.what, waited.whileWaiting, waited.address],
        ['recv', 'EBADF', 'GreenSocket', true, peer],
      );

      const before = catching(() => client.sendAll('x')) as ClosedError;
      assert.ok(before instanceof ClosedError, String(before));
      assert.equal(before.message, `send refused: the GreenSocket (${peer}) was already closed when this call was made`);
      assert.deepEqual([before.syscall, before.what, before.whileWaiting], ['send', 'GreenSocket', false]);

      // A socket that never had to name its address: the message says what it is, without one.
      accepted.close();
      const unnamed = catching(() => accepted.recv(1)) as ClosedError;
      assert.equal(unnamed.message, 'recv refused: the GreenSocket was already closed when this call was made');
      assert.equal(unnamed.address, undefined);
      server.close();
      const accepting = catching(() => server.accept()) as ClosedError;
      assert.match(accepting.message, /^accept refused: the GreenSocket.* was already closed when this call was made$/);
    }));

  it('a second reader of one socket is a ConcurrentWaitError naming the first', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      const first = spawn(() => client.recv(10));
      sleep(0.01);
      assert.throws(() => client.recv(10), ConcurrentWaitError);
      accepted.sendAll('x');
      assert.equal(first.wait().toString(), 'x');
      for (const s of [client, accepted, server]) s.close();
    }));

  it('half-close: after shutdown("write") the peer reads end of stream and can still answer', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      client.sendAll('last words');
      client.shutdown('write');
      const f = accepted.makefile('rw');
      assert.equal(f.read().toString(), 'last words');
      assert.equal(accepted.recv(10).length, 0);
      accepted.sendAll('reply');
      assert.equal(client.recv(10).toString(), 'reply');
      for (const s of [client, accepted, server]) s.close();
    }));

  it('a peer that closes with unread data resets: recv is a ConnectionResetError, then send a BrokenPipeError', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      client.sendAll('never read');
      sleep(0.02);
      accepted.close(); // unread data in its buffer: the kernel sends RST
      sleep(0.02);
      assert.throws(() => client.recv(10), ConnectionResetError);
      assert.throws(() => {
        for (let i = 0; i < 10; i++) client.sendAll('more');
      }, (e: unknown) => e instanceof BrokenPipeError || e instanceof ConnectionResetError);
      client.close();
      server.close();
    }));

  it('socket options by name round-trip; unknown names and bad values are TypeErrors', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      client.setsockopt('TCP_NODELAY', true);
      assert.equal(client.getsockopt('TCP_NODELAY'), true);
      client.setsockopt('SO_KEEPALIVE', true);
      assert.equal(client.getsockopt('SO_KEEPALIVE'), true);
      assert.equal(server.getsockopt('SO_REUSEADDR'), true);
      assert.equal(client.getsockopt('SO_ERROR'), 0);
      assert.throws(() => client.setsockopt('SO_NOPE' as never, 1), /unknown socket option "SO_NOPE"/);
      assert.throws(() => client.setsockopt('SO_RCVBUF', 1.5), TypeError);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('dup shares the connection but closes on its own; fromFd adopts an fd', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      const copy = client.dup();
      assert.notEqual(copy.fileno(), client.fileno());
      copy.sendAll('from the copy');
      copy.close();
      assert.equal(accepted.recv(100).toString(), 'from the copy');
      const adopted = GreenSocket.fromFd(client.dup().fileno());
      assert.equal(adopted.family, 'IPv4');
      assert.equal(adopted.type, 'stream');
      adopted.sendAll('adopted');
      assert.equal(accepted.recv(100).toString(), 'adopted');
      for (const s of [adopted, client, accepted, server]) s.close();
    }));

  it('bad input gets clear errors, never a crash', () =>
    spawn(() => {
      assert.throws(() => new GreenSocket({ family: 'IPX' as never }), /family is 'IPv4', 'IPv6' or 'unix'/);
      assert.throws(() => connect(['127.0.0.1', 70000]), /port .* must be an integer from 0 to 65535/);
      assert.throws(() => connect('nonsense'), /not an address/);
      const { server, client, accepted } = tcpPair();
      assert.throws(() => client.recv(-1), RangeError);
      assert.throws(() => client.recv(2 ** 40), /the size must be an integer/);
      assert.throws(() => client.recvInto(Buffer.alloc(4), 8), RangeError);
      assert.throws(() => client.sendAll(42 as never), /can only send a string/);
      assert.throws(() => client.shutdown('sideways' as never), TypeError);
      assert.throws(() => client.connect({ path: '/tmp/x' }), /takes a host and a port/);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('blocking calls on the main stack are a HubBlockingError', () => {
    const server = listen(0);
    try {
      assert.throws(() => server.accept(), HubBlockingError);
    } finally {
      server.close();
    }
  });
});

describe('net: connectEx, getsockopt with a length, shutdownSafe, recv(0)', () => {
  it('connectEx returns 0, or the positive errno that connect would have thrown', () =>
    spawn(() => {
      const server = listen(['127.0.0.1', 0]);
      const ok = new GreenSocket();
      assert.equal(ok.connectEx(['127.0.0.1', portOf(server)]), 0);
      // Linux answers a connect after an EINPROGRESS one with 0 once (it marks the socket connected), then EISCONN.
      assert.ok([0, os.constants.errno.EISCONN].includes(ok.connectEx(['127.0.0.1', portOf(server)])));
      assert.equal(ok.connectEx(['127.0.0.1', portOf(server)]), os.constants.errno.EISCONN);
      ok.close();
      assert.equal(ok.connectEx(['127.0.0.1', portOf(server)]), os.constants.errno.EBADF);
      const refusedPort = portOf(server);
      server.close();
      const refused = new GreenSocket();
      assert.equal(refused.connectEx(['127.0.0.1', refusedPort]), os.constants.errno.ECONNREFUSED);
      refused.close();
      assert.throws(() => new GreenSocket().connectEx({ path: '/tmp/x' }), TypeError, 'bad arguments still throw');
    }));

  it('connectEx on a non-blocking socket: EINPROGRESS, then writable, SO_ERROR 0 and EISCONN', () =>
    spawn(() => {
      const server = listen(['127.0.0.1', 0]);
      const sock = new GreenSocket();
      sock.setBlocking(false);
      const first = sock.connectEx(['127.0.0.1', portOf(server)]);
      if (first === os.constants.errno.EINPROGRESS) {
        assert.deepEqual(select([], [sock], [], 5), [[], [sock], []]);
        assert.equal(sock.getsockopt('SO_ERROR'), 0);
        assert.ok([0, os.constants.errno.EISCONN].includes(sock.connectEx(['127.0.0.1', portOf(server)])));
        assert.equal(sock.connectEx(['127.0.0.1', portOf(server)]), os.constants.errno.EISCONN);
      } else {
        assert.equal(first, 0); // loopback may connect at once
      }
      sock.close();
      server.close();
    }));

  it('getsockopt with a buffer length returns the option\'s raw bytes (at most that many)', () =>
    spawn(() => {
      const sock = new GreenSocket();
      const rcvbuf = sock.getsockopt('SO_RCVBUF') as number;
      const raw = sock.getsockopt('SO_RCVBUF', 4);
      assert.ok(Buffer.isBuffer(raw) && raw.length === 4);
      assert.equal(raw.readInt32LE(0) === rcvbuf || raw.readInt32BE(0) === rcvbuf, true);
      const { level, name } = SOCKET_OPTIONS.SO_TYPE;
      assert.equal(sock.getsockopt(level, name, 64).length, 4, 'an int option gives 4 bytes, whatever the room');
      assert.deepEqual(sock.getsockopt(level, name, 2).length, 2);
      assert.throws(() => sock.getsockopt(level, name, 0), RangeError);
      assert.throws(() => sock.getsockopt(level, name, 1025), RangeError);
      sock.close();
      assert.throws(() => sock.getsockopt(level, name, 4), ClosedError);
    }));

  it('shutdownSafe ends a connection both ways, and ignores a socket not connected or closed', () =>
    spawn(() => {
      const { server, client, accepted } = tcpPair();
      shutdownSafe(client);
      assert.equal(accepted.recv(10).length, 0);
      assert.throws(() => client.send('x'), BrokenPipeError);
      const unconnected = new GreenSocket();
      shutdownSafe(unconnected); // ENOTCONN
      unconnected.close();
      shutdownSafe(unconnected); // closed
      assert.throws(() => shutdownSafe({ shutdown: () => { throw new TypeError('other failures throw'); } }), TypeError);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('recv(0) and recvInto(empty) on a stream wait until it is readable, then return empty and take nothing', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      spawn(() => {
        sleep(0.03);
        b.sendAll('kept');
      });
      const t0 = performance.now();
      assert.equal(a.recv(0).length, 0);
      assert.ok(performance.now() - t0 >= 25, 'it waited for the data');
      assert.equal(a.recvInto(Buffer.alloc(0)), 0);
      assert.equal(a.recv(10).toString(), 'kept');
      a.setBlocking(false);
      assert.equal(a.recv(0).length, 0, 'non-blocking: at once, as Python');
      a.close();
      b.close();
    }));
});

describe('net: edge-triggered waits', () => {
  it('data and end of stream arriving together: a short read is followed by end of stream, not a hang', () =>
    spawn(() => {
      for (let i = 0; i < 50; i++) {
        const [a, b] = GreenSocket.pair();
        b.setTimeout(5);
        const reader = spawn(() => {
          const first = b.recv(100); // parks first: the data and the shutdown then come in one edge
          return [first.toString(), b.recv(100).length];
        });
        sleep(0);
        a.sendAll(`m${i}`);
        a.shutdown('write');
        assert.deepEqual(reader.wait(), [`m${i}`, 0]);
        a.close();
        b.close();
      }
    }));

  it('a short read, then more data: the next read waits for the next edge and gets it', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      b.setTimeout(5);
      for (let i = 0; i < 200; i++) {
        a.sendAll('x');
        assert.equal(b.recv(10).toString(), 'x'); // short: the buffer is empty now
        const later = spawn(() => a.sendAll(`y${i}`));
        assert.equal(b.recv(10).toString(), `y${i}`);
        later.wait();
      }
      a.close();
      b.close();
    }));

  it('a level wait (trampoline) on a socket that edge waits use, then edge waits again', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      b.setTimeout(5);
      a.sendAll('1');
      assert.equal(b.recv(10).toString(), '1');
      a.sendAll('2');
      // Data is there already: a level wait sees it at once.
      trampoline(b.fileno(), { read: true, timeout: 5 });
      assert.equal(b.recv(10).toString(), '2');
      spawn(() => a.sendAll('3'));
      assert.equal(b.recv(10).toString(), '3');
      a.close();
      b.close();
    }));

  it('an fd closed behind the hub\'s back and its number reused: the new socket waits correctly', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      b.setTimeout(5);
      spawn(() => a.sendAll('first'));
      assert.equal(b.recv(10).toString(), 'first'); // b's fd is now watched by the hub
      const number = b.fileno();
      fs.closeSync(number); // not through b.close(): the hub is not told
      const [c, d] = GreenSocket.pair();
      const reused = [c, d].find((s) => s.fileno() === number);
      const other = reused === c ? d : c;
      assert.ok(reused, 'the freed number is taken by the next socket');
      reused!.setTimeout(5);
      spawn(() => other.sendAll('second'));
      assert.equal(reused!.recv(10).toString(), 'second');
      a.close();
      c.close();
      d.close();
    }));
});

describe('net: Unix sockets and UDP', () => {
  it('Unix stream sockets: listen on a path, connect, talk, addresses are paths', () =>
    spawn(() => {
      const file = path.join(tmpdir(), 'app.sock');
      const server = listen(file);
      const client = connect({ path: file });
      const [accepted, peer] = server.accept();
      assert.deepEqual(peer, { family: 'unix', path: '' });
      assert.deepEqual(server.getSockName(), { family: 'unix', path: file });
      client.sendAll('over unix');
      assert.equal(accepted.recv(100).toString(), 'over unix');
      assert.throws(() => listen(file), AddressInUseError);
      for (const s of [client, accepted, server]) s.close();
    }));

  it('socket pairs talk both ways', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const t = spawn(() => b.recv(5).toString());
      a.sendAll('hello');
      assert.equal(t.wait(), 'hello');
      a.close();
      assert.equal(b.recv(5).length, 0);
      b.close();
    }));

  it('UDP: sendTo and recvFrom carry datagrams and their senders', () =>
    spawn(() => {
      const receiver = new GreenSocket({ type: 'dgram' });
      receiver.bind(['127.0.0.1', 0]);
      const sender = new GreenSocket({ type: 'dgram' });
      sender.bind(['127.0.0.1', 0]);
      const got = spawn(() => receiver.recvFrom(2048));
      sender.sendTo('datagram', ['127.0.0.1', portOf(receiver)]);
      const [data, from] = got.wait();
      assert.equal(data.toString(), 'datagram');
      assert.deepEqual(from, sender.getSockName());
      // connected UDP: send/recv
      sender.connect(['127.0.0.1', portOf(receiver)]);
      sender.send('connected');
      assert.equal(receiver.recv(100).toString(), 'connected');
      receiver.close();
      sender.close();
    }));
});

describe('net: dns', () => {
  it('lookup honours /etc/hosts (localhost) and returns every address; resolve times out or answers', () =>
    spawn(() => {
      const addresses = dns.lookup('localhost', { timeout: 10 });
      assert.ok(addresses.some((a) => a.address === '127.0.0.1' && a.family === 4));
      assert.deepEqual(dns.lookup('127.0.0.1'), [{ address: '127.0.0.1', family: 4 }]);
      assert.throws(() => dns.lookup(''), TypeError);
      // A resolver pointed at a port where nothing answers: the timeout ends the query.
      const silent = new GreenSocket({ type: 'dgram' });
      silent.bind(['127.0.0.1', 0]);
      assert.throws(
        () => dns.resolve('example.com', 'A', { timeout: 0.2, servers: [`127.0.0.1:${portOf(silent)}`] }),
        SocketTimeoutError,
      );
      silent.close();
    }));
});

// One sleep(0), returning true: lets a just-spawned thread reach its wait before the condition is checked again.
function sleepOnce(): boolean {
  sleep(0);
  return true;
}

/** What `fn` throws (undefined if it returns). */
function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

// eventlet's tests/greenio_test.py, translated to verdant's API: the same behaviour asserted on GreenSocket,
// GreenFile (makefile), GreenPipe and select. Each test keeps eventlet's name; the tests left out are listed in
// docs/net.md ("eventlet's greenio tests") with the reason.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { constants as os } from 'node:os';
import * as path from 'node:path';
import {
  ClosedError,
  ConcurrentWaitError,
  ConnectionRefusedError,
  ConnectionResetError,
  BrokenPipeError,
  Event,
  GreenPipe,
  GreenSocket,
  IOError,
  SocketTimeoutError,
  StopServe,
  Timeout,
  WouldBlockError,
  configure,
  connect,
  getConfig,
  listen,
  select,
  serve,
  shutdownSafe,
  sleep,
  spawn,
} from 'verdant';
import { native } from '../../lib/io/native';
import { removeScratch, scratchDir } from '../support/green-io';

const { SOL_SOCKET, SO_REUSEADDR } = native.io_constants;
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH']);

/** eventlet's bufsized: both buffers of a socket as small as the kernel allows (or `size`). */
function bufsized(sock: GreenSocket, size = 1): GreenSocket {
  sock.setsockopt('SO_SNDBUF', size);
  sock.setsockopt('SO_RCVBUF', size);
  return sock;
}

/** eventlet's expect_socket_timeout: the call throws a socket timeout saying so. */
function expectSocketTimeout(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof SocketTimeoutError && /timed out/.test(e.message));
}

/** eventlet's min_buf_size: the smallest send buffer the platform gives. */
function minBufSize(): number {
  const probe = new GreenSocket();
  try {
    probe.setsockopt('SO_SNDBUF', 1);
    return probe.getsockopt('SO_SNDBUF') as number;
  } finally {
    probe.close();
  }
}

function portOf(sock: GreenSocket): number {
  const address = sock.getSockName();
  assert.ok('port' in address);
  return address.port;
}

/** eventlet's assertWriteToClosedFileRaises: Python 3's ValueError is verdant's ClosedError. */
function assertWriteToClosedFileRaises(file: { write(data: string): unknown }): void {
  assert.throws(() => file.write('a'), ClosedError);
}

/** O_NONBLOCK on `fd`, from /proc (Linux): eventlet reads it with fcntl, which Node does not have. */
function isNonBlocking(fd: number): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  assert.ok(flags, `no flags for fd ${fd}`);
  return (parseInt(flags[1], 8) & 0o4000) !== 0;
}

/**
 * An address whose connections are never answered, as eventlet's 192.0.2.1 (TEST-NET-1), which a firewall may
 * refuse at once instead: a listener whose backlog is full, since the kernel then drops new SYNs.
 */
function unanswering(): { address: [string, number]; close(): void } {
  const listener = new GreenSocket();
  listener.bind(['127.0.0.1', 0]);
  listener.listen(0);
  const address: [string, number] = ['127.0.0.1', portOf(listener)];
  const fillers: GreenSocket[] = [];
  for (;;) {
    const filler = new GreenSocket();
    fillers.push(filler);
    filler.setTimeout(0.05);
    if (filler.connectEx(address) === os.errno.EAGAIN) break; // this one was not answered: the backlog is full
    assert.ok(fillers.length < 100, 'the backlog never filled');
  }
  return { address, close: () => [...fillers, listener].forEach((s) => s.close()) };
}

/**
 * The setup of eventlet's socket timeout tests: `client` connected to a server that accepts and then holds the
 * connection without reading or writing until `body` is done. `size` shrinks both ends' buffers (bufsized).
 */
function withIdlePeer(timeout: number, body: (client: GreenSocket) => void, size?: number): void {
  const shrink = (sock: GreenSocket) => (size === undefined ? sock : bufsized(sock, size));
  const listener = shrink(listen(0));
  const evt = new Event();
  const server = spawn(() => {
    const [sock] = listener.accept(); // in another green thread
    shrink(sock);
    evt.wait();
    sock.close();
  });
  const client = shrink(new GreenSocket());
  client.connect(['127.0.0.1', portOf(listener)]);
  client.setTimeout(timeout);
  try {
    body(client);
  } finally {
    evt.send();
    server.wait();
    for (const sock of [client, listener]) sock.close();
  }
}

function readAll(file: string): Buffer {
  return fs.readFileSync(file);
}

describe('eventlet greenio_test.py', () => {
  describe('TestGreenSocket', () => {
    it('test_connect_timeout', () =>
      spawn(() => {
        const target = unanswering();
        const gs = new GreenSocket();
        gs.setTimeout(0.1);
        try {
          // Unreachable is a valid outcome too, where eventlet's address has no route.
          assert.throws(() => gs.connect(target.address), (e: unknown) =>
            e instanceof SocketTimeoutError || (e instanceof IOError && UNREACHABLE.has(e.code)));
        } finally {
          gs.close();
          target.close();
        }
      }));

    it('test_accept_timeout', () =>
      spawn(() => {
        const gs = new GreenSocket();
        gs.bind(0);
        gs.listen(50);
        gs.setTimeout(0.1);
        expectSocketTimeout(() => gs.accept());
        gs.close();
      }));

    it('test_connect_ex_timeout', () =>
      spawn(() => {
        const target = unanswering();
        const gs = new GreenSocket();
        gs.setTimeout(0.1);
        const e = gs.connectEx(target.address);
        if (e !== os.errno.EHOSTUNREACH && e !== os.errno.ENETUNREACH) assert.equal(e, os.errno.EAGAIN);
        gs.close();
        target.close();
      }));

    it('test_recv_timeout', () =>
      spawn(() =>
        withIdlePeer(0.1, (client) => {
          expectSocketTimeout(() => client.recv(0));
          expectSocketTimeout(() => client.recv(8192));
        }),
      ));

    it('test_recvfrom_timeout', () =>
      spawn(() => {
        const gs = new GreenSocket({ type: 'dgram' });
        gs.setTimeout(0.1);
        gs.bind(0);
        expectSocketTimeout(() => gs.recvFrom(0));
        expectSocketTimeout(() => gs.recvFrom(8192));
        gs.close();
      }));

    it('test_recvfrom_into_timeout', () =>
      spawn(() => {
        const buf = Buffer.alloc(0);
        const gs = new GreenSocket({ type: 'dgram' });
        gs.setTimeout(0.1);
        gs.bind(0);
        expectSocketTimeout(() => gs.recvFromInto(buf));
        gs.close();
      }));

    it('test_recv_into_timeout', () =>
      spawn(() =>
        withIdlePeer(0.1, (client) => expectSocketTimeout(() => client.recvInto(Buffer.alloc(0)))),
      ));

    it('test_send_timeout', () =>
      spawn(() =>
        withIdlePeer(
          0.00001,
          (client) => {
            const msg = Buffer.alloc(100000, 'A'); // large enough to overwhelm most buffers
            // More than the OS buffer, so that a single send has to wait.
            expectSocketTimeout(() => {
              for (let x = 0; x < 10; x++) client.send(msg);
            });
          },
          1,
        ),
      ));

    it('test_sendall_timeout', () =>
      spawn(() =>
        withIdlePeer(0.1, (client) => {
          const msg = Buffer.alloc(8 << 20, 'A'); // more than the OS buffers, so that it waits
          expectSocketTimeout(() => client.sendAll(msg));
        }),
      ));

    it('test_close_with_makefile', () =>
      spawn(() => {
        // The file and the socket are truly independent: the socket is closed before the file is used.
        const acceptCloseEarly = (listener: GreenSocket) => {
          try {
            const [conn] = listener.accept();
            const fd = conn.makefile('wb');
            conn.close();
            fd.write('hello\n');
            fd.close();
            assertWriteToClosedFileRaises(fd);
            assert.throws(() => conn.send('b'), IOError);
          } finally {
            listener.close();
          }
        };
        // The file is closed first, and the socket still sends.
        const acceptCloseLate = (listener: GreenSocket) => {
          try {
            const [conn] = listener.accept();
            const fd = conn.makefile('wb');
            fd.write('hello');
            fd.close();
            conn.send('\n');
            conn.close();
            assertWriteToClosedFileRaises(fd);
            assert.throws(() => conn.send('b'), IOError);
          } finally {
            listener.close();
          }
        };
        const didItWork = (server: GreenSocket) => {
          const client = new GreenSocket();
          client.connect(['127.0.0.1', portOf(server)]);
          const fd = client.makefile('rb');
          client.close();
          assert.deepEqual(fd.readline(), Buffer.from('hello\n'));
          assert.deepEqual(fd.read(), Buffer.alloc(0));
          fd.close();
        };
        for (const accepter of [acceptCloseEarly, acceptCloseLate]) {
          const server = new GreenSocket();
          server.setsockopt('SO_REUSEADDR', true);
          server.bind(['0.0.0.0', 0]);
          server.listen(50);
          const killer = spawn(accepter, server);
          didItWork(server);
          killer.wait();
        }
      }));

    it('test_del_closes_socket', () =>
      spawn(() => {
        const server = new GreenSocket();
        server.setsockopt('SO_REUSEADDR', true);
        server.bind(['127.0.0.1', 0]);
        server.listen(50);
        const killer = spawn(() => {
          try {
            const [conn] = server.accept();
            const file = conn.makefile('wb');
            // documented difference: CPython closes the dropped socket object when it is collected; verdant never
            // closes an fd from garbage collection, so the socket is closed here, and the file, its last user,
            // closes the connection (docs/net.md).
            conn.close();
            file.write('hello\n');
            file.close();
            assertWriteToClosedFileRaises(file);
          } finally {
            server.close();
          }
        });
        const client = new GreenSocket();
        client.connect(['127.0.0.1', portOf(server)]);
        const fd = client.makefile('rb');
        client.close();
        assert.deepEqual(fd.read(), Buffer.from('hello\n'));
        assert.deepEqual(fd.read(), Buffer.alloc(0));
        fd.close();
        killer.wait();
      }));

    // eventlet mocks its hub to check that accept announces each new fd (mark_as_reopened), so that what the hub
    // knew of an older fd of that number is dropped. verdant's accept does the same (fdOpened); these check what it
    // protects: an fd closed behind the hub's back, its number reused by accept, still waits and wakes correctly.
    function acceptOnReusedFd(beforeAccept: (server: GreenSocket) => void): void {
      const server = new GreenSocket();
      server.setsockopt('SO_REUSEADDR', true);
      server.bind(['127.0.0.1', 0]);
      server.listen(50);
      const first = connect(['127.0.0.1', portOf(server)]);
      const [old] = server.accept();
      spawn(() => first.sendAll('x'));
      assert.equal(old.recv(1).toString(), 'x'); // the hub now watches this fd number
      const second = new GreenSocket(); // made before the close, so that it does not take the number
      const number = old.detach();
      fs.closeSync(number); // behind the hub's back
      second.connect(['127.0.0.1', portOf(server)]);
      beforeAccept(server);
      const [conn, address] = server.accept();
      assert.ok('port' in address);
      assert.equal(conn.fileno(), number, 'the accepted connection reuses the fd number');
      spawn(() => {
        sleep(0.02);
        second.sendAll('hello\n');
      });
      const timeout = new Timeout(2);
      try {
        assert.equal(conn.recv(10).toString(), 'hello\n');
      } finally {
        timeout.cancel();
      }
      for (const s of [conn, first, second, server]) s.close();
    }

    it('test_blocking_accept_mark_as_reopened', () => spawn(() => acceptOnReusedFd(() => {})));

    it('test_nonblocking_accept_mark_as_reopened', () =>
      spawn(() =>
        acceptOnReusedFd((server) => {
          server.setBlocking(false);
          assert.deepEqual(select([server], [], []), [[server], [], []]);
        }),
      ));

    it('test_full_duplex', () =>
      spawn(() => {
        const largeData = Buffer.alloc(10 * minBufSize(), '*');
        const listener = new GreenSocket();
        listener.setsockopt('SO_REUSEADDR', true);
        listener.bind(['127.0.0.1', 0]);
        listener.listen(50);
        bufsized(listener);
        const sendLarge = (sock: GreenSocket) => sock.sendAll(largeData);
        const readLarge = (sock: GreenSocket) => {
          let result = sock.recv(largeData.length);
          while (result.length < largeData.length) result = Buffer.concat([result, sock.recv(largeData.length)]);
          assert.deepEqual(result, largeData);
        };
        const serverEvt = spawn(() => {
          const [sock] = listener.accept();
          bufsized(sock);
          const sendLargeCoro = spawn(sendLarge, sock);
          sleep(0);
          let result = sock.recv(10);
          const expected = Buffer.from('hello world');
          while (result.length < expected.length) result = Buffer.concat([result, sock.recv(10)]);
          assert.deepEqual(result, expected);
          sendLargeCoro.wait();
          sock.close();
        });
        const client = new GreenSocket();
        bufsized(client);
        client.connect(['127.0.0.1', portOf(listener)]);
        const largeEvt = spawn(readLarge, client);
        sleep(0);
        client.sendAll('hello world');
        serverEvt.wait();
        largeEvt.wait();
        client.close();
        listener.close();
      }));

    it('test_sendall', () =>
      spawn(() => {
        const secondBytes = 10;
        const testSendallImpl = (manyBytes: number) => {
          const bufsize = Math.max(Math.floor(manyBytes / 15), 2);
          const listener = new GreenSocket();
          listener.setsockopt('SO_REUSEADDR', true);
          listener.bind(0);
          listener.listen(50);
          const senderCoro = spawn(() => {
            const [sock] = listener.accept();
            bufsized(sock, bufsize);
            sock.sendAll(Buffer.alloc(manyBytes, 'x'));
            sock.sendAll(Buffer.alloc(secondBytes, 'y'));
            sock.close();
          });
          const client = new GreenSocket();
          client.connect(['127.0.0.1', portOf(listener)]);
          bufsized(client, bufsize);
          let total = 0;
          while (total < manyBytes) {
            const data = client.recv(Math.min(manyBytes - total, Math.floor(manyBytes / 10)));
            if (data.length === 0) break;
            total += data.length;
          }
          let total2 = 0;
          while (total2 < secondBytes) {
            const data = client.recv(secondBytes);
            if (data.length === 0) break;
            total2 += data.length;
          }
          assert.equal(total, manyBytes);
          assert.equal(total2, secondBytes);
          senderCoro.wait();
          client.close();
          listener.close();
        };
        for (const howMany of [1000, 10000, 100000, 1000000]) testSendallImpl(howMany);
      }));

    it('test_timeout_and_final_write', () =>
      spawn(() => {
        // A write on a socket nobody listens to any more does not switch into the wrong green thread.
        const server = new GreenSocket();
        server.setsockopt('SO_REUSEADDR', true);
        server.bind(['127.0.0.1', 0]);
        server.listen(50);
        const boundPort = portOf(server);
        const evt = new Event<string>();
        spawn(() => {
          const [s2] = server.accept();
          const wrapWfile = s2.makefile('wb');
          sleep(0.02);
          wrapWfile.write('hi');
          s2.close();
          // documented difference: CPython flushes and closes the file as this function returns (refcounting);
          // verdant's is closed explicitly (docs/net.md).
          wrapWfile.close();
          evt.send('sent via event');
        });
        sleep(0); // lets the socket enter accept mode
        const client = new GreenSocket();
        const timeout = new Timeout(0.01);
        try {
          // Try to get some data off this socket, but bail before any is sent.
          client.connect(['127.0.0.1', boundPort]);
          const wrapRfile = client.makefile('r');
          wrapRfile.read(1);
          assert.fail('the read should have timed out');
        } catch (error) {
          assert.equal(error, timeout);
        } finally {
          timeout.cancel();
        }
        assert.equal(evt.wait(), 'sent via event');
        server.close();
        client.close();
      }));

    it('test_raised_multiple_readers', () =>
      spawn(() => {
        assert.equal(getConfig().preventMultipleWaiters, true); // eventlet's hub_prevent_multiple_readers(True)
        const listener = listen(['127.0.0.1', 0]);
        spawn(() =>
          serve(listener, (sock) => {
            sock.recv(1);
            sock.sendAll('a');
            throw new StopServe();
          }),
        );
        const s = connect(['127.0.0.1', portOf(listener)]);
        const a = spawn(() => s.recv(1));
        sleep(0);
        assert.throws(() => s.recv(1), ConcurrentWaitError); // eventlet's RuntimeError
        s.sendAll('b');
        a.wait();
        s.close();
        listener.close();
      }));

    // eventlet skips this one on its epoll and kqueue hubs; verdant's behaves as the test asks on epoll.
    it('test_closure', () =>
      spawn(() => {
        const server = listen(['127.0.0.1', 0]);
        const sender = spawn(() => {
          const sock = connect(['127.0.0.1', portOf(server)]);
          try {
            for (;;) {
              sock.sendAll('hello world');
              sleep(0.001); // not all the CPU
            }
          } catch (error) {
            // On Linux the first send after the peer's reset is ECONNRESET, the next ones EPIPE.
            if (!(error instanceof BrokenPipeError || error instanceof ConnectionResetError)) throw error;
          } finally {
            sock.close();
          }
        });
        const [client] = server.accept();
        server.close();
        const reader = spawn(() => {
          try {
            for (;;) {
              const data = client.recv(1024);
              assert.ok(data.length > 0);
              sleep(0.001);
            }
          } catch (error) {
            // EBADF: closed by another green thread of this process.
            if (!(error instanceof IOError && error.code === 'EBADF')) throw error;
            assert.ok(error instanceof ClosedError);
          }
        });
        spawn(() => client.close());
        reader.wait();
        sender.wait();
      }));

    it('test_invalid_connection', () =>
      spawn(() => {
        // An unused port: one a socket was listening on a moment ago.
        const listening = listen(['127.0.0.1', 0]);
        const port = portOf(listening);
        listening.close();
        assert.throws(() => connect(['127.0.0.1', port]), ConnectionRefusedError);
      }));

    it('test_zero_timeout_and_back', () =>
      spawn(() => {
        const listener = listen(0);
        const server = spawn(() => listener.accept()); // keeps the server side of the connection
        const client = connect(['127.0.0.1', portOf(listener)]);
        client.setTimeout(0.05);
        assert.throws(() => client.recv(1), SocketTimeoutError);
        client.setTimeout(0);
        assert.throws(() => client.recv(1), (e: unknown) => e instanceof WouldBlockError && e.code === 'EAGAIN');
        client.setTimeout(0.05);
        assert.throws(() => client.recv(1), SocketTimeoutError);
        const [conn] = server.wait();
        for (const s of [conn, client, listener]) s.close();
      }));

    it('test_default_nonblocking', function () {
      if (process.platform !== 'linux') this.skip(); // reads the flags from /proc
      return spawn(() => {
        const sock1 = new GreenSocket();
        assert.ok(isNonBlocking(sock1.fileno()));
        // eventlet's socket.socket(sock1.fd): a green socket over the same socket.
        const sock2 = GreenSocket.fromFd(sock1.detach());
        assert.ok(isNonBlocking(sock2.fileno()));
        sock2.close();
      });
    });

    it('test_dup_nonblocking', function () {
      if (process.platform !== 'linux') this.skip();
      return spawn(() => {
        const sock1 = new GreenSocket();
        assert.ok(isNonBlocking(sock1.fileno()));
        const sock2 = sock1.dup();
        assert.ok(isNonBlocking(sock2.fileno()));
        sock1.close();
        sock2.close();
      });
    });

    it('test_sockopt_interface', () =>
      spawn(() => {
        const sock = new GreenSocket({ type: 'dgram' });
        assert.equal(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
        assert.deepEqual(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR, 1), Buffer.from([0]));
        sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        sock.close();
      }));

    it('test_socketpair_select', () =>
      spawn(() => {
        // eventlet#25
        const [s1, s2] = GreenSocket.pair();
        assert.deepEqual(select([], [s1], [], 0), [[], [s1], []]);
        assert.deepEqual(select([], [s1], [], 0), [[], [s1], []]);
        s1.close();
        s2.close();
      }));

    it('test_shutdown_safe', () =>
      spawn(() => {
        const sock = new GreenSocket({ type: 'dgram' });
        sock.close();
        shutdownSafe(sock); // does not throw
      }));

    it('test_datagram_socket_operations_work', () =>
      spawn(() => {
        const receiver = new GreenSocket({ type: 'dgram' });
        receiver.bind(['127.0.0.1', 0]);
        const address = receiver.getSockName();
        const sender = new GreenSocket({ type: 'dgram' });
        // The two ways sendTo can be called: without flags and with them.
        sender.sendTo('first', address);
        sender.sendTo('second', address, 0);
        const senderAddress = { family: 'IPv4', address: '127.0.0.1', port: portOf(sender) };
        const [first, from1] = receiver.recvFrom(1024);
        assert.equal(first.toString(), 'first');
        assert.deepEqual({ ...from1 }, senderAddress);
        const [second, from2] = receiver.recvFrom(1024);
        assert.equal(second.toString(), 'second');
        assert.deepEqual({ ...from2 }, senderAddress);
        receiver.close();
        sender.close();
      }));
  });

  // eventlet's select.get_fileno, which these four test, is what verdant's select does to each item.
  it('test_get_fileno_of_a_socket_works', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      const dummy = { fileno: () => a.fileno() };
      assert.deepEqual(select([], [dummy], [], 0), [[], [dummy], []]);
      a.close();
      b.close();
    }));

  it('test_get_fileno_of_an_int_works', () =>
    spawn(() => {
      const [a, b] = GreenSocket.pair();
      assert.deepEqual(select([], [a.fileno()], [], 0), [[], [a.fileno()], []]);
      a.close();
      b.close();
    }));

  it('test_get_fileno_of_wrong_type_fails', () => {
    const expected = 'select: expected an fd (an integer) or an object with a fileno() method, got the string "foo"';
    assert.throws(() => select(['foo' as never], [], [], 0), (e: unknown) => e instanceof TypeError && e.message === expected);
  });

  it('test_get_fileno_of_a_socket_with_fileno_returning_wrong_type_fails', () => {
    const dummy = { fileno: () => 'foo' as never };
    assert.throws(() => select([dummy], [], [], 0), (e: unknown) =>
      e instanceof TypeError && e.message === 'select: fileno() must return an integer, not the string "foo"');
  });

  describe('TestGreenPipe', () => {
    let tempdir: string;
    beforeEach(() => {
      tempdir = scratchDir();
    });
    afterEach(() => removeScratch(tempdir));

    it('test_pipe', () =>
      spawn(() => {
        const [r, w] = GreenPipe.create();
        const rf = r.makefile('rb');
        // eventlet's GreenPipe(w, 'wb', 0): unbuffered, which is the GreenPipe itself.
        const wf = w;
        const oneLine = '12345\n';
        spawn(() => {
          for (const ch of oneLine.repeat(5)) {
            sleep(0.0001);
            wf.write(ch);
          }
          wf.close();
        });
        for (let i = 0; i < 5; i++) {
          const line = rf.readline();
          sleep(0.01);
          assert.equal(line.toString(), oneLine);
        }
        assert.equal(rf.readline().length, 0);
        rf.close();
        r.close();
      }));

    it('test_pipe_read', () =>
      spawn(() => {
        // readline works when data is not there yet (the fd is non-blocking), and ends at '\n' and '\r\n'.
        const [rp, wp] = GreenPipe.create();
        const r = rp.makefile('rb');
        const w = wp.makefile('wb');
        const gt = spawn(() => {
          sleep(0.1);
          w.write('line\n');
          w.flush();
          w.write('line\r\n');
          w.flush();
        });
        sleep(0);
        assert.equal(r.readline().toString(), 'line\n');
        assert.equal(r.readline().toString(), 'line\r\n');
        gt.wait();
        for (const f of [r, w, rp, wp]) f.close();
      }));

    it('test_pip_read_until_end', () =>
      spawn(() => {
        const [rp, wp] = GreenPipe.create();
        const r = rp.makefile('rb');
        rp.close(); // the file owns the fd, as eventlet's GreenPipe(r, 'rb')
        const w = wp.makefile('wb');
        wp.close();
        const data = Buffer.from('abcd'.repeat(8192 / 2));
        // Lots of data would fill the pipe and wait, so it is written from another green thread.
        spawn(() => {
          w.write(data);
          w.close();
        });
        assert.deepEqual(r.read(), data); // no size: until the end
        r.close();
      }));

    it('test_pipe_read_unbuffered', () =>
      spawn(() => {
        const [rp, w] = GreenPipe.create();
        // eventlet's GreenPipe(r, 'rb', 0): the smallest buffer reads what a raw file's readline reads.
        const r = rp.makefile('rb', { bufferSize: 1 });
        w.write('line\n');
        assert.equal(r.readline().toString(), 'line\n');
        r.close();
        rp.close();
        w.close();
      }));

    it('test_pipe_writes_large_messages', () =>
      spawn(() => {
        const [rp, wp] = GreenPipe.create();
        const r = rp.makefile('rb');
        const w = wp.makefile('wb');
        wp.close();
        const largeMessage = Buffer.concat(Array.from({ length: 65 }, (_, i) => Buffer.alloc(1024, i)));
        const gt = spawn(() => {
          w.write(largeMessage);
          w.close();
        });
        for (let i = 0; i < 65; i++) {
          const buf = r.read(1024) as Buffer;
          assert.deepEqual(buf, Buffer.alloc(1024, i), `iteration ${i}`);
        }
        gt.wait();
        r.close();
        rp.close();
      }));

    it('test_seek_on_buffered_pipe', () =>
      spawn(() => {
        const f = GreenPipe.openFile(path.join(tempdir, 'TestFile'), 'wb+', { bufferSize: 1024 });
        assert.equal(f.tell(), 0);
        f.seek(0, 2);
        assert.equal(f.tell(), 0);
        f.write('1234567890');
        f.seek(0, 2);
        assert.equal(f.tell(), 10);
        f.seek(0);
        assert.equal(f.read(1).toString(), '1');
        assert.equal(f.tell(), 1);
        assert.equal(f.read(1).toString(), '2');
        assert.equal(f.tell(), 2);
        f.seek(0, 1);
        assert.equal(f.readline().toString(), '34567890');
        f.seek(-5, 1);
        assert.equal(f.readline().toString(), '67890');
        f.seek(0);
        assert.equal(f.readline().toString(), '1234567890');
        f.seek(0, 2);
        assert.equal(f.readline().toString(), '');
        f.close();
      }));

    it('test_truncate', () =>
      spawn(() => {
        const f = GreenPipe.openFile(path.join(tempdir, 'TestFile'), 'wb+', { bufferSize: 1024 });
        f.write('1234567890');
        f.truncate(9);
        assert.equal(f.tell(), 9);
        f.close();
        assert.equal(readAll(path.join(tempdir, 'TestFile')).toString(), '123456789');
      }));
  });

  describe('TestGreenIoLong', () => {
    it('test_multiple_readers', () =>
      spawn(() => {
        configure({ preventMultipleWaiters: false }); // eventlet's debug.hub_prevent_multiple_readers(False)
        try {
          const recvsize = 2 * minBufSize();
          const sendsize = 10 * recvsize;
          // Two green threads read the same fd: which gets which bytes is not said, but both get some.
          const reader = (sock: GreenSocket, results: Buffer[]) => {
            for (;;) {
              const data = sock.recv(recvsize);
              if (data.length === 0) break;
              results.push(data);
            }
          };
          const results1: Buffer[] = [];
          const results2: Buffer[] = [];
          const listener = new GreenSocket();
          listener.setsockopt('SO_REUSEADDR', true);
          listener.bind(['127.0.0.1', 0]);
          listener.listen(50);
          const serverCoro = spawn(() => {
            const [sock] = listener.accept();
            bufsized(sock);
            try {
              const c1 = spawn(reader, sock, results1);
              const c2 = spawn(reader, sock, results2);
              try {
                c1.wait();
                c2.wait();
              } finally {
                c1.kill();
                c2.kill();
              }
            } finally {
              sock.close();
            }
          });
          const client = new GreenSocket();
          client.connect(['127.0.0.1', portOf(listener)]);
          bufsized(client, sendsize);
          // In chunks with a pause between them, so that both readers get to wait and read.
          for (let i = 0; i < 20; i++) {
            sleep(0.001);
            client.sendAll(Buffer.alloc(Math.floor(sendsize / 20), '*'));
          }
          client.close();
          serverCoro.wait();
          listener.close();
          assert.ok(results1.length > 0);
          assert.ok(results2.length > 0);
        } finally {
          configure({ preventMultipleWaiters: true });
        }
      }));
  });

  it('test_set_nonblocking', function () {
    if (process.platform !== 'linux') this.skip();
    return spawn(() => {
      // eventlet's set_nonblocking on a plain socket: verdant adopts an fd with fromFd, which makes it so.
      const plain = new GreenSocket({ type: 'dgram' });
      const fd = plain.detach();
      assert.equal(native.io_set_blocking(fd, true), 0);
      assert.equal(isNonBlocking(fd), false);
      const sock = GreenSocket.fromFd(fd);
      assert.equal(isNonBlocking(fd), true);
      sock.close();
    });
  });

  it('test_double_close_219', () =>
    spawn(() => {
      // eventlet#219: a second close of an object whose fd number was reused meanwhile closed the new owner's fd.
      const [r, w] = GreenPipe.create();
      const number = r.fileno();
      r.close();
      const devNull = fs.openSync('/dev/null', 'r'); // takes the lowest free number: r's
      assert.equal(devNull, number);
      r.close(); // harmless
      assert.ok(fs.fstatSync(devNull).isCharacterDevice(), '/dev/null is still open');
      fs.closeSync(devNull);
      w.close();
    }));

  it('test_partial_write_295', () =>
    spawn(() => {
      // eventlet#295: makefile('w').writelines() sends everything despite partial writes by the socket. eventlet
      // cuts its sends short by replacing send; here a small send buffer does.
      const listenSocket = listen(['127.0.0.1', 0]);
      spawn(() => {
        const [conn] = listenSocket.accept();
        conn.setsockopt('SO_SNDBUF', 1031);
        const f = conn.makefile('wb');
        const line = Buffer.alloc(2140, '*');
        f.writelines(Array.from({ length: 10000 }, () => line));
        conn.close();
        // documented difference: CPython flushes and closes the file as the function returns (refcounting);
        // verdant's is closed explicitly, which also ends the connection (docs/net.md).
        f.close();
      });
      const sock = connect(['127.0.0.1', portOf(listenSocket)]);
      const timeout = new Timeout(10);
      let bs: Buffer;
      try {
        bs = sock.makefile('rb').read() as Buffer;
      } finally {
        timeout.cancel();
      }
      assert.equal(bs.length, 21400000);
      assert.ok(bs.equals(Buffer.alloc(21400000, '*')));
      sock.close();
      listenSocket.close();
    }));

  it('test_socket_file_read_non_int', () =>
    spawn(() => {
      const listenSocket = listen(['127.0.0.1', 0]);
      spawn(() => {
        const [conn] = listenSocket.accept();
        conn.recv(1);
        conn.sendAll('response');
        conn.close();
      });
      const sock = connect(['127.0.0.1', portOf(listenSocket)]);
      const fd = sock.makefile('rwb');
      fd.write('?');
      fd.flush();
      const timeout = new Timeout(1);
      try {
        assert.throws(() => fd.read("This shouldn't work" as never), TypeError);
      } finally {
        timeout.cancel();
      }
      fd.close();
      sock.close();
      listenSocket.close();
    }));

  it('test_pipe_context', () =>
    spawn(() => {
      // A pipe used as a context (`using` here) is closed at its end.
      const [r, w] = GreenPipe.create();
      {
        using _ = r;
      }
      assert.ok(r.closed && !w.closed);
      {
        using f = w;
        assert.equal(f, w);
      }
      assert.ok(r.closed && w.closed);
    }));

  describe('GreenPipe on a path', () => {
    let tempdir: string;
    beforeEach(() => {
      tempdir = scratchDir();
    });
    afterEach(() => removeScratch(tempdir));

    it('test_greenpipe_write', () =>
      spawn(() => {
        const file = path.join(tempdir, 'f');
        fs.writeFileSync(file, ''); // eventlet's NamedTemporaryFile
        {
          using writer = GreenPipe.openFile(file, 'wb');
          writer.write('initial');
        }
        assert.equal(readAll(file).toString(), 'initial');
      }));

    it('test_greenpipe_append', () =>
      spawn(() => {
        const file = path.join(tempdir, 'f');
        fs.writeFileSync(file, 'existing data...');
        {
          using writer = GreenPipe.openFile(file, 'ab');
          writer.write('append with mode=a');
        }
        assert.equal(readAll(file).toString(), 'existing data...append with mode=a');
      }));

    it('test_greenpipe_read_overwrite', () =>
      spawn(() => {
        const file = path.join(tempdir, 'f');
        {
          using writer = GreenPipe.openFile(file, 'wb');
          writer.write('existing data...');
        }
        {
          using writer = GreenPipe.openFile(file, 'r+b');
          writer.write('overwrite with mode=r+');
        }
        assert.equal(readAll(file).toString(), 'overwrite with mode=r+');
      }));

    it('test_greenpipe_write_plus', () =>
      spawn(() => {
        const file = path.join(tempdir, 'f');
        fs.writeFileSync(file, '');
        {
          using writer = GreenPipe.openFile(file, 'w+', { encoding: 'utf8' });
          writer.write('write with mode=w+');
        }
        assert.equal(readAll(file).toString('utf8'), 'write with mode=w+');
      }));

    it('test_greenpipe_append_plus', () =>
      spawn(() => {
        const file = path.join(tempdir, 'f');
        fs.writeFileSync(file, '');
        {
          using writer = GreenPipe.openFile(file, 'a+', { encoding: 'utf8' });
          writer.write('append with mode=a+');
        }
        assert.equal(readAll(file).toString('utf8'), 'append with mode=a+');
      }));
  });
});

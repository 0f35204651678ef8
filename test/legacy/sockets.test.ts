// verdant/legacy's socket helpers over real loopback sockets: tcpListener/connectTcp, and TLS with
// sslListener/connectSsl (certificates made by the openssl CLI, as the TLS suite does).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { GreenSocket, TlsSocket, connect, spawn } from 'verdant';
import { api } from '../../lib/legacy';
import { type TlsFixtures, makeTlsFixtures, removeTlsFixtures } from '../net/tls-fixtures';

function portOf(sock: { getSockName(): ReturnType<GreenSocket['getSockName']> }): number {
  const address = sock.getSockName();
  assert.ok('port' in address);
  return address.port;
}

describe('legacy: sockets', () => {
  let fixtures: TlsFixtures | undefined;
  before(() => {
    fixtures = makeTlsFixtures();
  });
  after(() => removeTlsFixtures(fixtures));

  it('tcpListener listens and connectTcp connects, as blocking green sockets', () =>
    spawn(() => {
      const server = api.tcpListener(['127.0.0.1', 0]);
      try {
        assert.ok(server instanceof GreenSocket);
        const serving = api.spawn(() => {
          const [conn] = server.accept();
          // Closed before the socket: a file shares its fd, which closes with the last of them.
          const file = conn.makefile('r', { encoding: 'utf8' });
          const line = file.readline();
          file.close();
          conn.sendAll(`you said ${line}`);
          conn.close();
        });
        const client = api.connectTcp(['127.0.0.1', portOf(server)], ['127.0.0.1', 0]);
        client.sendAll('hello\n');
        using reply = client.makefile('r', { encoding: 'utf8' });
        assert.equal(reply.read(), 'you said hello\n');
        const local = client.getSockName();
        assert.ok('address' in local && local.address === '127.0.0.1'); // bound where connectTcp was told
        client.close();
        serving.wait();
      } finally {
        server.close();
      }
    }));

  it('sslListener takes certificate and key files; connectSsl verifies the server', () =>
    spawn(() => {
      const dir = fixtures!.dir;
      const server = api.sslListener(['127.0.0.1', 0], path.join(dir, 'localhost.pem'), path.join(dir, 'localhost.key'));
      try {
        const serving = api.spawn(() => {
          const [conn, address] = server.accept();
          assert.ok(conn instanceof TlsSocket);
          assert.equal('address' in address && address.address, '127.0.0.1');
          const file = conn.makefile('rw', { encoding: 'utf8' });
          file.write(`secure ${file.readline()}`);
          file.close();
          conn.close();
        });
        const client = api.connectSsl(`localhost:${portOf(server)}`, { ca: fixtures!.ca, timeout: 10 });
        client.sendAll('hello\n');
        using secure = client.makefile('r', { encoding: 'utf8' });
        assert.equal(secure.read(), 'secure hello\n');
        client.close();
        serving.wait();
        const refusing = api.spawn(() => {
          const [conn] = server.accept();
          assert.throws(() => conn.recv(1)); // the client gives up on the handshake
          conn.close();
        });
        // Without the test CA, the server's certificate is not trusted.
        assert.throws(() => api.connectSsl(`localhost:${portOf(server)}`, { timeout: 10 }), /certificate/i);
        refusing.wait();
      } finally {
        server.close();
      }
      assert.equal(server.closed, true);
    }));

  it("a client that never handshakes holds up only its own handler, not sslListener's accept", () =>
    spawn(() => {
      const { cert, key } = fixtures!.localhost;
      const server = api.sslListener(['127.0.0.1', 0], cert, key); // PEM text works as well as file names
      try {
        const handled: string[] = [];
        const acceptor = api.spawn(() => {
          for (let i = 0; i < 2; i++) {
            const [conn] = server.accept();
            api.spawn(() => {
              try {
                handled.push(String(conn.recv(100)));
              } catch {
                handled.push('failed');
              } finally {
                conn.close();
              }
            });
          }
        });
        const silent = connect(['127.0.0.1', portOf(server)]); // plain TCP: never says hello
        const client = api.connectSsl(`localhost:${portOf(server)}`, { ca: fixtures!.ca, timeout: 10 });
        client.sendAll('second');
        acceptor.wait(); // both accepted although the first never handshook
        client.close();
        silent.close();
        for (let i = 0; i < 500 && handled.length < 2; i++) api.sleep(0.01);
        assert.deepEqual(handled.sort(), ['failed', 'second']);
      } finally {
        server.close();
      }
    }));

  it('sslListener checks its arguments', () => {
    assert.throws(() => api.sslListener(0, '', 'key'), TypeError);
    assert.throws(() => api.sslListener(0, '/no/such/cert.pem', '/no/such/key.pem'), /ENOENT/);
  });
});

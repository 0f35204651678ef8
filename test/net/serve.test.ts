// serve(): the accept loop with a pool, StopServe, handler errors, closing the listener, and the fd back-off.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { ClosedError, GreenSocket, StopServe, connect, listen, serve, sleep, spawn } from 'verdant';

function portOf(sock: GreenSocket): number {
  const addr = sock.getSockName();
  assert.ok('port' in addr);
  return addr.port;
}

describe('net: serve', () => {
  it('handles each connection in its own green thread, concurrently, and closes it after the handler', () =>
    spawn(() => {
      const server = listen(['127.0.0.1', 0]);
      let active = 0;
      let peak = 0;
      const serving = spawn(() =>
        serve(server, (conn) => {
          active++;
          peak = Math.max(peak, active);
          const line = conn.makefile('r').readline();
          sleep(0.02);
          conn.sendAll(`echo ${line}`);
          active--;
        }),
      );
      const clients = Array.from({ length: 20 }, (_, i) =>
        spawn(() => {
          const c = connect(['127.0.0.1', portOf(server)]);
          c.sendAll(`${i}\n`);
          const file = c.makefile('r', { encoding: 'utf8' });
          const reply = file.read();
          c.close();
          return reply;
        }),
      );
      assert.deepEqual(clients.map((c) => c.wait()), clients.map((_, i) => `echo ${i}\n`));
      assert.ok(peak > 1, `handlers ran concurrently (peak ${peak})`);
      server.close();
      assert.equal(serving.wait(), undefined); // closing the listener ends serve
    }));

  it('closes the files a handler made with its connection, even those it left open', () =>
    spawn(() => {
      const server = listen(['127.0.0.1', 0]);
      const files: Array<ReturnType<GreenSocket['makefile']>> = [];
      const serving = spawn(() =>
        serve(server, (conn) => {
          const file = conn.makefile('rw');
          files.push(file);
          file.write(`echo ${String(file.readline())}`);
          file.flush(); // and left open: serve closes the connection anyway
        }),
      );
      const c = connect(['127.0.0.1', portOf(server)]);
      c.sendAll('hi\n');
      const reply = c.makefile('r', { encoding: 'utf8' });
      assert.equal(reply.read(), 'echo hi\n', 'end of stream came: the connection is closed');
      reply.close();
      c.close();
      assert.throws(
        () => {
          files[0].write('x');
          files[0].flush();
        },
        ClosedError,
        'the handler\'s file no longer reaches the connection',
      );
      server.close();
      serving.wait();
    }));

  it('concurrency bounds how many handlers run at once', () =>
    spawn(() => {
      const server = listen(['127.0.0.1', 0]);
      let active = 0;
      let peak = 0;
      const serving = spawn(() =>
        serve(
          server,
          (conn) => {
            active++;
            peak = Math.max(peak, active);
            sleep(0.01);
            active--;
            conn.sendAll('done');
          },
          { concurrency: 3 },
        ),
      );
      const clients = Array.from({ length: 12 }, () =>
        spawn(() => {
          const c = connect(['127.0.0.1', portOf(server)]);
          const r = c.recv(10).toString();
          c.close();
          return r;
        }),
      );
      for (const c of clients) assert.equal(c.wait(), 'done');
      assert.equal(peak, 3);
      server.close();
      serving.wait();
    }));

  it('a handler throwing StopServe makes serve return; other errors go to onError and serving goes on', () =>
    spawn(() => {
      const server = listen(['127.0.0.1', 0]);
      const errors: unknown[] = [];
      const serving = spawn(() =>
        serve(
          server,
          (conn) => {
            const command = conn.recv(10).toString();
            if (command === 'fail') throw new Error('handler failed');
            if (command === 'stop') throw new StopServe();
            conn.sendAll('ok');
          },
          { onError: (e) => errors.push(e) },
        ),
      );
      const ask = (what: string) => {
        const c = connect(['127.0.0.1', portOf(server)]);
        c.sendAll(what);
        const r = c.recv(10).toString();
        c.close();
        return r;
      };
      assert.equal(ask('fail'), ''); // closed without a reply
      assert.equal(ask('hello'), 'ok');
      assert.equal(errors.length, 1);
      assert.match((errors[0] as Error).message, /handler failed/);
      ask('stop');
      assert.equal(serving.wait(), undefined);
      server.close();
    }));

  it('out of file descriptors, accept backs off instead of spinning, and recovers', function () {
    // A child process with a low fd limit: it serves, a client connects while all fds are taken, the server
    // counts its accept attempts, frees fds, and the pending connection is then accepted.
    const script = `
      const v = require(${JSON.stringify(require.resolve('verdant'))});
      const fs = require('fs');
      v.run(() => {
        const server = v.listen(['127.0.0.1', 0]);
        const port = server.getSockName().port;
        const hog = [];
        let attempts = 0;
        const realAccept = server.accept.bind(server);
        server.accept = () => { attempts++; return realAccept(); };
        v.spawn(() => v.serve(server, (c) => { c.sendAll('hi'); }));
        const client = v.connect(['127.0.0.1', port]);
        // Take every remaining fd: the server's accept now fails with EMFILE.
        try { for (;;) hog.push(fs.openSync('/dev/null', 'r')); } catch {}
        const peer = v.spawn(() => client.recv(10).toString());
        v.sleep(0.3);
        const during = attempts;
        for (const fd of hog) fs.closeSync(fd);
        console.log(JSON.stringify({ during, reply: peer.wait() }));
        process.exit(0);
      });`;
    const out = execFileSync('bash', ['-c', `ulimit -n 64 && exec "${process.execPath}" -e "$0"`, script], { encoding: 'utf8', timeout: 30000 });
    const { during, reply } = JSON.parse(out.trim().split('\n').pop()!);
    assert.equal(reply, 'hi');
    // 300 ms of EMFILE with back-off from 5 ms doubling: a handful of tries, not thousands.
    assert.ok(during >= 2 && during < 30, `accept attempts while out of fds: ${during}`);
  });
});

// The shipped examples run with one command each: start them as a user would (`verdant run examples/...`) and
// talk to them over real sockets.
import { strict as assert } from 'node:assert';
import { type ChildProcess, execFileSync, spawn as spawnProcess } from 'node:child_process';
import * as path from 'node:path';
import { connect, http, spawn, sleep, wait } from 'verdant';

const root = path.join(__dirname, '..', '..');

/** Starts `verdant run <example> 0` (a free port) and returns it with the port from its first line of output. */
function startExample(example: string): { child: ChildProcess; port: number } {
  const args = ['0'];
  const child = spawnProcess(process.execPath, [path.join(root, 'bin', 'verdant.js'), 'run', path.join(root, 'examples', example), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = wait(
    new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (data) => resolve(String(data)));
      child.once('exit', (code) => reject(new Error(`${example} exited with ${code}`)));
    }),
  );
  const port = Number(/listening on port (\d+)/.exec(line)?.[1]);
  assert.ok(port > 0, `${example} said: ${line}`);
  return { child, port };
}

describe('examples', () => {
  it('echo-server.js echoes each line back to its client', () =>
    spawn(() => {
      const { child, port } = startExample('echo-server.js');
      try {
        const c = connect(['127.0.0.1', port], { timeout: 5 });
        const file = c.makefile('rw', { encoding: 'utf8' });
        for (const line of ['hello\n', 'green world\n']) {
          file.write(line);
          file.flush();
          assert.equal(file.readline(), line);
        }
        c.close();
      } finally {
        child.kill();
      }
    }));

  it('server-sent-events.js sends each event as it happens, a second apart', () =>
    spawn(() => {
      const { child, port } = startExample('server-sent-events.js');
      try {
        const sock = connect(['127.0.0.1', port], { timeout: 10 });
        sock.sendAll(Buffer.from('GET /ticks?count=2 HTTP/1.1\r\nHost: x\r\n\r\n'));
        let got = '';
        while (!got.includes('"tick":1')) got += sock.recv(65536).toString();
        assert.match(got, /content-type: text\/event-stream\r\n/);
        assert.doesNotMatch(got, /"tick":2/, 'the second event is a second away');
        while (!got.endsWith('0\r\n\r\n')) got += sock.recv(65536).toString();
        assert.match(got, /id: 2\ndata: \{"tick":2,/);
        sock.close();
      } finally {
        child.kill();
      }
    }));

  it('chat-server.js relays each line to every other participant', () =>
    spawn(() => {
      const { child, port } = startExample('chat-server.js');
      try {
        const users = [0, 1, 2].map(() => connect(['127.0.0.1', port], { timeout: 5 }).makefile('rw', { encoding: 'utf8' }));
        sleep(0.1); // all three have joined
        users[0].write('hi from 0\n');
        users[0].flush();
        assert.equal(users[1].readline(), 'hi from 0\n');
        assert.equal(users[2].readline(), 'hi from 0\n');
        users[2].write('and 2\n');
        users[2].flush();
        assert.equal(users[0].readline(), 'and 2\n');
        assert.equal(users[1].readline(), 'and 2\n');
      } finally {
        child.kill();
      }
    }));

  it('websocket-chat.js serves its page and relays each message to every participant, its sender included', () =>
    spawn(() => {
      const { child, port } = startExample('websocket-chat.js');
      try {
        const page = http.get(`http://127.0.0.1:${port}/`);
        assert.equal(page.status, 200);
        assert.match(page.text(), /new WebSocket\(/);
        const origin = `http://127.0.0.1:${port}`;
        // The server adds a participant right after writing its 101, without switching: once connected, joined.
        const users = [0, 1, 2].map(() => http.connectWebSocket(`ws://127.0.0.1:${port}/chat`, { origin, timeout: 5 }));
        users[0].send('hi from 0');
        for (const user of users) assert.equal(user.receive(), 'hi from 0');
        users[2].send('and 2');
        for (const user of users) assert.equal(user.receive(), 'and 2');
        users.forEach((user) => user.close());
        // A page from elsewhere may not join.
        assert.throws(
          () => http.connectWebSocket(`ws://127.0.0.1:${port}/chat`, { origin: 'http://evil.test', timeout: 5 }),
          (error: unknown) => error instanceof http.HandshakeError && error.status === 403,
        );
      } finally {
        child.kill();
      }
    }));

  it('crawler.js fetches its pages through a GreenPool and prints them in order', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'bin', 'verdant.js'), 'run', path.join(root, 'examples', 'crawler.js')], {
      encoding: 'utf8',
      timeout: 60000,
    });
    const bodies = out.split('\n').filter((line) => line.startsWith('got body from '));
    assert.equal(bodies.length, 7, out);
    assert.match(out, /7 pages in \d+ ms/);
  });
});

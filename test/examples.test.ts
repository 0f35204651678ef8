// The shipped examples run with one command each: start them as a user would (`verdant run examples/...`) and
// talk to them over real sockets.
import { strict as assert } from 'node:assert';
import { type ChildProcess, execFileSync, spawn as spawnProcess } from 'node:child_process';
import * as path from 'node:path';
import { connect, spawn, sleep, wait } from 'verdant';

const root = path.join(__dirname, '..', '..');

/** Starts `verdant run <example> <args>` and waits for its first line of output. */
function startExample(example: string, args: string[]): ChildProcess {
  const child = spawnProcess(process.execPath, [path.join(root, 'bin', 'verdant.js'), 'run', path.join(root, 'examples', example), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  wait(new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`${example} exited with ${code}`)));
  }));
  return child;
}

function freePort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

describe('examples', () => {
  it('echo-server.js echoes each line back to its client', () =>
    spawn(() => {
      const port = freePort();
      const child = startExample('echo-server.js', [String(port)]);
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

  it('chat-server.js relays each line to every other participant', () =>
    spawn(() => {
      const port = freePort();
      const child = startExample('chat-server.js', [String(port)]);
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

// Hono, unchanged, on verdant's server: every request of a list gets the same answer (status, fields, body) as
// from @hono/node-server, Hono's own adapter for Node, serving the same app in a process of its own.
import { strict as assert } from 'node:assert';
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { connect, spawn, wait } from 'verdant';
import * as http from '../../../lib/http';
import { makeApp } from './app';

/** Fields that frame or time the message, which each server sets its own way. */
const FRAMING = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

interface Exchange {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Fields @hono/node-server adds where Node's Response adds none (compared without them), and why. */
  onlyTheirs?: { fields: string[]; why: string };
}

const EXCHANGES: Exchange[] = [
  { path: '/' },
  { path: '/json' },
  { path: '/html' },
  { path: '/users/42?q=find%20me', headers: { 'x-agent': 'tester' } },
  { method: 'POST', path: '/api/echo', headers: { 'content-type': 'application/json', origin: 'https://app.example' }, body: '{"a":[1,"two"]}' },
  { method: 'OPTIONS', path: '/api/echo', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } },
  { method: 'POST', path: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=verdant+green' },
  { path: '/cookie', headers: { cookie: 'had=yes' } },
  { path: '/redirect' },
  { path: '/status' },
  { path: '/bytes' },
  { method: 'HEAD', path: '/' },
  { path: '/error' },
  { path: '/crash' },
  {
    path: '/stream',
    onlyTheirs: { fields: ['content-type'], why: "@hono/node-server's own Response types any stream body text/plain; Node's types none" },
  },
  { path: '/sse' },
  { path: '/missing' },
];

interface Answer {
  status: number;
  fields: [string, string][];
  body: string;
}

function ask(base: string, exchange: Exchange): Answer {
  const res = http.request(`${base}${exchange.path}`, { method: exchange.method ?? 'GET', headers: exchange.headers, body: exchange.body, redirect: 'manual' });
  // A string body's default type is `text/plain;charset=UTF-8` from Node's Response (and verdant's), and
  // `text/plain; charset=UTF-8` from @hono/node-server's own: the same type, compared as such.
  const fields = [...res.headers].filter(([name]) => !FRAMING.has(name))
    .map(([name, value]): [string, string] => [name, name === 'content-type' ? value.replace(/;\s*/g, '; ') : value]);
  return { status: res.status, fields, body: exchange.method === 'HEAD' ? '' : res.text() };
}

/** @hono/node-server serving the same app in a child process; its port. */
function startNodeServer(): { child: ChildProcess; base: string } {
  const app = JSON.stringify(join(__dirname, 'app.js'));
  const source = `const { serve } = require('@hono/node-server');
    serve({ fetch: require(${app}).makeApp().fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log('PORT ' + info.port));`;
  const child = spawnProcess(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = wait(new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (data) => resolve(String(data)));
    child.once('exit', (code) => reject(new Error(`@hono/node-server exited with ${code}`)));
  }));
  return { child, base: `http://127.0.0.1:${/PORT (\d+)/.exec(line)![1]}` };
}

describe('http server: Hono, unchanged', () => {
  it('answers every request as @hono/node-server does', () =>
    spawn(() => {
      const server = http.serve(makeApp().fetch, { host: '127.0.0.1', port: 0, errorLog: () => {} });
      const { child, base: nodeBase } = startNodeServer();
      try {
        const base = `http://127.0.0.1:${(server.address as { port: number }).port}`;
        for (const exchange of EXCHANGES) {
          const theirs = ask(nodeBase, exchange);
          if (exchange.onlyTheirs !== undefined) theirs.fields = theirs.fields.filter(([name]) => !exchange.onlyTheirs!.fields.includes(name));
          const ours = ask(base, exchange);
          assert.deepEqual(ours, theirs, `${exchange.method ?? 'GET'} ${exchange.path}`);
        }
      } finally {
        child.kill();
        server.stop({ timeout: 1 });
      }
    }));

  it("puts each piece of Hono's stream() on the wire before the next is written", () =>
    spawn(() => {
      const app = makeApp();
      let secondWritten = false;
      let clientHadFirstBeforeSecond = false;
      let clientHasFirst = false;
      app.get('/gated', (c) =>
        // Waits (up to 10 s) until the client has the first piece: a server that held it back would time out here.
        import('hono/streaming').then(({ stream }) => stream(c, async (s) => {
          await s.write('first;');
          for (let waited = 0; !clientHasFirst && waited < 10_000; waited += 10) await s.sleep(10);
          clientHadFirstBeforeSecond = clientHasFirst;
          secondWritten = true;
          await s.write('second;');
        })));
      const server = http.serve(app.fetch, { host: '127.0.0.1', port: 0, errorLog: () => {} });
      try {
        const sock = connect(['127.0.0.1', (server.address as { port: number }).port]);
        sock.setTimeout(20);
        sock.sendAll(Buffer.from('GET /gated HTTP/1.1\r\nHost: x\r\n\r\n'));
        let got = '';
        while (!got.endsWith('0\r\n\r\n')) {
          const piece = sock.recv(65536).toString();
          if (piece === '') break;
          got += piece;
          if (got.includes('first;') && !secondWritten) clientHasFirst = true;
        }
        sock.close();
        assert.ok(clientHadFirstBeforeSecond, 'the client had the first piece before Hono wrote the second');
        assert.match(got, /first;[^]*second;/);
      } finally {
        server.stop({ timeout: 1 });
      }
    }));
});

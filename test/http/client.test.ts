// The green HTTP client against real servers in this process: Node's own http server (on the main event loop,
// beside the green threads) for well-behaved HTTP, and raw verdant sockets for the malformed and the unusual.
// Each test body runs in a green thread (mocha awaits it).
import { strict as assert } from 'node:assert';
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  CertificateVerificationError,
  ConnectionRefusedError,
  ConnectionResetError,
  GreenPool,
  GreenSocket,
  SocketTimeoutError,
  listen,
  serve,
  sleep,
  spawn,
  wait,
} from 'verdant';
import * as http from '../../lib/http';
import { tcpConnector } from '../../lib/http/client/connector';
import { secondsSince, until } from '../sync/helpers';
import { makeTlsFixtures, removeTlsFixtures } from '../net/tls-fixtures';

type Handler = (req: nodeHttp.IncomingMessage, res: nodeHttp.ServerResponse) => void;

interface NodeServer {
  /** "http://127.0.0.1:port" */
  base: string;
  server: nodeHttp.Server;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): void;
}

/** A Node http server on a free loopback port, started from a green thread. */
function nodeServer(handler: Handler): NodeServer {
  const server = nodeHttp.createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  wait(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** The whole request body, from a Node handler. */
function readAll(req: nodeHttp.IncomingMessage, done: (body: Buffer) => void): void {
  const pieces: Buffer[] = [];
  req.on('data', (piece: Buffer) => pieces.push(piece));
  req.on('end', () => done(Buffer.concat(pieces)));
}

/** Replies with what the server saw: method, url, headers, body. */
const echo: Handler = (req, res) =>
  readAll(req, (body) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString() }));
  });

interface RawServer {
  base: string;
  close(): void;
}

/** A verdant server that hands each connection to `handler` (in its own green thread). */
function rawServer(handler: (conn: GreenSocket) => void): RawServer {
  const sock = listen(['127.0.0.1', 0]);
  const addr = sock.getSockName() as { port: number };
  spawn(() => serve(sock, handler, { onError: () => {} }));
  return { base: `http://127.0.0.1:${addr.port}`, close: () => sock.close() };
}

/** Reads one request head from a raw connection; null at end of stream. */
function readRequestHead(file: ReturnType<GreenSocket['makefile']>): string | null {
  let head = '';
  for (;;) {
    const line = file.readline().toString();
    if (line === '') return head === '' ? null : head;
    head += line;
    if (line === '\r\n') return head;
  }
}

/** A raw server that answers every request with `reply` (the bytes after the request head). */
function replyingServer(reply: string | Buffer, closeAfter = true): RawServer {
  return rawServer((conn) => {
    const file = conn.makefile('r');
    while (readRequestHead(file) !== null) {
      conn.sendAll(reply);
      if (closeAfter) return;
    }
  });
}

describe('http client: requests and responses', () => {
  it('GETs a page: status, statusText, ok, headers, url, text()', () =>
    spawn(() => {
      const s = nodeServer((req, res) => {
        res.setHeader('X-Answer', '42');
        res.end(`you asked for ${req.url}`);
      });
      try {
        const response = http.get(`${s.base}/a/b?c=d#frag`);
        assert.equal(response.status, 200);
        assert.equal(response.statusText, 'OK');
        assert.equal(response.ok, true);
        assert.equal(response.httpVersion, '1.1');
        assert.equal(response.headers.get('x-answer'), '42');
        assert.equal(response.url, `${s.base}/a/b?c=d`);
        assert.equal(response.redirected, false);
        assert.equal(response.text(), 'you asked for /a/b?c=d');
        assert.equal(response.bodyUsed, true);
        assert.throws(() => response.text(), http.HttpError);
      } finally {
        s.close();
      }
    }));

  it('POSTs a string, a Buffer and a chunked iterable; PUT without a body says Content-Length: 0', () =>
    spawn(() => {
      const s = nodeServer(echo);
      try {
        const a = http.request(`${s.base}/s`, { method: 'post', body: 'héllo' }).json() as any;
        assert.equal(a.method, 'POST');
        assert.equal(a.body, 'héllo');
        assert.equal(a.headers['content-length'], String(Buffer.byteLength('héllo')));
        const b = http.request(`${s.base}/b`, { method: 'POST', body: new Uint8Array([0x61, 0x62, 0x63]) }).json() as any;
        assert.equal(b.body, 'abc');
        assert.equal(b.headers['content-length'], '3');
        function* pieces() {
          yield 'one,';
          yield Buffer.from('');
          sleep(0.01); // a body may block between pieces: it is sent as it comes
          yield Buffer.from('two,');
          yield 'three';
        }
        const c = http.request(`${s.base}/c`, { method: 'POST', body: pieces() }).json() as any;
        assert.equal(c.body, 'one,two,three');
        assert.equal(c.headers['transfer-encoding'], 'chunked');
        assert.equal(c.headers['content-length'], undefined);
        const d = http.request(`${s.base}/d`, { method: 'PUT' }).json() as any;
        assert.equal(d.headers['content-length'], '0');
        const e = http.get(`${s.base}/e`).json() as any;
        assert.equal(e.headers['content-length'], undefined);
      } finally {
        s.close();
      }
    }));

  it('sends json, and parses json(); a body that is not JSON is a SyntaxError naming the URL', () =>
    spawn(() => {
      const s = nodeServer((req, res) => (req.url === '/bad' ? res.end('{nope') : echo(req, res)));
      try {
        const seen = http.request(`${s.base}/j`, { method: 'POST', json: { n: 1, list: [1, 2] } }).json<any>();
        assert.equal(seen.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(seen.body), { n: 1, list: [1, 2] });
        assert.throws(() => http.get(`${s.base}/bad`).json(), (e: Error) => e instanceof SyntaxError && e.message.includes('/bad'));
        assert.throws(() => http.request(s.base, { body: 'x', json: 1 }), TypeError);
      } finally {
        s.close();
      }
    }));

  it('sends headers given as an object, a Headers or pairs (repeats kept); reads repeated Set-Cookie', () =>
    spawn(() => {
      const s = nodeServer((req, res) => {
        res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2']);
        echo(req, res);
      });
      try {
        const fromObject = http.get(s.base, { headers: { 'X-One': '1', 'X-Many': ['a', 'b'], 'X-Num': 7, 'X-Skip': undefined } });
        assert.deepEqual(fromObject.headers.getSetCookie(), ['a=1; Path=/', 'b=2']);
        const seen = fromObject.json<any>();
        assert.equal(seen.headers['x-one'], '1');
        assert.equal(seen.headers['x-many'], 'a, b');
        assert.equal(seen.headers['x-num'], '7');
        assert.ok(!('x-skip' in seen.headers));
        assert.equal(seen.headers['user-agent'], 'verdant');
        assert.equal(seen.headers.host, s.base.slice('http://'.length));
        const fromHeaders = http.get(s.base, { headers: new Headers({ 'x-two': '2', 'user-agent': 'mine' }) }).json<any>();
        assert.equal(fromHeaders.headers['x-two'], '2');
        assert.equal(fromHeaders.headers['user-agent'], 'mine');
        const fromPairs = http.get(s.base, { headers: [['X-Pair', 'p'], ['X-Pair', 'q']] }).json<any>();
        assert.equal(fromPairs.headers['x-pair'], 'p, q');
        // Case is kept on the wire.
        assert.ok(fromPairs.rawHeaders.includes('X-Pair'));
        assert.throws(() => http.get(s.base, { headers: { 'X-Evil': 'a\r\nInjected: yes' } }), TypeError);
        assert.throws(() => http.get(s.base, { headers: { 'Bad Name': 'x' } }), TypeError);
      } finally {
        s.close();
      }
    }));

  it('decodes a chunked response, piece by piece when iterated', () =>
    spawn(() => {
      const s = nodeServer((_req, res) => {
        res.write('first ');
        setTimeout(() => {
          res.write('second ');
          res.end('third');
        }, 20);
      });
      try {
        const response = http.get(s.base);
        assert.equal(response.headers.get('transfer-encoding'), 'chunked');
        const pieces = [...response].map(String);
        assert.ok(pieces.length >= 2, `expected several pieces, got ${JSON.stringify(pieces)}`);
        assert.equal(pieces.join(''), 'first second third');
        assert.equal(http.get(s.base).text(), 'first second third');
      } finally {
        s.close();
      }
    }));

  it('reads Content-Length bodies, and bodies that run until the server closes (HTTP/1.1 and 1.0)', () =>
    spawn(() => {
      const s = nodeServer((_req, res) => {
        res.setHeader('Content-Length', '5');
        res.end('12345');
      });
      const untilClose = replyingServer('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it, until the end');
      const old = replyingServer('HTTP/1.0 200 OK\r\n\r\nten-year-old server');
      try {
        assert.equal(http.get(s.base).buffer().toString(), '12345');
        assert.equal(http.get(untilClose.base).text(), 'all of it, until the end');
        const response = http.get(old.base);
        assert.equal(response.httpVersion, '1.0');
        assert.equal(response.text(), 'ten-year-old server');
      } finally {
        s.close();
        untilClose.close();
        old.close();
      }
    }));

  it('HEAD, 204 and 304 have no body, and leave the connection reusable', () =>
    spawn(() => {
      const s = nodeServer((req, res) => {
        if (req.url === '/204') res.statusCode = 204;
        if (req.url === '/304') res.statusCode = 304;
        res.setHeader('Content-Length', '11');
        res.end(req.method === 'HEAD' || res.statusCode !== 200 ? undefined : 'hello world');
      });
      const pool = new http.ConnectionPool();
      try {
        const head = http.request(s.base, { method: 'HEAD', pool });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('content-length'), '11');
        assert.equal(head.text(), '');
        assert.equal(http.get(`${s.base}/204`, { pool }).status, 204);
        const notModified = http.get(`${s.base}/304`, { pool });
        assert.equal(notModified.status, 304);
        assert.equal(notModified.arrayBuffer().byteLength, 0);
        assert.equal(http.get(s.base, { pool }).text(), 'hello world');
        assert.equal(s.connections(), 1);
      } finally {
        pool.close();
        s.close();
      }
    }));

  it('raiseForStatus throws an HttpStatusError for 4xx and 5xx, and returns the response otherwise', () =>
    spawn(() => {
      const s = nodeServer((req, res) => {
        res.statusCode = req.url === '/missing' ? 404 : 200;
        res.end('body');
      });
      try {
        assert.equal(http.get(s.base).raiseForStatus().text(), 'body');
        const missing = http.get(`${s.base}/missing`);
        assert.equal(missing.ok, false);
        assert.throws(
          () => missing.raiseForStatus(),
          (e: unknown) => e instanceof http.HttpStatusError && e.status === 404 && e.message === `${s.base}/missing: HTTP 404 Not Found`,
        );
      } finally {
        s.close();
      }
    }));

  it('skips 1xx interim responses', () =>
    spawn(() => {
      const s = replyingServer(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal',
      );
      try {
        const response = http.get(s.base);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('link'), null);
        assert.equal(response.text(), 'real');
      } finally {
        s.close();
      }
    }));

  it('streams a big (8 MiB) body piece by piece, and reads it whole', () =>
    spawn(() => {
      const size = 8 << 20;
      const block = Buffer.alloc(64 * 1024, 'x');
      const s = nodeServer((req, res) => {
        if (req.url === '/length') res.setHeader('Content-Length', String(size));
        let sent = 0;
        const more = (): void => {
          while (sent < size) {
            sent += block.length;
            if (!res.write(block)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      });
      try {
        let total = 0;
        let pieces = 0;
        for (const piece of http.get(`${s.base}/chunked`)) {
          total += piece.length;
          pieces++;
          assert.ok(piece.length <= 1 << 20);
        }
        assert.equal(total, size);
        assert.ok(pieces > 8);
        const whole = http.get(`${s.base}/length`).arrayBuffer();
        assert.equal(whole.byteLength, size);
        assert.equal(new Uint8Array(whole)[size - 1], 'x'.charCodeAt(0));
      } finally {
        s.close();
      }
    }));
});

describe('http client: redirects', () => {
  function redirecting(): NodeServer {
    return nodeServer((req, res) => {
      const [, status, rest] = /^\/(\d{3})(\/.*)?$/.exec(req.url ?? '') ?? [];
      if (status !== undefined) {
        res.statusCode = Number(status);
        res.setHeader('Location', rest ?? '/done');
        return void res.end('moved');
      }
      if (req.url?.startsWith('/loop/')) {
        const n = Number(req.url.slice('/loop/'.length));
        res.statusCode = 302;
        res.setHeader('Location', `/loop/${n + 1}`);
        return void res.end();
      }
      if (req.url === '/relative/deep/page') {
        res.statusCode = 302;
        res.setHeader('Location', '../done');
        return void res.end();
      }
      echo(req, res);
    });
  }

  it('301 and 302 turn a POST into a GET without body; 303 turns a PUT into one', () =>
    spawn(() => {
      const s = redirecting();
      try {
        for (const [status, method] of [
          [301, 'POST'],
          [302, 'POST'],
          [303, 'PUT'],
        ] as const) {
          const response = http.request(`${s.base}/${status}`, { method, body: 'payload', headers: { 'Content-Type': 'text/plain' } });
          assert.equal(response.redirected, true);
          assert.equal(response.url, `${s.base}/done`);
          const seen = response.json<any>();
          assert.equal(seen.method, 'GET', `after ${status}`);
          assert.equal(seen.body, '');
          assert.equal(seen.headers['content-type'], undefined);
          assert.equal(seen.headers['content-length'], undefined);
        }
      } finally {
        s.close();
      }
    }));

  it('307 and 308 repeat the method and the body; a streamed body cannot be repeated', () =>
    spawn(() => {
      const s = redirecting();
      try {
        for (const status of [307, 308]) {
          const seen = http.request(`${s.base}/${status}/target`, { method: 'POST', body: 'payload' }).json<any>();
          assert.equal(seen.method, 'POST');
          assert.equal(seen.url, '/target');
          assert.equal(seen.body, 'payload');
        }
        assert.throws(
          () => http.request(`${s.base}/307`, { method: 'POST', body: ['a', 'b'] }),
          (e: unknown) => e instanceof http.RedirectError && e.status === 307 && /cannot be sent twice/.test(e.message),
        );
      } finally {
        s.close();
      }
    }));

  it('resolves a relative Location against the current URL', () =>
    spawn(() => {
      const s = redirecting();
      try {
        const response = http.get(`${s.base}/relative/deep/page`);
        assert.equal(response.url, `${s.base}/relative/done`);
        assert.equal(response.json<any>().url, '/relative/done');
      } finally {
        s.close();
      }
    }));

  it('stops after maxRedirects with a TooManyRedirectsError holding the chain', () =>
    spawn(() => {
      const s = redirecting();
      try {
        assert.throws(
          () => http.get(`${s.base}/loop/0`),
          (e: unknown) =>
            e instanceof http.TooManyRedirectsError &&
            e.chain.length === 12 &&
            e.chain[11] === `${s.base}/loop/11` &&
            e.message.startsWith(`${s.base}/loop/0: more than 10 redirects`),
        );
        assert.throws(() => http.get(`${s.base}/loop/0`, { maxRedirects: 2 }), (e: unknown) => e instanceof http.TooManyRedirectsError && e.chain.length === 4);
        assert.equal(http.get(`${s.base}/loop/0`, { maxRedirects: 3, redirect: 'manual' }).status, 302);
      } finally {
        s.close();
      }
    }));

  it("redirect: 'manual' returns the 3xx response; 'error' throws a RedirectError", () =>
    spawn(() => {
      const s = redirecting();
      try {
        const response = http.get(`${s.base}/301`, { redirect: 'manual' });
        assert.equal(response.status, 301);
        assert.equal(response.headers.get('location'), '/done');
        assert.equal(response.text(), 'moved');
        assert.throws(() => http.get(`${s.base}/301`, { redirect: 'error' }), http.RedirectError);
      } finally {
        s.close();
      }
    }));

  it('sends only the safe headers to another origin: credentials and custom headers stay behind unless asked for', () =>
    spawn(() => {
      const other = nodeServer(echo);
      const s = nodeServer((req, res) => {
        if (req.url === '/here') return echo(req, res);
        res.statusCode = 302;
        res.setHeader('Location', req.url === '/away' ? `${other.base}/landed` : '/here');
        res.end();
      });
      try {
        const headers = { Authorization: 'Bearer secret', Cookie: 'id=1', 'X-Api-Key': 'k1', Accept: 'application/json', 'User-Agent': 'test' };
        const same = http.get(`${s.base}/start`, { headers }).json<any>();
        assert.equal(same.headers.authorization, 'Bearer secret');
        assert.equal(same.headers['x-api-key'], 'k1', 'the same origin gets everything');
        const away = http.get(`${s.base}/away`, { headers }).json<any>();
        assert.equal(away.url, '/landed');
        assert.equal(away.headers.authorization, undefined);
        assert.equal(away.headers.cookie, undefined);
        assert.equal(away.headers['x-api-key'], undefined, 'a custom header may be a credential too');
        assert.equal(away.headers.accept, 'application/json');
        assert.equal(away.headers['user-agent'], 'test');
        assert.equal(away.headers.host, other.base.slice('http://'.length));
        const named = http.get(`${s.base}/away`, { headers, crossOriginHeaders: ['X-API-KEY'] }).json<any>();
        assert.equal(named.headers['x-api-key'], 'k1');
        assert.equal(named.headers.authorization, undefined);
        const all = http.get(`${s.base}/away`, { headers, crossOriginHeaders: 'all' }).json<any>();
        assert.equal(all.headers.authorization, 'Bearer secret');
        assert.equal(all.headers.host, other.base.slice('http://'.length), 'Host never follows');
        assert.throws(() => http.get(`${s.base}/away`, { crossOriginHeaders: 'some' as 'all' }), /crossOriginHeaders is 'safe', 'all' or a list/);
        assert.throws(() => http.get(`${s.base}/away`, { allowInsecureRedirect: 1 as unknown as boolean }), /allowInsecureRedirect must be a boolean/);
      } finally {
        s.close();
        other.close();
      }
    }));

  it('refuses a redirect from https: to http: with an InsecureRedirectError, and follows it when allowed', async () => {
    const fixtures = makeTlsFixtures();
    const seen: string[] = [];
    const plain = nodeHttp.createServer((req, res) => {
      seen.push(`${req.url} ${req.headers['x-api-key'] ?? '-'}`);
      res.end('plain');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainBase = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const secure = nodeHttps.createServer({ cert: fixtures.localhost.cert, key: fixtures.localhost.key }, (req, res) => {
      res.statusCode = 302;
      res.setHeader('Location', `${plainBase}/downgraded`);
      res.end();
    });
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    const secureBase = `https://localhost:${(secure.address() as AddressInfo).port}`;
    try {
      await spawn(() => {
        const pool = new http.ConnectionPool({ tls: { ca: fixtures.ca } });
        try {
          const headers = { 'X-Api-Key': 'k1' };
          assert.throws(
            () => http.get(`${secureBase}/start`, { pool, headers, timeout: 10 }),
            (e: unknown) => e instanceof http.InsecureRedirectError && e instanceof http.RedirectError && e.status === 302 &&
              e.location === `${plainBase}/downgraded` && /from https: to http:.*allowInsecureRedirect: true/.test(e.message),
          );
          assert.deepEqual(seen, [], 'nothing reached the plain server');
          const followed = http.get(`${secureBase}/start`, { pool, headers, timeout: 10, allowInsecureRedirect: true });
          assert.equal(followed.text(), 'plain');
          assert.deepEqual(seen, ['/downgraded -'], 'allowed, it still keeps the key from the other origin');
        } finally {
          pool.close();
        }
      });
    } finally {
      secure.closeAllConnections();
      secure.close();
      plain.closeAllConnections();
      plain.close();
      removeTlsFixtures(fixtures);
    }
  });
});

describe('http client: body limits', () => {
  const MiB = 1024 * 1024;

  /** A hostile server: after the head, chunk after chunk of 64 KiB, forever (until the client goes away). */
  function endlessServer(): RawServer {
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 'x'), Buffer.from('\r\n')]);
    return rawServer((conn) => {
      readRequestHead(conn.makefile('rb'));
      conn.sendAll('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      try {
        for (;;) conn.sendAll(chunk);
      } catch {
        // The client closed: what a limit does.
      }
    });
  }

  it('stops a whole-body read of an endless body at maxBodySize with a ResponseTooLargeError, holding no more than that', () =>
    spawn(() => {
      const s = endlessServer();
      try {
        assert.throws(() => http.get(s.base, { maxBodySize: 4 * MiB }).text(), (e: unknown) =>
          e instanceof http.ResponseTooLargeError && e.limit === 4 * MiB && e.declaredLength === null &&
          /larger than maxBodySize \(4194304 bytes.*iterate over the response/.test(e.message));
        // The default limit (64 MiB) holds too: memory grows by about that, and not without end (before the
        // limit, the client went from 0.5 to 3.1 GB in 10 s and kept growing).
        global.gc?.();
        const before = process.memoryUsage().rss;
        assert.throws(() => http.get(s.base).buffer(), (e: unknown) => e instanceof http.ResponseTooLargeError && e.limit === 64 * MiB);
        const grown = (process.memoryUsage().rss - before) / MiB;
        assert.ok(grown < 200, `RSS grew by ${grown.toFixed(0)} MiB`);
      } finally {
        s.close();
      }
    }));

  it('refuses a declared Content-Length over the limit before reading, and reads any size piece by piece', () =>
    spawn(() => {
      const s = rawServer((conn) => {
        // One response per connection, so that no kept-alive connection is left waiting when the test ends.
        if (readRequestHead(conn.makefile('rb')) === null) return;
        conn.sendAll(`HTTP/1.1 200 OK\r\nContent-Length: ${3 * MiB}\r\nConnection: close\r\n\r\n`);
        const piece = Buffer.alloc(MiB, 'y');
        for (let i = 0; i < 3; i++) conn.sendAll(piece);
      });
      try {
        assert.throws(() => http.get(s.base, { maxBodySize: MiB }).json(), (e: unknown) =>
          e instanceof http.ResponseTooLargeError && e.declaredLength === 3 * MiB && /Content-Length 3145728/.test(e.message));
        let read = 0;
        for (const piece of http.get(s.base, { maxBodySize: MiB })) read += piece.length;
        assert.equal(read, 3 * MiB, 'iteration is not limited');
        assert.equal(http.get(s.base, { maxBodySize: null }).buffer().length, 3 * MiB, 'null: no limit');
        assert.equal(http.get(s.base, { maxBodySize: 3 * MiB }).buffer().length, 3 * MiB, 'exactly the limit is fine');
        assert.throws(() => http.get(s.base, { maxBodySize: -1 }), /maxBodySize must be an integer >= 0 or null, not -1/);
      } finally {
        s.close();
      }
    }));
});

describe('http client: connection pool', () => {
  it('reuses one connection for sequential requests (keep-alive)', () =>
    spawn(() => {
      const s = nodeServer(echo);
      const pool = new http.ConnectionPool();
      try {
        for (let i = 0; i < 5; i++) assert.equal(http.get(`${s.base}/${i}`, { pool }).json<any>().url, `/${i}`);
        assert.equal(s.connections(), 1);
        assert.deepEqual(pool.statistics(), { origins: 1, idle: 1, inUse: 0, opened: 1, reused: 4 });
        // A body left unread holds its connection: the next request needs another.
        const unread = http.get(`${s.base}/a`, { pool });
        http.get(`${s.base}/b`, { pool }).discard();
        assert.equal(s.connections(), 2);
        unread.close();
        assert.equal(pool.statistics().idle, 1);
      } finally {
        pool.close();
        s.close();
      }
    }));

  it('does not reuse a connection the response said to close, nor an idle one past the idle timeout', () =>
    spawn(() => {
      const s = nodeServer((req, res) => {
        if (req.url === '/close') res.setHeader('Connection', 'close');
        res.end('ok');
      });
      const pool = new http.ConnectionPool({ idleTimeout: 0.05 });
      try {
        http.get(`${s.base}/close`, { pool }).text();
        http.get(`${s.base}/`, { pool }).text();
        assert.equal(s.connections(), 2);
        sleep(0.1);
        http.get(`${s.base}/`, { pool }).text();
        assert.equal(s.connections(), 3);
        http.get(`${s.base}/`, { pool, headers: { Connection: 'close' } }).text();
        assert.equal(pool.statistics().idle, 0);
      } finally {
        pool.close();
        s.close();
      }
    }));

  it('replaces an idle connection the server has closed', () =>
    spawn(() => {
      const s = nodeServer((_req, res) => res.end('ok'));
      const pool = new http.ConnectionPool();
      try {
        assert.equal(http.get(s.base, { pool }).text(), 'ok');
        s.server.closeIdleConnections();
        sleep(0.05);
        assert.equal(http.get(s.base, { pool }).text(), 'ok');
        assert.equal(s.connections(), 2);
      } finally {
        pool.close();
        s.close();
      }
    }));

  it('retries an idempotent request once when a reused connection dies before any response byte', () =>
    spawn(() => {
      // Each connection answers one request, then reads the next one and hangs up without a word: the race of a
      // server closing an idle connection just as the client sends on it.
      let accepted = 0;
      const s = rawServer((conn) => {
        accepted++;
        const file = conn.makefile('r');
        if (readRequestHead(file) === null) return;
        conn.sendAll('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        readRequestHead(file);
      });
      const pool = new http.ConnectionPool();
      try {
        assert.equal(http.get(s.base, { pool }).text(), 'ok');
        assert.equal(http.get(s.base, { pool }).text(), 'ok');
        assert.equal(accepted, 2);
        // A POST is not sent twice: the failure is the caller's to see.
        assert.throws(
          () => http.request(s.base, { pool, method: 'POST', body: 'once' }),
          (e: unknown) => e instanceof ConnectionResetError && /without sending a response/.test(e.message),
        );
      } finally {
        pool.close();
        s.close();
      }
    }));

  it('serves 50 green threads at once against one origin; maxConnectionsPerOrigin bounds the sockets', () =>
    spawn(() => {
      let inFlight = 0;
      let most = 0;
      // The first requests are held until more than 10 are in flight at once, however slowly a loaded machine
      // sends them (or for 10 s, when the client cannot: the assertion below then says how many it managed).
      let held: (() => void)[] | null = [];
      const release = () => {
        const waiting = held ?? [];
        held = null;
        for (const respond of waiting) respond();
      };
      const gateTimer = setTimeout(release, 10_000);
      const s = nodeServer((req, res) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const respond = () =>
          setTimeout(() => {
            inFlight--;
            res.end(req.url);
          }, 5);
        if (held === null) return respond();
        held.push(respond);
        if (inFlight > 10) release();
      });
      try {
        const pool = new http.ConnectionPool();
        const urls = Array.from({ length: 50 }, (_, i) => `${s.base}/page/${i}`);
        const bodies = [...new GreenPool(50).imap((url: string) => http.get(url, { pool }).text(), urls)];
        clearTimeout(gateTimer);
        assert.deepEqual(bodies, urls.map((u) => u.slice(s.base.length)));
        assert.ok(most > 10, `only ${most} requests were in flight at once`);
        assert.equal(pool.statistics().inUse, 0);
        assert.ok(pool.statistics().idle <= 10);
        // A second round reuses what was kept.
        const before = s.connections();
        [...new GreenPool(10).imap((url: string) => http.get(url, { pool }).text(), urls)];
        assert.equal(s.connections(), before);
        pool.close();

        const bounded = new http.ConnectionPool({ maxConnectionsPerOrigin: 5 });
        const start = s.connections();
        most = 0;
        const again = [...new GreenPool(50).imap((url: string) => http.get(url, { pool: bounded }).text(), urls)];
        assert.equal(again.length, 50);
        assert.ok(s.connections() - start <= 5, `${s.connections() - start} connections`);
        assert.ok(most <= 5);
        bounded.close();
      } finally {
        s.close();
      }
    }));

  it('a response dropped with its body unread gives its connection back once garbage-collected', function () {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) this.skip();
    return spawn(() => {
      const s = nodeServer((_req, res) => res.end('never read'));
      const pool = new http.ConnectionPool({ maxConnectionsPerOrigin: 1 });
      try {
        (() => void http.get(s.base, { pool }))();
        assert.equal(pool.statistics().inUse, 1);
        until(() => {
          gc!();
          return pool.statistics().inUse === 0;
        }, 'the forgotten response is collected');
        assert.equal(http.get(s.base, { pool, timeout: 1 }).text(), 'never read');
      } finally {
        pool.close();
        s.close();
      }
    });
  });

  it('discard() keeps the connection after a short body, and closes it rather than read a long one', () =>
    spawn(() => {
      const s = nodeServer((req, res) => res.end(req.url === '/long' ? Buffer.alloc(1 << 20) : 'short'));
      const pool = new http.ConnectionPool();
      try {
        http.get(`${s.base}/short`, { pool }).discard();
        assert.equal(pool.statistics().idle, 1);
        http.get(`${s.base}/long`, { pool }).discard();
        assert.equal(pool.statistics().idle, 0);
        assert.equal(s.connections(), 1);
      } finally {
        pool.close();
        s.close();
      }
    }));

  it('a closed pool refuses requests, and closes a connection that comes back to it', () =>
    spawn(() => {
      const s = nodeServer((_req, res) => res.end('ok'));
      const pool = new http.ConnectionPool();
      try {
        const response = http.get(s.base, { pool });
        pool.close();
        assert.equal(response.text(), 'ok');
        assert.equal(pool.statistics().idle, 0);
        assert.throws(() => http.get(s.base, { pool }), http.PoolClosedError);
      } finally {
        s.close();
      }
    }));

  it('opens connections through the pool connector when one is given', () =>
    spawn(() => {
      const s = nodeServer((_req, res) => res.end('via connector'));
      const port = Number(new URL(s.base).port);
      const dialed: string[] = [];
      const pool = new http.ConnectionPool({
        connector: (origin, timeout) => {
          dialed.push(`${origin.protocol}//${origin.host}:${origin.port}`);
          return tcpConnector({ ...origin, host: '127.0.0.1', port }, timeout);
        },
      });
      try {
        assert.equal(http.get('http://example.invalid/', { pool }).text(), 'via connector');
        assert.deepEqual(dialed, ['http://example.invalid:80']);
      } finally {
        pool.close();
        s.close();
      }
    }));
});

describe('http client: failures', () => {
  it('a server that never answers is a SocketTimeoutError within the timeout', () =>
    spawn(() => {
      const s = rawServer((conn) => {
        conn.recv(4096);
        conn.recv(4096); // returns when the client gives up and closes
      });
      try {
        const t0 = performance.now();
        assert.throws(() => http.get(s.base, { timeout: 0.2 }), SocketTimeoutError);
        const took = secondsSince(t0);
        assert.ok(took >= 0.19 && took < 1.5, `took ${took} s`);
      } finally {
        s.close();
      }
    }));

  it('the timeout bounds each read of the body too', () =>
    spawn(() => {
      const s = replyingServer('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part', false);
      try {
        const response = http.get(s.base, { timeout: 0.2 });
        assert.throws(() => response.text(), SocketTimeoutError);
      } finally {
        s.close();
      }
    }));

  it('connection refused is a ConnectionRefusedError', () =>
    spawn(() => {
      const probe = listen(['127.0.0.1', 0]);
      const port = (probe.getSockName() as { port: number }).port;
      probe.close();
      assert.throws(() => http.get(`http://127.0.0.1:${port}/`), ConnectionRefusedError);
    }));

  function protocolError(reply: string | Buffer, pattern: RegExp, read = false): void {
    const s = replyingServer(reply);
    try {
      assert.throws(
        () => {
          const response = http.get(`${s.base}/x`);
          if (read) response.text();
        },
        (e: unknown) => e instanceof http.HttpProtocolError && pattern.test(e.message) && e.url === `${s.base}/x`,
      );
    } finally {
      s.close();
    }
  }

  it('a malformed status line or header is an HttpProtocolError', () =>
    spawn(() => {
      protocolError('HTTP/2 200 OK\r\n\r\n', /not an HTTP\/1.x status line/);
      protocolError('ICY 200 OK\r\n\r\n', /not an HTTP\/1.x status line/);
      protocolError('HTTP/1.1 20 OK\r\n\r\n', /status line/);
      protocolError('HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n', /not a header line/);
      protocolError('HTTP/1.1 200 OK\r\nSpace before : colon\r\n\r\n', /not a header line/);
      protocolError('HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n', /bad Content-Length/);
      protocolError('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', /bad Content-Length/);
      protocolError('HTTP/1.1 200 OK\r\nContent-Le', /closed in the middle of the headers/);
      protocolError('HTTP/1.1 101 Switching Protocols\r\n\r\n', /101/);
    }));

  it('a bad chunk size, or a chunk overrunning its size, is an HttpProtocolError', () =>
    spawn(() => {
      const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
      protocolError(`${chunked}zz\r\nhello\r\n0\r\n\r\n`, /bad chunk size: "zz"/, true);
      protocolError(`${chunked}-5\r\nhello\r\n0\r\n\r\n`, /bad chunk size/, true);
      protocolError(`${chunked}3\r\nhello\r\n0\r\n\r\n`, /chunk data longer than its size/, true);
      protocolError(`${chunked}5\r\nhel`, /closed in the middle of a chunk/, true);
      // Extensions and trailers are fine.
      const s = replyingServer(`${chunked}5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n`);
      try {
        assert.equal(http.get(s.base).text(), 'hello world');
      } finally {
        s.close();
      }
    }));

  it('a body cut short is an HttpProtocolError', () =>
    spawn(() => {
      protocolError('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', /the body ended after 5 of its 10 bytes/, true);
    }));

  it('headers over 64 KiB, or over 100 fields, are an HttpProtocolError', () =>
    spawn(() => {
      protocolError(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`, /larger than 65536 bytes/);
      const many = Array.from({ length: 101 }, (_, i) => `X-H${i}: v\r\n`).join('');
      protocolError(`HTTP/1.1 200 OK\r\n${many}\r\n`, /more than 100 header fields/);
      // Exactly 100 fields pass.
      const hundred = Array.from({ length: 100 }, (_, i) => `X-H${i}: v\r\n`).join('');
      const s = replyingServer(`HTTP/1.1 200 OK\r\n${hundred}Content-Length: 0\r\n\r\n`.replace('X-H99: v\r\n', ''));
      try {
        assert.equal(http.get(s.base).status, 200);
      } finally {
        s.close();
      }
    }));

  it('rejects bad URLs, schemes and options with a TypeError or RangeError', () =>
    spawn(() => {
      assert.throws(() => http.get('not a url'), TypeError);
      assert.throws(() => http.get('ftp://example.com/'), /speaks http: and https:/);
      assert.throws(() => http.request('http://127.0.0.1:1/', { method: 'GE T' }), TypeError);
      assert.throws(() => http.request('http://127.0.0.1:1/', { redirect: 'sometimes' as 'follow' }), TypeError);
      assert.throws(() => http.request('http://127.0.0.1:1/', { maxRedirects: -1 }), RangeError);
      assert.throws(() => http.request('http://127.0.0.1:1/', { timeout: -1 }), RangeError);
      assert.throws(() => new http.ConnectionPool({ maxConnectionsPerOrigin: 0 }), RangeError);
    }));

  it('https: talks to a real HTTPS server, verifying its certificate (a pool with our CA), and refuses an unknown CA', async () => {
    // Node's TLS objects are made on the main stack: on the threads backend, Node 24+ aborts when node:tls
    // runs on another OS thread.
    const fixtures = makeTlsFixtures();
    const server = nodeHttps.createServer({ cert: fixtures.localhost.cert, key: fixtures.localhost.key }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url, host: req.headers.host, alpn: (req.socket as TLSSocket).alpnProtocol }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      await spawn(() => {
        const pool = new http.ConnectionPool({ tls: { ca: fixtures.ca } });
        try {
          for (const host of ['localhost', '127.0.0.1']) {
            const body = http.get(`https://${host}:${port}/secure?x=1`, { pool, timeout: 10 }).json<any>();
            assert.deepEqual(body, { url: '/secure?x=1', host: `${host}:${port}`, alpn: 'http/1.1' });
          }
          // Keep-alive over TLS: the second request to an origin reuses its connection.
          http.get(`https://localhost:${port}/again`, { pool, timeout: 10 }).text();
          assert.ok(pool.statistics().reused >= 1, JSON.stringify(pool.statistics()));
          // The shared pool verifies against the system CAs, which do not know our test CA.
          assert.throws(() => http.get(`https://localhost:${port}/`, { timeout: 10 }), CertificateVerificationError);
        } finally {
          pool.close();
        }
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      removeTlsFixtures(fixtures);
    }
  });

  it('sends credentials in the URL as Basic authorization, and leaves them out of Response.url', () =>
    spawn(() => {
      const s = nodeServer(echo);
      try {
        const url = s.base.replace('http://', 'http://user:p%40ss@');
        const response = http.get(`${url}/private`);
        assert.equal(response.url, `${s.base}/private`);
        assert.equal(response.json<any>().headers.authorization, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
      } finally {
        s.close();
      }
    }));
});

// The Request a bodiless request's handler gets: a stand-in that builds the real Request on first need where Node's
// fetch implementation lets it (lib/http/server/lazy-request.ts), a real Request elsewhere. Either way it must
// behave as a Request for everything a handler may do with one, through a real server and client.
import { strict as assert } from 'node:assert';
import * as nodeHttp from 'node:http';
import { spawn, wait } from 'verdant';
import * as http from '../../lib/http';
import { LAZY_REQUESTS } from '../../lib/http/server/lazy-request';

const nodeMajor = Number(process.versions.node.split('.')[0]);

/** Serves one request with `inspect`, sends it with Node's client, and returns what `inspect` returned. */
function seen<T>(inspect: (req: Request) => T, path = '/a/./b/../c?q=1', headers: Record<string, string> = {}): T {
  let result: T | undefined;
  let failure: unknown = null;
  const server = http.serve((req) => {
    try {
      result = inspect(req);
    } catch (error) {
      failure = error;
    }
    return { body: 'ok' };
  }, { host: '127.0.0.1', port: 0, errorLog: () => {} });
  try {
    const port = (server.address as { port: number }).port;
    wait(new Promise<void>((resolve, reject) => {
      nodeHttp.get({ host: '127.0.0.1', port, path, headers: { 'x-multi': ['one', 'two'] as unknown as string, ...headers } }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    }));
  } finally {
    server.stop({ timeout: 1 });
  }
  if (failure !== null) throw failure;
  return result as T;
}

describe('http server: the Request of a bodiless request', () => {
  it('is the stand-in exactly where Node keeps Request state under symbol keys (Node 20 and 22)', () => {
    assert.equal(LAZY_REQUESTS, nodeMajor < 24);
  });

  it('is a Request: method, normalized URL, headers (repeated fields joined), signal, no body', () =>
    spawn(() => {
      const got = seen((req) => ({
        isRequest: req instanceof Request,
        tag: Object.prototype.toString.call(req),
        method: req.method,
        url: req.url,
        multi: req.headers.get('x-multi'),
        host: req.headers.get('host'),
        signal: req.signal instanceof AbortSignal && !req.signal.aborted,
        body: req.body,
        bodyUsed: req.bodyUsed,
        mode: req.mode,
      }));
      assert.equal(got.isRequest, true);
      assert.equal(got.tag, '[object Request]');
      assert.equal(got.method, 'GET');
      assert.match(got.url, /^http:\/\/127\.0\.0\.1:\d+\/a\/c\?q=1$/);
      assert.equal(got.multi, 'one, two');
      assert.match(got.host!, /^127\.0\.0\.1:\d+$/);
      assert.equal(got.signal, true);
      assert.equal(got.body, null);
      assert.equal(got.bodyUsed, false);
      assert.equal(got.mode, 'cors');
    }));

  it('can be copied, cloned, used as init, read and handed to fetch machinery like a real Request', () =>
    spawn(() => {
      const got = seen((req) => {
        const copy = new Request(req);
        const viaInit = new Request('http://elsewhere.test/x', req);
        const clone = req.clone();
        const withBody = new Request(req, { method: 'POST', body: 'payload' });
        return {
          copy: [copy.method, copy.url === req.url, copy.headers.get('x-multi')],
          viaInit: [viaInit.method, viaInit.url, viaInit.headers.get('x-multi')],
          clone: [clone.url === req.url, clone.headers.get('x-test')],
          text: wait(req.text()),
          withBody: [withBody.method, wait(withBody.text())],
        };
      }, '/p', { 'x-test': 'yes' });
      assert.deepEqual(got.copy, ['GET', true, 'one, two']);
      assert.deepEqual(got.viaInit, ['GET', 'http://elsewhere.test/x', 'one, two']);
      assert.deepEqual(got.clone, [true, 'yes']);
      assert.equal(got.text, '');
      assert.deepEqual(got.withBody, ['POST', 'payload']);
    }));

  it('headers read before the copy are the ones the copy gets; the header list is the request\'s own', () =>
    spawn(() => {
      const got = seen((req) => {
        const before = req.headers.get('x-test');
        req.headers.set('x-added', '1');
        const copy = new Request(req);
        return { before, added: req.headers.get('x-added'), copied: copy.headers.get('x-added') };
      }, '/h', { 'x-test': 'v' });
      assert.equal(got.before, 'v');
      assert.equal(got.added, '1');
      assert.equal(got.copied, '1');
    }));
});

// The fast Response a server installs as the global: it must be a Response to everything a handler can do with
// one, refuse what Node's refuses with the same errors, and be sent exactly as the real one would be.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { spawn, wait } from 'verdant';
import * as http from '../../lib/http';
import { FAST_RESPONSE, fastParts, NativeResponse } from '../../lib/http/server/fast-response';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** A server with the fast Response installed; runs `body` with its base URL, then stops it. */
function withServer(handler: http.Handler, body: (base: string) => void): void {
  const server = http.serve(handler, { host: '127.0.0.1', port: 0, errorLog: () => {} });
  try {
    body(`http://127.0.0.1:${(server.address as { port: number }).port}`);
  } finally {
    server.stop({ timeout: 1 });
  }
}

/** Whatever a constructor call throws: its class and message, or 'ok'. */
function outcome(make: () => unknown): string {
  try {
    make();
    return 'ok';
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
}

describe('http server: the fast Response', () => {
  before(() => {
    assert.ok(FAST_RESPONSE, `the fast Response must pass its probe on every supported Node (this is ${process.version})`);
    // Any server installs it; start one to be sure this file does not depend on another's.
    return spawn(() => {
      withServer(() => new Response('x'), () => {});
      assert.notEqual(globalThis.Response, NativeResponse);
    });
  });

  it('is a Response both ways, with the statics, subclasses and the accessors a handler uses', () => {
    const fast = new Response('hello', { status: 201, statusText: 'Made', headers: { 'X-One': '1' } });
    assert.ok(fastParts(fast) !== null, 'made without the real Response');
    assert.ok(fast instanceof Response && fast instanceof NativeResponse);
    assert.ok(new NativeResponse('x') instanceof Response, 'a real Response is an instance of the installed class');
    assert.equal(Object.prototype.toString.call(fast), '[object Response]');
    assert.equal(Response.name, 'Response');
    assert.deepEqual([fast.status, fast.statusText, fast.ok, fast.type, fast.url, fast.redirected, fast.bodyUsed], [201, 'Made', true, 'default', '', false, false]);
    assert.equal(fast.headers.get('x-one'), '1');
    assert.equal(fast.headers.get('content-type'), 'text/plain;charset=UTF-8', 'a string body is text/plain, as Node says');
    assert.ok(fastParts(fast) !== null, 'reading status and headers keeps it fast');

    const json = Response.json({ a: 1 }, { status: 202 });
    assert.equal(json.status, 202);
    assert.equal(json.headers.get('content-type'), 'application/json');
    assert.equal(Response.redirect('http://example.test/', 301).headers.get('location'), 'http://example.test/');
    assert.equal(Response.error().type, 'error');

    class Tagged extends Response {
      readonly tag = 'mine';
    }
    const tagged = new Tagged('sub', { status: 203 });
    assert.ok(tagged instanceof Tagged && tagged instanceof Response);
    assert.equal(tagged.tag, 'mine');
    assert.equal(tagged.status, 203);
  });

  it('reads its body, clones and copies as the real one does, and stops being fast then', () =>
    spawn(() => {
      const text = new Response('body text');
      assert.equal(wait(text.text()), 'body text');
      assert.ok(text.bodyUsed);
      assert.equal(fastParts(text), null);
      assert.deepEqual(wait(new Response('{"k":[1]}').json()), { k: [1] });
      assert.deepEqual([...new Uint8Array(wait(new Response(new Uint8Array([7, 8])).arrayBuffer()))], [7, 8]);

      const original = new Response('twice', { status: 299, headers: [['x-pair', 'p']] });
      const clone = original.clone();
      assert.deepEqual([clone.status, clone.headers.get('x-pair'), wait(clone.text())], [299, 'p', 'twice']);
      assert.equal(wait(original.text()), 'twice');
      const copied = new NativeResponse('c', new Response(null, { status: 250, statusText: 'Copied' }));
      assert.deepEqual([copied.status, copied.statusText], [250, 'Copied']);

      const reader = new Response('streamed').body!.getReader();
      assert.equal(Buffer.from(wait(reader.read()).value!).toString(), 'streamed');
      if (NODE_MAJOR < 24) {
        // Node 20 and 22 keep a Response's state under symbols, which the fast one forwards.
        assert.equal(wait(NativeResponse.prototype.text.call(new Response('direct'))), 'direct');
      }
    }));

  it('refuses what Node refuses, with the same errors', () => {
    const cases: [string, () => unknown, () => unknown][] = [
      ['status 99', () => new Response('x', { status: 99 }), () => new NativeResponse('x', { status: 99 })],
      ['status 600', () => new Response('x', { status: 600 }), () => new NativeResponse('x', { status: 600 })],
      ['a body with 204', () => new Response('x', { status: 204 }), () => new NativeResponse('x', { status: 204 })],
      ['a bad header name', () => new Response('x', { headers: { 'bad name': 'v' } }), () => new NativeResponse('x', { headers: { 'bad name': 'v' } })],
      ['a header with CR LF', () => new Response('x', { headers: { a: 'v\r\nb: c' } }), () => new NativeResponse('x', { headers: { a: 'v\r\nb: c' } })],
      ['a bad status text', () => new Response('x', { statusText: 'a\nb' }), () => new NativeResponse('x', { statusText: 'a\nb' })],
    ];
    for (const [what, fast, native] of cases) {
      const expected = outcome(native);
      assert.notEqual(expected, 'ok', `Node refuses ${what}`);
      assert.equal(outcome(fast), expected, what);
    }
    // What Node converts, the fast one converts the same way.
    const trimmed = new Response('x', { headers: { a: '  padded  ', n: 5 as unknown as string } });
    assert.deepEqual([trimmed.headers.get('a'), trimmed.headers.get('n')], ['padded', '5']);
    const bytes = new Uint8Array([1, 2, 3]);
    const fromBytes = new Response(bytes);
    bytes[0] = 9;
    assert.deepEqual([...(fastParts(fromBytes)!.body as Uint8Array)], [1, 2, 3], 'bytes are copied, as Node copies them');
    assert.equal(fromBytes.headers.get('content-type'), null);
  });

  it('is sent as given: status, text, fields from an object, pairs or Headers, and changes made to its headers', () =>
    spawn(() => {
      withServer((req) => {
        const path = new URL(req.url).pathname;
        if (path === '/object') return new Response('obj', { status: 207, statusText: 'Lots', headers: { 'X-Kind': 'object', 'Content-Type': 'text/x-obj' } });
        if (path === '/pairs') return new Response(new Uint8Array([104, 105]), { headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2']] });
        if (path === '/headers') return new Response('hdr', { headers: new Headers({ 'x-kind': 'headers' }) });
        if (path === '/changed') {
          const res = new Response('changed', { headers: { 'x-before': '1' } });
          res.headers.set('x-after', '2');
          res.headers.delete('x-before');
          return res;
        }
        if (path === '/used') {
          const res = new Response('read back', { status: 202 });
          void res.clone();  // the real Response exists now
          return res;
        }
        if (path === '/empty') return new Response(null, { status: 204 });
        return new Response('plain');
      }, (base) => {
        const object = http.request(`${base}/object`);
        assert.deepEqual([object.status, object.statusText, object.headers.get('x-kind'), object.headers.get('content-type'), object.text()],
          [207, 'Lots', 'object', 'text/x-obj', 'obj']);
        const pairs = http.request(`${base}/pairs`);
        assert.deepEqual([pairs.headers.getSetCookie(), pairs.headers.get('content-type'), pairs.text()], [['a=1', 'b=2'], null, 'hi']);
        const headers = http.request(`${base}/headers`);
        assert.deepEqual([headers.headers.get('x-kind'), headers.headers.get('content-type'), headers.text()], ['headers', 'text/plain;charset=UTF-8', 'hdr']);
        const changed = http.request(`${base}/changed`);
        assert.deepEqual([changed.headers.get('x-after'), changed.headers.get('x-before'), changed.text()], ['2', null, 'changed']);
        const used = http.request(`${base}/used`);
        assert.deepEqual([used.status, used.text()], [202, 'read back']);
        const empty = http.request(`${base}/empty`);
        assert.deepEqual([empty.status, empty.text()], [204, '']);
        const plain = http.request(`${base}/`);
        assert.deepEqual([plain.headers.get('content-type'), plain.headers.get('content-length'), plain.text()], ['text/plain;charset=UTF-8', '5', 'plain']);
      });
    }));

  it('is not installed with fastResponse: false, nor without a server', () => {
    const entry = JSON.stringify(join(__dirname, '..', '..', 'lib'));
    const script = `
      const { run, http } = require(${entry});
      const before = globalThis.Response;
      require(${JSON.stringify(join(__dirname, '..', '..', 'lib', 'http', 'server', 'fast-response'))});
      const afterLoad = globalThis.Response === before;
      run(() => {
        http.serve(() => new Response('x'), { host: '127.0.0.1', port: 0, fastResponse: false }).stop();
        const afterOptOut = globalThis.Response === before;
        http.serve(() => new Response('x'), { host: '127.0.0.1', port: 0 }).stop();
        console.log(JSON.stringify([afterLoad, afterOptOut, globalThis.Response === before]));
      });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), [true, true, false]);
  });
});

// The launcher's policies, as pure functions: when a worker is recycled, how long to wait after workers die
// young, and which export of an app module is its handler.
import { strict as assert } from 'node:assert';
import { RestartBackoff, handlerOf, recycleReason } from '../../lib/launcher';

describe('launcher policies', () => {
  it('recycles past the first limit reached, and never without limits', () => {
    const none = { maxRequests: null, maxAge: null, maxMemory: null };
    assert.equal(recycleReason(none, { requests: 1e9, rss: 1e12, age: 1e6 }), null);
    const limits = { maxRequests: 100, maxAge: 60, maxMemory: 512 };
    assert.equal(recycleReason(limits, { requests: 99, rss: 512 * 1024 * 1024, age: 59.9 }), null);
    assert.equal(recycleReason(limits, { requests: 100, rss: 0, age: 0 }), 'max-requests');
    assert.equal(recycleReason(limits, { requests: 0, rss: 0, age: 60 }), 'max-age');
    assert.equal(recycleReason(limits, { requests: 0, rss: 512 * 1024 * 1024 + 1, age: 0 }), 'max-memory');
  });

  it('backs off while workers die young: at once, then 0.5 s doubling to the cap; a stable worker or a reset starts over', () => {
    const backoff = new RestartBackoff({ initial: 0.5, max: 4, stableAfter: 5 });
    assert.deepEqual([null, null, 1, null, 4.9, null].map((readyFor) => backoff.exited(readyFor)), [0, 0.5, 1, 2, 4, 4]);
    assert.equal(backoff.exited(5), 0, 'a worker that served 5 s was stable');
    assert.equal(backoff.deaths, 0);
    backoff.exited(null);
    backoff.exited(null);
    backoff.reset();
    assert.equal(backoff.exited(null), 0);
  });

  it('finds the handler: a function, a default export, an object with fetch (called on the object), a named fetch', async () => {
    const req = new Request('http://x/');
    const answer = (exported: unknown) => {
      const handler = handlerOf(exported);
      assert.notEqual(handler, null);
      return (handler!(req, {} as never) as Response).text();
    };
    const fn = () => new Response('function');
    assert.equal(handlerOf(fn), fn);
    assert.equal(handlerOf({ default: fn }), fn, 'an ES module namespace');
    const app = { name: 'object', fetch(this: { name: string }) { return new Response(this.name); } };
    assert.equal(await answer(app), 'object', 'module.exports = app; fetch gets its this');
    assert.equal(await answer({ default: app }), 'object', 'export default app');
    assert.equal(await answer({ fetch: () => new Response('named') }), 'named', 'export function fetch');
    for (const nothing of [{}, { default: 42 }, null, 'text', { fetch: 'no' }]) assert.equal(handlerOf(nothing), null);
  });
});

// One Hono app, written as Hono's documentation shows, for test/http/hono.test.ts and bench/http.ts to serve
// through verdant and through @hono/node-server.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { getCookie, setCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { stream, streamSSE } from 'hono/streaming';

export function makeApp(): Hono {
  const app = new Hono();
  app.use('/api/*', cors({ origin: 'https://app.example', allowMethods: ['GET', 'POST'] }));
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('x-powered-by', 'hono');  // changes the Response after the handler made it
  });
  app.get('/', (c) => c.text('Hello Hono!'));
  app.get('/json', (c) => c.json({ ok: true, list: [1, 2, 3] }));
  app.get('/html', (c) => c.html('<h1>hi</h1>'));
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') ?? null, agent: c.req.header('x-agent') ?? null }));
  app.post('/api/echo', async (c) => {
    const body = await c.req.json();
    return c.json({ got: body }, 201, { 'x-created': 'yes' });
  });
  app.post('/form', async (c) => {
    const form = await c.req.parseBody();
    return c.text(`name=${String(form.name)}`);
  });
  app.get('/cookie', (c) => {
    setCookie(c, 'session', 'abc', { httpOnly: true, path: '/' });
    setCookie(c, 'theme', 'dark', { path: '/' });
    return c.text(`had=${getCookie(c, 'had') ?? 'none'}`);
  });
  app.get('/redirect', (c) => c.redirect('/json', 301));
  app.get('/status', (c) => c.body(null, 204));
  app.get('/bytes', (c) => c.body(new Uint8Array([104, 111, 110, 111]), 200, { 'content-type': 'application/octet-stream' }));
  app.get('/error', () => {
    throw new HTTPException(418, { message: 'teapot' });
  });
  app.get('/crash', () => {
    throw new Error('boom');
  });
  app.get('/stream', (c) =>
    stream(c, async (s) => {
      await s.write('first;');
      await s.sleep(30);
      await s.write('second;');
    }));
  app.get('/sse', (c) =>
    streamSSE(c, async (s) => {
      for (let i = 1; i <= 2; i++) await s.writeSSE({ id: String(i), event: 'tick', data: `n${i}` });
    }));
  app.notFound((c) => c.text('nothing here', 404));
  app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.text(`failed: ${error.message}`, 500)));
  return app;
}

// The crawler from eventlet's documents: fetch a list of URLs concurrently, a pool of green threads bounding how
// many are under way, and print the bodies in the order of the list. `fetch` reads as if it blocked; only its
// green thread waits. Run it with
//   node bin/verdant.js run examples/crawler.js              (crawls pages of a little local server)
//   node bin/verdant.js run examples/crawler.js URL [URL...] (crawls those instead)
'use strict';
const nodeHttp = require('node:http');
const { GreenPool, http, wait } = require('..');

function fetch(url) {
  console.log(`opening ${url}`);
  try {
    const body = http.get(url, { timeout: 10 }).raiseForStatus().text();
    console.log(`done with ${url}`);
    return [url, body];
  } catch (error) {
    // One bad URL (refused, timed out, 404, not HTTP) should not stop the crawl: report it with the rest.
    return [url, error];
  }
}

// A server on this machine, so the example runs offline: each page takes 100 to 300 ms to come.
function startLocalSite() {
  const server = nodeHttp.createServer((req, res) => {
    const delay = 100 + ((req.url.length * 37) % 200);
    setTimeout(() => res.end(`<html><body>${req.url} ${'lorem ipsum '.repeat(delay)}</body></html>`), delay);
  });
  wait(new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)));
  return server;
}

const given = process.argv.slice(2);
const site = given.length === 0 ? startLocalSite() : null;
const urls = given.length > 0 ? given : ['/', '/about', '/news', '/news/1', '/news/22', '/contact', '/a/long/path/to/a/page'].map(
  (path) => `http://127.0.0.1:${site.address().port}${path}`,
);

const started = Date.now();
const pool = new GreenPool(10);
for (const [url, body] of pool.imap(fetch, urls)) {
  if (body instanceof Error) console.log(`failed ${url}: ${body.message}`);
  else console.log(`got body from ${url} of length ${body.length}`);
}
console.log(`${urls.length} pages in ${Date.now() - started} ms${site ? ' (each takes 100 to 300 ms on its own)' : ''}`);
site?.close();

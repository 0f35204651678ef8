// A timeout around a request: arm it before the HTTP GET, cancel it after; if it fires first, say so.
//   node bin/verdant.js run examples/legacy/timeout-request.js [url] [seconds, default 30]
'use strict';
const { http } = require('verdant');
const { api } = require('verdant/legacy');

const url = process.argv[2] ?? 'http://example.com/';
const seconds = Number(process.argv[3] ?? 30);

const timer = api.excAfter(seconds, new api.TimeoutError());
try {
  const response = http.get(url);
  console.log(`got ${response.status} with ${response.text().length} characters`);
} catch (error) {
  if (!(error instanceof api.TimeoutError)) throw error;
  console.log('Timed out!');
} finally {
  timer.cancel();
}

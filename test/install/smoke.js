// What a user's first minutes with an installed verdant do, run by scripts/install-test.sh inside a project that
// installed the packed tarball: load it, check which backend it got, ping-pong two greenlets, and echo lines
// through a green server and client. Prints one line per check; any failure throws (exit status 1).
//   node smoke.js <expected backend: fcontext | threads>
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const verdant = require('verdant');

const expected = process.argv[2];
const info = verdant.backend();
assert.equal(info.name, expected, `backend ${JSON.stringify(info)}`);
const addon = require.resolve('verdant').includes(`${path.sep}node_modules${path.sep}verdant${path.sep}`);
assert.ok(addon, `verdant resolved from ${require.resolve('verdant')}, not from the installed package`);
// The fast backend must carry V8's state in its compact record on every line and CPU we ship for.
if (info.name === 'fcontext') assert.equal(info.state, 'record', `backend ${JSON.stringify(info)}`);
console.log(
  `backend: ${info.name}${info.reason ? ` (${info.reason})` : ''}, state: ${info.state}, node ${process.version} ${process.arch}`,
);

let ping;
let pong;
const seen = [];
ping = new verdant.Greenlet((n) => {
  while (n < 65536) n = pong.switch(n * n);
  return n;
});
pong = new verdant.Greenlet((n) => {
  for (;;) {
    seen.push(n);
    n = ping.switch(n * n);
  }
});
assert.equal(ping.switch(2), 65536);
assert.deepEqual(seen, [4, 256]);
console.log('greenlets: ping-pong 2 -> 4 -> 16 -> 256 -> 65536');

verdant.run(() => {
  const server = verdant.listen(['127.0.0.1', 0]);
  const port = server.getSockName().port;
  verdant.spawn(() => {
    const [conn] = server.accept();
    const file = conn.makefile('rw');
    for (const line of file) {
      file.write(line);
      file.flush();
    }
    file.close(); // a file made by makefile() shares the socket's connection: it ends when both are closed
    conn.close();
  });
  const client = verdant.connect(['127.0.0.1', port]);
  const file = client.makefile('rw');
  const lines = ['hello\n', 'green world\n'];
  for (const line of lines) {
    file.write(line);
    file.flush();
    assert.equal(file.readline().toString(), line);
  }
  file.close();
  client.close();
  server.close();
  console.log(`echo: ${lines.length} lines over a green socket on port ${port}`);
});

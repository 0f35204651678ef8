// The classic eventlet echo server: one green thread per client, code that reads as if it blocked.
//   node bin/verdant.js run examples/echo-server.js [port]        then, elsewhere: nc localhost 6000
// Each client's lines come back to it. A GreenPool of 10,000 green threads handles 10,000 clients.
'use strict';
const { GreenPool, listen } = require('..');

const port = Number(process.argv[2] ?? 6000);

function handle(conn, address) {
  const who = `${address.address}:${address.port}`;
  console.log(`client connected: ${who}`);
  const file = conn.makefile('rw');
  for (const line of file) {
    file.write(line); // echo the line back...
    file.flush(); // ...now, not when the buffer fills
  }
  console.log(`client disconnected: ${who}`);
  file.close(); // the file shares the socket's fd: the connection closes when both are closed
  conn.close();
}

const server = listen(['0.0.0.0', port]);
const actual = server.getSockName().port; // port 0 asks the kernel for a free one
console.log(`echo server listening on port ${actual} (try: nc localhost ${actual})`);
const pool = new GreenPool(10000);
for (;;) {
  const [conn, address] = server.accept();
  pool.spawnN(handle, conn, address);
}

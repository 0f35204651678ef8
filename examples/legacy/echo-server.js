// The echo server in eventlet's early API: a listener, and a coroutine spawned for each client.
//   node bin/verdant.js run examples/legacy/echo-server.js [port]        then, elsewhere: nc localhost 6000
'use strict';
const { api } = require('verdant/legacy');

const port = Number(process.argv[2] ?? 6000);

function handle(conn) {
  const file = conn.makefile('rw');
  for (const line of file) {
    file.write(line);
    file.flush();
  }
  file.close(); // the file shares the socket's fd: the connection closes when both are closed
  conn.close();
}

const server = api.tcpListener(['0.0.0.0', port]);
const actual = server.getSockName().port; // port 0 asks the kernel for a free one
console.log(`echo server listening on port ${actual} (try: nc localhost ${actual})`);
for (;;) {
  const [conn] = server.accept();
  api.spawn(handle, conn);
}

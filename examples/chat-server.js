// The classic eventlet chat server: every line a participant types goes to every other participant.
//   node bin/verdant.js run examples/chat-server.js [port]        then, in two other terminals: nc localhost 3000
// One long-lived connection per user, each in its own green thread: thousands per process, little memory.
'use strict';
const { listen, spawnN } = require('..');

const port = Number(process.argv[2] ?? 3000);
const participants = new Set(); // the writers of everyone connected

function readChat(conn, address) {
  const who = `${address.address}:${address.port}`;
  const file = conn.makefile('rw', { encoding: 'utf8' });
  participants.add(file);
  console.log(`participant joined: ${who}`);
  try {
    for (const line of file) {
      for (const other of participants) {
        if (other === file) continue;
        try {
          other.write(line);
          other.flush();
        } catch {
          participants.delete(other); // that participant's connection broke; its own thread cleans up
        }
      }
    }
  } finally {
    participants.delete(file);
    file.close(); // the file shares the socket's fd: the connection closes when both are closed
    conn.close();
    console.log(`participant left: ${who}`);
  }
}

const server = listen(['0.0.0.0', port]);
const actual = server.getSockName().port; // port 0 asks the kernel for a free one
console.log(`chat server listening on port ${actual} (try: nc localhost ${actual} in two terminals)`);
for (;;) {
  const [conn, address] = server.accept();
  spawnN(readChat, conn, address);
}

// The coroutine demo from eventlet's documents: two greenlets hand a number back and forth, squaring it each
// time. Switching is a transfer of control, not a call: each side resumes exactly where it switched out.
'use strict';
const { Greenlet, backend } = require('..');

const info = backend();
console.log(`verdant greenlets on the '${info.name}' backend${info.reason ? ` (${info.reason})` : ''}`);

let ping;
let pong;
ping = new Greenlet((n) => {
  while (n < 65536) {
    console.log(`ping ${n}`);
    n = pong.switch(n * n);
  }
  return n;
});
pong = new Greenlet((n) => {
  for (;;) {
    console.log(`pong ${n}`);
    n = ping.switch(n * n);
  }
});

console.log(`finished with ${ping.switch(2)}`);

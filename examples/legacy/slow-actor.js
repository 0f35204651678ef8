// An actor that takes a while over each message: ten senders cast to it and return at once, and the actor works
// through its mailbox one message at a time.
//   node bin/verdant.js run examples/legacy/slow-actor.js [seconds per message, default 1]
'use strict';
const { api, coros } = require('verdant/legacy');

const seconds = Number(process.argv[2] ?? 1);

class SlowActor extends coros.Actor {
  received(message) {
    console.log(`actor: working on ${message}`);
    api.sleep(seconds);
    console.log(`actor: done with ${message}`);
  }
}

const actor = new SlowActor();

function sender(n) {
  actor.cast(`message ${n}`);
  console.log(`sender ${n}: cast returned`);
}

for (let n = 0; n < 10; n++) api.spawn(sender, n);
// Nothing to wait for: the actor keeps the process alive while it works, and lets it exit once its mailbox is
// empty.

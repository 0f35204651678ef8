// Five coroutines wait on one event; the main one sends it once and all five wake up with the same value.
//   node bin/verdant.js run examples/legacy/event-fanout.js
'use strict';
const { api, coros } = require('verdant/legacy');

const evt = coros.event();

function waiter(id) {
  console.log(`waiter ${id} is waiting`);
  console.log(`waiter ${id} got ${evt.wait()}`);
}

for (let i = 0; i < 5; i++) api.spawn(waiter, i);
api.sleep(0.5);
console.log('sending hello');
evt.send('hello');
api.sleep(0);

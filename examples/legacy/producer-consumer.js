// Producers and consumers sharing one channel, in eventlet's early API. Run it with
//   node bin/verdant.js run examples/legacy/producer-consumer.js
// A channel has no buffer: each send waits until some consumer has taken the value.
'use strict';
const { api, channel } = require('verdant/legacy');

const ch = channel.channel();
let finished = 0;

function producer(id) {
  for (let i = 0; i < 5; i++) ch.send([id, i]);
  finished++;
}

function consumer(id) {
  for (let i = 0; i < 5; i++) {
    const [from, n] = ch.receive();
    console.log(`consumer ${id} received ${n} from producer ${from}`);
  }
  finished++;
}

for (let i = 0; i < 5; i++) {
  api.spawn(producer, i);
  api.spawn(consumer, i);
}
while (finished < 10) api.sleep(0.1);
console.log('all producers and consumers are done');

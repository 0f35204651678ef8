/**
 * GC stress: hundreds of greenlets suspended at various depths, each holding every kind of heap object in its own
 * stack frames, resumed round-robin while the GC moves and frees things. Every held object is checked on every
 * resume (what the bottom frame can reach through the chain) and every frame re-checks its own locals as it
 * unwinds. Run by scripts/stress.sh under the GC flag sets of docs/design (greenlet-mechanism.md).
 */
import { strict as assert } from 'node:assert';
import { Greenlet, getCurrent, stats } from '../../lib';
import { fullGc, HAS_GC, minorGc, scaled } from './util';

const GREENLETS = 400;
const MAX_DEPTH = 24;
// 400 greenlets x 250 rounds = 1e5 round trips at STRESS_SCALE=1.
const ROUNDS = scaled(250);
const MINOR_EVERY = 53;
const MAJOR_EVERY = 997;

const BASE = 'abcdefghij'.repeat(20);

interface Hold {
  obj: { seed: number; name: string; half: number; nested: { x: number; list: number[] } };
  arr: unknown[];
  doubles: number[];
  small: Uint8Array; // on-heap backing store (small typed arrays live in the V8 heap)
  wide: Float64Array; // off-heap backing store
  view: Int32Array; // a view on a shared ArrayBuffer
  closure: () => number;
  map: Map<unknown, unknown>;
  keys: object[];
  one: string;
  two: string;
  cons: string;
  sliced: string;
  big: bigint;
}

function makeHold(seed: number): Hold {
  const arr: unknown[] = [];
  for (let k = 0; k < 12; k++) {
    if (k % 3 === 0) arr.push(k * seed);
    else if (k % 3 === 1) arr.push({ k, s: seed });
    else arr.push(`a${k}:${seed}`);
  }
  const doubles: number[] = [];
  for (let k = 0; k < 8; k++) doubles.push(seed + k / 4);
  const small = new Uint8Array(24);
  for (let k = 0; k < small.length; k++) small[k] = (seed + k) & 255;
  const wide = new Float64Array(32);
  for (let k = 0; k < wide.length; k++) wide[k] = seed * 0.5 + k;
  const buffer = new ArrayBuffer(64);
  const view = new Int32Array(buffer, 16, 8);
  for (let k = 0; k < view.length; k++) view[k] = seed ^ (k * 0x10001);
  const captured = { v: seed };
  const map = new Map<unknown, unknown>();
  const keys: object[] = [];
  for (let k = 0; k < 6; k++) {
    const key = { key: k };
    keys.push(key);
    map.set(key, k + seed); // identity-hashed key: survives only if the hash table is right after a move
    map.set(`s${k}`, { n: seed + k });
  }
  const one = `one:${seed.toString(36).repeat(4)}`;
  const two = `\u03c4wo:${seed}\u2603`;
  const base = `${BASE}${seed}`;
  const start = seed % 50;
  return {
    obj: { seed, name: `o${seed}`, half: seed + 0.5, nested: { x: seed * 3, list: [seed, seed + 1] } },
    arr,
    doubles,
    small,
    wide,
    view,
    closure: () => captured.v * 7 + 1,
    map,
    keys,
    one,
    two,
    cons: one + '|' + two,
    sliced: base.substring(start, start + 40),
    big: (1n << 130n) + BigInt(seed),
  };
}

function fail(where: string, what: string): never {
  throw new Error(`corrupted ${what} (${where})`);
}

function checkHold(h: Hold, seed: number, where: string): void {
  const o = h.obj;
  if (o.seed !== seed || o.name !== `o${seed}` || o.half !== seed + 0.5) fail(where, 'object');
  if (o.nested.x !== seed * 3 || o.nested.list.length !== 2 || o.nested.list[0] !== seed || o.nested.list[1] !== seed + 1) {
    fail(where, 'nested object');
  }
  if (h.arr.length !== 12) fail(where, 'array length');
  for (let k = 0; k < 12; k++) {
    const v = h.arr[k];
    if (k % 3 === 0) {
      if (v !== k * seed) fail(where, `array[${k}]`);
    } else if (k % 3 === 1) {
      const e = v as { k: number; s: number };
      if (e.k !== k || e.s !== seed) fail(where, `array[${k}] object`);
    } else if (v !== `a${k}:${seed}`) fail(where, `array[${k}] string`);
  }
  for (let k = 0; k < 8; k++) if (h.doubles[k] !== seed + k / 4) fail(where, 'double array');
  for (let k = 0; k < h.small.length; k++) if (h.small[k] !== ((seed + k) & 255)) fail(where, 'on-heap typed array');
  for (let k = 0; k < h.wide.length; k++) if (h.wide[k] !== seed * 0.5 + k) fail(where, 'off-heap typed array');
  for (let k = 0; k < h.view.length; k++) if (h.view[k] !== (seed ^ (k * 0x10001))) fail(where, 'typed array view');
  if (h.view.byteOffset !== 16 || h.view.buffer.byteLength !== 64) fail(where, 'typed array view geometry');
  if (h.closure() !== seed * 7 + 1) fail(where, 'closure');
  if (h.map.size !== 12) fail(where, 'map size');
  for (let k = 0; k < 6; k++) {
    if (h.map.get(h.keys[k]) !== k + seed) fail(where, `map object key ${k}`);
    if ((h.map.get(`s${k}`) as { n: number } | undefined)?.n !== seed + k) fail(where, `map string key ${k}`);
  }
  const one = `one:${seed.toString(36).repeat(4)}`;
  const two = `\u03c4wo:${seed}\u2603`;
  if (h.one !== one || h.two !== two || h.cons !== one + '|' + two) fail(where, 'strings');
  const start = seed % 50;
  if (h.sliced !== BASE.substring(start, start + 40)) fail(where, 'sliced string');
  if (h.big !== (1n << 130n) + BigInt(seed) || h.big % 1000003n !== ((1n << 130n) + BigInt(seed)) % 1000003n) {
    fail(where, 'bigint');
  }
}

interface Message {
  round: number;
  token: { id: number; round: number; pad: number[] };
}

interface Report {
  id: number;
  resumes: number;
  depth: number;
}

/** The body of greenlet `id`: descend, suspend a few times at the bottom, unwind checking, repeat. */
function worker(id: number, counters: { finallies: number; unwound: number }) {
  return (first: Message): never => {
    let resumes = 0;
    let expectRound = first.round;
    let cycle = 0;
    const check = (msg: Message, where: string) => {
      if (msg.round !== expectRound || msg.token.id !== id || msg.token.round !== msg.round) {
        fail(where, `message ${JSON.stringify({ round: msg.round, id: msg.token.id })} expected round ${expectRound}`);
      }
      if (msg.token.pad.length !== 3 || msg.token.pad[2] !== id + msg.round) fail(where, 'message payload');
    };
    check(first, `greenlet ${id} first entry`);
    try {
      for (;;) {
        const depth = (id * 7 + cycle * 5) % (MAX_DEPTH + 1);
        const stay = 1 + ((id + cycle) % 4);
        const seedBase = id * 100_000 + cycle * 100;
        const chain: Hold[] = [];
        descend(depth, depth, seedBase, chain, () => {
          for (let i = 0; i < stay; i++) {
            resumes++;
            const report: Report = { id, resumes, depth };
            const msg = getCurrent().parent!.switch(report) as Message;
            expectRound++;
            check(msg, `greenlet ${id} resume ${resumes}`);
            // Everything the suspended frames hold, through the chain they built.
            for (let level = 0; level < chain.length; level++) {
              checkHold(chain[level], seedBase + depth - level, `greenlet ${id} resume ${resumes} level ${level}`);
            }
          }
        });
        counters.unwound++;
        cycle++;
      }
    } finally {
      counters.finallies++;
    }
  };
}

function descend(level: number, depth: number, seedBase: number, chain: Hold[], bottom: () => void): void {
  // Locals that live only in this frame (not captured): the GC must find and update them in the suspended stack.
  const hold = makeHold(seedBase + level);
  const num = seedBase * 2 + level + 0.25;
  const str = `level ${level} of ${seedBase}`;
  const pair = [level, { seedBase }] as const;
  chain.push(hold);
  if (level > 0) descend(level - 1, depth, seedBase, chain, bottom);
  else bottom();
  const where = `greenlet seed ${seedBase} unwinding level ${level}`;
  if (chain[depth - level] !== hold) fail(where, 'chain identity');
  checkHold(hold, seedBase + level, where);
  if (num !== seedBase * 2 + level + 0.25 || str !== `level ${level} of ${seedBase}`) fail(where, 'frame locals');
  if (pair[0] !== level || pair[1].seedBase !== seedBase) fail(where, 'frame tuple');
  chain.pop();
}

describe(`stress: GC with ${GREENLETS} suspended greenlets`, function () {
  this.timeout(0);

  it(`${GREENLETS} greenlets x ${ROUNDS} rounds round-robin, every held object verified on every resume`, () => {
    const before = stats();
    const counters = { finallies: 0, unwound: 0 };
    const greenlets: Greenlet[] = [];
    const resumes: number[] = [];
    for (let id = 0; id < GREENLETS; id++) {
      // A few with a small stack (128 KiB; see recursion.test.ts for the 64 KiB minimum).
      greenlets.push(new Greenlet(worker(id, counters), undefined, id % 10 === 0 ? { stackSize: 128 * 1024 } : {}));
      resumes.push(0);
    }
    let switches = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let id = 0; id < GREENLETS; id++) {
        const msg: Message = { round, token: { id, round, pad: [round, id, id + round] } };
        const report = greenlets[id].switch(msg) as Report;
        resumes[id]++;
        if (report.id !== id || report.resumes !== resumes[id]) {
          assert.fail(`round ${round}: greenlet ${id} reported ${JSON.stringify(report)}, expected ${resumes[id]} resumes`);
        }
        switches++;
        if (switches % MAJOR_EVERY === 0) fullGc();
        else if (switches % MINOR_EVERY === 0) minorGc();
      }
    }
    // Greenlet id suspends 1 + (id + cycle) % 4 times per descent; the last of its ROUNDS suspensions is pending.
    let expectUnwound = 0;
    for (let id = 0; id < GREENLETS; id++) {
      for (let cycle = 0, used = 0; ; cycle++) {
        used += 1 + ((id + cycle) % 4);
        if (used > ROUNDS - 1) break;
        expectUnwound++;
      }
    }
    assert.equal(counters.unwound, expectUnwound, 'descents unwound and checked');
    const during = stats();
    assert.equal(during.active - before.active, GREENLETS);
    for (const g of greenlets) {
      g.close();
      assert.ok(g.dead);
    }
    assert.equal(counters.finallies, GREENLETS);
    const after = stats();
    assert.equal(after.active, before.active);
    assert.equal(after.started - before.started, GREENLETS);
    assert.equal(after.finished - before.finished, GREENLETS);
    assert.ok(after.switches - before.switches >= 2 * GREENLETS * ROUNDS, 'switch counter');
    assert.equal(after.stacksLive, before.stacksLive);
    fullGc();
  });

  it('a ring of greenlets passing a growing token to each other (no main in between), with GCs', () => {
    const RING = 64;
    const LAPS = scaled(60);
    const ring: Greenlet[] = [];
    let gcs = 0;
    for (let i = 0; i < RING; i++) {
      ring.push(
        new Greenlet((token: { lap: number; trail: Hold[] }) => {
          const mine = makeHold(i * 31 + 7);
          const depthLocal = [i, `ring ${i}`];
          for (;;) {
            checkHold(mine, i * 31 + 7, `ring member ${i}`);
            if (depthLocal[0] !== i || depthLocal[1] !== `ring ${i}`) fail(`ring member ${i}`, 'locals');
            token.trail.push(makeHold(token.lap * RING + i));
            if (token.trail.length > 20) token.trail.shift();
            for (const h of token.trail) checkHold(h, h.obj.seed, `ring member ${i} trail`);
            if (++gcs % 97 === 0) minorGc();
            if (gcs % 1009 === 0) fullGc();
            if (i === RING - 1) {
              token.lap++;
              if (token.lap === LAPS) return token.lap; // to main, the parent
            }
            token = ring[(i + 1) % RING].switch(token) as typeof token;
          }
        }),
      );
    }
    const laps = ring[0].switch({ lap: 0, trail: [] });
    assert.equal(laps, LAPS);
    for (const g of ring) g.close();
    assert.ok(ring.every((g) => g.dead));
  });

  it('ran with an exposed gc() when the runner asked for it', function () {
    if (process.execArgv.some((a) => a === '--expose-gc' || a === '--expose_gc')) assert.ok(HAS_GC);
    else this.skip();
  });
});

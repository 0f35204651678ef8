// permessage-deflate (RFC 7692): negotiation, and compressed messages checked against node:zlib's streaming
// (de)compressors playing an independent peer that keeps its context across messages, over real socket pairs.
import { strict as assert } from 'node:assert';
import * as zlib from 'node:zlib';
import { listen, serve, spawn, wait } from 'verdant';
import { acceptWebSocket, connectWebSocket, readUpgradeRequest } from '../../../lib/http/websocket';
import { type DeflateAgreement, acceptOffer, makeOffer, readResponse } from '../../../lib/http/websocket/deflate';
import { parseExtensions } from '../../../lib/http/websocket/extensions';
import { OP, expectFailure, rawFrame, wsPair } from './helpers';

const TAIL = Buffer.from([0, 0, 0xff, 0xff]);
const M = { mask: true } as const;
const agreement = (changes: Partial<DeflateAgreement> = {}): DeflateAgreement => ({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
  ...changes,
});
const text = (n: number) => Array.from({ length: n }, (_, i) => `line ${i % 37}: the quick brown fox ${i % 11}`).join('\n');

/** node:zlib's streaming raw inflater, used from a green thread: one call per message, context kept. */
function streamingInflater(windowBits = 15): (payload: Buffer) => Buffer {
  const inflate = zlib.createInflateRaw({ windowBits });
  const out: Buffer[] = [];
  inflate.on('data', (chunk: Buffer) => out.push(chunk));
  return (payload) => {
    inflate.write(Buffer.concat([payload, TAIL]));
    wait(new Promise<void>((resolve) => inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve())));
    return Buffer.concat(out.splice(0));
  };
}

/** node:zlib's streaming raw deflater: each message sync-flushed, the 00 00 ff ff tail removed, context kept. */
function streamingDeflater(): (data: string | Buffer) => Buffer {
  const deflate = zlib.createDeflateRaw();
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  return (data) => {
    deflate.write(data);
    wait(new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve())));
    const all = Buffer.concat(out.splice(0));
    assert.ok(all.subarray(-4).equals(TAIL));
    return all.subarray(0, -4);
  };
}

describe('websocket deflate: negotiation', () => {
  const serverAccepts = (offer: string, options = {}) => acceptOffer(parseExtensions(offer), options);

  it("accepts a browser's offer, and agrees to whatever context and window limits the client asks for", () => {
    const plain = serverAccepts('permessage-deflate; client_max_window_bits');
    assert.deepEqual(plain, { agreement: agreement(), response: 'permessage-deflate' });
    const asked = serverAccepts('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10');
    assert.deepEqual(asked?.agreement, agreement({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10 }));
    assert.equal(asked?.response, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10');
  });

  it('applies its own options: no context takeover either way, smaller windows', () => {
    const mine = serverAccepts('permessage-deflate; client_max_window_bits; server_max_window_bits=12', {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 9,
      clientMaxWindowBits: 11,
    });
    assert.deepEqual(mine?.agreement, agreement({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 11 }));
    assert.equal(mine?.response, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11');
    // A client that did not offer client_max_window_bits cannot be limited: the response leaves it out.
    assert.equal(serverAccepts('permessage-deflate', { clientMaxWindowBits: 11 })?.response, 'permessage-deflate');
  });

  it('declines offers with unknown, repeated or out-of-range parameters and takes the next acceptable one', () => {
    const offers = [
      'x-webkit-deflate-frame',
      'permessage-deflate; foo',
      'permessage-deflate; server_max_window_bits=16',
      'permessage-deflate; server_max_window_bits=07',
      'permessage-deflate; server_max_window_bits',
      'permessage-deflate; client_no_context_takeover; client_no_context_takeover',
      'permessage-deflate; server_no_context_takeover=yes',
      'permessage-deflate; client_max_window_bits="10"',
    ].join(', ');
    // The last is fine: a quoted value is a value (§9.1).
    assert.deepEqual(serverAccepts(offers)?.agreement, agreement({ clientMaxWindowBits: 10 }));
    assert.equal(serverAccepts(offers.split(', ').slice(0, -1).join(', ')), null);
    assert.equal(serverAccepts('permessage-deflate; client_max_window_bits=7'), null);
  });

  it('parses the header grammar (quoted values, spaces, empty elements) and rejects what breaks it', () => {
    assert.deepEqual(parseExtensions(' a ; b = 1 ;c="2",, d'), [
      { name: 'a', params: [['b', '1'], ['c', '2']] },
      { name: 'd', params: [] },
    ]);
    for (const bad of ['a;', 'a; b=', 'a b', 'a; b="x y"', 'a; b="unterminated', ';']) {
      assert.throws(() => parseExtensions(bad), SyntaxError, bad);
    }
  });

  it("the client's offer, and its checks of the server's response", () => {
    assert.equal(makeOffer({}), 'permessage-deflate; client_max_window_bits');
    const options = { serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 };
    assert.equal(makeOffer(options), 'permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12');
    const response = (value: string) => readResponse(parseExtensions(value)[0], options);
    assert.deepEqual(
      response('permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8'),
      agreement({ serverNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 8 }),
    );
    assert.match(response('permessage-deflate; server_max_window_bits=10') as string, /server_no_context_takeover was asked for/);
    assert.match(response('permessage-deflate; server_no_context_takeover; server_max_window_bits=11') as string, /server_max_window_bits=10/);
    assert.match(response('permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=13') as string, /over the 12 offered/);
    assert.match(response('permessage-deflate; server_no_context_takeover; server_max_window_bits=10; what') as string, /unknown parameter what/);
  });
});

describe('websocket deflate: messages', () => {
  it('sends compressed messages with context takeover: a repeat costs a few bytes, and a streaming inflater decodes them', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { deflate: agreement(), deflateOptions: { threshold: 0 } });
      const inflate = streamingInflater();
      const message = text(200);
      ws.send(message);
      ws.send(message);
      ws.send(Buffer.from(message));
      const frames = [peer.frame(), peer.frame(), peer.frame()];
      assert.deepEqual(frames.map((f) => [f.rsv, f.opcode]), [[4, OP.text], [4, OP.text], [4, OP.binary]]);
      for (const frame of frames) assert.equal(inflate(frame.payload).toString(), message);
      // The repeat is a string of back-references into the previous message (at most 258 bytes each).
      assert.ok(frames[1].payload.length * 4 < frames[0].payload.length, `${frames[1].payload.length} vs ${frames[0].payload.length} bytes`);
      peer.close();
    }));

  it('without context takeover each message is compressed on its own: equal messages give equal bytes', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { deflate: agreement({ serverNoContextTakeover: true }), deflateOptions: { threshold: 0 } });
      const message = text(200);
      ws.send(message);
      ws.send(message);
      const [a, b] = [peer.frame(), peer.frame()];
      assert.ok(a.payload.equals(b.payload));
      const alone = zlib.inflateRawSync(Buffer.concat([b.payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      assert.equal(alone.toString(), message);
      peer.close();
    }));

  it('receives messages from a peer that keeps its context, and from one that does not', () =>
    spawn(() => {
      for (const clientNoContextTakeover of [false, true]) {
        const { ws, peer } = wsPair(true, { deflate: agreement({ clientNoContextTakeover }) });
        const deflate = clientNoContextTakeover ? null : streamingDeflater();
        const compress = (data: string) =>
          deflate ? deflate(data) : zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
        const messages = [text(100), text(100), 'short', text(150), ''];
        for (const message of messages) peer.send(rawFrame(OP.text, compress(message), { ...M, rsv: 4 }));
        peer.send(rawFrame(OP.text, 'not compressed', M)); // RSV1 clear: a plain message between compressed ones
        for (const message of messages) assert.equal(ws.receive(), message);
        assert.equal(ws.receive(), 'not compressed');
        peer.close();
      }
    }));

  it('reassembles a fragmented compressed message (RSV1 on its first frame only, a ping in between)', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { deflate: agreement() });
      const message = text(300);
      const compressed = streamingDeflater()(message);
      const third = Math.floor(compressed.length / 3);
      peer.send(
        rawFrame(OP.text, compressed.subarray(0, third), { ...M, rsv: 4, fin: false }),
        rawFrame(OP.cont, compressed.subarray(third, 2 * third), { ...M, fin: false }),
        rawFrame(OP.ping, 'mid', M),
        rawFrame(OP.cont, compressed.subarray(2 * third), M),
      );
      assert.equal(ws.receive(), message);
      assert.equal(peer.frame().opcode, OP.pong);
      peer.close();
    }));

  it('sends a compressed message in fragments, and honours compress: false and the threshold', () =>
    spawn(() => {
      const { ws, peer } = wsPair(false, { deflate: agreement(), deflateOptions: { threshold: 64 }, fragmentSize: 50 });
      const message = text(100);
      ws.send(message);
      const frames = [];
      do frames.push(peer.frame());
      while (!frames[frames.length - 1].fin);
      assert.ok(frames.length > 2);
      assert.deepEqual(frames.map((f) => f.rsv), [4, ...frames.slice(1).map(() => 0)]);
      assert.ok(frames.every((f) => f.masked && f.payload.length <= 50));
      const inflate = streamingInflater();
      assert.equal(inflate(Buffer.concat(frames.map((f) => f.payload))).toString(), message);
      ws.send('tiny', { fragmentSize: 0 });
      ws.send(message, { compress: false, fragmentSize: 0 });
      const [tiny, plain] = [peer.frame(), peer.frame()];
      assert.deepEqual([tiny.rsv, tiny.payload.toString()], [0, 'tiny']);
      assert.deepEqual([plain.rsv, plain.payload.toString()], [0, message]);
      peer.close();
    }));

  it('keeps to an agreed 9-bit window: an inflater with a 512-byte window decodes what it sends', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { deflate: agreement({ serverMaxWindowBits: 9 }), deflateOptions: { threshold: 0 } });
      // A 1000-byte block of noise repeated: compressible only with a window of more than 1000 bytes.
      const block = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919 + (i >> 3) * 31) & 0xff));
      const data = Buffer.concat([block, block, block]);
      ws.send(data);
      // 64-byte output chunks: every back-reference further than that must come from the inflater's 512-byte window.
      const narrow = { windowBits: 9, chunkSize: 64, finishFlush: zlib.constants.Z_SYNC_FLUSH };
      assert.ok(zlib.inflateRawSync(Buffer.concat([peer.frame().payload, TAIL]), narrow).equals(data));
      // The same bytes with a full window refer 1000 bytes back, which that inflater refuses: the check above
      // would have caught a compressor ignoring the limit.
      const wide = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      assert.throws(() => zlib.inflateRawSync(wide, narrow), /distance too far back/);
      peer.close();
    }));

  it('applies maxMessageSize to the inflated size: a 10 KB zip bomb of 8 MB fails with 1009', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { deflate: agreement(), maxMessageSize: 1024 * 1024 });
      const bomb = zlib.deflateRawSync(Buffer.alloc(8 * 1024 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
      assert.ok(bomb.length < 10 * 1024);
      peer.send(rawFrame(OP.binary, bomb, { ...M, rsv: 4 }));
      expectFailure(ws, peer, 1009, /inflates to more than 1048576 bytes/);
    }));

  it('a compressed message of exactly maxMessageSize inflated is accepted', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { deflate: agreement(), maxMessageSize: 5000 });
      const compressed = zlib.deflateRawSync(Buffer.alloc(5000, 'a'), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
      peer.send(rawFrame(OP.text, compressed, { ...M, rsv: 4 }));
      assert.equal(ws.receive(), 'a'.repeat(5000));
      peer.close();
    }));

  it('data that is not deflate fails with 1007; RSV1 on a continuation or a control frame fails with 1002', () =>
    spawn(() => {
      const garbage = wsPair(true, { deflate: agreement() });
      garbage.peer.send(rawFrame(OP.text, Buffer.from([0xff, 0xff, 0xff, 0xff]), { ...M, rsv: 4 }));
      expectFailure(garbage.ws, garbage.peer, 1007, /not a valid deflate stream/);
      const continuation = wsPair(true, { deflate: agreement() });
      continuation.peer.send(rawFrame(OP.text, 'a', { ...M, fin: false }), rawFrame(OP.cont, 'b', { ...M, rsv: 4 }));
      expectFailure(continuation.ws, continuation.peer, 1002, /continuation frame with RSV1/);
      const control = wsPair(true, { deflate: agreement() });
      control.peer.send(rawFrame(OP.ping, '', { ...M, rsv: 4 }));
      expectFailure(control.ws, control.peer, 1002, /control frame with RSV1/);
    }));

  it('a compressed text message that inflates to invalid UTF-8 fails with 1007', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { deflate: agreement() });
      const compressed = zlib.deflateRawSync(Buffer.from([0x61, 0xed, 0xa0, 0x80]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
      peer.send(rawFrame(OP.text, compressed, { ...M, rsv: 4 }));
      expectFailure(ws, peer, 1007, /not UTF-8/);
    }));
});

describe('websocket deflate: client and server over loopback', () => {
  for (const mode of ['context takeover', 'no context takeover'] as const) {
    it(`negotiate and exchange compressed messages (${mode}), small and large, fragmented or not`, () =>
      spawn(() => {
        const listener = listen(['127.0.0.1', 0]);
        const port = (listener.getSockName() as { port: number }).port;
        const options = mode === 'context takeover' ? { threshold: 0 } : { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true };
        const server = spawn(() =>
          serve(listener, (conn) => {
            const ws = acceptWebSocket(conn, readUpgradeRequest(conn)!, { perMessageDeflate: options, fragmentSize: 1000 });
            for (const message of ws) ws.send(message);
          }),
        );
        try {
          const ws = connectWebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: options, timeout: 10 });
          assert.equal(ws.compressed, true);
          const expected = mode === 'context takeover' ? 'permessage-deflate' : 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
          assert.equal(ws.extensions, expected);
          const big = Buffer.from(text(20000)); // about 700 KB
          const messages: (string | Buffer)[] = ['hello', text(50), big, 'hello', '', Buffer.from([1, 2, 3]), big];
          for (const message of messages) {
            ws.send(message);
            assert.deepEqual(ws.receive(), message);
          }
          ws.close();
          assert.equal(ws.closeCode, 1000);
        } finally {
          listener.close();
          server.kill();
        }
      }));
  }
});

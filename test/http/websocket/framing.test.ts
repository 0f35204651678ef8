// RFC 6455 conformance of the WebSocket over real socket pairs: a WebSocket on one end, a raw peer on the other
// that writes frames crafted byte by byte and parses what comes back. Each test body runs in a green thread.
import { strict as assert } from 'node:assert';
import { spawn, sleep, withTimeout, Timeout } from 'verdant';
import { WebSocketClosedError, isValidCloseCode } from '../../../lib/http/websocket';
import { OP, closeBody, expectFailure, rawFrame, wsPair } from './helpers';
import { until } from '../../sync/helpers';

const M = { mask: true } as const;

describe('websocket framing: lengths and masking', () => {
  for (const [size, bits] of [
    [0, 7],
    [125, 7],
    [126, 16],
    [65535, 16],
    [65536, 64],
    [300000, 64],
  ] as const) {
    it(`a ${size}-byte message goes out with a ${bits}-bit length, masked by a client and not by a server, and comes back whole`, () =>
      spawn(() => {
        const data = Buffer.alloc(size);
        for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) & 0xff;
        for (const serverSide of [false, true]) {
          const { ws, peer } = wsPair(serverSide);
          const sender = spawn(() => ws.send(data)); // may be more than a socket buffer holds
          const frame = peer.frame();
          sender.wait();
          assert.deepEqual([frame.fin, frame.rsv, frame.opcode, frame.masked, frame.lengthBits], [true, 0, OP.binary, !serverSide, bits]);
          assert.ok(frame.payload.equals(data));
          const writer = spawn(() => peer.send(rawFrame(OP.binary, data, serverSide ? M : {})));
          const got = ws.receive() as Buffer;
          writer.wait();
          assert.ok(Buffer.isBuffer(got) && got.equals(data));
          peer.close();
          assert.equal(ws.receive(), null);
        }
      }));
  }

  it('accepts a length in a longer encoding than needed (a 16- or 64-bit field for 5 bytes)', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      peer.send(rawFrame(OP.text, 'hello', { ...M, lengthBits: 16 }), rawFrame(OP.text, 'world', { ...M, lengthBits: 64 }));
      assert.equal(ws.receive(), 'hello');
      assert.equal(ws.receive(), 'world');
      peer.close();
    }));

  it('a server refuses an unmasked frame with 1002', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      peer.send(rawFrame(OP.text, 'plain'));
      expectFailure(ws, peer, 1002, /unmasked frame from the client/);
    }));

  it('a client refuses a masked frame with 1002', () =>
    spawn(() => {
      const { ws, peer } = wsPair(false);
      peer.send(rawFrame(OP.text, 'hidden', M));
      expectFailure(ws, peer, 1002, /masked frame from the server/);
    }));

  it('refuses a 64-bit length with its most significant bit set (1002)', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      peer.send(rawFrame(OP.binary, '', { ...M, lengthBits: 64, claimedLength: 1n << 63n }));
      expectFailure(ws, peer, 1002, /most significant bit/);
    }));
});

describe('websocket framing: protocol errors close with 1002', () => {
  const cases: [string, Buffer[], RegExp][] = [
    ['the reserved data opcode 0x3', [rawFrame(0x3, 'x', M)], /reserved opcode 0x3/],
    ['the reserved control opcode 0xb', [rawFrame(0xb, '', M)], /reserved opcode 0xb/],
    ['RSV1 without permessage-deflate', [rawFrame(OP.text, 'x', { ...M, rsv: 4 })], /RSV1 set without permessage-deflate/],
    ['RSV2', [rawFrame(OP.text, 'x', { ...M, rsv: 2 })], /RSV2 or RSV3/],
    ['RSV3', [rawFrame(OP.binary, 'x', { ...M, rsv: 1 })], /RSV2 or RSV3/],
    ['a fragmented ping', [rawFrame(OP.ping, 'x', { ...M, fin: false })], /fragmented control frame/],
    ['a ping of 126 bytes', [rawFrame(OP.ping, Buffer.alloc(126), M)], /control frame with 126 bytes/],
    ['a continuation with nothing to continue', [rawFrame(OP.cont, 'x', M)], /continuation frame with no message/],
    [
      'a new text frame inside a fragmented message',
      [rawFrame(OP.text, 'a', { ...M, fin: false }), rawFrame(OP.text, 'b', M)],
      /new data frame in the middle/,
    ],
    ['a close frame with a 1-byte payload', [rawFrame(OP.close, Buffer.from([0x03]), M)], /1-byte payload/],
  ];
  for (const [what, frames, problem] of cases) {
    it(what, () =>
      spawn(() => {
        const { ws, peer } = wsPair(true);
        peer.send(...frames);
        expectFailure(ws, peer, 1002, problem);
      }));
  }
});

describe('websocket framing: fragmentation and control frames', () => {
  it('reassembles a fragmented message with pings and a pong between its fragments, answering each ping at once', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      peer.send(
        rawFrame(OP.text, 'frag', { ...M, fin: false }),
        rawFrame(OP.ping, 'p1', M),
        rawFrame(OP.cont, 'men', { ...M, fin: false }),
        rawFrame(OP.pong, 'unsolicited', M),
        rawFrame(OP.cont, '', { ...M, fin: false }),
        rawFrame(OP.ping, '', M),
        rawFrame(OP.cont, 'ted', M),
      );
      assert.equal(ws.receive(), 'fragmented');
      const pong1 = peer.frame();
      assert.deepEqual([pong1.opcode, pong1.payload.toString(), pong1.masked], [OP.pong, 'p1', false]);
      const pong2 = peer.frame();
      assert.deepEqual([pong2.opcode, pong2.payload.length], [OP.pong, 0]);
      peer.close();
    }));

  it('send splits a message into fragments of fragmentSize (option of the WebSocket or of the call)', () =>
    spawn(() => {
      const { ws, peer } = wsPair(false, { fragmentSize: 4 });
      ws.send('abcdefghij');
      const frames = [peer.frame(), peer.frame(), peer.frame()];
      assert.deepEqual(
        frames.map((f) => [f.opcode, f.fin, f.masked, f.payload.toString()]),
        [
          [OP.text, false, true, 'abcd'],
          [OP.cont, false, true, 'efgh'],
          [OP.cont, true, true, 'ij'],
        ],
      );
      ws.send(Buffer.from('xyz'), { fragmentSize: 0 });
      const whole = peer.frame();
      assert.deepEqual([whole.opcode, whole.fin, whole.payload.toString()], [OP.binary, true, 'xyz']);
      ws.send('', { fragmentSize: 2 });
      const empty = peer.frame();
      assert.deepEqual([empty.opcode, empty.fin, empty.payload.length], [OP.text, true, 0]);
      assert.throws(() => ws.send('x', { fragmentSize: -1 }), RangeError);
      peer.close();
    }));

  it('ping(data) sends a ping; a pong payload over 125 bytes is refused before anything is sent', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      ws.ping('are you there');
      const ping = peer.frame();
      assert.deepEqual([ping.opcode, ping.payload.toString()], [OP.ping, 'are you there']);
      assert.throws(() => ws.ping(Buffer.alloc(126)), RangeError);
      ws.pong('beat');
      assert.equal(peer.frame().opcode, OP.pong);
      peer.close();
    }));

  it('an empty message and binary data of every byte value come through', () =>
    spawn(() => {
      const { ws, peer } = wsPair(false);
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      peer.send(rawFrame(OP.text, ''), rawFrame(OP.binary, all), rawFrame(OP.binary, ''));
      assert.equal(ws.receive(), '');
      assert.ok((ws.receive() as Buffer).equals(all));
      assert.deepEqual(ws.receive(), Buffer.alloc(0));
      peer.close();
    }));
});

describe('websocket framing: UTF-8', () => {
  const valid = Buffer.from('κόσμε ✓ 𝄞 \u{10FFFF}', 'utf8');
  it('accepts valid UTF-8 split across fragments anywhere, even inside a character', () =>
    spawn(() => {
      for (let cut = 1; cut < valid.length; cut++) {
        const { ws, peer } = wsPair(true);
        peer.send(rawFrame(OP.text, valid.subarray(0, cut), { ...M, fin: false }), rawFrame(OP.cont, valid.subarray(cut), M));
        assert.equal(ws.receive(), valid.toString());
        peer.close();
      }
    }));

  const invalid: [string, number[]][] = [
    ['a lone continuation byte', [0x61, 0x80]],
    ['an overlong NUL', [0xc0, 0x80]],
    ['an overlong slash in 3 bytes', [0xe0, 0x80, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['the byte 0xFF', [0x61, 0xff]],
  ];
  for (const [what, bytes] of invalid) {
    it(`fails a text message with ${what} with 1007, whole or fragmented`, () =>
      spawn(() => {
        const whole = wsPair(true);
        whole.peer.send(rawFrame(OP.text, Buffer.from(bytes), M));
        expectFailure(whole.ws, whole.peer, 1007, /not UTF-8/);
        const split = wsPair(true);
        split.peer.send(rawFrame(OP.text, Buffer.from(bytes.slice(0, 1)), { ...M, fin: false }), rawFrame(OP.cont, Buffer.from(bytes.slice(1)), M));
        expectFailure(split.ws, split.peer, 1007, /not UTF-8/);
      }));
  }

  it('fails fast: an invalid first fragment closes with 1007 before the message ends', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      peer.send(rawFrame(OP.text, Buffer.from([0x68, 0x69, 0xc0, 0xaf]), { ...M, fin: false })); // and nothing more
      expectFailure(ws, peer, 1007, /not UTF-8/);
    }));

  it('fails a message whose last fragment ends in the middle of a character with 1007', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      const euro = Buffer.from('€'); // e2 82 ac
      peer.send(rawFrame(OP.text, 'price: ', { ...M, fin: false }), rawFrame(OP.cont, euro.subarray(0, 2), M));
      expectFailure(ws, peer, 1007, /not UTF-8/);
    }));

  it('a binary message is not validated', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      peer.send(rawFrame(OP.binary, Buffer.from([0xc0, 0x80, 0xff]), M));
      assert.deepEqual(ws.receive(), Buffer.from([0xc0, 0x80, 0xff]));
      peer.close();
    }));
});

describe('websocket framing: message size limit', () => {
  it('a frame over maxMessageSize fails with 1009 from its header alone (its payload is never sent)', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { maxMessageSize: 1000 });
      peer.send(rawFrame(OP.binary, '', { ...M, claimedLength: 1n << 40n }));
      expectFailure(ws, peer, 1009, /more than 1000 bytes/);
    }));

  it('fragments that add up to more than maxMessageSize fail with 1009; exactly the limit is accepted', () =>
    spawn(() => {
      const ok = wsPair(true, { maxMessageSize: 10 });
      ok.peer.send(rawFrame(OP.text, '12345', { ...M, fin: false }), rawFrame(OP.cont, '67890', M));
      assert.equal(ok.ws.receive(), '1234567890');
      ok.peer.close();
      const over = wsPair(true, { maxMessageSize: 10 });
      over.peer.send(rawFrame(OP.text, '123456', { ...M, fin: false }), rawFrame(OP.cont, '78901', M));
      expectFailure(over.ws, over.peer, 1009, /more than 10 bytes/);
    }));

  it('bad options are RangeErrors', () => {
    assert.throws(() => wsPair(true, { maxMessageSize: -1 }), RangeError);
    assert.throws(() => wsPair(true, { fragmentSize: 1.5 }), RangeError);
    assert.throws(() => wsPair(true, { closeTimeout: -1 }), RangeError);
  });
});

describe('websocket framing: the closing handshake', () => {
  const validCodes = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
  const invalidCodes = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

  it('the code table: valid codes are the registered ones and 3000-4999', () => {
    for (const code of validCodes) assert.ok(isValidCloseCode(code), String(code));
    for (const code of invalidCodes) assert.ok(!isValidCloseCode(code), String(code));
  });

  for (const code of validCodes) {
    it(`a peer's close ${code} is echoed; receive returns null with closeCode ${code} and the reason`, () =>
      spawn(() => {
        const { ws, peer } = wsPair(true);
        peer.send(rawFrame(OP.close, closeBody(code, 'done ✓'), M));
        assert.equal(ws.receive(), null);
        assert.equal(ws.closeCode, code);
        assert.equal(ws.closeReason, 'done ✓');
        assert.equal(ws.state, 'closed');
        assert.equal(peer.closeFrame().code, code);
        assert.ok(peer.atEnd());
        assert.equal(ws.receive(), null);
      }));
  }

  for (const code of invalidCodes) {
    it(`a peer's close with the invalid code ${code} fails with 1002`, () =>
      spawn(() => {
        const { ws, peer } = wsPair(true);
        peer.send(rawFrame(OP.close, closeBody(code), M));
        expectFailure(ws, peer, 1002, new RegExp(`invalid status code ${code}`));
      }));
  }

  it('a close without a payload is 1005 and answered without a payload', () =>
    spawn(() => {
      const { ws, peer } = wsPair(false);
      peer.send(rawFrame(OP.close));
      assert.equal(ws.receive(), null);
      assert.equal(ws.closeCode, 1005);
      assert.deepEqual(peer.closeFrame(), { code: null, reason: '' });
    }));

  it('a close whose reason is not UTF-8 fails with 1007', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      peer.send(rawFrame(OP.close, closeBody(1000, Buffer.from([0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xed, 0xa0, 0x80])), M));
      expectFailure(ws, peer, 1007, /reason is not UTF-8/);
    }));

  it('close(code, reason) sends the close frame, waits for the answer, then the connection is closed', () =>
    spawn(() => {
      const { ws, peer } = wsPair(false);
      const closer = spawn(() => ws.close(4001, 'see you'));
      const sent = peer.frame();
      assert.equal(sent.masked, true);
      assert.equal(sent.opcode, OP.close);
      assert.equal(sent.payload.readUInt16BE(0), 4001);
      assert.equal(sent.payload.subarray(2).toString(), 'see you');
      assert.equal(ws.state, 'closing');
      assert.throws(() => ws.send('late'), WebSocketClosedError);
      // Data the peer sent before it saw our close is dropped by close(); then its close arrives.
      peer.send(rawFrame(OP.text, 'in flight'), rawFrame(OP.close, closeBody(4001)));
      closer.wait();
      assert.equal(ws.state, 'closed');
      assert.equal(ws.closeCode, 4001);
      assert.ok(peer.atEnd());
      assert.throws(() => ws.send('x'), (e: unknown) => e instanceof WebSocketClosedError && e.closeCode === 4001);
      assert.throws(() => ws.ping(), WebSocketClosedError);
      ws.close(); // closing a closed WebSocket does nothing
    }));

  it('close() gives up on a silent peer after closeTimeout: closeCode 1006', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { closeTimeout: 0.2 });
      ws.close();
      assert.equal(peer.closeFrame().code, 1000);
      assert.equal(ws.closeCode, 1006);
      assert.equal(ws.state, 'closed');
      assert.ok(peer.atEnd());
    }));

  it('closeTimeout also bounds the wait behind a sender stuck on a peer that does not read', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true, { closeTimeout: 0.3 });
      const sender = spawn(() => ws.send(Buffer.alloc(8 * 1024 * 1024))); // far more than a socket buffer holds
      sleep(0); // the sender runs: it fills the socket buffer, parks, and holds the write lock
      assert.equal(sender.dead, false);
      ws.close();
      assert.equal(ws.closeCode, 1006);
      assert.throws(() => sender.wait(), WebSocketClosedError);
      peer.close();
    }));

  it('close() from one green thread while another waits in receive(): the receiver returns null', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      const receiver = spawn(() => ws.receive());
      sleep(0.01);
      const closer = spawn(() => ws.close(1001, 'going away'));
      assert.equal(peer.closeFrame().code, 1001);
      peer.send(rawFrame(OP.close, closeBody(1001, 'ok'), M));
      assert.equal(receiver.wait(), null);
      closer.wait();
      assert.equal(ws.closeCode, 1001);
      assert.equal(ws.closeReason, 'ok');
    }));

  it('bad close arguments are refused before anything is sent', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      assert.throws(() => ws.close(1005), RangeError);
      assert.throws(() => ws.close(2000), RangeError);
      assert.throws(() => ws.close(1000, 'x'.repeat(124)), RangeError);
      assert.equal(ws.state, 'open');
      peer.send(rawFrame(OP.text, 'still open', M));
      assert.equal(ws.receive(), 'still open');
      peer.close();
    }));

  it('a connection that ends without a close frame (between frames or inside one) is 1006; receive returns null', () =>
    spawn(() => {
      const between = wsPair(true);
      between.peer.send(rawFrame(OP.text, 'last words', M));
      between.peer.close();
      assert.equal(between.ws.receive(), 'last words');
      assert.equal(between.ws.receive(), null);
      assert.equal(between.ws.closeCode, 1006);
      const inside = wsPair(true);
      inside.peer.send(rawFrame(OP.text, 'cut short', M).subarray(0, 8));
      inside.peer.close();
      assert.equal(inside.ws.receive(), null);
      assert.equal(inside.ws.closeCode, 1006);
      assert.throws(() => inside.ws.send('x'), WebSocketClosedError);
    }));
});

describe('websocket framing: green threads', () => {
  it('a receive interrupted by a Timeout in the middle of a frame loses nothing', () =>
    spawn(() => {
      const { ws, peer } = wsPair(true);
      const frame = rawFrame(OP.cont, 'x'.repeat(1000), M);
      peer.send(rawFrame(OP.text, 'first ', { ...M, fin: false }), frame.subarray(0, 500));
      assert.equal(withTimeout(0.05, () => ws.receive(), { timeoutValue: 'timed out' }), 'timed out');
      const t = new Timeout(0.05);
      try {
        ws.receive();
        assert.fail('receive returned without a message');
      } catch (error) {
        assert.equal(error, t);
      } finally {
        t.cancel();
      }
      peer.send(frame.subarray(500));
      assert.equal(ws.receive(), `first ${'x'.repeat(1000)}`);
      peer.close();
    }));

  it('one green thread receives while others send; messages of concurrent senders never interleave', () =>
    spawn(() => {
      const { ws, peer } = wsPair(false, { fragmentSize: 3 });
      const received: unknown[] = [];
      const receiver = spawn(() => {
        for (const message of ws) received.push(message);
      });
      const senders = ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc'].map((text) => spawn(() => ws.send(text)));
      senders.forEach((s) => s.wait());
      const messages: string[] = [];
      for (let m = 0; m < 3; m++) {
        let text = '';
        for (;;) {
          const frame = peer.frame();
          text += frame.payload.toString();
          if (frame.fin) break;
        }
        messages.push(text);
      }
      assert.deepEqual(messages.sort(), ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc']);
      peer.send(rawFrame(OP.text, 'to the receiver'), rawFrame(OP.close, closeBody(1000)));
      receiver.wait();
      until(() => ws.state === 'closed', 'the WebSocket closed');
      assert.deepEqual(received, ['to the receiver']);
    }));
});

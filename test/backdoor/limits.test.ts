// backdoor.serve against hostile peers on loopback: what a client can make the server hold, and for how long,
// before and after it authenticates.
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { ConnectionResetError, GreenSocket, connect, sleep, spawn, wait } from 'verdant';
import { type BackdoorServer, serve } from '../../lib/backdoor';
import { withBackdoor } from './helpers';
import { INPUT_LINE_LIMIT, TOKEN_LINE_LIMIT } from '../../lib/backdoor/lines';

const PROMPT = '>>> ';
const MiB = 1024 * 1024;


function portOf(server: BackdoorServer): number {
  const address = server.address;
  assert.ok('port' in address);
  return address.port;
}

function dial(server: BackdoorServer): GreenSocket {
  const sock = connect(['127.0.0.1', portOf(server)], { timeout: 10 });
  sock.setTimeout(10);
  return sock;
}

/**
 * Everything the server sends until it closes, and how it closed: a server that closes with our bytes still
 * unread in its socket makes the kernel reset the connection instead of ending it.
 */
function readUntilClosed(sock: GreenSocket): { text: string; reset: boolean } {
  let text = '';
  for (;;) {
    let chunk: string;
    try {
      chunk = sock.recv(65536).toString('utf8');
    } catch (error) {
      if (error instanceof ConnectionResetError) return { text, reset: true };
      throw error;
    }
    if (chunk === '') return { text, reset: false };
    text += chunk;
  }
}

/** Reads up to (not including) `marker`; what was read past it is dropped (these tests never need it). */
function readUntil(sock: GreenSocket, marker: string): string {
  let text = '';
  while (!text.includes(marker)) {
    const chunk = sock.recv(65536).toString('utf8');
    if (chunk === '') throw new Error(`connection closed before ${JSON.stringify(marker)}; got ${JSON.stringify(text)}`);
    text += chunk;
  }
  return text.slice(0, text.indexOf(marker));
}

interface Flood {
  /** Bytes handed to the socket before it closed (at most one chunk of them may not have left). */
  queued: number;
  /** The error that ended the writing (EPIPE, ECONNRESET), or null if everything was written. */
  error: string | null;
  /** What the server sent back. */
  received: string;
}

/**
 * A plain Node client (not a green one, so its buffering is Node's) that sends `total` bytes without a newline,
 * one `chunk` at a time, waiting for each to drain: it never holds more than that one reused buffer, so the
 * memory the test process gains is the server's.
 */
function flood(port: number, total: number, chunk: Buffer): Promise<Flood> {
  return new Promise((resolve) => {
    const result: Flood = { queued: 0, error: null, received: '' };
    const sock = net.connect(port, '127.0.0.1');
    const pump = () => {
      while (result.queued < total && !sock.destroyed) {
        result.queued += chunk.length;
        if (!sock.write(chunk)) {
          sock.once('drain', pump);
          return;
        }
      }
      sock.end();
    };
    sock.on('connect', pump);
    sock.on('data', (data: Buffer) => (result.received += data.toString('utf8')));
    sock.on('error', (error: NodeJS.ErrnoException) => (result.error = error.code ?? String(error)));
    sock.on('close', () => resolve(result));
  });
}

describe('backdoor: limits before authentication', () => {
  it('closes a connection whose token line outgrows the limit, without reading the rest or growing in memory', () =>
    spawn(() => {
      let hits = 0;
      withBackdoor({ locals: { hit: () => hits++ }, token: 's3cret' }, (server) => {
        const chunk = Buffer.alloc(MiB, 'hit(); '); // valid code, were it ever run
        const before = process.memoryUsage().rss;
        const result = wait(flood(portOf(server), 64 * MiB, chunk));
        const growth = process.memoryUsage().rss - before;
        console.log(`      64 MiB flood: ${(result.queued / MiB).toFixed(0)} MiB queued before the server cut it off (${result.error}); RSS grew ${(growth / MiB).toFixed(1)} MiB`);
        assert.equal(hits, 0);
        assert.doesNotMatch(result.received, />>> |verdant backdoor/); // no banner, no prompt
        // The server stopped the flood: what the writer got out is what the kernel buffers hold, not 64 MiB.
        assert.notEqual(result.error, null);
        assert.ok(result.queued < 64 * MiB, `the whole flood was accepted (${result.queued} bytes)`);
        // Before the limit, the server grew by about twice the flood (a doubling buffer).
        assert.ok(growth < 16 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
      });
    }));

  it('tells a peer whose token line is too long why, then closes, having read no more than the limit', () =>
    spawn(() =>
      withBackdoor({ locals: {}, token: 's3cret' }, (server) => {
        const sock = dial(server);
        // One byte past the limit, and then the peer waits: the server decides on the limit alone.
        sock.sendAll('s3cret'.padEnd(TOKEN_LINE_LIMIT + 1, 'x'));
        const { text, reset } = readUntilClosed(sock);
        assert.equal(text, `backdoor: token line longer than ${TOKEN_LINE_LIMIT} bytes\n`);
        // The kernel resets a connection closed with bytes unread: the one past the limit was never read.
        assert.equal(reset, true);
        sock.close();
      }),
    ));

  it('disconnects a peer that drips its token line, at the deadline counted from the connection', () =>
    spawn(() =>
      withBackdoor({ locals: {}, token: 's3cret', authTimeout: 1 }, (server) => {
        const sock = dial(server);
        const connected = performance.now();
        let closedAfter = -1;
        const reader = spawn(() => {
          const { text } = readUntilClosed(sock);
          closedAfter = (performance.now() - connected) / 1000;
          return text;
        });
        // One byte every 0.2 s resets any idle timeout; only a deadline ends it. Give up after 6 s.
        while (closedAfter < 0 && performance.now() - connected < 6000) {
          try {
            sock.sendAll('x');
          } catch {
            break; // the server has gone
          }
          sleep(0.2);
        }
        assert.equal(reader.wait(), ''); // nothing is sent to a client that has not finished its token line
        assert.ok(closedAfter >= 0.9 && closedAfter <= 2.5, `closed ${closedAfter.toFixed(2)} s after connecting`);
        sock.close();
      }),
    ));

  it('lets in a correct token sent slowly but completely within the deadline', () =>
    spawn(() =>
      withBackdoor({ locals: { secret: 'inside' }, token: 's3cret', authTimeout: 3 }, (server) => {
        const sock = dial(server);
        for (const byte of 's3cret\r\n') {
          sock.sendAll(byte);
          sleep(0.1);
        }
        readUntil(sock, PROMPT);
        sock.sendAll('secret\n');
        assert.equal(readUntil(sock, PROMPT), "'inside'\n");
        sock.close();
      }),
    ));

  it('lets in the longest token allowed, whose line with CR LF fills the limit exactly', () =>
    spawn(() => {
      const token = 'k'.repeat(TOKEN_LINE_LIMIT - 2);
      withBackdoor({ locals: {}, token }, (server) => {
        const sock = dial(server);
        sock.sendAll(`${token}\r\n`);
        readUntil(sock, PROMPT);
        sock.sendAll('6 * 7\n');
        assert.equal(readUntil(sock, PROMPT), '42\n');
        sock.close();
      });
    }));

  it('refuses a token whose line could not fit the limit', () => {
    assert.throws(() => serve(0, { token: 'k'.repeat(TOKEN_LINE_LIMIT - 1) }), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /token/);
      return true;
    });
    // The limit is on bytes, not characters: 'é' is two bytes in UTF-8.
    assert.throws(() => serve(0, { token: 'é'.repeat(TOKEN_LINE_LIMIT / 2) }), RangeError);
  });
});

describe('backdoor: limits after authentication', () => {
  const tooLong = `backdoor: input line longer than ${INPUT_LINE_LIMIT} bytes; closing the connection without reading the rest\n`;

  it('ends the session on an input line over 1 MiB, with a message, having run none of it', () =>
    spawn(() => {
      let hits = 0;
      withBackdoor({ locals: { hit: () => hits++ } }, (server) => {
        const sock = dial(server);
        readUntil(sock, PROMPT);
        // Code that would run, were the line read whole: a call, then a comment past the limit.
        sock.sendAll(`${'hit(); //'.padEnd(INPUT_LINE_LIMIT + 16, 'a')}\n`);
        const { text, reset } = readUntilClosed(sock);
        assert.equal(text, tooLong);
        assert.equal(reset, true); // the end of the line was left unread
        assert.equal(hits, 0);
        sock.close();
      });
    }));

  it('cuts off an endless input line after 1 MiB, in bounded memory', () =>
    spawn(() =>
      withBackdoor({ locals: {} }, (server) => {
        const chunk = Buffer.alloc(MiB, 'x');
        const before = process.memoryUsage().rss;
        // No token: the flood is REPL input straight away.
        const result = wait(flood(portOf(server), 64 * MiB, chunk));
        const growth = process.memoryUsage().rss - before;
        console.log(`      64 MiB input line: ${(result.queued / MiB).toFixed(0)} MiB queued before the server cut it off (${result.error}); RSS grew ${(growth / MiB).toFixed(1)} MiB`);
        assert.match(result.received, /^verdant backdoor: .*\n>>> /); // the banner and a prompt: it was in
        // Not the closing message: a Node socket whose write fails is destroyed without reading what had arrived
        // (the test above, whose peer stops writing, reads it).
        assert.notEqual(result.error, null);
        assert.ok(result.queued < 64 * MiB, `the whole flood was accepted (${result.queued} bytes)`);
        // A read buffer of 1 MiB and a copy of the line at most, where the whole line once cost about twice 64 MiB.
        assert.ok(growth < 16 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
      }),
    ));

  it('runs an input line of exactly 1 MiB, its newline included', () =>
    spawn(() =>
      withBackdoor({ locals: {} }, (server) => {
        const sock = dial(server);
        readUntil(sock, PROMPT);
        const line = '1 //'.padEnd(INPUT_LINE_LIMIT - 1, 'a'); // a comment fills it
        sock.sendAll(`${line}\n`);
        assert.equal(readUntil(sock, PROMPT), '1\n');
        sock.close();
      }),
    ));
});

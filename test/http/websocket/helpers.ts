/**
 * Helpers of the WebSocket suites (test/http/websocket): frames crafted byte by byte, and a raw peer that speaks
 * them over a real socket, so that every error path is reached with exactly the bytes a broken or hostile peer
 * would send.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GreenSocket, type TlsSocket, connect, listen, serve, spawn, subprocess, wrapTls } from 'verdant';
import {
  type AcceptOptions,
  type ReadRequest,
  WebSocket,
  type WebSocketInit,
  WebSocketProtocolError,
  acceptWebSocket,
  readUpgradeRequest,
} from '../../../lib/http/websocket';

export interface RawFrameOptions {
  fin?: boolean;
  /** RSV bits as a 3-bit number (4 = RSV1). */
  rsv?: number;
  /** A mask key (4 bytes), true for a fixed one, or false/absent for none. */
  mask?: Uint8Array | boolean;
  /** Force the length encoding: 7, 16 or 64 bits. */
  lengthBits?: 7 | 16 | 64;
  /** Put this in the length field instead of the payload's length. */
  claimedLength?: bigint;
}

const FIXED_KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** One frame, byte by byte, as RFC 6455 §5.2 lays it out. */
export function rawFrame(opcode: number, payload: string | Uint8Array = '', options: RawFrameOptions = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const length = options.claimedLength ?? BigInt(body.length);
  const bits = options.lengthBits ?? (length < 126n ? 7 : length < 65536n ? 16 : 64);
  const key = options.mask === true ? FIXED_KEY : options.mask ? Buffer.from(options.mask) : null;
  const head: number[] = [((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode];
  const maskBit = key ? 0x80 : 0;
  if (bits === 7) head.push(maskBit | Number(length));
  else if (bits === 16) head.push(maskBit | 126, Number(length >> 8n) & 0xff, Number(length) & 0xff);
  else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 0xffn));
  }
  if (key) {
    head.push(...key);
    for (let i = 0; i < body.length; i++) body[i] ^= key[i & 3];
  }
  return Buffer.concat([Buffer.from(head), body]);
}

/** A close frame's payload: the code, then the reason. */
export function closeBody(code: number, reason: string | Buffer = ''): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

export interface ParsedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  /** How the length was encoded on the wire. */
  lengthBits: 7 | 16 | 64;
  /** Unmasked. */
  payload: Buffer;
}

/** The far end of a connection, speaking raw frames. */
export class RawPeer {
  readonly sock: GreenSocket;
  #buffered = Buffer.alloc(0);

  constructor(sock: GreenSocket) {
    this.sock = sock;
  }

  send(...chunks: Uint8Array[]): void {
    for (const chunk of chunks) this.sock.sendAll(chunk);
  }

  /** Exactly `n` bytes; fails the test at end of stream. */
  read(n: number): Buffer {
    while (this.#buffered.length < n) {
      const more = this.sock.recv(64 * 1024);
      assert.ok(more.length > 0, `end of stream after ${this.#buffered.length} of ${n} bytes`);
      this.#buffered = Buffer.concat([this.#buffered, more]);
    }
    const out = this.#buffered.subarray(0, n);
    this.#buffered = this.#buffered.subarray(n);
    return out;
  }

  /** True when the other side closed the connection (after all it sent was read). */
  atEnd(): boolean {
    return this.#buffered.length === 0 && this.sock.recv(1).length === 0;
  }

  /** The next frame, parsed. */
  frame(): ParsedFrame {
    const [b0, b1] = this.read(2);
    let length = b1 & 0x7f;
    let lengthBits: 7 | 16 | 64 = 7;
    if (length === 126) {
      length = this.read(2).readUInt16BE(0);
      lengthBits = 16;
    } else if (length === 127) {
      length = Number(this.read(8).readBigUInt64BE(0));
      lengthBits = 64;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? Buffer.from(this.read(4)) : null;
    const payload = Buffer.from(this.read(length));
    if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    return { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, lengthBits, payload };
  }

  /** Reads a close frame and returns its code (null for none) and reason. */
  closeFrame(): { code: number | null; reason: string } {
    const frame = this.frame();
    assert.equal(frame.opcode, 0x8, `expected a close frame, got opcode ${frame.opcode}`);
    if (frame.payload.length === 0) return { code: null, reason: '' };
    return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() };
  }

  close(): void {
    this.sock.close();
  }
}

/** A WebSocket on one end of a socket pair and a raw peer on the other. */
export function wsPair(serverSide: boolean, options: Omit<WebSocketInit, 'serverSide'> = {}): { ws: WebSocket; peer: RawPeer } {
  const [a, b] = GreenSocket.pair();
  return { ws: new WebSocket(a, { serverSide, ...options }), peer: new RawPeer(b) };
}

/** Asserts that `receive` fails the connection with `code` and that the peer got a close frame with it. */
export function expectFailure(ws: WebSocket, peer: RawPeer, code: number, problem: RegExp): void {
  assert.throws(
    () => ws.receive(),
    (error: unknown) => error instanceof WebSocketProtocolError && error.closeCode === code && problem.test(error.message),
  );
  assert.equal(ws.closeCode, code);
  assert.equal(ws.state, 'closed');
  assert.equal(peer.closeFrame().code, code);
  assert.ok(peer.atEnd(), 'the connection is closed after the close frame');
  assert.equal(ws.receive(), null, 'receive after a failure returns null');
}

/** Opcodes, for readability. */
export const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface TestServer {
  port: number;
  /** Errors the handler threw (handshake refusals among them), in order. */
  errors: unknown[];
  close(): void;
}

/**
 * A green WebSocket server on a free loopback port: each connection's request is read with readUpgradeRequest
 * and handed to `handler` (which usually accepts it) in its own green thread.
 */
export function startServer(
  handler: (conn: GreenSocket | TlsSocket, request: ReadRequest) => void,
  options: { tls?: { cert: string; key: string } } = {},
): TestServer {
  const listener = listen(['127.0.0.1', 0]);
  const errors: unknown[] = [];
  const server = spawn(() =>
    serve(listener, (raw) => {
      try {
        const conn = options.tls ? wrapTls(raw, { serverSide: true, ...options.tls }) : raw;
        const request = readUpgradeRequest(conn);
        if (request !== null) handler(conn, request);
      } catch (error) {
        errors.push(error);
      }
    }),
  );
  return {
    port: (listener.getSockName() as { port: number }).port,
    errors,
    close: () => {
      listener.close();
      server.kill();
    },
  };
}

/** An echo handler: accepts with `options` and sends every message back until the client closes. */
export function echoHandler(options: AcceptOptions = {}): (conn: GreenSocket | TlsSocket, request: ReadRequest) => void {
  return (conn, request) => {
    const ws = acceptWebSocket(conn, request, options);
    for (const message of ws) ws.send(message);
  };
}

/** The Sec-WebSocket-Key of RFC 6455's example (§1.3). */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A request head for the upgrade, with fields replaced or removed (null) by `changes`. */
export function upgradeRequest(changes: Record<string, string | null> = {}, requestLine = 'GET /chat HTTP/1.1'): string {
  const fields: Record<string, string | null> = {
    Host: 'localhost',
    Upgrade: 'websocket',
    Connection: 'keep-alive, Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...changes,
  };
  const lines = Object.entries(fields).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`);
  return `${requestLine}\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** Sends `request` raw and returns the response head and body as text (the server closes after a refusal). */
export function exchange(port: number, request: string): { status: number; head: string; body: string } {
  const sock = connect(['127.0.0.1', port], { timeout: 10 });
  sock.setTimeout(10);
  sock.sendAll(request);
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = sock.recv(65536);
    if (chunk.length === 0) break;
    chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('latin1');
    if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) break;
  }
  sock.close();
  const text = Buffer.concat(chunks).toString('utf8');
  const [head, body = ''] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), head, body };
}

/** The first of Chromium's usual names found on PATH, or null. */
export function findChromium(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/**
 * Loads `url` in headless Chromium (`chromium`, from {@link findChromium}) until the page is idle, and returns the
 * JSON the page wrote into `<pre id="result">`, parsed.
 */
export function runPageInChromium(chromium: string, url: string): any {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-chromium-'));
  try {
    const result = subprocess.run(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=30000',
        '--dump-dom',
        url,
      ],
      // Under the sanitizer run the test process preloads ASan; the browser must not inherit it.
      { capture: true, encoding: 'utf8', timeout: 120, env: { ...process.env, LD_PRELOAD: '' } },
    );
    const dom = String(result.stdout);
    const match = /<pre id="result">([^<]*)<\/pre>/.exec(dom);
    assert.ok(match !== null, `no result in the DOM (exit ${result.returncode}):\n${dom}\n${String(result.stderr).slice(-2000)}`);
    return JSON.parse(match[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

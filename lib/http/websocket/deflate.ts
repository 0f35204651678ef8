/**
 * permessage-deflate (RFC 7692): negotiating its parameters in the handshake, and compressing and decompressing
 * whole messages.
 *
 * Everything runs on node:zlib's synchronous one-shot calls, so a green thread never waits on zlib's threadpool
 * and no undocumented stream internals are used. Context takeover (the sliding window carried from one message
 * to the next) is kept as a preset dictionary: the last window's worth of uncompressed bytes of the direction's
 * earlier compressed messages. Deflate's only state across a sync flush is that window (the bit stream is byte
 * aligned and blocks are independent), so compressing a message with the previous window as its dictionary
 * gives bytes a peer's continuous inflater decodes, and inflating with it decodes a peer's continuous stream.
 * The price is reloading up to 32 KiB per message; `*_no_context_takeover` skips it.
 */
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { type ExtensionItem, formatExtension } from './extensions';

/** What to offer (client) or accept (server) for permessage-deflate. */
export interface PerMessageDeflateOptions {
  /**
   * Client: ask the server to compress each message on its own. Server: do so even if the client did not ask
   * (less compression, no 32 KiB of history kept per connection). Default false.
   */
  serverNoContextTakeover?: boolean;
  /** Client: compress each message on its own (and say so). Server: ask the client to. Default false. */
  clientNoContextTakeover?: boolean;
  /** The server's compression window, 8-15 (bits): client: ask for at most this; server: use at most this. */
  serverMaxWindowBits?: number;
  /**
   * The client's compression window, 8-15: client: offer to use at most this; server: ask the client for at most
   * this when it offered `client_max_window_bits`. Either way our inflater accepts any window.
   */
  clientMaxWindowBits?: number;
  /** Messages shorter than this many bytes are sent uncompressed (they would barely shrink). Default 1024. */
  threshold?: number;
  /** zlib's compression level, 0-9; default zlib's (6). */
  level?: number;
}

/** The negotiated parameters; window bits are 15 when not limited. */
export interface DeflateAgreement {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

export const EXTENSION_NAME = 'permessage-deflate';
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const WINDOW_BITS = /^(?:[89]|1[0-5])$/;

/** Checks the options' types and ranges (a RangeError or TypeError naming the option). */
export function checkDeflateOptions(options: PerMessageDeflateOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('perMessageDeflate takes a boolean or an options object');
  for (const name of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
    const bits = options[name];
    if (bits !== undefined && (!Number.isInteger(bits) || bits < 8 || bits > 15)) {
      throw new RangeError(`perMessageDeflate.${name} is an integer from 8 to 15, not ${bits}`);
    }
  }
  if (options.threshold !== undefined && !(Number.isInteger(options.threshold) && options.threshold >= 0)) {
    throw new RangeError(`perMessageDeflate.threshold is an integer >= 0, not ${options.threshold}`);
  }
  if (options.level !== undefined && !(Number.isInteger(options.level) && options.level >= 0 && options.level <= 9)) {
    throw new RangeError(`perMessageDeflate.level is an integer from 0 to 9, not ${options.level}`);
  }
}

// The parameters of one offer or response, checked: null when one is unknown, repeated or has a bad value
// (RFC 7692 §7.1: such an offer is declined, such a response fails the connection).
interface Params {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  /** `true`: offered without a value. */
  clientMaxWindowBits: number | true | undefined;
}

function readParams(item: ExtensionItem): Params | string {
  const seen = new Set<string>();
  const params: Params = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const [name, value] of item.params) {
    if (seen.has(name)) return `the parameter ${name} is repeated`;
    seen.add(name);
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== true) return `${name} takes no value`;
      params[name === 'server_no_context_takeover' ? 'serverNoContextTakeover' : 'clientNoContextTakeover'] = true;
    } else if (name === 'server_max_window_bits' || name === 'client_max_window_bits') {
      if (value === true) {
        if (name === 'server_max_window_bits') return 'server_max_window_bits needs a value';
        params.clientMaxWindowBits = true;
      } else if (!WINDOW_BITS.test(value)) return `${name}=${value} is not from 8 to 15`;
      else params[name === 'server_max_window_bits' ? 'serverMaxWindowBits' : 'clientMaxWindowBits'] = Number(value);
    } else return `unknown parameter ${name}`;
  }
  return params;
}

/**
 * Server side: the first of the client's permessage-deflate offers we can accept, with the response to send;
 * null when there is none (the connection then goes uncompressed).
 */
export function acceptOffer(
  items: readonly ExtensionItem[],
  options: PerMessageDeflateOptions,
): { agreement: DeflateAgreement; response: string } | null {
  for (const item of items) {
    if (item.name !== EXTENSION_NAME) continue;
    const offer = readParams(item);
    if (typeof offer === 'string') continue;
    const response: [string, string | true][] = [];
    const serverNoContextTakeover = offer.serverNoContextTakeover || options.serverNoContextTakeover === true;
    if (serverNoContextTakeover) response.push(['server_no_context_takeover', true]);
    const clientNoContextTakeover = offer.clientNoContextTakeover || options.clientNoContextTakeover === true;
    if (clientNoContextTakeover) response.push(['client_no_context_takeover', true]);
    const serverBits = Math.min(offer.serverMaxWindowBits ?? 15, options.serverMaxWindowBits ?? 15);
    if (offer.serverMaxWindowBits !== undefined || options.serverMaxWindowBits !== undefined) {
      response.push(['server_max_window_bits', String(serverBits)]);
    }
    let clientBits = typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15;
    // The client only accepts a limit on its window if it offered the parameter.
    if (offer.clientMaxWindowBits !== undefined && options.clientMaxWindowBits !== undefined) {
      clientBits = Math.min(clientBits, options.clientMaxWindowBits);
      response.push(['client_max_window_bits', String(clientBits)]);
    }
    return {
      agreement: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits },
      response: formatExtension({ name: EXTENSION_NAME, params: response }),
    };
  }
  return null;
}

/** Client side: the offer to send. */
export function makeOffer(options: PerMessageDeflateOptions): string {
  const params: [string, string | true][] = [];
  if (options.serverNoContextTakeover) params.push(['server_no_context_takeover', true]);
  if (options.clientNoContextTakeover) params.push(['client_no_context_takeover', true]);
  if (options.serverMaxWindowBits !== undefined) params.push(['server_max_window_bits', String(options.serverMaxWindowBits)]);
  params.push(['client_max_window_bits', options.clientMaxWindowBits === undefined ? true : String(options.clientMaxWindowBits)]);
  return formatExtension({ name: EXTENSION_NAME, params });
}

/**
 * Client side: the agreement in the server's response to {@link makeOffer}, or a string saying why the response
 * is unacceptable.
 */
export function readResponse(item: ExtensionItem, options: PerMessageDeflateOptions): DeflateAgreement | string {
  const params = readParams(item);
  if (typeof params === 'string') return params;
  if (options.serverNoContextTakeover && !params.serverNoContextTakeover) return 'server_no_context_takeover was asked for and not agreed to';
  const asked = options.serverMaxWindowBits;
  if (asked !== undefined && (params.serverMaxWindowBits === undefined || params.serverMaxWindowBits > asked)) {
    return `server_max_window_bits=${asked} was asked for and not agreed to`;
  }
  if (params.clientMaxWindowBits === true) return 'client_max_window_bits needs a value in a response';
  if (params.clientMaxWindowBits !== undefined && params.clientMaxWindowBits > (options.clientMaxWindowBits ?? 15)) {
    return `client_max_window_bits=${params.clientMaxWindowBits} is over the ${options.clientMaxWindowBits} offered`;
  }
  return {
    serverNoContextTakeover: params.serverNoContextTakeover,
    clientNoContextTakeover: params.clientNoContextTakeover || options.clientNoContextTakeover === true,
    serverMaxWindowBits: params.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: params.clientMaxWindowBits ?? 15,
  };
}

/** Why a compressed message could not be inflated: over the size limit, or not a deflate stream. */
export class InflateFailure {
  constructor(readonly tooBig: boolean, readonly problem: string) {}
}

/** One connection's compressor and decompressor, per its side and the agreement. */
export class MessageDeflate {
  readonly threshold: number;
  readonly #level: number;
  readonly #sendBits: number;
  readonly #sendTakeover: boolean;
  readonly #receiveTakeover: boolean;
  #sendHistory: Buffer | null = null;
  #receiveHistory: Buffer | null = null;

  constructor(serverSide: boolean, agreement: DeflateAgreement, options: PerMessageDeflateOptions) {
    this.threshold = options.threshold ?? 1024;
    this.#level = options.level ?? zlibConstants.Z_DEFAULT_COMPRESSION;
    this.#sendBits = serverSide ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits;
    this.#sendTakeover = !(serverSide ? agreement.serverNoContextTakeover : agreement.clientNoContextTakeover);
    this.#receiveTakeover = !(serverSide ? agreement.clientNoContextTakeover : agreement.serverNoContextTakeover);
  }

  /** The compressed payload of a message (without the 00 00 ff ff a sync flush ends with, §7.2.1). */
  compress(data: Buffer): Buffer {
    // zlib has no raw 8-bit window; Node asks for 9, which keeps every distance under 256 (zlib keeps 262 bytes
    // of lookahead out of the window), so the stream is valid for a peer with an 8-bit window.
    const windowBits = Math.max(this.#sendBits, 9);
    const out = deflateRawSync(data, {
      windowBits,
      level: this.#level,
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      ...(this.#sendHistory ? { dictionary: this.#sendHistory } : {}),
    });
    if (this.#sendTakeover) this.#sendHistory = slide(this.#sendHistory, data, 1 << windowBits);
    return endsWithTail(out) ? out.subarray(0, out.length - TAIL.length) : out;
  }

  /** The inflated message, at most `maxSize` bytes (the limit applies to what it inflates to, not its bytes). */
  decompress(compressed: Buffer, maxSize: number): Buffer | InflateFailure {
    let out: Buffer;
    try {
      out = inflateRawSync(Buffer.concat([compressed, TAIL]), {
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        // Asking for one byte more than allowed tells "exactly the limit" from "over it".
        maxOutputLength: maxSize + 1,
        ...(this.#receiveHistory ? { dictionary: this.#receiveHistory } : {}),
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') return new InflateFailure(true, `a compressed message inflates to more than ${maxSize} bytes`);
      return new InflateFailure(false, `a compressed message is not a valid deflate stream (${(error as Error).message})`);
    }
    if (out.length > maxSize) return new InflateFailure(true, `a compressed message inflates to more than ${maxSize} bytes`);
    // Any window up to 15 bits may be referred to: keep 32 KiB whatever the peer agreed to use.
    if (this.#receiveTakeover) this.#receiveHistory = slide(this.#receiveHistory, out, 1 << 15);
    return out;
  }
}

function endsWithTail(b: Buffer): boolean {
  const n = b.length;
  return n >= 4 && b[n - 4] === 0 && b[n - 3] === 0 && b[n - 2] === 0xff && b[n - 1] === 0xff;
}

// The last `size` bytes of history followed by data.
function slide(history: Buffer | null, data: Buffer, size: number): Buffer {
  if (data.length >= size) return Buffer.from(data.subarray(data.length - size));
  if (history === null || history.length === 0) return Buffer.from(data);
  const keep = Math.min(history.length, size - data.length);
  return Buffer.concat([history.subarray(history.length - keep), data]);
}

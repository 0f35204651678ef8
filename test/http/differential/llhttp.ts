/**
 * Node's own HTTP parser (llhttp, through the internal `HTTPParser` binding that `node:http`'s server drives),
 * run over a whole connection's bytes the way `lib/_http_server.js` runs it: a REQUEST parser, strict (no lenient
 * flags: the server's default without `insecureHTTPParser`), the callbacks by their slot numbers.
 *
 * The binding is internal, so this file only relies on what Node 20 to 26 all have: `require('_http_common')`
 * exporting `HTTPParser` (with `REQUEST`, the `kOn*` slot numbers and `kLenientNone`) and `methods`;
 * `initialize(type, resource, maxHeaderSize, lenientFlags)`; `execute(buf)` returning the bytes parsed or an
 * Error with `code` and `reason`; headers delivered early through `kOnHeaders` once many have accumulated
 * (and trailers through it too); `kOnBody` given a Buffer.
 */
import type { Transcript, Message } from './transcript';

interface ParseError extends Error {
  code: string;
  reason?: string;
  bytesParsed?: number;
}

type Callback = (...args: never[]) => unknown;

interface NodeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): undefined | ParseError;
  close(): void;
  [slot: number]: Callback;
}

interface NodeHttpParserClass {
  new (): NodeHttpParser;
  REQUEST: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

interface HttpCommon {
  HTTPParser: NodeHttpParserClass;
  methods: string[];
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = require('_http_common') as HttpCommon;
const { HTTPParser, methods } = common;

for (const key of ['REQUEST', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kLenientNone'] as const) {
  if (typeof HTTPParser[key] !== 'number') {
    throw new Error(`this Node (${process.version}) has no HTTPParser.${key}: the llhttp driver needs updating`);
  }
}

/** Big enough that llhttp's header size limit (Node's maxHeaderSize, 16 KiB by default) never decides. */
const MAX_HEADER_SIZE = 1 << 20;

/** The llhttp version this Node carries. */
export const llhttpVersion: string = process.versions.llhttp ?? 'unknown';

/** Parses `input` as the bytes a client sent on one connection; see {@link Transcript}. */
export function llhttpTranscript(input: Buffer): Transcript {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, MAX_HEADER_SIZE, HTTPParser.kLenientNone);
  const messages: Message[] = [];
  let current: Message | null = null;
  let body: Buffer[] = [];
  let pendingHeaders: string[] = [];
  let pendingUrl = '';

  parser[HTTPParser.kOnHeaders] = ((headers: string[], url: string) => {
    // Before the head is complete: the first fields, flushed early. After it: trailers.
    if (current !== null && !current.complete) current.trailers.push(...headers);
    else {
      pendingHeaders.push(...headers);
      pendingUrl += url;
    }
  }) as Callback;
  parser[HTTPParser.kOnHeadersComplete] = ((
    versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number, url: string | undefined,
    _statusCode: unknown, _statusMessage: unknown, upgrade: boolean, shouldKeepAlive: boolean,
  ) => {
    const fields = headers ?? pendingHeaders;
    const target = url ?? pendingUrl;
    pendingHeaders = [];
    pendingUrl = '';
    current = {
      method: methods[method] ?? `#${method}`,
      target,
      version: `${versionMajor}.${versionMinor}`,
      headers: [...fields],
      keepAlive: shouldKeepAlive,
      upgrade,
      body: '',
      trailers: [],
      complete: false,
    };
    body = [];
    messages.push(current);
    return 0;
  }) as Callback;
  parser[HTTPParser.kOnBody] = ((chunk: Buffer) => {
    body.push(Buffer.from(chunk));
  }) as Callback;
  parser[HTTPParser.kOnMessageComplete] = (() => {
    if (current === null) return;
    current.body = Buffer.concat(body).toString('latin1');
    current.complete = true;
  }) as Callback;
  parser[HTTPParser.kOnMessageBegin] = (() => {}) as Callback;
  parser[HTTPParser.kOnExecute] = (() => {}) as Callback;

  let result: number | ParseError;
  try {
    result = parser.execute(input);
  } finally {
    parser.close();
  }
  const last = messages.at(-1);
  // A message cut short keeps the body it has so far.
  if (last !== undefined && !last.complete) last.body = Buffer.concat(body).toString('latin1');

  if (typeof result !== 'number') {
    // Data after a message that closes the connection: the server stops reading there, as ours does.
    if (result.code === 'HPE_CLOSED_CONNECTION' && last?.complete && !last.keepAlive) {
      return { messages, end: { kind: 'stop' }, at: result.bytesParsed ?? -1 };
    }
    return { messages, end: { kind: 'error', code: result.code, reason: result.reason ?? result.message }, at: result.bytesParsed ?? -1 };
  }
  // llhttp stops after an upgrade's head (and its body, if it announced one): the rest is not HTTP.
  if (last?.upgrade && last.complete) return { messages, end: { kind: 'stop' }, at: result };
  if (last?.complete && !last.keepAlive) return { messages, end: { kind: 'stop' }, at: result };
  return { messages, end: { kind: 'more' }, at: result };
}

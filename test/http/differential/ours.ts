/**
 * verdant's parser over the bytes of one connection, through the path the server takes (lib/http/server/parser.ts's
 * HeadParser, which calls the native parser): a head, then the body its framing announces (Content-Length bytes,
 * or chunks read the way lib/http/server/body.ts reads them: size line, data, CRLF, ..., trailers), then the
 * next head, until the bytes run out, a message closes the connection or upgrades it, or something is refused.
 */
import { BadRequestError } from '../../../lib/http/server/errors';
import { DEFAULT_HEAD_LIMITS, type HeadLimits } from '../../../lib/http/limits';
import { HeadParser, type RequestHead } from '../../../lib/http/server/parser';
import { native } from '../../../lib/http/native';
import type { End, Message, Transcript } from './transcript';

/** parser.h's Reason names, by number; checked against the addon's list so that a new reason is noticed. */
export const REASON_NAMES = [
  'kNone', 'kBadLineEnding', 'kBadMethod', 'kBadTarget', 'kTargetTooLong', 'kBadVersion', 'kUnsupportedVersion',
  'kBadHeaderName', 'kBadHeaderValue', 'kObsoleteLineFolding', 'kHeaderLineTooLong', 'kHeadTooLarge',
  'kTooManyHeaders', 'kBadContentLength', 'kContentLengthAndTransferEncoding', 'kBadTransferEncoding',
  'kUnsupportedTransferEncoding', 'kTransferEncodingInHttp10', 'kMissingHost', 'kMultipleHost',
  'kUnsupportedExpectation', 'kBadChunkSize', 'kChunkSizeLineTooLong',
] as const;
export type OurCode = (typeof REASON_NAMES)[number] | 'kChunkDataWithoutCrlf';

if (native.http_reasons.length !== REASON_NAMES.length) {
  throw new Error(`the addon has ${native.http_reasons.length} parse failure reasons, REASON_NAMES ${REASON_NAMES.length}`);
}

// body.ts's refusal of chunk data that is not followed by CRLF (the only body error that is not the parser's).
const CHUNK_CRLF_MESSAGE = 'a chunk of the request body is not followed by CRLF';

function errorEnd(error: BadRequestError): End {
  const index = native.http_reasons.indexOf(error.message);
  const code = index > 0 ? REASON_NAMES[index] : error.message === CHUNK_CRLF_MESSAGE ? 'kChunkDataWithoutCrlf' : null;
  if (code === null) throw new Error(`unexpected refusal: ${error.status} ${error.message}`);
  return { kind: 'error', code, reason: error.message, status: error.status };
}

/**
 * Where the body that starts at `cursor.pos` ends (null: not all of it has arrived), moving `cursor.pos` to each
 * chunk line as it goes; appends what it has to `message`.
 */
function readBody(parser: HeadParser, input: Buffer, cursor: { pos: number }, head: RequestHead, message: Message): number | null {
  let pos = cursor.pos;
  if (!head.chunked) {
    const end = Math.min(pos + Math.max(head.contentLength, 0), input.length);
    message.body = input.toString('latin1', pos, end);
    return end - pos === Math.max(head.contentLength, 0) ? end : null;
  }
  for (;;) {
    cursor.pos = pos;
    const size = parser.chunkSize(input, pos, input.length);
    if (size === null) return null;
    pos += size[0];
    if (size[1] === 0) break;
    const end = Math.min(pos + size[1], input.length);
    message.body += input.toString('latin1', pos, end);
    if (end - pos < size[1]) return null;
    pos = end;
    if (input.length - pos < 2) {
      // body.ts waits for both bytes before it judges them.
      return null;
    }
    cursor.pos = pos;
    if (input[pos] !== 13 || input[pos + 1] !== 10) throw new BadRequestError(400, CHUNK_CRLF_MESSAGE);
    pos += 2;
  }
  cursor.pos = pos;
  const trailers = parser.trailers(input, pos, input.length);
  if (trailers === null) return null;
  message.trailers = trailers[1];
  return pos + trailers[0];
}

/** Parses `input` as the bytes a client sent on one connection; see {@link Transcript}. */
export function oursTranscript(input: Buffer, limits: HeadLimits = DEFAULT_HEAD_LIMITS): Transcript {
  const parser = new HeadParser(limits);
  const messages: Message[] = [];
  const cursor = { pos: 0 };
  try {
    for (;;) {
      const head = parser.head(input, cursor.pos, input.length);
      if (head === null) return { messages, end: { kind: 'more' }, at: cursor.pos };
      cursor.pos += head.size;
      const message: Message = {
        method: head.method,
        target: head.target,
        version: `1.${head.versionMinor}`,
        headers: head.headers,
        keepAlive: head.keepAlive,
        upgrade: head.upgrade,
        body: '',
        trailers: [],
        complete: false,
      };
      messages.push(message);
      const end = readBody(parser, input, cursor, head, message);
      if (end === null) return { messages, end: { kind: 'more' }, at: cursor.pos };
      cursor.pos = end;
      message.complete = true;
      if (!head.keepAlive || head.upgrade) return { messages, end: { kind: 'stop' }, at: cursor.pos };
    }
  } catch (error) {
    if (error instanceof BadRequestError) return { messages, end: errorEnd(error), at: cursor.pos };
    throw error;
  }
}

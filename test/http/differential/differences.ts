/**
 * The intentional differences between verdant's request parser and Node's llhttp (strict mode), each with the
 * reason it is intended and a test that recognizes it in a divergence (compare.ts). The differential test fails
 * on any divergence none of these explains, so this list is the whole of how the two parsers differ on its inputs;
 * docs/http-server.md has the same list in prose.
 *
 * Nearly all are "we reject": the parser is stricter than llhttp. The few "we accept" ones say why accepting is
 * safe: for request smuggling, what matters is that no input is framed differently (one parser's body being the
 * other's next request); each of those leaves the framing unambiguous.
 */
import { BadRequestError } from '../../../lib/http/server/errors';
import type { RequestHead } from '../../../lib/http/server/parser';
import { requestUrl } from '../../../lib/http/server/request';
import type { Divergence } from './compare';
import type { Message, Transcript } from './transcript';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const llhttpMethods = (require('_http_common') as { methods: string[] }).methods;

/** What a class's test gets to look at. */
export interface Context {
  input: Buffer;
  ours: Transcript;
  theirs: Transcript;
  /** Whether both parsers agree on other bytes (the input with what a class blames taken out). */
  agreeOn(bytes: Buffer): boolean;
  /** Our transcript for other bytes. */
  oursOn(bytes: Buffer): Transcript;
}

export interface IntentionalDifference {
  id: string;
  kind: Divergence['kind'] | 'we-accept/differ';
  /** One line, for the summary and the docs. */
  summary: string;
  /** Why it is intended (and, for "we accept", why it is safe). */
  why: string;
  matches(d: Divergence, c: Context): boolean;
}

/** Whether the server answers 400 to this target when it makes the request's URL (request.ts's toRequest). */
function serverRefusesTarget(message: Message): boolean {
  const head = { method: message.method, target: message.target, headers: message.headers } as Pick<RequestHead, 'method' | 'target' | 'headers'>;
  try {
    new URL(requestUrl(head as RequestHead, 'http'));
    return false;
  } catch (error) {
    if (error instanceof BadRequestError || error instanceof TypeError) return true;
    throw error;
  }
}

const MAX_LENGTH = 2n ** 53n - 1n;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The line of `input` that starts at `at` (without its line ending). */
function lineAt(input: Buffer, at: number): string {
  const text = input.toString('latin1', at);
  const end = text.search(/\r|\n/);
  return end < 0 ? text : text.slice(0, end);
}

function fieldValues(message: Message | undefined, name: string): string[] {
  const values: string[] = [];
  if (message === undefined) return values;
  for (let i = 0; i < message.headers.length; i += 2) {
    if (message.headers[i].toLowerCase() === name) values.push(message.headers[i + 1]);
  }
  return values;
}

const weReject = (d: Divergence, ...codes: string[]) => d.kind === 'we-reject' && codes.includes(d.ours);
const theyRefuse = (d: Divergence, ...codes: string[]) =>
  (d.kind === 'we-accept' || d.kind === 'we-wait') && codes.includes(d.theirs);

/** Chunk-size lines of `input` with the whitespace around their ';' and '=' taken out. */
function withoutChunkLineWhitespace(input: Buffer): Buffer {
  const text = input.toString('latin1');
  return Buffer.from(text.replace(/(\r\n)([0-9A-Fa-f]+)([^\r\n]*)(?=\r\n)/g, (_, crlf: string, size: string, rest: string) =>
    crlf + size + (/^[ \t;]/.test(rest) ? rest.replace(/[ \t]+/g, '') : rest)), 'latin1');
}

export const INTENTIONAL_DIFFERENCES: readonly IntentionalDifference[] = [
  // --- we reject what llhttp takes ---------------------------------------------------------------------------------
  {
    id: 'host',
    kind: 'we-reject',
    summary: 'HTTP/1.1 without exactly one Host is refused (400)',
    why: 'RFC 9112 3.2 requires a 400 for a missing or repeated Host; llhttp leaves Host to the server (Node\'s ' +
      'server refuses a missing one too, by its requireHostHeader option).',
    matches: (d) => weReject(d, 'kMissingHost', 'kMultipleHost'),
  },
  {
    id: 'expect',
    kind: 'we-reject',
    summary: 'an Expect other than 100-continue is refused (417)',
    why: 'RFC 9110 10.1.1; llhttp does not interpret Expect (Node\'s server answers 417 too).',
    matches: (d) => weReject(d, 'kUnsupportedExpectation'),
  },
  {
    id: 'http-version',
    kind: 'we-reject',
    summary: 'only HTTP/1.0 and HTTP/1.1 are served: HTTP/0.9 request lines and other versions are refused (400, 505)',
    why: 'llhttp takes an HTTP/0.9 request line (no version) and versions like 2.0 or 0.9, which the server could ' +
      'not answer in kind; RFC 9110 15.6.6 has 505 for them.',
    matches: (d) => weReject(d, 'kUnsupportedVersion') ||
      (weReject(d, 'kBadTarget', 'kBadVersion') && d.kind === 'we-reject' && d.theirMessage !== undefined &&
        d.theirMessage.version !== '1.0' && d.theirMessage.version !== '1.1') ||
      theyRefuse(d, 'HPE_PAUSED_H2_UPGRADE'),
  },
  {
    id: 'transfer-encoding-http10',
    kind: 'we-reject',
    summary: 'Transfer-Encoding in an HTTP/1.0 request is refused',
    why: 'RFC 9112 6.1: the framing of such a message is faulty; an HTTP/1.0 intermediary before us would not have ' +
      'decoded chunks, so the body\'s end is in doubt.',
    matches: (d) => weReject(d, 'kTransferEncodingInHttp10'),
  },
  {
    id: 'transfer-coding',
    kind: 'we-reject',
    summary: 'a transfer coding other than chunked is refused (501), and so is a Transfer-Encoding list with empty ' +
      'elements or parameters on chunked',
    why: 'RFC 9112 6.1 lets a server answer 501 to codings it does not decode (the server decodes none but chunked); ' +
      'a framing header that needs its list cleaned up before it says "chunked" is refused rather than guessed at.',
    matches: (d) => weReject(d, 'kUnsupportedTransferEncoding', 'kBadTransferEncoding'),
  },
  {
    id: 'limits',
    kind: 'we-reject',
    summary: 'the server\'s limits: request line, field line, head size, field count; Content-Length and chunk ' +
      'sizes above 2^53 - 1',
    why: 'Limits are the server\'s to set (RFC 9112 3, 5); the test gives llhttp a 1 MiB header limit so that only ' +
      'ours decide. Lengths past 2^53 - 1 cannot be counted exactly in JavaScript.',
    matches: (d, c) => {
      if (weReject(d, 'kTargetTooLong', 'kHeaderLineTooLong', 'kHeadTooLarge', 'kTooManyHeaders')) return true;
      if (weReject(d, 'kBadContentLength') && d.kind === 'we-reject') {
        return fieldValues(d.theirMessage, 'content-length').some((v) => /^\d+$/.test(v) && BigInt(v) > MAX_LENGTH);
      }
      if (weReject(d, 'kBadChunkSize')) {
        const size = /^[0-9A-Fa-f]+/.exec(lineAt(c.input, c.ours.at));
        return size !== null && BigInt(`0x${size[0]}`) > MAX_LENGTH;
      }
      return false;
    },
  },
  {
    id: 'line-endings',
    kind: 'we-reject',
    summary: 'lines end in CRLF only: a bare LF, or a stray CR or LF before a request line, is refused',
    why: 'RFC 9112 2.2 allows a recipient to accept a bare LF; we do not, because parsers that differ on line ' +
      'endings are the classic way to hide a header from one of them. llhttp (strict) skips stray CR and LF ' +
      'between requests.',
    matches: (d, c) => {
      if (d.kind !== 'we-reject') return false;
      const text = c.input.toString('latin1');
      if (d.ours === 'kBadLineEnding') return /(^|[^\r])\n/.test(text);
      const next = c.input[c.ours.at];
      return (d.ours === 'kBadMethod' || d.ours === 'kBadTarget') && (next === 0x0d || next === 0x0a);
    },
  },
  {
    id: 'request-line-whitespace',
    kind: 'we-reject',
    summary: 'the request line\'s parts are separated by exactly one space',
    why: 'RFC 9112 3: recipients MAY split on any whitespace; we do not, so a target cannot be read two ways. ' +
      'llhttp takes several spaces between the target and the version.',
    matches: (d, c) => weReject(d, 'kBadTarget', 'kBadVersion') && /[ \t]{2}|\t/.test(lineAt(c.input, c.ours.at)),
  },
  {
    id: 'chunk-extensions',
    kind: 'we-reject',
    summary: 'chunk extensions follow RFC 9112 7.1.1 exactly (llhttp takes an empty one, ";;")',
    why: 'Extensions are ignored, but a chunk line that is not well formed is where parsers in a chain disagree ' +
      'about a body.',
    matches: (d, c) => weReject(d, 'kBadChunkSize') && lineAt(c.input, c.ours.at).includes(';'),
  },

  // --- we accept what llhttp refuses (each safe, and why) -------------------------------------------------------
  {
    id: 'extension-methods',
    kind: 'we-accept',
    summary: 'any token is a method, not only those llhttp knows',
    why: 'RFC 9110 9.1: methods are tokens and the registry is open (PURGE, custom WebDAV ones...); the handler ' +
      'answers what it does not serve. The method never changes how a request body is framed here (RFC 9112 6.3: ' +
      'Content-Length or chunked only), so no other parser can read the body differently because of it.',
    matches: (d, c) => {
      if (!theyRefuse(d, 'HPE_INVALID_METHOD')) return false;
      if (d.kind === 'we-accept') return d.ourMessage !== undefined && !llhttpMethods.includes(d.ourMessage.method);
      // We wait on a head whose method llhttp already knows it cannot take.
      const method = lineAt(c.input, c.ours.at).split(' ')[0];
      return TOKEN.test(method) && !llhttpMethods.includes(method);
    },
  },
  {
    id: 'target-syntax',
    kind: 'we-accept',
    summary: 'the parser takes any visible-ASCII request target; one that is not a path, "*", an absolute URL or a ' +
      'CONNECT authority is refused (400) when the server builds the request\'s URL',
    why: 'The target\'s form is the server\'s to check (lib/http/server/request.ts), not the parser\'s, and it never ' +
      'affects framing. Checked: the server refuses each such target llhttp refuses.',
    matches: (d) => theyRefuse(d, 'HPE_INVALID_URL') && d.kind === 'we-accept' && d.ourMessage !== undefined &&
      serverRefusesTarget(d.ourMessage),
  },
  {
    id: 'identical-content-lengths',
    kind: 'we-accept',
    summary: 'Content-Length repeated (in one field as a list, or in several) with one and the same value',
    why: 'RFC 9110 8.6 lets a recipient take a list of identical values as that value; there is only one length to ' +
      'read, so no parser can take another. Differing values are refused.',
    matches: (d) => {
      if (!theyRefuse(d, 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_CONTENT_LENGTH') || d.kind !== 'we-accept') return false;
      const values = fieldValues(d.ourMessage, 'content-length').flatMap((v) => v.split(',').map((x) => x.trim()));
      return values.length > 1 && values.every((v) => v === values[0]);
    },
  },
  {
    id: 'framing-fields-in-trailers',
    kind: 'we-accept',
    summary: 'a Content-Length or Transfer-Encoding among the trailers is read over, not interpreted',
    why: 'The body has ended by the time trailers come, and the server reads trailers and drops them (none reach ' +
      'the handler\'s headers), so a framing field there decides nothing; RFC 9110 6.5.1 forbids treating it as ' +
      'one. llhttp refuses it.',
    matches: (d) => d.kind === 'we-accept' && d.ourMessage !== undefined && d.ourMessage.complete &&
      d.ourMessage.trailers.some((name, i) => i % 2 === 0 && /^(content-length|transfer-encoding)$/i.test(name)),
  },
  {
    id: 'trailing-tab',
    kind: 'we-accept/differ',
    summary: 'a tab after a field value is whitespace, as a space is: "Transfer-Encoding: chunked<TAB>" is chunked, ' +
      '"Connection: close<TAB>" closes',
    why: 'RFC 9110 5.5: a field value excludes leading and trailing OWS, which is spaces and tabs. llhttp trims the ' +
      'tab from the value it reports but not from the value it interprets: it ignores such a Connection, and ' +
      'llhttp 9.3 (Node 20) refuses such a Content-Length or Transfer-Encoding. Safe: the framing fields are ' +
      'refused outright there, never framed otherwise (9.4 reads them as we do), and Connection decides nothing ' +
      'about where a message ends.',
    matches: (d, c) => {
      if (d.kind === 'we-reject' || d.kind === 'we-wait') return false;
      if (d.kind === 'differ' && d.field !== 'keepAlive' && d.field !== 'upgrade') return false;
      const text = c.input.toString('latin1');
      return /\t\r\n/.test(text) && c.agreeOn(Buffer.from(text.replace(/[ \t]+\r\n/g, '\r\n'), 'latin1'));
    },
  },
  {
    id: 'chunk-extension-whitespace',
    kind: 'we-accept',
    summary: 'whitespace around a chunk extension\'s ";" and "=" (BWS)',
    why: 'RFC 9112 7.1.1 puts BWS there and RFC 9110 5.6.3 says a recipient MUST parse and remove it; llhttp ' +
      'refuses it. The line still ends at its CRLF and the size at its last hex digit for both, so the chunk is ' +
      'delimited the same way.',
    matches: (d, c) => theyRefuse(d, 'HPE_STRICT', 'HPE_INVALID_CHUNK_SIZE') && d.kind === 'we-accept' &&
      c.agreeOn(withoutChunkLineWhitespace(c.input)),
  },

  // --- we wait where llhttp has already refused --------------------------------------------------------------------
  {
    id: 'whole-lines',
    kind: 'we-wait',
    summary: 'a line is judged when it is whole: we wait for its CRLF where llhttp refuses a byte at once',
    why: 'Nothing is taken before its line is whole, and the limits bound the wait (and the header timeout its ' +
      'time). Checked: the same bytes with the line ended are refused.',
    matches: (d, c) => {
      if (d.kind !== 'we-wait') return false;
      const ended = c.oursOn(Buffer.concat([c.input, Buffer.from('\r\n\r\n')]));
      return ended.end.kind === 'error' && ended.messages.length === d.index;
    },
  },

  // --- both take the message, and read it differently -------------------------------------------------------------
  {
    id: 'connect',
    kind: 'differ',
    summary: 'CONNECT is a request like others: llhttp ends HTTP after its head (a tunnel), we leave that to the handler',
    why: 'The handler decides: info.takeOver() makes the tunnel; a response without it leaves the connection in ' +
      'HTTP, as RFC 9110 9.3.6 has it for a CONNECT that is not answered 2xx.',
    matches: (d) => d.kind === 'differ' && (d.field === 'upgrade' || d.field === 'end') &&
      (d.ourMessage?.method === 'CONNECT' || d.theirMessage?.method === 'CONNECT'),
  },
];

/**
 * The inputs of the differential test: whole connections' bytes, each with a name that says where it came from.
 *   - generated: valid requests over methods, targets, versions, header sets and body framings, alone and pipelined;
 *   - smuggling: the known request smuggling and desync cases, one by one;
 *   - mutations: every byte of some generated requests replaced by, or preceded by, each byte that HTTP framing
 *     turns on (CR, LF, NUL, space, tab, ':', ';', ',', '"', DEL, obs-text, a letter, a digit), and deleted;
 *   - the fuzz corpus (test/native/fuzz/corpus): request heads as they are, chunk-size lines and trailer sections
 *     inside a chunked request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Input {
  name: string;
  bytes: Buffer;
}

const bytes = (text: string) => Buffer.from(text, 'latin1');
const HOST = 'Host: example.test';

function request(method: string, target: string, version: string, fields: string[], body = ''): string {
  return `${method} ${target} HTTP/${version}\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n${body}`;
}

/** A second request on the same connection, to show where the first one ended. */
const SECOND = request('GET', '/2', '1.1', [HOST]);

const chunked = (...pieces: string[]) => pieces.map((p) => `${p.length.toString(16)}\r\n${p}\r\n`).join('') + '0\r\n\r\n';

/** Valid requests: the cross product of a few of each thing a request varies in, framings included. */
export function generatedInputs(): Input[] {
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'];
  const targets = ['/', '/a/b/c', '/search?q=a+b&lang=en', '/%7Euser/file%20name.txt', '/a;p=1/b?x=%00', '*',
    'http://example.test:8080/path?x=1', '/!$&\'()*+,;=:@-._~'];
  const fieldSets: [string, string[]][] = [
    ['minimal', []],
    ['browser', ['User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0',
      'Accept: text/html,application/xhtml+xml,*/*;q=0.8', 'Accept-Language: en-US,en;q=0.5',
      'Accept-Encoding: gzip, deflate, br', 'Cookie: a=1; b=2']],
    ['odd-values', ['X-Empty:', 'X-Spaces:   padded   ', 'X-Tab:\tinner\ttab\t', 'X-Obs-Text: caf\xc3\xa9',
      'X-Quote: "a, b"', 'x-lower: v', 'X-UPPER: V', "X-Token-Name!#$%&'*+-.^_`|~: v"]],
    ['many', Array.from({ length: 40 }, (_, i) => `X-Field-${i}: value ${i}`)],
    ['long-value', [`X-Long: ${'v'.repeat(2000)}`]],
    ['connection-close', ['Connection: close']],
    ['connection-list', ['Connection: keep-alive, x-custom']],
    ['expect', ['Expect: 100-continue']],
    ['upgrade', ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13']],
  ];
  const inputs: Input[] = [];
  for (const method of methods) {
    for (const target of targets) {
      for (const version of ['1.1', '1.0']) {
        for (const [setName, fields] of fieldSets) {
          const all = version === '1.1' ? [HOST, ...fields] : fields;
          const name = `generated ${method} ${target} HTTP/${version} ${setName}`;
          inputs.push({ name, bytes: bytes(request(method, target, version, all)) });
        }
      }
    }
  }
  // Bodies: each framing, each with a follower on the same connection (pipelining shows where each ends).
  const bodies: [string, string[], string][] = [
    ['content-length 0', ['Content-Length: 0'], ''],
    ['content-length', ['Content-Length: 11', 'Content-Type: text/plain'], 'hello world'],
    ['content-length binary', ['Content-Length: 6'], '\r\n\x00\xff\r\n'],
    ['chunked one', ['Transfer-Encoding: chunked'], chunked('hello')],
    ['chunked several', ['Transfer-Encoding: chunked'], chunked('a', 'bcdefghijklmnopq', '\r\n0\r\n\r\n')],
    ['chunked upper-case size', ['Transfer-Encoding: chunked'], '1A\r\n' + 'z'.repeat(26) + '\r\n0\r\n\r\n'],
    ['chunked extensions', ['Transfer-Encoding: chunked'], '5;name=value;flag\r\nhello\r\n0;last="yes \\"really\\""\r\n\r\n'],
    ['chunked trailers', ['Transfer-Encoding: chunked', 'Trailer: X-Sum'], '3\r\nabc\r\n0\r\nX-Sum: 6\r\nX-Other: y\r\n\r\n'],
    ['chunked leading zeros', ['Transfer-Encoding: chunked'], '0003\r\nabc\r\n000\r\n\r\n'],
    ['transfer-encoding case', ['Transfer-Encoding: Chunked'], chunked('xyz')],
  ];
  const follower = request('GET', '/next', '1.1', [HOST]);
  for (const method of ['POST', 'PUT', 'GET']) {
    for (const [name, fields, body] of bodies) {
      const first = request(method, '/upload', '1.1', [HOST, ...fields], body);
      inputs.push({ name: `generated ${method} ${name}`, bytes: bytes(first) });
      inputs.push({ name: `generated ${method} ${name}, pipelined`, bytes: bytes(first + follower) });
      // Cut short: every framing must agree on how much more it is waiting for.
      inputs.push({ name: `generated ${method} ${name}, cut short`, bytes: bytes(first.slice(0, first.length - 3)) });
    }
  }
  inputs.push({ name: 'generated http/1.0 keep-alive pipeline',
    bytes: bytes(request('GET', '/1', '1.0', ['Connection: keep-alive']) + request('GET', '/2', '1.0', [])) });
  inputs.push({ name: 'generated leading empty lines', bytes: bytes('\r\n\r\n' + request('GET', '/', '1.1', [HOST])) });
  inputs.push({ name: 'generated close then more', bytes: bytes(request('GET', '/', '1.1', [HOST, 'Connection: close']) + follower) });
  return inputs;
}

/** The requests behind known smuggling and desync attacks, and the other inputs parsers are known to disagree on. */
export function smugglingInputs(): Input[] {
  const post = (fields: string[], body = '') => request('POST', '/', '1.1', [HOST, ...fields], body);
  const te = (value: string, body = chunked('abc')) => post([`Transfer-Encoding: ${value}`], body);
  const cases: [string, string][] = [
    ['CL.TE', post(['Content-Length: 6', 'Transfer-Encoding: chunked'], '0\r\n\r\nX')],
    ['TE.CL', post(['Transfer-Encoding: chunked', 'Content-Length: 3'], '8\r\nSMUGGLED\r\n0\r\n\r\n')],
    ['duplicate Content-Length, different', post(['Content-Length: 3', 'Content-Length: 4'], 'abcd')],
    ['duplicate Content-Length, same', post(['Content-Length: 3', 'Content-Length: 3'], 'abc')],
    ['Content-Length list, same', post(['Content-Length: 3, 3'], 'abc')],
    ['Content-Length list, different', post(['Content-Length: 3, 4'], 'abcd')],
    ['Content-Length with a sign', post(['Content-Length: +3'], 'abc')],
    ['Content-Length negative', post(['Content-Length: -1'], '')],
    ['Content-Length hex', post(['Content-Length: 0x3'], 'abc')],
    ['Content-Length leading zeros', post(['Content-Length: 003'], 'abc')],
    ['Content-Length space inside', post(['Content-Length: 1 2'], 'abc')],
    ['Content-Length empty', post(['Content-Length:'], '')],
    ['Content-Length 2^53', post(['Content-Length: 9007199254740992'], '')],
    ['Content-Length 2^64', post(['Content-Length: 18446744073709551616'], '')],
    ['Content-Length with a tab after', post(['Content-Length: 3\t'], 'abc')],
    ['Content-Length with a vertical tab', post(['Content-Length: 3\x0b'], 'abc')],
    ['Content-Length in a GET with a pipelined follower',
      request('GET', '/', '1.1', [HOST, 'Content-Length: 21'], request('GET', '/x', '1.0', []))],
    ['TE chunked twice in one line', te('chunked, chunked')],
    ['TE chunked on two lines', post(['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], chunked('abc'))],
    ['TE gzip then chunked', te('gzip, chunked')],
    ['TE chunked then gzip', te('chunked, gzip')],
    ['TE identity', te('identity', '')],
    ['TE xchunked', te('xchunked')],
    ['TE chunkedx', te('chunkedx')],
    ['TE chunked with a parameter', te('chunked;q=1')],
    ['TE chunked with a trailing tab', te('chunked\t')],
    ['TE chunked with a vertical tab', te('\x0bchunked')],
    ['TE chunked with a leading comma', te(', chunked')],
    ['TE chunked quoted', te('"chunked"')],
    ['TE upper case', te('CHUNKED')],
    ['TE space before the colon', post(['Transfer-Encoding : chunked'], chunked('abc'))],
    ['TE with an underscore', post(['Transfer_Encoding: chunked'], chunked('abc'))],
    ['TE obs-folded', post(['Transfer-Encoding:', ' chunked'], chunked('abc'))],
    ['TE in HTTP/1.0', request('POST', '/', '1.0', ['Transfer-Encoding: chunked'], chunked('abc'))],
    ['obs-fold', request('GET', '/', '1.1', [HOST, 'X-Folded: a', ' b'])],
    ['obs-fold with a tab', request('GET', '/', '1.1', [HOST, 'X-Folded: a', '\tb'])],
    ['bare LF everywhere', 'GET / HTTP/1.1\nHost: example.test\n\n'],
    ['bare LF ending the request line', 'GET / HTTP/1.1\nHost: example.test\r\n\r\n'],
    ['bare LF ending a field', 'GET / HTTP/1.1\r\nHost: example.test\nX: y\r\n\r\n'],
    ['bare LF ending the head', 'GET / HTTP/1.1\r\nHost: example.test\r\n\n'],
    ['bare CR ending a field', 'GET / HTTP/1.1\r\nHost: example.test\rX: y\r\n\r\n'],
    ['CR inside a value', 'GET / HTTP/1.1\r\nHost: example.test\r\nX: a\rb\r\n\r\n'],
    ['NUL inside a value', 'GET / HTTP/1.1\r\nHost: example.test\r\nX: a\x00b\r\n\r\n'],
    ['DEL inside a value', 'GET / HTTP/1.1\r\nHost: example.test\r\nX: a\x7fb\r\n\r\n'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : example.test\r\n\r\n'],
    ['tab before the colon', 'GET / HTTP/1.1\r\nHost\t: example.test\r\n\r\n'],
    ['space inside a field name', 'GET / HTTP/1.1\r\nHost: example.test\r\nX Y: z\r\n\r\n'],
    ['empty field name', 'GET / HTTP/1.1\r\nHost: example.test\r\n: z\r\n\r\n'],
    ['field without a colon', 'GET / HTTP/1.1\r\nHost: example.test\r\nNoColon\r\n\r\n'],
    ['whitespace before the first field', 'GET / HTTP/1.1\r\n Host: example.test\r\n\r\n'],
    ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n'],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['empty Host', 'GET / HTTP/1.1\r\nHost:\r\n\r\n'],
    ['Expect other than 100-continue', request('PUT', '/', '1.1', [HOST, 'Expect: 200-ok', 'Content-Length: 0'])],
    ['Expect in HTTP/1.0', request('PUT', '/', '1.0', ['Expect: 100-continue', 'Content-Length: 0'])],
    ['two spaces after the method', 'GET  / HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['tab after the method', 'GET\t/ HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['space before the method', ' GET / HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['space after the version', 'GET / HTTP/1.1 \r\nHost: example.test\r\n\r\n'],
    ['lower-case method', 'get / HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['extension method', 'PURGE / HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['non-token method', 'G(T / HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['HTTP/0.9', 'GET /\r\n\r\n'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: example.test\r\n\r\n'],
    ['HTTP/2.0 request line', 'GET / HTTP/2.0\r\nHost: example.test\r\n\r\n'],
    ['lower-case version', 'GET / http/1.1\r\nHost: example.test\r\n\r\n'],
    ['two-digit version', 'GET / HTTP/1.10\r\nHost: example.test\r\n\r\n'],
    ['target with a fragment', 'GET /a#frag HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['target with obs-text', 'GET /caf\xc3\xa9 HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['target with DEL', 'GET /a\x7f HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['target with braces and pipes', 'GET /{a}|b^c`d HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['target with a quote and angle brackets', 'GET /"<a>" HTTP/1.1\r\nHost: example.test\r\n\r\n'],
    ['CONNECT authority-form', 'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n'],
    ['CONNECT then bytes', 'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n\x16\x03\x01'],
    ['upgrade then bytes', request('GET', '/ws', '1.1', [HOST, 'Connection: upgrade', 'Upgrade: websocket'], '\x81\x05hello')],
    ['upgrade with a body', request('GET', '/ws', '1.1', [HOST, 'Connection: upgrade', 'Upgrade: x', 'Content-Length: 2'], 'ab\x81\x00')],
    ['Upgrade without Connection: upgrade', request('GET', '/', '1.1', [HOST, 'Upgrade: websocket'], '') + SECOND],
    ['Connection: close, then a second request', request('GET', '/', '1.1', [HOST, 'Connection: close']) + SECOND],
    ['Connection: keep-alive, close', request('GET', '/', '1.1', [HOST, 'Connection: keep-alive, close']) + SECOND],
    ['Connection: CLOSE', request('GET', '/', '1.1', [HOST, 'Connection: CLOSE']) + SECOND],
    ['Connection: closed', request('GET', '/', '1.1', [HOST, 'Connection: closed']) + SECOND],
    ['chunk size overflowing 64 bits', te('chunked', 'fffffffffffffffff\r\nabc\r\n0\r\n\r\n')],
    ['chunk size past 2^53', te('chunked', '20000000000000\r\nabc\r\n0\r\n\r\n')],
    ['chunk size 2^53 - 1', te('chunked', '1fffffffffffff\r\nabc')],
    ['chunk size with 0x', te('chunked', '0x3\r\nabc\r\n0\r\n\r\n')],
    ['chunk size negative', te('chunked', '-3\r\nabc\r\n0\r\n\r\n')],
    ['chunk size with a trailing space', te('chunked', '3 \r\nabc\r\n0\r\n\r\n')],
    ['chunk size with a leading space', te('chunked', ' 3\r\nabc\r\n0\r\n\r\n')],
    ['chunk size empty', te('chunked', '\r\nabc\r\n0\r\n\r\n')],
    ['chunk size bare LF', te('chunked', '3\nabc\r\n0\r\n\r\n')],
    ['chunk data followed by LF only', te('chunked', '3\r\nabc\n0\r\n\r\n')],
    ['chunk data longer than its size', te('chunked', '3\r\nabcd\r\n0\r\n\r\n')],
    ['chunk data shorter than its size', te('chunked', '5\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension', te('chunked', '3;a=b\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension with whitespace', te('chunked', '3 ; a = b\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension quoted', te('chunked', '3;a="b c"\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension with a bare LF', te('chunked', '3;a=b\nabc\r\n0\r\n\r\n')],
    ['chunk extension with a quoted LF', te('chunked', '3;a="\n"\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension with a quoted CRLF', te('chunked', '3;a="\r\n"\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension without a name', te('chunked', '3;\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension empty', te('chunked', '3;;a\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension value with a space', te('chunked', '3;a=b c\r\nabc\r\n0\r\n\r\n')],
    ['chunk extension with a NUL', te('chunked', '3;a=\x00\r\nabc\r\n0\r\n\r\n')],
    ['last chunk without the final CRLF', te('chunked', '3\r\nabc\r\n0\r\n')],
    ['last chunk with a bare LF ending', te('chunked', '3\r\nabc\r\n0\r\n\n')],
    ['trailer obs-folded', te('chunked', '0\r\nX: a\r\n b\r\n\r\n')],
    ['trailer without a colon', te('chunked', '0\r\nNoColon\r\n\r\n')],
    ['trailer with Content-Length', te('chunked', '0\r\nContent-Length: 5\r\n\r\n')],
    ['trailer with a space before the colon', te('chunked', '0\r\nX : y\r\n\r\n')],
    ['a 9 KiB field line', request('GET', '/', '1.1', [HOST, `X-Big: ${'b'.repeat(9 * 1024)}`])],
    ['a 9 KiB request line', request('GET', `/${'a'.repeat(9 * 1024)}`, '1.1', [HOST])],
    ['101 fields', request('GET', '/', '1.1', [HOST, ...Array.from({ length: 100 }, (_, i) => `X-${i}: ${i}`)])],
    ['a TLS ClientHello', '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ];
  return cases.map(([name, text]) => ({ name: `smuggling: ${name}`, bytes: bytes(text) }));
}

// What each position is replaced by (and preceded by) in the mutations.
const MUTATION_BYTES = [0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x7f, 0xe9, 0x61, 0x30];

/** Every byte of each base input replaced by, and preceded by, each of MUTATION_BYTES, and deleted. */
export function mutatedInputs(bases: Input[]): Input[] {
  const inputs: Input[] = [];
  for (const base of bases) {
    const b = base.bytes;
    for (let i = 0; i < b.length; i++) {
      for (const c of MUTATION_BYTES) {
        if (b[i] !== c) {
          const replaced = Buffer.from(b);
          replaced[i] = c;
          inputs.push({ name: `${base.name}, byte ${i} replaced by 0x${c.toString(16)}`, bytes: replaced });
        }
        const inserted = Buffer.concat([b.subarray(0, i), Buffer.of(c), b.subarray(i)]);
        inputs.push({ name: `${base.name}, 0x${c.toString(16)} inserted at ${i}`, bytes: inserted });
      }
      inputs.push({ name: `${base.name}, byte ${i} deleted`, bytes: Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]) });
    }
  }
  return inputs;
}

/** The requests the mutations start from: every framing, and fields that steer framing and connections. */
export function mutationBases(): Input[] {
  const bases: [string, string][] = [
    ['GET', request('GET', '/a?b=c', '1.1', [HOST, 'Accept: */*', 'Connection: keep-alive']) + SECOND],
    ['HTTP/1.0', request('GET', '/', '1.0', ['Connection: keep-alive', 'X: y']) + request('HEAD', '/2', '1.0', [])],
    ['POST content-length', request('POST', '/p', '1.1', [HOST, 'Content-Length: 5'], 'hello') + SECOND],
    ['POST chunked', request('POST', '/c', '1.1', [HOST, 'Transfer-Encoding: chunked'], '5;e=v\r\nhello\r\n0\r\nT: v\r\n\r\n') + SECOND],
    ['upgrade', request('GET', '/ws', '1.1', [HOST, 'Connection: Upgrade', 'Upgrade: websocket']) + 'rest'],
    ['expect', request('PUT', '/e', '1.1', [HOST, 'Expect: 100-continue', 'Content-Length: 2'], 'ok')],
  ];
  return bases.map(([name, text]) => ({ name: `mutation of ${name}`, bytes: bytes(text) }));
}

/**
 * The fuzz harnesses' seed corpus (test/native/fuzz/corpus): request heads as they are; chunk-size lines as the
 * first chunk of a chunked request; trailer sections after its last chunk.
 */
export function corpusInputs(root: string): Input[] {
  const read = (dir: string) => readdirSync(join(root, dir)).sort().map((name) => ({ name, bytes: readFileSync(join(root, dir, name)) }));
  const prefix = bytes(request('POST', '/', '1.1', [HOST, 'Transfer-Encoding: chunked']));
  return [
    ...read('request_head').map(({ name, bytes: b }) => ({ name: `corpus request_head/${name}`, bytes: b })),
    ...read('chunk_size').map(({ name, bytes: b }) => ({
      name: `corpus chunk_size/${name}`,
      bytes: Buffer.concat([prefix, b, bytes('abcdefghijklmnopqrstuvwxyz'.repeat(2) + '\r\n0\r\n\r\n')]),
    })),
    ...read('trailers').map(({ name, bytes: b }) => ({
      name: `corpus trailers/${name}`,
      bytes: Buffer.concat([prefix, bytes('0\r\n'), b]),
    })),
  ];
}

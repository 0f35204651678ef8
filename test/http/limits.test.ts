// The head limits are set in lib/http/limits.ts; native/http/parser.h repeats them as the defaults of the C++
// tests and fuzzers. This keeps the two the same fact.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_HEAD_LIMITS } from '../../lib/http/limits';
import { MAX_HEAD_BYTES, MAX_HEADER_FIELDS } from '../../lib/http/client';

const PARSER_H = path.resolve(__dirname, '..', '..', '..', 'native', 'http', 'parser.h');

// `uint32_t max_head = 64 * 1024;` -> 65536, for each field of struct Limits.
function nativeDefaults(): Record<string, number> {
  const source = fs.readFileSync(PARSER_H, 'utf8');
  const struct = /struct Limits \{([^}]*)\}/.exec(source);
  assert.ok(struct, 'struct Limits in native/http/parser.h');
  const fields: Record<string, number> = {};
  for (const [, name, expression] of struct[1].matchAll(/uint32_t (\w+) = ([\d *]+);/g)) {
    fields[name] = expression.split('*').reduce((product, factor) => product * Number(factor.trim()), 1);
  }
  return fields;
}

describe('http: head limits', () => {
  it('the native parser defaults and lib/http/limits.ts are the same numbers; the client uses them too', () => {
    assert.deepEqual(nativeDefaults(), {
      max_request_line: DEFAULT_HEAD_LIMITS.maxRequestLine,
      max_header_line: DEFAULT_HEAD_LIMITS.maxHeaderLine,
      max_head: DEFAULT_HEAD_LIMITS.maxHead,
      max_headers: DEFAULT_HEAD_LIMITS.maxHeaders,
    });
    assert.equal(MAX_HEAD_BYTES, DEFAULT_HEAD_LIMITS.maxHead);
    assert.equal(MAX_HEADER_FIELDS, DEFAULT_HEAD_LIMITS.maxHeaders);
  });
});

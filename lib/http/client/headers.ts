/**
 * Request headers: the forms a caller may give them in, checked and turned into one list of [name, value] pairs
 * (order and case kept, repeats allowed), which is what goes on the wire.
 */

/**
 * Headers to send: a WHATWG `Headers`, an object (`{ accept: 'text/html', 'x-many': ['a', 'b'] }`; undefined
 * values are skipped), or [name, value] pairs.
 */
export type HeadersInput =
  | Headers
  | Iterable<readonly [string, string]>
  | Record<string, string | number | readonly string[] | undefined>;

export type HeaderList = Array<[name: string, value: string]>;

// RFC 9110 token characters: what a header name may be made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// CR, LF and NUL in a value would end the header early (a request smuggling hole); other control characters
// and anything beyond Latin-1 cannot be sent either (RFC 9110 §5.5: tab, visible ASCII and obs-text).
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** `input` as a checked list of pairs. Throws a TypeError for a bad name or a value HTTP cannot carry. */
export function headerList(input: HeadersInput | undefined): HeaderList {
  const out: HeaderList = [];
  if (input === undefined || input === null) return out;
  if (typeof input !== 'object') throw new TypeError(`headers must be an object, a Headers or [name, value] pairs, not ${typeof input}`);
  if (typeof Headers !== 'undefined' && input instanceof Headers) {
    for (const [name, value] of input) {
      // Headers joins repeated headers with ", " except Set-Cookie, which it keeps apart: send each line.
      if (name === 'set-cookie') for (const cookie of input.getSetCookie()) push(out, name, cookie);
      else push(out, name, value);
    }
  } else if (Symbol.iterator in input) {
    for (const pair of input as Iterable<readonly [string, string]>) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError('header pairs must be [name, value] arrays');
      push(out, pair[0], pair[1]);
    }
  } else {
    for (const [name, value] of Object.entries(input)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const one of value) push(out, name, one);
      else push(out, name, value as string | number);
    }
  }
  return out;
}

/** True if `list` has a header called `name` (compared without case; `name` in lower case). */
export function hasHeader(list: HeaderList, name: string): boolean {
  return list.some(([n]) => n.toLowerCase() === name);
}

/** The first value of header `name` (lower case), or null. */
export function headerValue(list: HeaderList, name: string): string | null {
  const found = list.find(([n]) => n.toLowerCase() === name);
  return found === undefined ? null : found[1];
}

/** `list` without the headers whose lower-case names are in `names`. */
export function withoutHeaders(list: HeaderList, names: ReadonlySet<string>): HeaderList {
  return list.filter(([n]) => !names.has(n.toLowerCase()));
}

function push(out: HeaderList, name: unknown, value: unknown): void {
  if (typeof name !== 'string' || !TOKEN.test(name)) throw new TypeError(`not a valid header name: ${JSON.stringify(name)}`);
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new TypeError(`the value of header ${name} must be a string or a number, not ${value === null ? 'null' : typeof value}`);
  }
  const text = String(value).replace(/^[ \t]+|[ \t]+$/g, '');
  if (BAD_VALUE.test(text)) throw new TypeError(`the value of header ${name} has a character HTTP cannot carry (CR, LF, NUL, a control, or beyond Latin-1)`);
  out.push([name, text]);
}

/**
 * Header fields as a handler gives them (a plain object, pairs or a Headers object), taken as pairs without
 * building a Headers object when they are already what one would hold.
 * @internal
 */

/** A field name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value the Headers class would keep as it is (no NUL, CR or LF; no leading or trailing whitespace). */
const PLAIN_VALUE = /^(?:[^\0\r\n\t ](?:[^\0\r\n]*[^\0\r\n\t ])?)?$/;

/** Header fields in order, names as given. */
export type FieldPairs = readonly (readonly [string, string])[];

function validField(name: unknown, value: unknown): value is string {
  return typeof name === 'string' && typeof value === 'string' && TOKEN.test(name) && PLAIN_VALUE.test(value);
}

/**
 * The fields of a `headers` init as pairs, when `new Headers(init)` would take them unchanged: a plain object or
 * an array of pairs of valid names and string values, or a Headers object (checked already). Null for anything
 * else (a value to convert or trim, an invalid field, a Map...), which needs the Headers class's own conversion and
 * errors.
 */
export function fieldPairs(init: unknown): FieldPairs | null {
  if (init === undefined) return [];
  if (init === null || typeof init !== 'object') return null;
  if (init instanceof Headers) return [...init];
  const pairs: [string, string][] = [];
  if (Array.isArray(init)) {
    for (const pair of init as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2 || !validField(pair[0], pair[1])) return null;
      pairs.push([pair[0], pair[1]]);
    }
    return pairs;
  }
  const proto = Object.getPrototypeOf(init);
  if (proto !== Object.prototype && proto !== null) return null;
  for (const name of Object.keys(init)) {
    const value = (init as Record<string, unknown>)[name];
    if (!validField(name, value)) return null;
    pairs.push([name, value]);
  }
  return pairs;
}

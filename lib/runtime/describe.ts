/**
 * How an argument is named in the TypeErrors and RangeErrors that refuse it: its type and, for a primitive, its
 * value ('string 1s', 'an instance of Map', 'null').
 * @internal
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `${typeof value} ${String(value)}`;
}

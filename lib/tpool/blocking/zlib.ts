/**
 * The rows of the blocking-function table for `zlib`: the one-shot `*Sync` (de)compressors, whose callback
 * twins compress on the libuv threadpool.
 *
 * @internal Part of ./table.ts.
 */
import * as zlib from 'node:zlib';
import { callbackCounterpart, type Counterpart } from './counterpart';

const oneShot = [
  'gzipSync',
  'gunzipSync',
  'deflateSync',
  'inflateSync',
  'deflateRawSync',
  'inflateRawSync',
  'unzipSync',
  'brotliCompressSync',
  'brotliDecompressSync',
];

/** The zlib rows: each takes `(buffer, options?)`. */
export const zlibCounterparts: Counterpart[] = oneShot.map((property) =>
  callbackCounterpart('zlib', zlib, property, 2),
);

/**
 * The rows of the blocking-function table for `crypto`: key derivation, random fill and key generation, whose
 * callback twins run on the libuv threadpool.
 *
 * @internal Part of ./table.ts.
 */
import * as crypto from 'node:crypto';
import { callbackCounterpart, leadingArguments, type Counterpart } from './counterpart';

const sameArguments: Record<string, number> = {
  pbkdf2Sync: 5,
  scryptSync: 4,
  randomFillSync: 3,
  hkdfSync: 5,
  generateKeySync: 2,
  generatePrimeSync: 2,
  checkPrimeSync: 2,
};

// generateKeyPair calls back with (error, publicKey, privateKey); generateKeyPairSync returns both in an object.
const generateKeyPair: Counterpart = {
  module: 'crypto',
  property: 'generateKeyPairSync',
  name: 'crypto.generateKeyPairSync',
  original: crypto.generateKeyPairSync,
  start(args, done) {
    const callback = (error: Error | null, publicKey: unknown, privateKey: unknown) =>
      done(error, { publicKey, privateKey });
    (crypto.generateKeyPair as (...a: unknown[]) => void)(...leadingArguments(args, 2), callback);
  },
};

/** The crypto rows. */
export const cryptoCounterparts: Counterpart[] = [
  ...Object.entries(sameArguments).map(([property, arity]) => callbackCounterpart('crypto', crypto, property, arity)),
  generateKeyPair,
];

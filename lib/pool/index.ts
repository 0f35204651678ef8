/**
 * Green-thread pools: {@link GreenPool} bounds how many green threads run at once; {@link GreenPile} gives the
 * results of spawned work back in spawn order.
 */
export { GreenPool } from './greenpool';
export type { IterablesOf } from './greenpool';
export { GreenPile } from './greenpile';
export { PoolDeadlockError } from './errors';

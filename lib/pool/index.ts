/**
 * Green-thread pools: {@link GreenPool} bounds how many green threads run at once; {@link GreenPile} gives the
 * results of spawned work back in spawn order; {@link DAGPool} runs green threads as their data dependencies
 * become available.
 */
export { GreenPool } from './greenpool';
export type { IterablesOf } from './greenpool';
export { GreenPile } from './greenpile';
export { DAGPool } from './dagpool';
export type { DagFunction, DagResults, DagPreload, DagPostOptions } from './dagpool';
export { PoolDeadlockError, Collision, PropagateError } from './errors';

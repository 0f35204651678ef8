// Python names the eventlet pool tests share.
import { Pool } from 'verdant';

/** Python's RuntimeError, which JavaScript has no class for. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * eventlet's IntPool: a Pool whose create() counts up from 1. The counter is declared, not initialized: a field
 * initializer would run after Pool's constructor, which already calls create() for minSize items.
 */
export class IntPool extends Pool<number> {
  declare currentInteger?: number;

  override create(): number {
    this.currentInteger = (this.currentInteger ?? 0) + 1;
    return this.currentInteger;
  }
}

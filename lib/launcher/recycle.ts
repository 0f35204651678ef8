/**
 * When to replace a worker: the recycling limits (`--max-requests`, `--max-age`, `--max-memory`), and the
 * growing delay between starts while workers keep dying young (an app that throws at load must not make the
 * controller spin). Pure policy: the controller measures, these functions decide.
 */

/** The recycling limits; null: no limit. */
export interface RecycleLimits {
  maxRequests: number | null;
  /** Seconds. */
  maxAge: number | null;
  /** Megabytes (2^20 bytes) of RSS. */
  maxMemory: number | null;
}

/** What a worker's recycling depends on. */
export interface Vitals {
  requests: number;
  /** Bytes. */
  rss: number;
  /** Seconds since it became ready. */
  age: number;
}

export type RecycleReason = 'max-requests' | 'max-age' | 'max-memory';

/** The first limit `vitals` is past, or null. */
export function recycleReason(limits: RecycleLimits, vitals: Vitals): RecycleReason | null {
  if (limits.maxRequests !== null && vitals.requests >= limits.maxRequests) return 'max-requests';
  if (limits.maxAge !== null && vitals.age >= limits.maxAge) return 'max-age';
  if (limits.maxMemory !== null && vitals.rss > limits.maxMemory * 1024 * 1024) return 'max-memory';
  return null;
}

/** Settings of {@link RestartBackoff}. */
export interface BackoffOptions {
  /** Seconds of the first delay (the second death in a row; the first is retried at once). Default 0.5. */
  initial?: number;
  /** Largest delay, seconds. Default 30. */
  max?: number;
  /** A worker that lived this many seconds after becoming ready did not die young. Default 5. */
  stableAfter?: number;
}

/**
 * Counts workers dying young in a row (before they were ready, or within `stableAfter` seconds of it) and says
 * how long to wait before the next start: 0 after the first, then `initial` doubling up to `max`. A worker
 * that stays up, or a reload (new code, maybe fixed), starts the count again.
 */
export class RestartBackoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #stableAfter: number;
  #deaths = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initial ?? 0.5;
    this.#max = options.max ?? 30;
    this.#stableAfter = options.stableAfter ?? 5;
  }

  /** Deaths counted since the last reset. */
  get deaths(): number {
    return this.#deaths;
  }

  /**
   * Records a worker's exit; `readyFor` is how many seconds it had been ready (null: it never was). Returns the
   * seconds to wait before starting another.
   */
  exited(readyFor: number | null): number {
    if (readyFor !== null && readyFor >= this.#stableAfter) {
      this.#deaths = 0;
      return 0;
    }
    this.#deaths++;
    return this.delay();
  }

  /** The delay the current count calls for, seconds. */
  delay(): number {
    if (this.#deaths <= 1) return 0;
    return Math.min(this.#max, this.#initial * 2 ** (this.#deaths - 2));
  }

  /** Starts counting again (a worker proved stable, or the code was reloaded). */
  reset(): void {
    this.#deaths = 0;
  }

  /** Whether a worker ready for `readyFor` seconds counts as stable. */
  isStable(readyFor: number): boolean {
    return readyFor >= this.#stableAfter;
  }
}

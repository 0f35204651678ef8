/**
 * The controller's side of accept balancing (lib/net/accept-balance.ts): the table its workers share, handed to
 * each as fd 4, and which worker holds which slot of it. A worker's slot is cleared when it exits, so that the
 * others stop counting a killed worker's connections at once.
 */
import * as fs from 'node:fs';
import { LoadTable } from '../net/accept-balance';

/** The fd number the balance table has in every worker (the fifth entry of `stdio`). */
export const BALANCE_FD = 4;

export class WorkerSlots {
  readonly fd: number;
  readonly slots: number;
  readonly #table: LoadTable;
  readonly #used = new Set<number>();

  private constructor(table: LoadTable, fd: number) {
    this.#table = table;
    this.fd = fd;
    this.slots = table.slots;
  }

  /**
   * A table for `processes` workers, with room for a reload's second generation and for replacements starting
   * while the workers they replace still exit.
   */
  static create(processes: number): WorkerSlots {
    const { table, fd } = LoadTable.create(Math.min(4096, Math.max(16, processes * 4)));
    return new WorkerSlots(table, fd);
  }

  /** A free slot for a new worker, or null when every one is taken (that worker then accepts unbalanced). */
  take(): number | null {
    for (let slot = 0; slot < this.slots; slot++) {
      if (!this.#used.has(slot)) {
        this.#used.add(slot);
        this.#table.clear(slot);
        return slot;
      }
    }
    return null;
  }

  /** The worker in `slot` exited. */
  release(slot: number): void {
    this.#table.clear(slot);
    this.#used.delete(slot);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

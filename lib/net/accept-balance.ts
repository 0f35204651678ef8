/**
 * Fair accepting across processes that share one listening socket.
 *
 * Processes accepting from one kernel queue take whatever each finds first. The one that happens to be running
 * when a burst of connections arrives takes them all, and under keep-alive they stay there: 50 connections
 * landed 49/1/0/0 on four workers, so killing one worker cost 49 requests. `SO_REUSEPORT` spreads connections by
 * hash instead, but closing one process's socket drops the connections queued on it, which a graceful reload
 * must not do.
 *
 * So the processes keep one queue and take turns: each publishes how many connections it holds in a table of Int32
 * cells in memory they all map (a file, as nginx keeps its accept mutex there). A process that holds more than
 * the least loaded of the others lets waiting connections be for up to {@link GRACE} seconds, for that one to take,
 * and looks again at each new arrival; once the grace has passed it takes what is still there. So a peer that is
 * busy, blocked or gone delays new connections by that much and never holds them. Nothing runs while no
 * connection arrives; each arrival wakes every process watching the socket, as it always did, and costs the ones
 * waiting their turn a timer.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ioError } from '../io/errors';
import { native } from '../io/native';
import { IOClosed } from '../runtime/errors';
import { TIMED_OUT, waitFd } from '../runtime/hub';

/**
 * Seconds a process that holds more connections than another leaves waiting connections for the less loaded
 * ones to take. Long enough for a peer woken by the same arrival to be scheduled on a busy machine (at 2 ms, with
 * both cores of a 2-core machine busy, 40 connections landed 17/8/8/7; at 10 ms, 11/10/10/9), short enough that a
 * client barely notices it when no peer takes the connection (nginx's `accept_mutex_delay` is 500 ms).
 */
export const GRACE = 0.01;

/** Cells per slot: the connections held (-1: not accepting). */
const CELLS = 1;
const NOT_ACCEPTING = -1;

/** A slot count the table can hold: an integer from 1 to 4096. */
function checkSlots(slots: number): void {
  if (!Number.isInteger(slots) || slots < 1 || slots > 4096) {
    throw new RangeError(`an accept balance table has 1 to 4096 slots, not ${slots}`);
  }
}

/**
 * The table of every process's load, in a file that each process maps. The process that starts the others
 * creates it ({@link LoadTable.create}) and hands its fd to each of them with a slot number; it clears the slot of
 * a process that exits.
 */
export class LoadTable {
  readonly slots: number;
  readonly #cells: Int32Array;

  private constructor(cells: Int32Array, slots: number) {
    this.#cells = cells;
    this.slots = slots;
  }

  /**
   * Creates the table for `slots` processes, every slot empty, in an unlinked temporary file: only the fd (to
   * hand to child processes) reaches it. The caller owns the fd.
   */
  static create(slots: number): { table: LoadTable; fd: number } {
    checkSlots(slots);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-balance-'));
    const file = path.join(dir, 'table');
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx+', 0o600);
    } finally {
      // Unlinked at once: nothing is left behind whatever happens to the processes.
      fs.rmSync(dir, { recursive: true, force: true });
    }
    try {
      fs.ftruncateSync(fd, slots * CELLS * 4);
      const table = LoadTable.open(fd, slots);
      for (let slot = 0; slot < slots; slot++) table.clear(slot);
      return { table, fd };
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Maps the table a parent created and passed as `fd` (which may be closed afterwards). */
  static open(fd: number, slots: number): LoadTable {
    checkSlots(slots);
    const mapped = native.io_map_shared(fd, slots * CELLS * 4);
    if (typeof mapped === 'number') throw ioError(mapped, 'mmap');
    return new LoadTable(new Int32Array(mapped), slots);
  }

  /** Marks `slot` as belonging to no accepting process (its process stopped accepting, or exited). */
  clear(slot: number): void {
    Atomics.store(this.#cells, slot * CELLS, NOT_ACCEPTING);
  }

  /** @internal */
  publish(slot: number, connections: number): void {
    Atomics.store(this.#cells, slot * CELLS, connections);
  }

  /** @internal The connections the process in `slot` holds, or -1 when it does not accept. */
  connections(slot: number): number {
    return Atomics.load(this.#cells, slot * CELLS);
  }
}

/**
 * One accepting process's side of a {@link LoadTable}: publishes what it holds, and makes `accept()` wait while
 * this process is not among the least loaded. Give it to `serve` (net or http) as the `balance` option.
 */
export class AcceptBalance {
  readonly #table: LoadTable;
  readonly #slot: number;
  #open = 0;
  #accepting = false;

  constructor(table: LoadTable, slot: number) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= table.slots) {
      throw new RangeError(`slot must be an integer from 0 to ${table.slots - 1}, not ${slot}`);
    }
    this.#table = table;
    this.#slot = slot;
  }

  /** Starts accepting: publishes this process's load, so that the others take turns with it. */
  start(): void {
    this.#accepting = true;
    this.#table.publish(this.#slot, this.#open);
  }

  /** Stops accepting: the others no longer leave connections for this process. */
  stop(): void {
    this.#accepting = false;
    this.#table.clear(this.#slot);
  }

  /** The connections this process holds changed to `open`. */
  update(open: number): void {
    this.#open = open;
    if (this.#accepting) this.#table.publish(this.#slot, open);
  }

  /**
   * Called before each try to accept from the listening socket `fd`. While another accepting process holds fewer
   * connections than this one, lets waiting connections be for up to {@link GRACE} seconds, for that one to take:
   * each new connection wakes this process (as it wakes every process watching the socket) to look again, and
   * once the grace has passed this process tries too. Blocks the calling green thread meanwhile.
   */
  admit(fd: number): void {
    if (!this.#accepting || this.#open <= this.#leastOfOthers()) return;
    const deadline = performance.now() + GRACE * 1000;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      let ready;
      try {
        // Edge-triggered: the connection already waiting does not count, the next one to arrive does.
        ready = waitFd(fd, { read: true, timeout: left / 1000, afterEagain: true });
      } catch (error) {
        if (error instanceof IOClosed) return; // The socket was closed: the try to accept says so, as ClosedError.
        throw error;
      }
      if (ready === TIMED_OUT) return;
      if (!this.#accepting || this.#open <= this.#leastOfOthers()) return;
    }
  }

  /** The fewest connections another accepting process holds; Infinity when there is none. */
  #leastOfOthers(): number {
    let least = Infinity;
    for (let slot = 0; slot < this.#table.slots; slot++) {
      if (slot === this.#slot) continue;
      const held = this.#table.connections(slot);
      if (held >= 0 && held < least) least = held;
    }
    return least;
  }
}

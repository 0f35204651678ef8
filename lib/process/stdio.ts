/**
 * Wiring a child's stdin, stdout and stderr: which pipes to make, which fds Node's `child_process.spawn` hands
 * the child (it dup2()s them onto 0, 1 and 2), and which ends the parent keeps as {@link GreenPipe}s.
 * @internal
 */
import { native } from '../io/native';
import { GreenPipe, openPipeFds } from './pipe';

/**
 * Where one of the child's standard streams goes:
 * - `'pipe'`: a new pipe; the parent gets its end as `stdin` / `stdout` / `stderr` (a {@link GreenPipe});
 * - `'inherit'`: the parent's own stream (the default, as Python's);
 * - `'ignore'`: /dev/null;
 * - a file descriptor number: that open file (the child shares it; keep it blocking, as a child expects).
 */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

/** `stderr` also takes `'stdout'`: the child's stderr goes wherever its stdout goes (Python's `STDOUT`). */
export type StderrOption = StdioOption | 'stdout';

/** What `child_process.spawn` gets for one slot. */
type ChildSlot = 'inherit' | 'ignore' | number;

/** The three streams of a child being spawned, and every fd made for them until they are closed. */
export class StdioWiring {
  /** For `child_process.spawn`'s `stdio`. */
  readonly childSlots: [ChildSlot, ChildSlot, ChildSlot];
  /** The parent's ends, null where not piped. */
  readonly parentEnds: [GreenPipe | null, GreenPipe | null, GreenPipe | null] = [null, null, null];
  // The ends the child gets; the parent closes its copies once the child is spawned.
  #childFds: number[] = [];

  /** Makes the pipes; on a failure, closes whatever it had made and throws. */
  constructor(stdin: StdioOption, stdout: StdioOption, stderr: StderrOption) {
    try {
      const slot0 = this.#slot(0, stdin);
      const slot1 = this.#slot(1, stdout);
      // Merged: the same child end (or the parent's stdout, fd 1, for 'inherit') serves both slots.
      const slot2 = stderr === 'stdout' ? (slot1 === 'inherit' ? 1 : slot1) : this.#slot(2, stderr);
      this.childSlots = [slot0, slot1, slot2];
    } catch (error) {
      this.closeAll();
      throw error;
    }
  }

  /** Closes the parent's copies of the child's ends: after a spawn, only the child holds them. */
  closeChildEnds(): void {
    for (const fd of this.#childFds) native.io_close(fd);
    this.#childFds = [];
  }

  /** Closes every fd made here (the spawn failed). */
  closeAll(): void {
    this.closeChildEnds();
    for (const end of this.parentEnds) end?.close();
  }

  #slot(index: 0 | 1 | 2, option: StdioOption): ChildSlot {
    if (option === 'inherit' || option === 'ignore') return option;
    if (typeof option === 'number') return option;
    // 'pipe' (checked by checkStdio)
    const [readFd, writeFd] = openPipeFds();
    const [parentFd, childFd] = index === 0 ? [writeFd, readFd] : [readFd, writeFd];
    this.#childFds.push(childFd);
    let end: GreenPipe;
    try {
      end = GreenPipe.fromFd(parentFd);
    } catch (error) {
      native.io_close(parentFd);
      throw error;
    }
    // The subprocess's own timeouts (wait, communicate) govern; a default socket timeout must not cut a read.
    end.setTimeout(null);
    this.parentEnds[index] = end;
    return childFd;
  }
}

/** Throws a TypeError unless `value` is a valid stdio option for `name`. */
export function checkStdio(name: 'stdin' | 'stdout' | 'stderr', value: unknown): void {
  if (value === 'pipe' || value === 'inherit' || value === 'ignore') return;
  if (name === 'stderr' && value === 'stdout') return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return;
  const also = name === 'stderr' ? ", 'stdout'" : '';
  throw new TypeError(`${name} is 'pipe', 'inherit', 'ignore'${also} or a file descriptor, not ${JSON.stringify(value)}`);
}

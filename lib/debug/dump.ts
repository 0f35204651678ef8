/**
 * dumpGreenThreads(): what every green thread of this thread is doing, as plain data (like gevent's
 * `print_run_info` and eventlet's `format_hub_listeners`, but JSON-serializable).
 *
 * The stack of a suspended green thread is taken when the dump asks for it, not when the thread parks: the dump
 * switches into the thread and straight back (native/debug/stack_peek.h), running none of its JavaScript. So
 * parking costs nothing extra whether or not anyone ever dumps, and the stack is the one of the moment; a dump
 * costs two switches per suspended green thread (pass `{ stacks: false }` to skip them).
 */
import { Greenlet, getCurrent, outsideOwnAsyncScopes } from '../runtime/greenlet';
import { liveGreenThreads, spawnSites } from '../runtime/greenthread';
import { phaseOf, timers, waitReasonOf } from '../runtime/hub';
import { native } from './native';
import { stackText, threadName } from './names';

/**
 * Where a green thread is:
 * - `'running'`: it called the dump (or the main stack did);
 * - `'ready'`: woken, it resumes at the hub's next dispatch;
 * - `'waiting'`: suspended, in the hub (an fd, a timer, an Event...) or in a plain greenlet switch;
 * - `'scheduled'`: not started, it starts when a timer fires (spawnAfter);
 * - `'new'`: not started, it starts at the hub's next dispatch (spawn).
 */
export type GreenThreadState = 'running' | 'ready' | 'waiting' | 'scheduled' | 'new';

/** One green thread in a {@link dumpGreenThreads} result. Plain data: JSON.stringify it as it is. */
export interface GreenThreadInfo {
  /** A green thread's `name`; `'main'` for the main greenlet; `'(unnamed Greenlet)'` for spawnN greenlets. */
  name: string;
  /** A number for this greenlet that stays the same across dumps of this thread (0 is main). */
  id: number;
  state: GreenThreadState;
  /**
   * For `'waiting'`: what it waits on (`'sleep, 0.499 s left'`, `'read fd 7'`, `'Event.wait, a Timeout fires in
   * 2.000 s'`...), or `'a switch (suspended outside the hub)'`. For `'scheduled'`: `'start in 0.250 s'`. Null
   * otherwise.
   */
  waitingOn: string | null;
  /** Where it was spawned (stack lines), when the `captureSpawnSites` setting was on at the time; else null. */
  spawnedAt: string | null;
  /** Its stack now, innermost first (Error.stack lines); null if it has not started, or with `stacks: false`. */
  stack: string | null;
}

/** Options of {@link dumpGreenThreads}. */
export interface DumpOptions {
  /** Take each green thread's current stack. Default true. */
  stacks?: boolean;
  /** Frames per stack, from 1 to 1000. Default 32. */
  maxFrames?: number;
}

const ids = new WeakMap<Greenlet, number>();
let nextId = 1;

/**
 * Describes every unfinished green thread of this thread (spawn order), preceded by the running greenlet when
 * that is not one of them (the main stack, or a plain greenlet).
 *
 * Throws a TypeError or RangeError for bad options.
 */
export function dumpGreenThreads(options: DumpOptions = {}): GreenThreadInfo[] {
  const { stacks, maxFrames } = checkOptions(options);
  const current = getCurrent();
  // Taken here, directly under the caller, so that only this frame needs cutting off.
  const currentStack = stacks ? runningStack(current, maxFrames) : null;
  const notes = timerNotes();
  const threads = [...liveGreenThreads].filter((g) => !g.dead);
  if (!liveGreenThreads.has(current)) threads.unshift(current);
  // The peeks switch out of the caller and back: its own async scopes must be off Node's stack meanwhile.
  return outsideOwnAsyncScopes(() => threads.map((g) => {
    const state = stateOf(g, current);
    let stack: string | null = null;
    if (state === 'running') {
      stack = currentStack;
    } else if (stacks && (state === 'ready' || state === 'waiting')) {
      stack = stackText(native.debug_stack_of(g, maxFrames));
    }
    return {
      name: threadName(g),
      id: idOf(g),
      state,
      waitingOn: waitingOn(g, state, notes),
      spawnedAt: spawnSites.get(g) ?? null,
      stack,
    };
  }));
}

function stateOf(g: Greenlet, current: Greenlet): GreenThreadState {
  if (g === current) return 'running';
  const phase = phaseOf(g);
  if (!g.started) return phase === 'scheduled' ? 'scheduled' : 'new';
  return phase === 'ready' ? 'ready' : 'waiting';
}

function idOf(g: Greenlet): number {
  if (g === Greenlet.getMain()) return 0;
  let id = ids.get(g);
  if (id === undefined) {
    id = nextId++;
    ids.set(g, id);
  }
  return id;
}

// The hub's timers, as text per greenlet: when a scheduled one starts, the time left on a wait, a pending Timeout.
function timerNotes(): Map<Greenlet, string[]> {
  const notes = new Map<Greenlet, string[]>();
  for (const t of timers()) {
    if (t.greenlet === null) continue;
    const left = `${t.secondsLeft.toFixed(3)} s`;
    const note = t.kind === 'start' ? `start in ${left}` : t.kind === 'timeout' ? `${left} left` : `a Timeout fires in ${left}`;
    const list = notes.get(t.greenlet);
    if (list === undefined) notes.set(t.greenlet, [note]);
    else list.push(note);
  }
  return notes;
}

function waitingOn(g: Greenlet, state: GreenThreadState, notes: Map<Greenlet, string[]>): string | null {
  if (state === 'scheduled') return (notes.get(g) ?? []).join(', ') || null;
  if (state !== 'waiting') return null;
  // Every wait in the hub has a reason; a green thread without one is suspended in a plain greenlet switch.
  return [waitReasonOf(g) ?? 'a switch (suspended outside the hub)', ...(notes.get(g) ?? [])].join(', ');
}

function runningStack(current: Greenlet, maxFrames: number): string | null {
  const lines = native.debug_stack_of(current, maxFrames + 2);
  if (lines === null) return null;
  // The stack begins with this module's own frames: show the caller's.
  let own = 0;
  while (own < lines.length && lines[own].includes(__filename)) own++;
  return stackText(lines.slice(own, own + maxFrames));
}

function checkOptions(options: DumpOptions): { stacks: boolean; maxFrames: number } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`dumpGreenThreads takes an options object, not ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'stacks' && key !== 'maxFrames') throw new TypeError(`dumpGreenThreads: unknown option ${JSON.stringify(key)}`);
  }
  const stacks = options.stacks ?? true;
  if (typeof stacks !== 'boolean') throw new TypeError(`dumpGreenThreads: stacks must be a boolean, not ${typeof stacks}`);
  const maxFrames = options.maxFrames ?? 32;
  if (typeof maxFrames !== 'number') throw new TypeError(`dumpGreenThreads: maxFrames must be a number, not ${typeof maxFrames}`);
  if (!Number.isInteger(maxFrames) || maxFrames < 1 || maxFrames > 1000) {
    throw new RangeError(`dumpGreenThreads: maxFrames must be an integer from 1 to 1000, not ${String(maxFrames)}`);
  }
  return { stacks, maxFrames };
}

/**
 * The greenlet core's and the hub's part of the native addon (native/greenlet/bindings.cc, native/hub/bindings.cc,
 * addon.cc's runtime_* and the testing hooks).
 * @internal
 */
import { addon } from './addon';

/** The native side of a greenlet; lib/runtime/greenlet.ts's `Greenlet` extends it. */
export interface GreenletHandle {
  readonly __greenletHandle?: never;
}

export interface NativeStats {
  switches: number;
  started: number;
  finished: number;
  active: number;
  stacksLive: number;
  stacksPooled: number;
  stackPoolHits: number;
  /** Mappings made for stacks: one per stack (`'mapped'`), or one per slab of 64 (`'carved'`). */
  stackMmaps: number;
  /** How many stacks this process may hold at once (VERDANT_MAX_STACKS lowers it). */
  stackBudget: number;
  /**
   * `'carved'`: stacks cut from shared slabs, each guard page marked in the page tables (Linux 6.13+), so that a
   * stack costs no kernel mapping of its own. `'mapped'`: a mapping and a guard mapping per stack (older kernels,
   * emulators, `VERDANT_STACK_LAYOUT=mapped`, and the threads backend's thread stacks).
   */
  stackLayout: 'carved' | 'mapped';
}

export interface RuntimeBinding {
  GreenletHandle: new (stackSize: number) => GreenletHandle;
  greenlet_switch(target: GreenletHandle): void;
  greenlet_current(): GreenletHandle;
  greenlet_adopt_main(handle: GreenletHandle): void;
  greenlet_set_entry(
    entry: (this: GreenletHandle) => GreenletHandle,
    errorClass: new (message: string) => Error,
  ): void;
  runtime_backend(): [name: string, why: string, state: string, stateWhy: string];
  runtime_configure(
    defaultStackSize: number,
    stackMargin: number,
    stackPoolLimit: number,
    isMainThread: boolean,
    mainStackSizeKb: number,
  ): void;
  runtime_stats(): NativeStats;
  /** The cells of lib/runtime/shared-state.ts. */
  shared_state: ArrayBuffer;
  /** Starts this thread's hub (idempotent); returns the poller's name. */
  hub_init(onStartFailed: (g: GreenletHandle, message: string) => void): string;
  /** Parks the current greenlet; returns a wake code (lib/runtime/hub.ts `Wake`) or readiness bits. */
  hub_park(fd: number, flags: number, timeoutSeconds: number): number;
  hub_wake(g: GreenletHandle): boolean;
  hub_schedule(g: GreenletHandle, delaySeconds: number, ref: boolean): boolean;
  hub_unschedule(g: GreenletHandle): boolean;
  /** 0 not in the hub, 1 parked, 2 ready to run, 3 start pending on a timer. */
  hub_phase(g: GreenletHandle): number;
  hub_alarm_start(g: GreenletHandle, delaySeconds: number, ref: boolean): number;
  hub_alarm_cancel(id: number): boolean;
  hub_fd_closed(fd: number): void;
  hub_fd_opened(fd: number): void;
  /** Flat pairs: greenlet, events. */
  hub_fd_waiters(fd: number): unknown[];
  /** Flat triples: fd, events, greenlet. */
  hub_listeners(): unknown[];
  /** Flat quadruples: seconds left, kind (0 park timeout, 1 start, 2 alarm), greenlet, alarm id. */
  hub_timers(): unknown[];
  /** [turns, resumes, fdEvents, timersFired, ready] */
  hub_stats(): number[];
  /**
   * Test hook: whether a cppgc object referenced only from a native frame survives `collect()` and then a full
   * cppgc collection that scans the stack (`scanStack`) or assumes it holds no pointers.
   */
  testing_cppgc_probe(collect: () => void, scanStack: boolean): boolean | undefined;
}

export const native = addon as RuntimeBinding;

/**
 * Green `zmq.poll` and `Poller`, as pyzmq's: which sockets can receive (POLLIN) or send (POLLOUT) now without
 * waiting, blocking only the calling green thread until one can or the timeout passes.
 *
 * A poll takes nothing from any socket: it reads ZMQ_EVENTS and waits on the sockets' ZMQ_FDs, so an interrupted
 * poll (a Timeout, a kill) loses nothing either.
 */
import { spawn } from '../runtime/greenthread';
import { park, requireGreen, wake } from '../runtime/hub';
import { Deadline } from '../sync/waiters';
import { POLLIN, POLLOUT } from './constants';
import { checkMillis } from './options';
import { type SocketWaiter, Socket } from './socket';
import { describeValue } from '../runtime/describe';

/** A socket and the events asked about: `[socket, zmq.POLLIN | zmq.POLLOUT]`. */
export type PollItem = readonly [Socket, number];

/** A socket and the asked events it has now. */
export type PollResult = [Socket, number];

function checkItems(items: unknown): asserts items is readonly PollItem[] {
  if (!Array.isArray(items)) throw new TypeError(`poll takes an array of [socket, events] items, not ${describeValue(items)}`);
  items.forEach((item: unknown, i) => {
    if (!Array.isArray(item) || item.length !== 2 || !(item[0] instanceof Socket)) {
      throw new TypeError(`poll: item ${i} must be [socket, events] with a zmq.Socket, not ${describeValue(item)}`);
    }
    checkEvents(item[1], `poll: item ${i}`);
  });
}

function checkEvents(events: unknown, what: string): asserts events is number {
  if (typeof events !== 'number' || !Number.isInteger(events) || events < 0 || (events & ~(POLLIN | POLLOUT)) !== 0) {
    throw new RangeError(`${what}: events must be zmq.POLLIN, zmq.POLLOUT or both (or 0), not ${describeValue(events)}`);
  }
}

/** The items whose sockets have some of the events asked about now. */
function ready(items: readonly PollItem[], waited: boolean): PollResult[] {
  const found: PollResult[] = [];
  for (const [socket, events] of items) {
    const now = events === 0 ? 0 : socket.pollEvents('poll', waited) & events;
    if (now !== 0) found.push([socket, now]);
  }
  return found;
}

/**
 * Watches the ZMQ_FD of `socket` in a helper green thread for a poll that waits on several sockets (a green
 * thread waits on one fd at a time): each signal wakes the poll, which looks at every socket and then re-arms
 * its watchers.
 */
function watchSignals(socket: Socket, watch: SocketWaiter): { rearm(): void; stop(): void } {
  let active = true;
  let idle = false;
  const watcher = spawn(() => {
    while (active && !socket.closed) {
      socket.waitSignal(null);
      if (!active) return;
      if (watch.parked) wake(watch.greenlet);
      idle = true;
      park('zmq poll: a signal seen, until the poll looks again');
      idle = false;
    }
    // Closed: the poll finds out when it looks.
    if (active && watch.parked) wake(watch.greenlet);
  });
  watcher.name = `zmq poll watcher (${socket})`;
  return {
    rearm: () => {
      if (idle) wake(watcher);
    },
    stop: () => {
      active = false;
      wake(watcher);
    },
  };
}

/**
 * pyzmq's `zmq.poll`: the items whose sockets can now receive (POLLIN) or send (POLLOUT) without waiting, as
 * `[socket, events]` pairs. If none can, blocks the calling green thread until one can or `timeout`
 * milliseconds pass (then an empty list); `timeout` null or -1 (the default): no limit, 0: look and return.
 * Raises ZmqClosedError if a socket is closed, before or during the wait.
 */
export function poll(items: readonly PollItem[], timeout: number | null = null): PollResult[] {
  checkItems(items);
  if (timeout !== null) checkMillis(timeout, 'poll: timeout');
  const now = ready(items, false);
  if (now.length > 0 || timeout === 0) return now;
  const watch: SocketWaiter = { greenlet: requireGreen('zmq poll'), parked: false };
  const deadline = timeout === null || timeout < 0 ? null : Deadline.after(timeout / 1000);
  const wanted = new Map<Socket, number>();
  for (const [socket, events] of items) if (events !== 0) wanted.set(socket, (wanted.get(socket) ?? 0) | events);
  const [first, ...others] = wanted.keys();
  if (first === undefined) {
    // Nothing to wait for but the time, as zmq_poll with no items.
    park('zmq poll (no events asked)', deadline === null ? null : deadline.remaining());
    return [];
  }
  for (const [socket, events] of wanted) socket.addPollWatch(watch, events);
  const watchers = others.map((socket) => watchSignals(socket, watch));
  try {
    for (;;) {
      watchers.forEach((w) => w.rearm());
      watch.parked = true;
      try {
        first.waitSignal(deadline === null ? null : deadline.remaining());
      } finally {
        watch.parked = false;
      }
      const found = ready(items, true);
      if (found.length > 0 || (deadline !== null && deadline.remaining() === 0)) return found;
    }
  } finally {
    for (const socket of wanted.keys()) socket.removePollWatch(watch);
    watchers.forEach((w) => w.stop());
  }
}

/**
 * pyzmq's `zmq.Poller`: a set of sockets and the events asked about each, polled together with {@link poll}.
 */
export class Poller {
  readonly #items = new Map<Socket, number>();

  /** Adds `socket` (or changes its events); events 0 removes it, as in pyzmq. */
  register(socket: Socket, events: number = POLLIN | POLLOUT): void {
    if (!(socket instanceof Socket)) throw new TypeError(`Poller.register takes a zmq.Socket, not ${describeValue(socket)}`);
    checkEvents(events, 'Poller.register');
    if (events === 0) this.#items.delete(socket);
    else this.#items.set(socket, events);
  }

  /** Changes the events asked about `socket` (pyzmq's `modify`). */
  modify(socket: Socket, events: number = POLLIN | POLLOUT): void {
    this.register(socket, events);
  }

  /** Removes `socket`; a RangeError if it was not registered (pyzmq's KeyError: a value outside the set). */
  unregister(socket: Socket): void {
    if (!this.#items.delete(socket)) throw new RangeError(`Poller.unregister: ${String(socket)} is not registered with this Poller`);
  }

  /** The registered sockets and their events. */
  get sockets(): PollItem[] {
    return [...this.#items];
  }

  /** {@link poll} over the registered sockets; `timeout` in milliseconds (null or -1: no limit). */
  poll(timeout: number | null = null): PollResult[] {
    return poll([...this.#items], timeout);
  }
}

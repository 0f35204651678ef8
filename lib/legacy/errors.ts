/**
 * The error classes of the early eventlet API (lib/legacy). Bad argument values are plain TypeErrors and
 * RangeErrors; a timeout is the modern {@link Timeout} (also exported as `api.TimeoutError`).
 */

/**
 * `api.named(name)` found nothing: no prefix of the dotted name is a module that can be required, or the module
 * has no such property.
 *
 * Permanent: the name is wrong (or the package is not installed where it was looked for).
 */
export class NamedNotFoundError extends Error {
  /** The dotted name that was asked for. */
  readonly lookup: string;

  constructor(lookup: string, reason: string) {
    super(`api.named(${JSON.stringify(lookup)}): ${reason}`);
    this.name = 'NamedNotFoundError';
    this.lookup = lookup;
  }
}

/**
 * `api.useHub(name)` asked for a hub verdant does not have. Each thread has one native hub, on the poller its
 * platform has (epoll or kqueue); eventlet's choice of hubs (poll, select, libevent, twisted) has no counterpart.
 *
 * Permanent: a configuration error.
 */
export class HubNotAvailableError extends Error {
  constructor(requested: string, available: string) {
    super(`api.useHub(${JSON.stringify(requested)}): verdant has one hub per thread, on ${available}; ask for 'default' or '${available}'`);
    this.name = 'HubNotAvailableError';
  }
}

/**
 * `cast` on a `coros.Actor` that was closed (`close()`): its green thread has ended and its mailbox is gone, so
 * the message would never be handled.
 *
 * Permanent for that actor: retrying cannot help; make a new actor.
 */
export class ActorClosedError extends Error {
  constructor(actor: string) {
    super(`${actor}.cast refused: the actor is closed (its close() ran; its green thread has ended and its mailbox is gone)`);
    this.name = new.target.name;
  }
}

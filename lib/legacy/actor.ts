/**
 * coros.Actor: a mailbox and a coroutine that handles its messages, as eventlet's Actor.
 */
import { Greenlet, getCurrent } from '../runtime/greenlet';
import { type GreenThread, spawn } from '../runtime/greenthread';
import { park, wake } from '../runtime/hub';
import { GreenPool } from '../pool/greenpool';
import { ActorClosedError } from './errors';
import { reportFailure } from './report';

/**
 * Subclass it and override {@link Actor.received}; {@link Actor.cast} a message to it from anywhere. The actor's
 * own green thread takes messages from the mailbox in order and hands each to `received`, one at a time (or up
 * to `concurrency` at once).
 *
 * ```js
 * class Greeter extends coros.Actor {
 *   received(name) { api.sleep(1); console.log(`hello, ${name}`); }
 * }
 * const greeter = new Greeter();
 * greeter.cast('world');   // returns at once
 * ```
 *
 * An actor with an empty mailbox does not keep the process alive (nor is it reported as stuck at exit), as a
 * daemon thread would not; one that is handling a message does. `close()` stops it for good.
 *
 * @typeParam M - the type of the messages.
 */
export class Actor<M = unknown> {
  readonly #mailbox: M[] = [];
  readonly #pool: GreenPool;
  readonly #thread: GreenThread<void>;
  // The actor's green thread while it waits for mail, so that cast knows whom to wake.
  #idle: Greenlet | null = null;
  #closed = false;

  /** @param concurrency - how many messages may be handled at once; default 1. */
  constructor(concurrency = 1) {
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`Actor concurrency must be an integer >= 1, not ${String(concurrency)}`);
    }
    this.#pool = new GreenPool(concurrency);
    this.#thread = spawn(() => this.#run());
    this.#thread.name = `${new.target.name} (actor)`;
  }

  /** Messages waiting in the mailbox, not yet handed to `received`. */
  get pending(): number {
    return this.#mailbox.length;
  }

  /** True once {@link Actor.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Puts `message` in the mailbox and returns at once; the actor's green thread picks it up. Throws an
   * {@link ActorClosedError} on a closed actor.
   *
   * Switch point: never.
   */
  cast(message: M): void {
    if (this.#closed) throw new ActorClosedError(this.constructor.name);
    this.#mailbox.push(message);
    if (this.#idle !== null) wake(this.#idle);
  }

  /**
   * Handles one message, in the actor's green thread (or one of its pool's, with concurrency > 1): override it.
   * It may block; with concurrency 1 the next message waits until it returns.
   */
  received(message: M): void {
    void message;
    // A TypeError, as for any object that lacks a method its caller needs (eventlet raises NotImplementedError).
    throw new TypeError(`${this.constructor.name} does not override received(message): subclass Actor and define it`);
  }

  /**
   * Told about an error `received` threw; the actor goes on with the next message. Default: print it on stderr,
   * as eventlet did. Override it to handle errors otherwise.
   */
  failed(error: unknown, message: M): void {
    void message;
    reportFailure(`${this.constructor.name}.received`, error);
  }

  /**
   * Stops taking messages: the actor's green thread ends and what is left in the mailbox is dropped. A message
   * being handled is left to finish. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#mailbox.length = 0;
    this.#thread.kill();
  }

  #run(): void {
    const self = getCurrent();
    for (;;) {
      while (this.#mailbox.length === 0) {
        this.#idle = self;
        try {
          park('Actor mailbox (empty)', null, false);
        } finally {
          this.#idle = null;
        }
      }
      const message = this.#mailbox.shift() as M;
      this.#pool.spawnN(() => this.#deliver(message));
    }
  }

  #deliver(message: M): void {
    try {
      this.received(message);
    } catch (error) {
      this.failed(error, message);
    }
  }
}

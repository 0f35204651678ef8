/**
 * The error classes of lib/time. A deadline that passes is the {@link Timeout} itself (./timeout.ts); the class
 * here is about using one wrongly.
 */

/**
 * `start()` on a {@link Timeout} that is already pending: armed (by its constructor or an earlier `start()`), and
 * neither fired nor cancelled. One Timeout is one deadline; arming it twice would leave the first alarm running
 * with no way to cancel it.
 *
 * Permanent for that call: retrying cannot help while it is pending; `cancel()` it first to restart it, or make
 * a new Timeout.
 */
export class TimeoutAlreadyPendingError extends Error {
  /** The delay the pending Timeout was armed with, in seconds. */
  readonly seconds: number | null;

  constructor(seconds: number | null) {
    super(
      `Timeout.start refused: this Timeout(${seconds} s) is already pending (armed, not yet fired or cancelled); ` +
        'cancel() it before starting it again',
    );
    this.name = new.target.name;
    this.seconds = seconds;
  }
}

/**
 * The error classes of the backdoor (lib/backdoor). Bad option values are plain TypeErrors and RangeErrors.
 *
 * Only {@link BackdoorBindError} reaches the caller of `backdoor.serve`. The others end or interrupt one client's
 * session: the server handles them (tells the client what it may be told, closes or carries on) and does not
 * report them, since a stranger who fails to authenticate is no failure of the program.
 */

/**
 * `backdoor.serve` was asked to listen on an address other machines can reach, without `allowRemote: true`.
 * Anyone who connects to a backdoor runs code in the process, so exposing one has to be a deliberate choice.
 *
 * Permanent: a configuration error.
 */
export class BackdoorBindError extends Error {
  /** The address as it was given, formatted. */
  readonly address: string;

  constructor(address: string) {
    super(
      `backdoor.serve: refusing to listen on ${address}, which is not a loopback address: whoever connects runs ` +
        'code in this process. Listen on 127.0.0.1 or ::1 (a port alone does), or pass { allowRemote: true } ' +
        'together with a token if remote access is really meant.',
    );
    this.name = 'BackdoorBindError';
    this.address = address;
  }
}

/**
 * A client of a backdoor with a token was disconnected before it authenticated; the subclass says why. Nothing
 * the client sent was run.
 */
export class BackdoorAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The client's first line was not the token. It is told `backdoor: wrong token`. */
export class BackdoorWrongTokenError extends BackdoorAuthError {
  constructor() {
    super('backdoor: the client sent a wrong token; disconnected');
  }
}

/**
 * The client's first line ran past `limit` bytes without a newline. It is told so and disconnected after
 * `limit` bytes: the rest is never read, so a flood costs the server no more than that.
 */
export class BackdoorTokenTooLongError extends BackdoorAuthError {
  /** The most bytes the token line may have, CR LF included. */
  readonly limit: number;

  constructor(limit: number) {
    super(`backdoor: the client's token line ran past ${limit} bytes; disconnected without reading the rest`);
    this.limit = limit;
  }
}

/**
 * The client had not sent its whole token line `seconds` after it connected (a deadline, however slowly the
 * bytes came). It is told nothing: as before a token, nothing is sent to a client that has not finished its line.
 */
export class BackdoorAuthTimeoutError extends BackdoorAuthError {
  /** The `authTimeout` that passed. */
  readonly seconds: number;

  constructor(seconds: number) {
    super(`backdoor: the client did not send its token within ${seconds} s of connecting; disconnected`);
    this.seconds = seconds;
  }
}

/**
 * An authenticated operator (or any client of a backdoor without a token) sent a REPL line longer than `limit`
 * bytes. The REPL tells the client and ends the session without reading the rest: such a line is no typed input
 * but a stream piped in by mistake, whose following lines should not run as code either.
 */
export class BackdoorInputTooLongError extends Error {
  /** The most bytes a line may have, its newline included. */
  readonly limit: number;

  constructor(limit: number) {
    super(`backdoor: input line longer than ${limit} bytes; closing the connection without reading the rest`);
    this.name = 'BackdoorInputTooLongError';
    this.limit = limit;
  }
}

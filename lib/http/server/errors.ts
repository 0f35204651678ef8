/**
 * The typed errors of the HTTP server. A client that breaks HTTP/1.1 gets the status of {@link BadRequestError}
 * and its connection is closed; these never reach the handler except through a request body read that fails.
 */

/** A request the server refuses before (or while) reading it: `status` is what the client is answered. */
export class BadRequestError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = new.target.name;
    this.status = status;
  }
}

/** The request body is larger than `maxBodySize` (answered 413). */
export class BodyTooLargeError extends BadRequestError {
  constructor(limit: number) {
    super(413, `the request body is larger than maxBodySize (${limit} bytes)`);
  }
}

/** The client closed the connection, or stopped sending, before the request body was complete. */
export class IncompleteBodyError extends Error {
  constructor(message = 'the client closed the connection before the request body was complete') {
    super(message);
    this.name = new.target.name;
  }
}

/** A handler's response cannot be sent as HTTP/1.1 (bad status, header, or body type). Answered 500. */
export class InvalidResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

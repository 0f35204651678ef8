/**
 * What a parser made of the bytes of one connection, in a form both parsers' results are put in so they can be
 * compared: the messages it found (each head, the body bytes it delimited and the trailers), and how it ended.
 */

export interface Message {
  method: string;
  target: string;
  /** "1.1", "1.0" (whatever the request line said, for llhttp). */
  version: string;
  /** Flat: name, value, name, value..., names as sent. */
  headers: string[];
  keepAlive: boolean;
  upgrade: boolean;
  /** The body as latin1 (so every byte survives), as much of it as arrived. */
  body: string;
  trailers: string[];
  /** Whether the whole message (head, body, trailers) arrived. */
  complete: boolean;
}

export type End =
  /** The parser would read on: the last message, or the bytes after it, are incomplete. */
  | { kind: 'more' }
  /** The parser is done with HTTP on this connection: a message that closes it, or an upgrade. */
  | { kind: 'stop' }
  /** The bytes are refused. For ours `code` is the reason's name (native/http/parser.h), for llhttp its HPE_ code. */
  | { kind: 'error'; code: string; reason: string; status?: number };

export interface Transcript {
  messages: Message[];
  end: End;
  /** Where in the input the parser stopped: the start of the head or chunk line it waits on or refused. */
  at: number;
}

/** The first field in which two messages differ, or null if they agree. */
export function messageDifference(ours: Message, theirs: Message): keyof Message | null {
  for (const key of ['method', 'target', 'version', 'headers', 'keepAlive', 'upgrade', 'body', 'trailers', 'complete'] as const) {
    if (JSON.stringify(ours[key]) !== JSON.stringify(theirs[key])) return key;
  }
  return null;
}

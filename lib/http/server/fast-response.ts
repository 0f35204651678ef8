/**
 * A `Response` that costs almost nothing to make, installed as the global `Response` while a server runs (the
 * route @hono/node-server takes too). A handler's `new Response('hi', { headers })` is most of a small request's
 * CPU on Node's own Response: on Node 20 its string body becomes a ReadableStream whose constructor makes new
 * hidden classes for every instance; on every line it is a WebIDL conversion of each argument and a Headers
 * object. The server only needs the status, the header fields and the string or bytes, so that is all this one
 * keeps, after checking them as the real constructor would.
 *
 * It is a Response in every way a handler can see: `instanceof Response` (both ways: a real Response is an
 * instance of it too), `Response.json()`, `Response.redirect()`, subclasses, `status`, `ok`, `headers` (a real
 * Headers, changes to it are sent). Anything else (`body`, `text()`, `clone()`, `bodyUsed`...) makes the real
 * Response on first use and answers from it, as do bodies other than a string or bytes, which make the real one at
 * once. Where Node keeps a Response's state under symbol keys (Node 20 and 22), those are forwarded too, so even
 * `Response.prototype.text.call(fast)` works; where it keeps it in private fields (24 and later), only calls
 * through the object itself do.
 *
 * One difference remains: the Headers object read from `headers` before the real Response exists is copied into
 * the real one when that is made; changes made to the first object after that are not seen.
 *
 * Installed only if a probe passes every check at load; otherwise the global stays Node's own.
 * @internal
 */

import { fieldPairs, type FieldPairs } from './fields';

const NativeResponse = globalThis.Response;

/** Statuses a body may not come with (the Fetch standard's null body statuses). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** A reason phrase (RFC 9112 reason-phrase). */
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/** What the server needs of a response it can send without the real Response. */
export interface FastParts {
  status: number;
  statusText: string;
  /** The Headers handed out through `headers`, if any (the handler may have changed them); else the fields. */
  headers: Headers | FieldPairs;
  body: string | Uint8Array | null;
}

function hasField(fields: FieldPairs, lowerName: string): boolean {
  return fields.some(([name]) => name.length === lowerName.length && name.toLowerCase() === lowerName);
}

let partsOf: (response: object) => FastParts | null = () => null;

class FastResponse {
  #real: Response | null = null;
  #status = 200;
  #statusText = '';
  #fields: FieldPairs = [];
  #headers: Headers | null = null;
  #body: string | Uint8Array | null = null;

  constructor(body?: ConstructorParameters<typeof Response>[0], init?: ConstructorParameters<typeof Response>[1]) {
    const fields = init === undefined || (init !== null && typeof init === 'object' && Object.getPrototypeOf(init) === Object.prototype)
      ? fieldPairs(init?.headers)
      : null;
    const status = init?.status ?? 200;
    const statusText = init?.statusText ?? '';
    const simpleBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (fields === null || !simpleBody || !Number.isInteger(status) || status < 200 || status > 599
        || typeof statusText !== 'string' || !REASON.test(statusText)
        || (body !== null && body !== undefined && NULL_BODY.has(status))) {
      // Anything else the real constructor converts or refuses, with its own errors.
      this.#real = new NativeResponse(body, init);
      return;
    }
    this.#status = status;
    this.#statusText = statusText;
    if (typeof body === 'string') {
      this.#body = body;
      this.#fields = hasField(fields, 'content-type') ? fields : [...fields, ['content-type', 'text/plain;charset=UTF-8']];
    } else {
      this.#body = body instanceof Uint8Array ? body.slice() : null;  // the real one copies bytes too
      this.#fields = fields;
    }
  }

  static {
    partsOf = (response) => {
      if (!(#real in response) || response.#real !== null) return null;
      return { status: response.#status, statusText: response.#statusText, headers: response.#headers ?? response.#fields, body: response.#body };
    };
  }

  /** The real Response this one stands for, made on first use. */
  real(): Response {
    if (this.#real === null) {
      const headers = this.#headers ?? (this.#fields as [string, string][]);
      this.#real = new NativeResponse(this.#body, { status: this.#status, statusText: this.#statusText, headers });
      this.#headers = null;
      this.#fields = [];
      this.#body = null;
    }
    return this.#real;
  }

  get status(): number {
    return this.#real?.status ?? this.#status;
  }

  get statusText(): string {
    return this.#real?.statusText ?? this.#statusText;
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }

  get headers(): Headers {
    if (this.#real !== null) return this.#real.headers;
    return (this.#headers ??= new Headers(this.#fields as [string, string][]));
  }

  get type(): Response['type'] {
    return this.#real?.type ?? 'default';
  }

  get url(): string {
    return this.#real?.url ?? '';
  }

  get redirected(): boolean {
    return this.#real?.redirected ?? false;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.real().body;
  }

  get bodyUsed(): boolean {
    return this.#real?.bodyUsed ?? false;
  }

  clone(): Response {
    return this.real().clone();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.real().arrayBuffer();
  }

  blob(): Promise<Blob> {
    return this.real().blob();
  }

  formData(): Promise<FormData> {
    return this.real().formData();
  }

  json(): Promise<unknown> {
    return this.real().json();
  }

  text(): Promise<string> {
    return this.real().text();
  }

  bytes(): Promise<Uint8Array> {
    return (this.real() as Response & { bytes(): Promise<Uint8Array> }).bytes();
  }
}

/** The parts of a response made by the fast constructor and not turned into a real one yet; else null. */
export function fastParts(response: object): FastParts | null {
  return partsOf(response);
}

/** The state keys of Node's Response, where it has them (Node 20 and 22): each is forwarded to the real one. */
function forwardStateKeys(): void {
  for (const key of Object.getOwnPropertySymbols(new NativeResponse('probe'))) {
    Object.defineProperty(FastResponse.prototype, key, {
      get(this: FastResponse) {
        return (this.real() as unknown as Record<symbol, unknown>)[key];
      },
    });
  }
}

/** Makes FastResponse a Response for the world: the prototype chain, statics, `instanceof` both ways. */
function joinResponse(): void {
  Object.setPrototypeOf(FastResponse, NativeResponse);  // Response.json, Response.redirect, Response.error
  Object.setPrototypeOf(FastResponse.prototype, NativeResponse.prototype);
  Object.defineProperty(FastResponse, Symbol.hasInstance, {
    value: (value: unknown) => value instanceof NativeResponse,
  });
  Object.defineProperty(FastResponse, 'name', { value: 'Response' });
}

/** Whether the fast Response behaves as a Response everywhere this module promises, on this Node. */
function probe(): boolean {
  try {
    forwardStateKeys();
    joinResponse();
    const R = FastResponse as unknown as typeof Response;
    const plain = new R('hi', { status: 201, headers: { 'X-A': 'b' } });
    const parts = fastParts(plain);
    const bytes = new R(new Uint8Array([1, 2]));
    const real = new NativeResponse('x');
    const nativeCheck = (() => {
      try {
        new R('no', { status: 204 });
        return false;
      } catch (error) {
        return error instanceof TypeError;
      }
    })();
    return plain instanceof NativeResponse && plain instanceof R && real instanceof R
      && Object.prototype.toString.call(plain) === '[object Response]'
      && parts !== null && parts.status === 201 && parts.body === 'hi'
      && plain.status === 201 && plain.ok && plain.statusText === ''
      && plain.headers.get('x-a') === 'b' && plain.headers.get('content-type') === 'text/plain;charset=UTF-8'
      && fastParts(plain) !== null  // headers handed out, still fast
      && plain.clone().status === 201 && plain.clone().headers.get('x-a') === 'b' && fastParts(plain) === null
      && new NativeResponse(null, plain).status === 201
      && fastParts(bytes)?.body instanceof Uint8Array && bytes.headers.get('content-type') === null
      && R.json({ a: 1 }).headers.get('content-type') === 'application/json'
      && nativeCheck;
  } catch {
    return false;
  }
}

/** Whether the fast Response can be installed on this Node (decided once, at load). */
export const FAST_RESPONSE = probe();

/**
 * Makes `Response` the fast one for every module of this thread (once; later calls do nothing). Does nothing
 * where the probe failed.
 */
export function installFastResponse(): void {
  if (FAST_RESPONSE && globalThis.Response === NativeResponse) {
    Object.defineProperty(globalThis, 'Response', { value: FastResponse, writable: true, configurable: true, enumerable: false });
  }
}

/** Node's own Response class, whichever is installed. */
export { NativeResponse };

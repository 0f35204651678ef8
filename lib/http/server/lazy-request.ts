/**
 * A `Request` for a bodiless request that builds the real one only when the handler needs more than its method,
 * URL and headers. Building a WHATWG Request (its URL record, Headers, AbortSignal) costs more than the rest of a
 * small request's round trip on Node 20 and 22, while most handlers read only those three things.
 *
 * The object is an `instanceof Request` (its prototype chain goes through `Request.prototype`), and anything not
 * answered here (`signal`, `clone()`, `text()`, `new Request(req)`, `fetch(req)`...) reaches a real Request made
 * on first use. That last part depends on how Node's fetch implementation keeps a Request's state: where it keeps
 * it under symbol keys (Node 20 and 22), getters for those keys hand out the real Request's; where it keeps it in
 * private fields (Node 24 and later, where building a Request is also cheaper), no outside object can stand in.
 * So the stand-in is used only if a probe passes every check at load; otherwise requests are built eagerly.
 *
 * One difference remains: headers read through `req.headers` before the real Request exists are a Headers object
 * of their own, which the real Request copies when it is made; changes made to that object afterwards are not
 * seen through `new Request(req)` or `fetch(req)`.
 * @internal
 */
import type { RequestHead } from './parser';

/** Methods the Fetch standard upper-cases when a Request is made (RFC 9110 methods are case-sensitive otherwise). */
const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED.has(upper) ? upper : method;
}

export function headersOf(fields: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
  return headers;
}

class LazyRequest {
  readonly #method: string;
  readonly #href: string;
  readonly #fields: readonly string[];
  #headers: Headers | null = null;
  #real: Request | null = null;

  /** `href` is the URL already parsed and serialized (the caller checks it, to answer 400 before the handler runs). */
  constructor(method: string, href: string, fields: readonly string[]) {
    this.#method = normalizeMethod(method);
    this.#href = href;
    this.#fields = fields;
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#href;
  }

  get headers(): Headers {
    if (this.#real !== null) return this.#real.headers;
    return (this.#headers ??= headersOf(this.#fields));
  }

  /** The real Request this one stands for, made on first use. */
  real(): Request {
    return (this.#real ??= new Request(this.#href, { method: this.#method, headers: this.#headers ?? headersOf(this.#fields) }));
  }
}

/** The state keys of Node's Request, when it has them (Node 20 and 22); each is forwarded to the real Request. */
function forwardStateKeys(): boolean {
  const keys = Object.getOwnPropertySymbols(new Request('http://localhost/'));
  if (!keys.some((key) => key.description === 'state')) return false;
  for (const key of keys) {
    Object.defineProperty(LazyRequest.prototype, key, {
      get(this: LazyRequest) {
        return (this.real() as unknown as Record<symbol, unknown>)[key];
      },
    });
  }
  return true;
}

/** Whether the stand-in behaves as a Request everywhere this module promises, on this Node. */
function probe(): boolean {
  try {
    if (!forwardStateKeys()) return false;
    Object.setPrototypeOf(LazyRequest.prototype, Request.prototype);
    const fields = ['Host', 'example.test', 'X-Probe', 'a', 'x-probe', 'b'];
    const make = () => new LazyRequest('get', 'http://example.test/q?x=1', fields) as unknown as Request;
    const lazy = make();
    const copy = new Request(lazy);
    const viaInit = new Request('http://other.test/', lazy);
    const clone = make().clone();
    return lazy instanceof Request
      && lazy.method === 'GET' && lazy.url === 'http://example.test/q?x=1' && lazy.headers.get('x-probe') === 'a, b'
      && copy.url === lazy.url && copy.method === 'GET' && copy.headers.get('x-probe') === 'a, b'
      && viaInit.method === 'GET' && viaInit.headers.get('x-probe') === 'a, b'
      && clone.url === lazy.url && clone.headers.get('host') === 'example.test'
      && lazy.signal instanceof AbortSignal && lazy.body === null && lazy.bodyUsed === false
      && Object.prototype.toString.call(lazy) === '[object Request]';
  } catch {
    return false;
  }
}

/** Whether bodiless requests get the stand-in on this Node (decided once, at load). */
export const LAZY_REQUESTS = probe();

/** A Request for a bodiless request: the stand-in where {@link LAZY_REQUESTS}, else null (build a real one). */
export function lazyRequest(head: RequestHead, href: string): Request | null {
  return LAZY_REQUESTS ? (new LazyRequest(head.method, href, head.headers) as unknown as Request) : null;
}

/**
 * TlsContext: what TLS connections share (Python's SSLContext, Node's SecureContext): certificate and key,
 * trusted CAs, ciphers, protocol versions, and the defaults of each connection made from it (ALPN protocols,
 * verification, SNI choices). Parsing certificates is the slow part of TLS setup, so a server makes one context
 * and wraps every accepted socket with it; clients that name no CA share one default context, which trusts the
 * system store (lib/net/tls/ca.ts).
 */
import { native } from './native';
import { defaultCaCertificates } from './ca';
import { TlsError } from './errors';

const T = native.tls_constants;

/** A PEM text (a Buffer holding PEM text is fine too). */
export type PemInput = string | Buffer;

/** The TLS versions verdant speaks: 1.2 and 1.3. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsContextOptions {
  /** A server context (default: a client one). */
  serverSide?: boolean;
  /** The certificate (PEM; the leaf first, then its intermediates). A server needs one; a client may present one. */
  cert?: PemInput;
  /** The private key of `cert` (PEM). */
  key?: PemInput;
  /** The passphrase of an encrypted `key`. */
  passphrase?: string;
  /**
   * The CAs to trust (PEM, one bundle or several), instead of the system's store. Clients verify servers against
   * them; servers verify client certificates (`requestCert`) against them.
   */
  ca?: PemInput | readonly PemInput[];
  /**
   * OpenSSL cipher names, colon-separated, as Node takes them: `TLS_*` names set TLS 1.3 suites, the others the
   * TLS 1.2 list. Default: OpenSSL's.
   */
  ciphers?: string;
  /** Default 'TLSv1.2'. */
  minVersion?: TlsVersion;
  /** Default: the newest OpenSSL speaks ('TLSv1.3'). */
  maxVersion?: TlsVersion;
  /**
   * ALPN protocols (`['h2', 'http/1.1']`): the ones a client offers, or the ones a server accepts in its order of
   * preference (the first of them the client offers wins; none in common means no ALPN, not a failure).
   */
  alpnProtocols?: readonly string[];
  /**
   * Verify the peer's certificate and fail the handshake if it does not verify (clients: default true, and the
   * server's name is checked too). `false` is dangerous: anyone in the middle can read and change the traffic.
   * Servers with `requestCert` and `rejectUnauthorized: false` accept any client certificate (and none) and
   * report the result in `TlsSocket.authorized`.
   */
  rejectUnauthorized?: boolean;
  /** Server: ask clients for a certificate (default false). */
  requestCert?: boolean;
  /**
   * Server: other contexts by the server name a client asks for (SNI): exact names, or `*.example.com` for one
   * label under a domain. Names with none use this context.
   */
  contexts?: Readonly<Record<string, TlsContext>>;
  /**
   * Server: picks the context for a server name (after `contexts` found none); may block (it runs in the green
   * thread doing the handshake). Returning nothing keeps this context.
   */
  SNICallback?: (servername: string) => TlsContext | null | undefined;
}

const VERSIONS: Record<TlsVersion, number> = { 'TLSv1.2': T.TLS1_2_VERSION, 'TLSv1.3': T.TLS1_3_VERSION };

// Dropped contexts free their SSL_CTX; connections made from one hold their own reference to it.
const finalizer = new FinalizationRegistry<number>((id) => native.tls_context_free(id));

const make: unique symbol = Symbol('make');

export class TlsContext {
  readonly serverSide: boolean;
  /** The ALPN protocols of its connections (see {@link TlsContextOptions.alpnProtocols}). */
  readonly alpnProtocols: readonly string[];
  readonly rejectUnauthorized: boolean;
  readonly requestCert: boolean;
  /** @internal The native handle. */
  readonly id: number;
  readonly #byName: ReadonlyMap<string, TlsContext>;
  readonly #sniCallback: ((servername: string) => TlsContext | null | undefined) | undefined;

  /** @internal Use {@link createTlsContext}. */
  constructor(token: typeof make, options: TlsContextOptions) {
    if (token !== make) throw new TypeError('use createTlsContext(options) to make a TlsContext');
    this.serverSide = options.serverSide === true;
    this.alpnProtocols = Object.freeze([...(options.alpnProtocols ?? [])]);
    this.rejectUnauthorized = options.rejectUnauthorized !== false;
    this.requestCert = options.requestCert === true;
    this.#byName = new Map(Object.entries(options.contexts ?? {}).map(([name, context]) => [name.toLowerCase(), context]));
    this.#sniCallback = options.SNICallback;
    this.id = native.tls_context_new(this.serverSide);
    finalizer.register(this, this.id);
    configure(this.id, this.serverSide, options, this.alpnProtocols);
  }

  /** @internal The context for a server name a client sent (SNI): this one unless `contexts` or `SNICallback` says. */
  contextFor(servername: string): TlsContext {
    if (servername === '') return this;
    const name = servername.toLowerCase();
    const exact = this.#byName.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    const wildcard = dot > 0 ? this.#byName.get(`*${name.slice(dot)}`) : undefined;
    if (wildcard !== undefined) return wildcard;
    const chosen = this.#sniCallback?.(servername);
    if (chosen == null) return this;
    if (!(chosen instanceof TlsContext) || !chosen.serverSide) {
      throw new TypeError(`SNICallback must return a server TlsContext (from createTlsContext), or nothing, for ${servername}`);
    }
    return chosen;
  }

}

/**
 * A reusable TLS context. A server makes one and wraps each accepted socket with it:
 *
 * ```ts
 * const context = createTlsContext({ serverSide: true, cert, key, alpnProtocols: ['h2', 'http/1.1'] });
 * const [conn] = server.accept();
 * const tls = wrapTls(conn, { context });
 * ```
 *
 * Throws a TypeError for contradictory or malformed options, a {@link TlsError} when OpenSSL rejects a
 * certificate, key, CA or cipher list (with its reason).
 */
export function createTlsContext(options: TlsContextOptions = {}): TlsContext {
  checkOptions(options);
  return new TlsContext(make, options);
}

let defaultClient: TlsContext | undefined;

/** The context of clients that name no context options: the system CAs, OpenSSL's defaults. Made once. */
export function defaultClientContext(): TlsContext {
  defaultClient ??= createTlsContext({});
  return defaultClient;
}

function checkOptions(options: TlsContextOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('TLS options must be an object');
  const server = options.serverSide === true;
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TypeError('cert and key go together: give both or neither');
  }
  if (server && options.cert === undefined && options.contexts === undefined && options.SNICallback === undefined) {
    throw new TypeError('a TLS server needs a cert and a key (or contexts / SNICallback to choose one by server name)');
  }
  if (!server && (options.contexts !== undefined || options.SNICallback !== undefined)) {
    throw new TypeError('contexts and SNICallback are server options (serverSide: true)');
  }
  if (!server && options.requestCert !== undefined) throw new TypeError('requestCert is a server option (serverSide: true)');
  for (const name of ['cert', 'key'] as const) {
    const value = options[name];
    if (value !== undefined && !isPem(value)) throw new TypeError(`${name} must be a PEM string or Buffer`);
  }
  if (options.passphrase !== undefined && typeof options.passphrase !== 'string') throw new TypeError('passphrase must be a string');
  if (options.ca !== undefined) {
    const list = Array.isArray(options.ca) ? options.ca : [options.ca];
    if (list.length === 0 || !list.every(isPem)) throw new TypeError('ca must be a PEM string or Buffer, or a non-empty array of them');
  }
  if (options.ciphers !== undefined && (typeof options.ciphers !== 'string' || options.ciphers.trim() === '')) {
    throw new TypeError('ciphers must be a non-empty string of OpenSSL cipher names');
  }
  checkVersion(options.minVersion, 'minVersion');
  checkVersion(options.maxVersion, 'maxVersion');
  if (versionNumber(options.minVersion) > (versionNumber(options.maxVersion) || Infinity)) {
    throw new TypeError(`minVersion ${options.minVersion} is newer than maxVersion ${options.maxVersion}`);
  }
  if (options.alpnProtocols !== undefined) alpnWire(options.alpnProtocols);
  for (const [name, context] of Object.entries(options.contexts ?? {})) {
    if (!(context instanceof TlsContext) || !context.serverSide) {
      throw new TypeError(`contexts[${JSON.stringify(name)}] must be a server TlsContext (from createTlsContext)`);
    }
  }
  if (options.SNICallback !== undefined && typeof options.SNICallback !== 'function') throw new TypeError('SNICallback must be a function');
}

/** @internal Checks a version name. */
export function checkVersion(version: unknown, what: string): void {
  if (version !== undefined && !(typeof version === 'string' && version in VERSIONS)) {
    throw new TypeError(`${what} must be 'TLSv1.2' or 'TLSv1.3', not ${JSON.stringify(version)}`);
  }
}

/** @internal OpenSSL's number for a version name; 0 (no bound) for none. */
export function versionNumber(version: TlsVersion | undefined): number {
  return version === undefined ? 0 : VERSIONS[version];
}

/** @internal ALPN protocol names in the wire format (each one prefixed by its length); a TypeError on bad names. */
export function alpnWire(protocols: readonly string[]): Uint8Array {
  if (!Array.isArray(protocols)) throw new TypeError('alpnProtocols must be an array of protocol names');
  const parts = protocols.map((protocol) => {
    const bytes = typeof protocol === 'string' ? Buffer.from(protocol, 'utf8') : null;
    if (bytes === null || bytes.length === 0 || bytes.length > 255) {
      throw new TypeError(`an ALPN protocol is a name of 1 to 255 bytes, not ${JSON.stringify(protocol)}`);
    }
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  return Buffer.concat(parts);
}

function configure(id: number, server: boolean, options: TlsContextOptions, alpn: readonly string[]): void {
  const fail = (message: string): never => {
    throw new TlsError('ERR_TLS_INVALID_CONTEXT', 'createTlsContext', message, { opensslMessage: message });
  };
  if (options.cert !== undefined) {
    const error = native.tls_context_use_certificate(id, pemText(options.cert), pemText(options.key!), options.passphrase ?? null);
    if (error !== '') fail(error);
  }
  // Clients trust the system's CAs unless given their own; servers only check client certificates when asked to.
  const ca = options.ca !== undefined ? (Array.isArray(options.ca) ? options.ca : [options.ca]).map(pemText)
    : !server || options.requestCert ? defaultCaCertificates().pems : [];
  for (const pem of ca) {
    const added = native.tls_context_add_ca(id, pem);
    if (typeof added === 'string') fail(added);
    if (added === 0 && options.ca !== undefined) fail('ca holds no PEM certificate');
  }
  if (options.ciphers !== undefined) {
    const names = options.ciphers.split(':').map((name) => name.trim()).filter(Boolean);
    const error = native.tls_context_set_ciphers(
      id,
      names.filter((name) => !name.startsWith('TLS_')).join(':'),
      names.filter((name) => name.startsWith('TLS_')).join(':'),
    );
    if (error !== '') fail(error);
  }
  if (!native.tls_context_set_versions(id, versionNumber(options.minVersion) || T.TLS1_2_VERSION, versionNumber(options.maxVersion))) {
    fail(`cannot set the TLS versions ${options.minVersion ?? 'TLSv1.2'} to ${options.maxVersion ?? 'TLSv1.3'}`);
  }
  if (server) {
    if (alpn.length > 0) native.tls_context_set_alpn(id, alpnWire(alpn));
    native.tls_context_set_sni_pause(id, options.contexts !== undefined || options.SNICallback !== undefined);
  }
}

function isPem(value: unknown): value is PemInput {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function pemText(value: PemInput): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

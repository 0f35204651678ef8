/**
 * The PostgreSQL driver: node-postgres (`pg`), loaded the first time a pool connects, so that verdant loads
 * without it (it is an optional peer dependency). The types here are the parts of pg's API that lib/db uses, so
 * verdant's own types need no `@types/pg` either.
 *
 * @internal
 */
import { PgNotInstalledError } from './errors';

/** A column of a result, as pg describes it. */
export interface FieldInfo {
  name: string;
  dataTypeID: number;
  [other: string]: unknown;
}

/** What a query returns (pg's `QueryResult`). */
export interface QueryResult<R = any> {
  /** The SQL command: 'SELECT', 'INSERT', ... */
  command: string;
  /** Rows affected or returned; null for commands that report none. */
  rowCount: number | null;
  rows: R[];
  fields: FieldInfo[];
  [other: string]: unknown;
}

/** A query as an object (pg's `QueryConfig`): `{ text, values, name, rowMode, types }`. */
export interface QueryConfig {
  text: string;
  values?: unknown[];
  /** A name makes it a prepared statement, kept on the connection. */
  name?: string;
  rowMode?: 'array';
  [other: string]: unknown;
}

/** The parts of a pg `Client` that lib/db uses. */
export interface PgClient {
  connect(): Promise<unknown>;
  query(...args: unknown[]): unknown;
  end(): Promise<void>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  /** The server process serving this session (pg sets it from BackendKeyData). */
  processID?: number | null;
  /** Newer pg versions: 'I' (idle), 'T' (in a transaction), 'E' (in a failed transaction), or null before the first. */
  getTransactionStatus?(): string | null;
  /** Whether the connection's socket keeps the process alive (pg >= 7). */
  ref?(): void;
  unref?(): void;
  /** False while a query is under way (until the server's ReadyForQuery). */
  readyForQuery?: boolean;
  connection?: {
    on?(event: string, listener: (...args: any[]) => void): unknown;
    removeListener?(event: string, listener: (...args: any[]) => void): unknown;
    stream?: { destroy(error?: Error): void };
  };
}

/** The pg module, or anything with its `Client` constructor. */
export interface PgDriver {
  Client: new (settings: object) => PgClient;
}

let loaded: PgDriver | undefined;

/** pg, required on first use. Throws a {@link PgNotInstalledError} when it is missing. */
export function loadPg(): PgDriver {
  if (loaded !== undefined) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('pg') as PgDriver;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /'pg'/.test(String((error as Error).message))) {
      throw new PgNotInstalledError(error);
    }
    throw error;
  }
  return loaded;
}

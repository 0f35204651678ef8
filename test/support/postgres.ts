/**
 * A private PostgreSQL server for the tests that need a real one (test/db): `startPostgres()` makes a cluster
 * with `initdb` in a fresh temp dir, starts it on a free loopback TCP port (and a Unix socket in the same dir),
 * and `stop()` shuts it down and deletes the dir. Nothing outside the temp dir is touched, and no other server
 * is used.
 *
 * The server binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin). When they are
 * missing, `startPostgres()` throws, naming the package to install: the tests fail, they are not skipped.
 *
 * PostgreSQL refuses to run as root. As root, the cluster belongs to the `postgres` system user (made by the
 * package; made here with useradd if it is missing), and initdb and pg_ctl run as it through `runuser`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A running private server. */
export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** The directory of its Unix socket (a `host` for pg that starts with '/'). */
  readonly socketDir: string;
  readonly user: string;
  readonly database: string;
  /** The connection settings of pg's Client for this server. */
  readonly settings: { host: string; port: number; user: string; database: string };
  /** Its log so far (for failure messages). */
  log(): string;
  /** Stops the server (fast shutdown) and removes its directory. Safe to call more than once. */
  stop(): void;
}

const RUN_AS = 'postgres';
const SUPERUSER = 'postgres';

/**
 * The bin directory of the newest PostgreSQL server installed under `base` (Debian's layout), or a thrown Error
 * saying what to install.
 */
export function findPostgresBin(base = '/usr/lib/postgresql'): string {
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(base);
  } catch {
    // none installed
  }
  const bins = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(base, v, 'bin'))
    .filter((dir) => ['initdb', 'pg_ctl', 'postgres'].every((tool) => fs.existsSync(path.join(dir, tool))));
  if (bins.length === 0) {
    throw new Error(
      `the db tests need a PostgreSQL server: no initdb/pg_ctl/postgres under ${base}/*/bin. ` +
        "Install Debian's `postgresql` package (apt-get install postgresql) and run them again.",
    );
  }
  return bins[0];
}

/** Makes, starts and returns a private server. Blocks the event loop while it starts (a second or two). */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) ensureSystemUser(RUN_AS);
  const dir = asRoot ? serverDirAsRoot() : fs.mkdtempSync(path.join(os.tmpdir(), 'verdant-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const run = (tool: string, args: string[]) => {
    const argv = asRoot ? [runuser(), '-u', RUN_AS, '--', path.join(bin, tool), ...args] : [path.join(bin, tool), ...args];
    return execFileSync(argv[0], argv.slice(1), { cwd: dir, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  };
  const readLog = () => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  let started = false;
  const stop = () => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30']);
      } catch {
        try {
          run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30']);
        } catch {
          // gone already
        }
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', stop);
  };
  // A test run that dies leaves no server behind.
  process.on('exit', stop);
  try {
    run('initdb', ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C']);
    // A free port can be taken by someone else before the server binds it: a few tries.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses='127.0.0.1'",
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=50',
        '-c shared_buffers=16MB',
        '-c dynamic_shared_memory_type=mmap',
      ].join(' ');
      try {
        run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options]);
      } catch (error) {
        if (attempt < 3 && /could not bind|already in use/i.test(readLog())) continue;
        throw new Error(`the private PostgreSQL server did not start: ${String(error)}\n--- server log ---\n${readLog()}`);
      }
      started = true;
      const settings = { host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' };
      return {
        ...settings,
        socketDir: dir,
        settings,
        log: readLog,
        stop,
      };
    }
  } catch (error) {
    stop();
    throw error;
  }
}

// The environment of the server's processes: this one's, without what is meant for the test's node only (the
// sanitizer runtimes scripts/sanitize.sh preloads into it, and their options) or would change the server's
// locale and paths.
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(LD_PRELOAD|ASAN_OPTIONS|UBSAN_OPTIONS|LSAN_OPTIONS|PG[A-Z]+|LC_[A-Z]+|LANG|LANGUAGE)$/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function ensureSystemUser(name: string): void {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
  } catch {
    execFileSync(sbin('useradd'), ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  }
}

// A temp dir owned by the server's user, in a place that user can reach: the temp dir of this process when it can
// (TMPDIR may be under /root), else /tmp.
function serverDirAsRoot(): string {
  for (const base of [os.tmpdir(), '/tmp']) {
    const dir = fs.mkdtempSync(path.join(base, 'verdant-pg-'));
    execFileSync('chown', [RUN_AS, dir]);
    try {
      execFileSync(runuser(), ['-u', RUN_AS, '--', 'test', '-w', dir], { stdio: 'ignore' });
      return dir;
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`the ${RUN_AS} user can write to neither ${os.tmpdir()} nor /tmp`);
}

function runuser(): string {
  return sbin('runuser');
}

// root's tools, found even when /usr/sbin is not on PATH.
function sbin(tool: string): string {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (fs.existsSync(path.join(dir, tool))) return path.join(dir, tool);
  }
  return tool;
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

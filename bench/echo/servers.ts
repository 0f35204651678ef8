/**
 * The echo servers bench/echo.ts measures, one per process: `node dist/bench/echo/servers.js <kind> <port>`.
 * Each prints READY once it listens, then echoes every byte back until killed.
 *
 * - verdant: a green thread per connection, recv + sendAll (eventlet's echo loop; recv holds no buffer while it
 *   waits, so an idle connection costs its green thread and little else);
 * - verdant-file: the eventlet example's shape, makefile().read1() + write + flush;
 * - node-callback: Node's net server in callback style ('data' -> write), the baseline;
 * - verdant-tls, node-tls: the same two over TLS, with the certificate and key in $ECHO_TLS_CERT / $ECHO_TLS_KEY.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { GreenSocket, createTlsContext, listen, run, serve, wrapTls } from '../../lib';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);

function verdantRecv(conn: GreenSocket): void {
  conn.setsockopt('TCP_NODELAY', true);
  for (;;) {
    const data = conn.recv(65536);
    if (data.length === 0) return;
    conn.sendAll(data);
  }
}

function verdantFile(conn: GreenSocket): void {
  conn.setsockopt('TCP_NODELAY', true);
  const file = conn.makefile('rw');
  for (;;) {
    const chunk = file.read1();
    if (chunk.length === 0) return;
    file.write(chunk);
    file.flush();
  }
}

function ignoreResets(error: unknown): void {
  const code = (error as { code?: string }).code;
  // The load generator ends by closing its connections, without TLS's close_notify.
  if (code !== 'ECONNRESET' && code !== 'EPIPE' && code !== 'ERR_TLS_UNEXPECTED_EOF') throw error;
}

switch (kind) {
  case 'verdant':
  case 'verdant-file': {
    const handler = kind === 'verdant' ? verdantRecv : verdantFile;
    run(() => {
      const sock = listen(['127.0.0.1', port], { backlog: 4096 });
      console.log(`READY ${kind} ${process.version}`);
      serve(sock, handler, { concurrency: 100_000, onError: ignoreResets });
    });
    break;
  }
  case 'verdant-tls': {
    const context = createTlsContext({ serverSide: true, cert: readFileSync(process.env.ECHO_TLS_CERT!), key: readFileSync(process.env.ECHO_TLS_KEY!) });
    run(() => {
      const sock = listen(['127.0.0.1', port], { backlog: 4096 });
      console.log(`READY ${kind} ${process.version}`);
      serve(
        sock,
        (conn) => {
          conn.setsockopt('TCP_NODELAY', true);
          const secure = wrapTls(conn, { serverSide: true, context });
          for (;;) {
            const data = secure.recv(65536);
            if (data.length === 0) return;
            secure.sendAll(data);
          }
        },
        { concurrency: 100_000, onError: ignoreResets },
      );
    });
    break;
  }
  case 'node-tls': {
    const server = tls.createServer({ cert: readFileSync(process.env.ECHO_TLS_CERT!), key: readFileSync(process.env.ECHO_TLS_KEY!) }, (sock) => {
      sock.setNoDelay(true);
      sock.on('data', (d) => sock.write(d));
      sock.on('error', () => {});
    });
    server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => console.log(`READY ${kind} ${process.version}`));
    break;
  }
  case 'node-callback': {
    const server = net.createServer((sock) => {
      sock.setNoDelay(true);
      sock.on('data', (d) => sock.write(d));
      sock.on('error', () => {});
    });
    server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => console.log(`READY ${kind} ${process.version}`));
    break;
  }
  default:
    console.error(`unknown server kind ${kind}: verdant, verdant-file, node-callback, verdant-tls, node-tls`);
    process.exit(2);
}

// What the backdoor suites share.
import { type BackdoorServer, serve } from '../../lib/backdoor';

/** A server on a free loopback port, closed after `body`. */
export function withBackdoor(options: Parameters<typeof serve>[1], body: (server: BackdoorServer) => void): void {
  const server = serve(['127.0.0.1', 0], options);
  try {
    body(server);
  } finally {
    server.close();
  }
}

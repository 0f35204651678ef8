/**
 * systemd socket activation (sd_listen_fds(3)): when systemd (or anything speaking its protocol: s6, launchd
 * shims, `systemd-socket-activate`) made the listening socket and started `verdant serve` with it, the socket is
 * fd 3 and the environment says so with LISTEN_PID (this process) and LISTEN_FDS (how many). The controller then
 * serves that socket instead of binding one, so the port is held across restarts of the service and connections
 * made while it restarts wait in the socket's queue.
 * @internal
 */
import { GreenSocket } from '../net/socket';
import { SocketActivationError } from './errors';

/** The first fd systemd passes (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

/**
 * The listening socket passed by socket activation, or null when none was passed to this process. Removes the
 * variables from `env`, as sd_listen_fds(3) asks, so that the workers started later do not take them for theirs.
 *
 * # Errors
 * {@link SocketActivationError} when the variables are there but what they describe cannot be served: more than
 * one socket, or a connected socket (systemd's Accept=yes, one process per connection) instead of a listening one.
 */
export function activatedSocket(env: NodeJS.ProcessEnv = process.env): GreenSocket | null {
  const pid = env.LISTEN_PID;
  const count = env.LISTEN_FDS;
  if (pid === undefined || count === undefined || pid !== String(process.pid)) return null;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (count !== '1') {
    throw new SocketActivationError(`LISTEN_FDS is ${JSON.stringify(count)}; verdant serve takes exactly one listening socket`);
  }
  let sock: GreenSocket;
  try {
    sock = GreenSocket.fromFd(FIRST_FD);
  } catch (error) {
    throw new SocketActivationError(`fd ${FIRST_FD} is not a socket: ${(error as Error).message}`);
  }
  if (sock.type !== 'stream' || isConnected(sock)) {
    sock.close();
    throw new SocketActivationError(`fd ${FIRST_FD} is not a listening stream socket (a service started with Accept=yes gets a connection; verdant serve needs Accept=no)`);
  }
  return sock;
}

function isConnected(sock: GreenSocket): boolean {
  try {
    sock.getPeerName();
    return true;
  } catch {
    return false;  // ENOTCONN: a listening (or unconnected) socket
  }
}

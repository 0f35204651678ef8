/**
 * The green I/O syscalls' part of the native addon (native/io/bindings.cc): each returns its result (>= 0) or
 * -errno, and nothing blocks.
 * @internal
 */
import { addon } from '../runtime/addon';

/** A socket address as native/io returns it. */
export type RawAddress = [family: number, host: string, port: number, flowinfo: number, scopeId: number];
/** What io_recvfrom returns: the byte count, then the sender's address. */
export type RawPacketFrom = [bytes: number, family: number, host: string, port: number, flowinfo: number, scopeId: number];

export type IoConstant =
  | 'AF_UNSPEC' | 'AF_INET' | 'AF_INET6' | 'AF_UNIX' | 'SOCK_STREAM' | 'SOCK_DGRAM'
  | 'SOL_SOCKET' | 'IPPROTO_TCP' | 'IPPROTO_IP' | 'IPPROTO_IPV6'
  | 'SO_REUSEADDR' | 'SO_REUSEPORT' | 'SO_KEEPALIVE' | 'SO_BROADCAST' | 'SO_RCVBUF' | 'SO_SNDBUF' | 'SO_ERROR'
  | 'SO_TYPE' | 'SO_RCVLOWAT' | 'SO_SNDLOWAT'
  | 'TCP_NODELAY' | 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT' | 'IPV6_V6ONLY' | 'IP_TTL'
  | 'MSG_PEEK' | 'MSG_OOB' | 'MSG_WAITALL' | 'MSG_DONTWAIT' | 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'
  | 'EAGAIN' | 'EWOULDBLOCK' | 'EINPROGRESS' | 'EINTR' | 'EMFILE' | 'ENFILE' | 'ENOBUFS' | 'ENOMEM'
  | 'ECONNABORTED' | 'EBADF' | 'EPIPE' | 'ECONNRESET' | 'ENOTCONN' | 'EISCONN' | 'EALREADY' | 'ETIMEDOUT'
  | 'EINVAL' | 'ENOTSOCK' | 'ESPIPE' | 'SEEK_SET' | 'SEEK_CUR' | 'SEEK_END'
  | 'POLLIN' | 'POLLPRI' | 'POLLOUT' | 'POLLERR' | 'POLLHUP' | 'POLLNVAL';

export interface IoBinding {
  /** Platform values of the socket constants and errnos lib/net uses (native/io/bindings.cc). */
  io_constants: Record<IoConstant, number>;
  // Green I/O syscalls: each returns its result (>= 0) or -errno; nothing blocks (native/io/bindings.cc).
  io_socket(family: number, type: number, protocol: number): number;
  io_socketpair(family: number, type: number): [number, number] | number;
  io_pipe(): [readFd: number, writeFd: number] | number;
  io_dup(fd: number): number;
  io_close(fd: number): number;
  io_bind(fd: number, family: number, host: string, port: number): number;
  io_connect(fd: number, family: number, host: string, port: number): number;
  io_listen(fd: number, backlog: number): number;
  io_accept(fd: number): number;
  /** The file's first `length` bytes mapped shared (the file must be that long): processes see each other's writes. */
  io_map_shared(fd: number, length: number): ArrayBuffer | number;
  io_recv(fd: number, view: ArrayBufferView, offset: number, length: number, flags: number): number;
  io_send(fd: number, view: ArrayBufferView, offset: number, length: number, flags: number): number;
  io_read(fd: number, view: ArrayBufferView, offset: number, length: number): number;
  io_write(fd: number, view: ArrayBufferView, offset: number, length: number): number;
  io_recvfrom(fd: number, view: ArrayBufferView, offset: number, length: number, flags: number): RawPacketFrom | number;
  io_sendto(
    fd: number, view: ArrayBufferView, offset: number, length: number, flags: number,
    family: number, host: string, port: number,
  ): number;
  io_shutdown(fd: number, how: number): number;
  io_set_blocking(fd: number, blocking: boolean): number;
  io_setsockopt(fd: number, level: number, name: number, value: number): number;
  io_getsockopt(fd: number, level: number, name: number): number;
  /** The option's raw bytes into view[offset, offset + length): how many the kernel gave, or -errno. */
  io_getsockopt_bytes(fd: number, level: number, name: number, view: ArrayBufferView, offset: number, length: number): number;
  io_address(fd: number, peer: boolean): RawAddress | number;
  /** lseek(2): the new offset, or -errno. */
  io_lseek(fd: number, offset: number, whence: number): number;
  /**
   * poll(2) with timeout 0 over `list`'s (fd, events) pairs (POLL* bits); each events slot becomes the fd's
   * revents. Returns how many fds have any, or -errno.
   */
  io_poll(list: Int32Array): number;
}

export const native = addon as IoBinding;

// Socket addresses between their JS form (family, literal host or unix path, port) and struct sockaddr. Names are
// never resolved here: lib/net/dns.ts turns them into literals first (getaddrinfo on the libuv threadpool).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace verdant::io {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// family AF_INET or AF_INET6 with a literal host ("::1", "fe80::1%eth0" or "%3") and a port, or AF_UNIX with a
// path (a leading NUL byte names an abstract socket). Returns 0, or -EINVAL (not a literal of that family, or a
// port outside 0..65535), -ENAMETOOLONG (path), -ENXIO (unknown interface in a scope), -EAFNOSUPPORT.
int EncodeSockAddr(int family, const std::string& host, int port, SockAddr* out);

struct DecodedAddr {
  int family = AF_UNSPEC;
  std::string host;  // the literal address, or the unix path ("" for an unnamed unix socket)
  int port = 0;
  uint32_t flowinfo = 0;
  uint32_t scope_id = 0;
};

// False if the family is not one of the three.
bool DecodeSockAddr(const sockaddr* sa, socklen_t length, DecodedAddr* out);

}  // namespace verdant::io

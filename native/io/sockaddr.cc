#include "io/sockaddr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace verdant::io {
namespace {

// "eth0" or "3" (the part after '%' in an IPv6 literal) to an interface index; 0 if unknown.
uint32_t ScopeIndex(const std::string& scope) {
  if (scope.empty()) return 0;
  char* end = nullptr;
  unsigned long numeric = std::strtoul(scope.c_str(), &end, 10);
  if (*end == '\0') return static_cast<uint32_t>(numeric);
  return if_nametoindex(scope.c_str());
}

}  // namespace

int EncodeSockAddr(int family, const std::string& host, int port, SockAddr* out) {
  std::memset(&out->storage, 0, sizeof(out->storage));
  if (family == AF_UNIX) {
    auto* un = reinterpret_cast<sockaddr_un*>(&out->storage);
    if (host.size() >= sizeof(un->sun_path)) return -ENAMETOOLONG;
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, host.data(), host.size());
    // An abstract name is exactly its bytes; a path is NUL-terminated.
    bool abstract = !host.empty() && host[0] == '\0';
    out->length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + host.size() + (abstract ? 0 : 1));
    return 0;
  }
  if (port < 0 || port > 65535) return -EINVAL;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out->storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) return -EINVAL;
    out->length = sizeof(sockaddr_in);
    return 0;
  }
  if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    std::string literal = host;
    size_t percent = host.find('%');
    if (percent != std::string::npos) {
      literal = host.substr(0, percent);
      in6->sin6_scope_id = ScopeIndex(host.substr(percent + 1));
      if (in6->sin6_scope_id == 0) return -ENXIO;
    }
    if (inet_pton(AF_INET6, literal.c_str(), &in6->sin6_addr) != 1) return -EINVAL;
    out->length = sizeof(sockaddr_in6);
    return 0;
  }
  return -EAFNOSUPPORT;
}

bool DecodeSockAddr(const sockaddr* sa, socklen_t length, DecodedAddr* out) {
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  out->family = sa->sa_family;
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      out->host = text;
      out->port = ntohs(in->sin_port);
      return true;
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      out->host = text;
      out->port = ntohs(in6->sin6_port);
      out->flowinfo = ntohl(in6->sin6_flowinfo);
      out->scope_id = in6->sin6_scope_id;
      if (out->scope_id != 0) {
        char name[IF_NAMESIZE];
        out->host += '%';
        out->host += if_indextoname(out->scope_id, name) != nullptr ? name : std::to_string(out->scope_id);
      }
      return true;
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
      size_t size = length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
      if (size > 0 && un->sun_path[0] != '\0') size = strnlen(un->sun_path, size);
      out->host.assign(un->sun_path, size);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace verdant::io

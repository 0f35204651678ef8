// TLS connections (SSL) over non-blocking fds, and their steps. Each step is one non-blocking OpenSSL call: it
// returns a result (>= 0), -errno, or one of the codes below, and lib/net/tls/socket.ts waits on the fd and
// retries. A connection never closes its fd, and never decides policy (which names to verify, what a failure
// means): lib/ does.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>

#include "tls/errors.h"

namespace verdant::detail::tls {

// What a step returns besides a result >= 0 and -errno (errno values stay far below 1000).
constexpr int kWantRead = -1001;   // wait until the fd is readable, then retry
constexpr int kWantWrite = -1002;  // wait until the fd is writable, then retry
constexpr int kClosed = -1003;     // the peer sent close_notify (clean end of the TLS stream)
constexpr int kFailed = -1004;     // a TLS failure; tls_error tells which
constexpr int kEof = -1005;        // the peer closed the TCP connection without close_notify
constexpr int kWantHello = -1006;  // server: paused at the ClientHello so lib/ can pick a context by SNI

// SetVerify modes.
constexpr int kVerifyNone = 0;     // verify (the result is recorded) but never fail the handshake
constexpr int kVerifyPeer = 1;     // fail the handshake if the peer's certificate does not verify
constexpr int kVerifyRequire = 2;  // server: also fail if the client sends no certificate
constexpr int kVerifyRecord = 3;   // server: ask for a client certificate, record the result, never fail

struct Connection {
  SSL* ssl = nullptr;
  // The newest session the server gave this client (TLS 1.3 tickets arrive after the handshake).
  SSL_SESSION* latest_session = nullptr;
  // Server: the ClientHello callback paused the handshake once already.
  bool hello_paused = false;
  std::string hello_servername;
  // After SSL_ERROR_SSL or SSL_ERROR_SYSCALL OpenSSL forbids further I/O (and SSL_shutdown) on the SSL.
  bool failed = false;
  int failed_code = kFailed;
  Failure failure;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();
};

// An SSL from `ctx` over the (non-blocking) socket fd, client or server; null with `error` set if OpenSSL
// refuses. The fd stays lib/'s: it is never closed here.
std::unique_ptr<Connection> NewConnection(SSL_CTX* ctx, int fd, bool server, std::string* error);

// Settings, before the handshake. Each returns false if OpenSSL refuses.
bool SetSni(Connection* conn, const std::string& name);  // client: the name sent in the ClientHello
// The verify mode (kVerify*) and, for clients, the name or IP address the certificate must be for ('' for none).
bool SetVerify(Connection* conn, int mode, const std::string& host, bool host_is_ip);
bool SetAlpn(Connection* conn, const unsigned char* wire, size_t size);  // client: the protocols it offers
bool SetVersions(Connection* conn, int min, int max);
// Client: offers to resume a session serialized by SessionBytes' caller (false if the bytes are not one).
bool SetSession(Connection* conn, const unsigned char* data, size_t size);
// Server, paused at the ClientHello: continue with this context's certificate and settings.
bool SetContext(Connection* conn, SSL_CTX* ctx);

// The steps: 0 (handshake done), a byte count (read, write), 0 or 1 (shutdown: close_notify sent; both ways
// done), or a code above, or -errno.
int Handshake(Connection* conn);
int Read(Connection* conn, char* data, size_t size);
// SSL_MODE_ENABLE_PARTIAL_WRITE: returns once some records went out. After kWantWrite the retry must pass the
// same bytes again (at least as many); SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets them sit at another address.
int Write(Connection* conn, const char* data, size_t size);
int Shutdown(Connection* conn);

// The peer's certificate (a reference the caller frees with X509_free), or null.
X509* PeerCertificate(Connection* conn);
// The newest resumable session (borrowed), or null.
SSL_SESSION* ResumableSession(Connection* conn);
// Node's name of a verification result (X509_V_ERR_*), or '' for the ones callers do not meet.
const char* VerifyName(long result);

// OpenSSL callbacks that land on a connection, installed by its context (context.cc).
int OnNewSession(SSL* ssl, SSL_SESSION* session);
int OnClientHello(SSL* ssl, int* alert, void* arg);

}  // namespace verdant::detail::tls

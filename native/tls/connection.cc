// TLS connections and their non-blocking steps (connection.h).
#include "tls/connection.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>

namespace verdant::detail::tls {

Connection::~Connection() {
  if (ssl != nullptr) {
    SSL_set_app_data(ssl, nullptr);
    SSL_free(ssl);  // Never sends anything, and never closes the fd (SSL_set_fd's BIO is BIO_NOCLOSE).
  }
  if (latest_session != nullptr) SSL_SESSION_free(latest_session);
}

namespace {

// The host_name entry of a server_name extension's body (RFC 6066 3), or '' if it is malformed or absent.
std::string ParseServerName(const unsigned char* data, size_t length) {
  if (length < 2) return std::string();
  size_t list_length = (static_cast<size_t>(data[0]) << 8) | data[1];
  if (list_length + 2 != length) return std::string();
  size_t at = 2;
  while (at + 3 <= length) {
    unsigned char type = data[at];
    size_t name_length = (static_cast<size_t>(data[at + 1]) << 8) | data[at + 2];
    at += 3;
    if (name_length > length - at) return std::string();
    if (type == TLSEXT_NAMETYPE_host_name) {
      std::string name(reinterpret_cast<const char*>(data + at), name_length);
      if (name.empty() || name.size() > 255 || name.find('\0') != std::string::npos) return std::string();
      return name;
    }
    at += name_length;
  }
  return std::string();
}


// kVerifyRecord: the result stays in SSL_get_verify_result for lib/ to report.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

// What a failed SSL_* call (ret) means; `saved_errno` is errno right after it.
int Outcome(Connection* conn, int ret, int saved_errno) {
  int error = SSL_get_error(conn->ssl, ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return kClosed;
    case SSL_ERROR_WANT_CLIENT_HELLO_CB:
      return kWantHello;
    default:
      break;
  }
  unsigned long first = ERR_peek_error();
  conn->failure = DrainErrors();
  conn->failed = true;
  if (error == SSL_ERROR_SYSCALL && first == 0) {
    if (saved_errno != 0) {
      conn->failure.reason = std::strerror(saved_errno);
      return conn->failed_code = -saved_errno;
    }
    conn->failure.reason = "unexpected eof while reading";
    return conn->failed_code = kEof;
  }
  if (ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return conn->failed_code = kEof;
  }
  if (conn->failure.reason.empty()) conn->failure.reason = "TLS failure (OpenSSL queued no error)";
  return conn->failed_code = kFailed;
}

// One OpenSSL call as a step: 0 when it returned 1 (success), else what Outcome makes of it.
template <typename Call>
int Step(Connection* conn, Call call) {
  if (conn->failed) return conn->failed_code;
  errno = 0;
  int ret = call();
  int saved_errno = errno;
  return ret == 1 ? 0 : Outcome(conn, ret, saved_errno);
}

}  // namespace

// Client: keeps the newest resumable session (the session cache itself is off: lib/ hands sessions around).
int OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* conn = static_cast<Connection*>(SSL_get_app_data(ssl));
  if (conn == nullptr) return 0;
  if (conn->latest_session != nullptr) SSL_SESSION_free(conn->latest_session);
  conn->latest_session = session;
  return 1;  // We keep the reference OpenSSL passed.
}


// Server contexts with SNI choices: pause once at the ClientHello (the step returns kWantHello) so that lib/
// can choose the context, in TypeScript and possibly blocking, before the handshake goes on.
int OnClientHello(SSL* ssl, int*, void*) {
  auto* conn = static_cast<Connection*>(SSL_get_app_data(ssl));
  if (conn == nullptr || conn->hello_paused) return SSL_CLIENT_HELLO_SUCCESS;
  conn->hello_paused = true;
  const unsigned char* data = nullptr;
  size_t length = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &length) == 1) {
    conn->hello_servername = ParseServerName(data, length);
  }
  return SSL_CLIENT_HELLO_RETRY;
}


std::unique_ptr<Connection> NewConnection(SSL_CTX* ctx, int fd, bool server, std::string* error) {
  auto conn = std::make_unique<Connection>();
  conn->ssl = SSL_new(ctx);
  if (conn->ssl == nullptr || SSL_set_fd(conn->ssl, fd) != 1) {
    *error = ErrorMessage("cannot create the TLS connection");
    return nullptr;
  }
  SSL_set_app_data(conn->ssl, conn.get());
  if (server) {
    SSL_set_accept_state(conn->ssl);
  } else {
    SSL_set_connect_state(conn->ssl);
  }
  return conn;
}

bool SetSni(Connection* conn, const std::string& name) { return SSL_set_tlsext_host_name(conn->ssl, name.c_str()) == 1; }

bool SetVerify(Connection* conn, int mode, const std::string& host, bool host_is_ip) {
  switch (mode) {
    case kVerifyPeer:
      SSL_set_verify(conn->ssl, SSL_VERIFY_PEER, nullptr);
      break;
    case kVerifyRequire:
      SSL_set_verify(conn->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
    case kVerifyRecord:
      SSL_set_verify(conn->ssl, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    default:
      SSL_set_verify(conn->ssl, SSL_VERIFY_NONE, nullptr);
      break;
  }
  if (host.empty()) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(conn->ssl);
  if (host_is_ip) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(conn->ssl, host.c_str()) == 1;
}

bool SetAlpn(Connection* conn, const unsigned char* wire, size_t size) {
  return SSL_set_alpn_protos(conn->ssl, wire, static_cast<unsigned int>(size)) == 0;
}

bool SetVersions(Connection* conn, int min, int max) {
  return SSL_set_min_proto_version(conn->ssl, min) == 1 && SSL_set_max_proto_version(conn->ssl, max) == 1;
}

bool SetSession(Connection* conn, const unsigned char* data, size_t size) {
  if (size == 0 || size > (1u << 24)) return false;
  SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &data, static_cast<long>(size));
  if (session == nullptr) return false;
  bool ok = SSL_set_session(conn->ssl, session) == 1;
  SSL_SESSION_free(session);
  return ok;
}

bool SetContext(Connection* conn, SSL_CTX* ctx) { return SSL_set_SSL_CTX(conn->ssl, ctx) != nullptr; }

int Handshake(Connection* conn) {
  return Step(conn, [&] { return SSL_do_handshake(conn->ssl); });
}

// SSL_read_ex and SSL_write_ex: the byte count, or an outcome code.
int Read(Connection* conn, char* data, size_t size) {
  if (conn->failed) return conn->failed_code;
  if (size == 0) return 0;
  size_t n = 0;
  int r = Step(conn, [&] { return SSL_read_ex(conn->ssl, data, size, &n); });
  return r == 0 ? static_cast<int>(n) : r;
}

int Write(Connection* conn, const char* data, size_t size) {
  if (conn->failed) return conn->failed_code;
  if (size == 0) return 0;
  size_t n = 0;
  int r = Step(conn, [&] { return SSL_write_ex(conn->ssl, data, size, &n); });
  return r == 0 ? static_cast<int>(n) : r;
}

// 0: close_notify sent, the peer's not received yet; 1: both sent and received (or there is nothing to shut
// down: the handshake never completed).
int Shutdown(Connection* conn) {
  if (conn->failed) return conn->failed_code;
  if (SSL_in_init(conn->ssl)) return 1;
  errno = 0;
  int ret = SSL_shutdown(conn->ssl);
  int saved_errno = errno;
  return ret >= 0 ? ret : Outcome(conn, ret, saved_errno);
}

// A client whose handshake failed verification still has the chain the server sent (its first entry is the
// server's own certificate), so the error can say what the certificate was for.
X509* PeerCertificate(Connection* conn) {
  X509* cert = SSL_get1_peer_certificate(conn->ssl);
  if (cert == nullptr && !SSL_is_server(conn->ssl)) {
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(conn->ssl);
    if (chain != nullptr && sk_X509_num(chain) > 0) {
      cert = sk_X509_value(chain, 0);
      if (cert != nullptr) X509_up_ref(cert);
    }
  }
  return cert;
}

// Null if there is none (yet: TLS 1.3 tickets come after the handshake, with the first data read).
SSL_SESSION* ResumableSession(Connection* conn) {
  SSL_SESSION* session = conn->latest_session != nullptr ? conn->latest_session : SSL_get0_session(conn->ssl);
  return session != nullptr && SSL_SESSION_is_resumable(session) == 1 ? session : nullptr;
}

// The names of the verification results callers meet (Node's names for them); others read as ''.
const char* VerifyName(long result) {
  switch (result) {
#define VERDANT_VERIFY_NAME(name) \
  case X509_V_ERR_##name:         \
    return #name;
    VERDANT_VERIFY_NAME(UNABLE_TO_GET_ISSUER_CERT)
    VERDANT_VERIFY_NAME(UNABLE_TO_GET_CRL)
    VERDANT_VERIFY_NAME(UNABLE_TO_DECRYPT_CERT_SIGNATURE)
    VERDANT_VERIFY_NAME(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
    VERDANT_VERIFY_NAME(CERT_SIGNATURE_FAILURE)
    VERDANT_VERIFY_NAME(CERT_NOT_YET_VALID)
    VERDANT_VERIFY_NAME(CERT_HAS_EXPIRED)
    VERDANT_VERIFY_NAME(ERROR_IN_CERT_NOT_BEFORE_FIELD)
    VERDANT_VERIFY_NAME(ERROR_IN_CERT_NOT_AFTER_FIELD)
    VERDANT_VERIFY_NAME(DEPTH_ZERO_SELF_SIGNED_CERT)
    VERDANT_VERIFY_NAME(SELF_SIGNED_CERT_IN_CHAIN)
    VERDANT_VERIFY_NAME(UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    VERDANT_VERIFY_NAME(UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    VERDANT_VERIFY_NAME(CERT_CHAIN_TOO_LONG)
    VERDANT_VERIFY_NAME(CERT_REVOKED)
    VERDANT_VERIFY_NAME(INVALID_CA)
    VERDANT_VERIFY_NAME(PATH_LENGTH_EXCEEDED)
    VERDANT_VERIFY_NAME(INVALID_PURPOSE)
    VERDANT_VERIFY_NAME(CERT_UNTRUSTED)
    VERDANT_VERIFY_NAME(CERT_REJECTED)
    VERDANT_VERIFY_NAME(HOSTNAME_MISMATCH)
    VERDANT_VERIFY_NAME(EMAIL_MISMATCH)
    VERDANT_VERIFY_NAME(IP_ADDRESS_MISMATCH)
#undef VERDANT_VERIFY_NAME
    default:
      return "";
  }
}

}  // namespace verdant::detail::tls

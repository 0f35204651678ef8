// TLS over green sockets, with the OpenSSL that Node ships (its symbols resolve against the node binary; nothing
// links libssl). Contexts (SSL_CTX) and connections (SSL) are numbered handles in a per-environment table, so a
// stale or forged number reads as "not open" (a TypeError) and never as a dangling pointer; lib/ frees them
// explicitly on close and through a FinalizationRegistry when they are dropped (lib/net/tls-context.ts, tls.ts).
// Each step is one non-blocking OpenSSL call on a non-blocking fd: it returns a result (>= 0), -errno, or one of
// the codes below, and lib/net/tls.ts waits on the fd and retries. Policy (which CAs, verification defaults,
// timeouts, error classes, SNI choice) is lib/'s.
//
//   tls_context_new(server): id                   tls_context_free(id)
//   tls_context_use_certificate(ctx, certPem, keyPem, passphrase | null): '' | error message
//   tls_context_add_ca(ctx, pem): count | error message
//   tls_context_set_ciphers(ctx, tls12List, tls13Suites): '' | error message
//   tls_context_set_versions(ctx, min, max)        tls_context_set_alpn(ctx, wireBytes)
//   tls_context_set_sni_pause(ctx, on)             (server: pause at the ClientHello, see kWantHello)
//   tls_connection_new(ctx, fd, server): id | error message         tls_connection_free(id)
//   tls_set_sni(conn, name)                        tls_set_verify(conn, mode, host, hostIsIp): bool
//   tls_set_alpn(conn, wireBytes): bool            tls_set_versions(conn, min, max)
//   tls_set_session(conn, bytes): bool             tls_set_context(conn, ctx): bool
//   tls_handshake(conn): 0 | code                  tls_shutdown(conn): 0 (sent) | 1 (done) | code
//   tls_read(conn, view, offset, length): n | code tls_write(conn, view, offset, length): n | code
//   tls_info(conn): [protocol, cipher, standardCipher, alpn, servername, reused, verifyResult, verifyName,
//                    verifyMessage, handshakeDone]
//   tls_error(conn): [library, reason, message] of the failure that made a step return kFailed (or -errno)
//   tls_peer_certificate(conn): DER bytes | null   tls_get_session(conn): bytes | null
//   tls_hello_servername(conn): the SNI name of a paused ClientHello ('' if none)
//   tls_stats(): [contexts, connections]           tls_constants: the codes and modes below
//
// OpenSSL's error queue is per thread and shared with Node's own crypto: every binding clears it on entry and on
// exit (ErrorQueueScope), and a failure drains it into the connection's Failure.
#include "io/tls.h"

#include <node.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/arguments.h"

// Node 20 ships OpenSSL 3.0, Node 22 and later 3.5; SSL_get1_peer_certificate & co. are 3.0's.
static_assert(OPENSSL_VERSION_MAJOR >= 3, "verdant's TLS needs the OpenSSL 3 headers that come with Node >= 20");

namespace verdant::detail {
namespace {

// What a step returns besides a result >= 0 and -errno (errno values stay far below 1000).
constexpr int kWantRead = -1001;   // wait until the fd is readable, then retry
constexpr int kWantWrite = -1002;  // wait until the fd is writable, then retry
constexpr int kClosed = -1003;     // the peer sent close_notify (clean end of the TLS stream)
constexpr int kFailed = -1004;     // a TLS failure; tls_error tells which
constexpr int kEof = -1005;        // the peer closed the TCP connection without close_notify
constexpr int kWantHello = -1006;  // server: paused at the ClientHello so lib/ can pick a context by SNI

// tls_set_verify modes.
constexpr int kVerifyNone = 0;     // verify (the result is recorded) but never fail the handshake
constexpr int kVerifyPeer = 1;     // fail the handshake if the peer's certificate does not verify
constexpr int kVerifyRequire = 2;  // server: also fail if the client sends no certificate
constexpr int kVerifyRecord = 3;   // server: ask for a client certificate, record the result, never fail

struct Failure {
  std::string library;
  std::string reason;
  std::string message;
};

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
  ~Connection() {
    if (ssl != nullptr) {
      SSL_set_app_data(ssl, nullptr);
      SSL_free(ssl);  // Never sends anything, and never closes the fd (SSL_set_fd's BIO is BIO_NOCLOSE).
    }
    if (latest_session != nullptr) SSL_SESSION_free(latest_session);
  }
};

// What a context needs in its callbacks, kept as SSL_CTX ex data: an SSL may outlive the context's handle (it
// holds its own reference to the SSL_CTX), so this lives exactly as long as the SSL_CTX.
struct ContextExtra {
  bool server = false;
  std::vector<unsigned char> alpn;  // server: the protocols it accepts, in preference order (wire format)
};

void FreeContextExtra(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ContextExtra*>(ptr);
}

int ExtraIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, FreeContextExtra);
  return index;
}

ContextExtra* ExtraOf(SSL_CTX* ctx) {
  return ctx == nullptr ? nullptr : static_cast<ContextExtra*>(SSL_CTX_get_ex_data(ctx, ExtraIndex()));
}

// Every context and connection of one Node environment, freed with it.
struct TlsState {
  std::unordered_map<int64_t, SSL_CTX*> contexts;
  std::unordered_map<int64_t, std::unique_ptr<Connection>> connections;
  int64_t next_id = 1;  // never reused, so a stale id cannot name a newer object

  ~TlsState() {
    connections.clear();
    for (auto& entry : contexts) SSL_CTX_free(entry.second);
  }
};

void FreeState(void* arg) { delete static_cast<TlsState*>(arg); }

// Clears OpenSSL's per-thread error queue on entry and on exit of a binding: nothing leaks between calls, into
// Node's crypto, or from it.
struct ErrorQueueScope {
  ErrorQueueScope() { ERR_clear_error(); }
  ~ErrorQueueScope() { ERR_clear_error(); }
  ErrorQueueScope(const ErrorQueueScope&) = delete;
  ErrorQueueScope& operator=(const ErrorQueueScope&) = delete;
};

// The queued errors, oldest first: the first one's library and reason, all of them in the message.
Failure DrainErrors() {
  Failure out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (out.reason.empty()) {
      const char* library = ERR_lib_error_string(code);
      const char* reason = ERR_reason_error_string(code);
      out.library = library != nullptr ? library : "";
      out.reason = reason != nullptr ? reason : text;
    }
    if (!out.message.empty()) out.message += "; ";
    out.message += text;
  }
  return out;
}

std::string ErrorMessage(const char* what) {
  Failure failure = DrainErrors();
  return failure.message.empty() ? std::string(what) : std::string(what) + ": " + failure.message;
}

// --- arguments and results ----------------------------------------------------------------------------------

TlsState* StateOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<TlsState*>(info.Data().As<v8::External>()->Value());
}

int64_t IdArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i) {
  if (info.Length() <= i || !info[i]->IsNumber()) return -1;
  double value = info[i].As<v8::Number>()->Value();
  return value >= 1 && value <= 9007199254740991.0 ? static_cast<int64_t>(value) : -1;
}

std::string StringArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i) {
  if (info.Length() <= i || !info[i]->IsString()) return std::string();
  v8::String::Utf8Value value(info.GetIsolate(), info[i]);
  return std::string(*value, value.length());
}

Connection* ConnectionArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i = 0) {
  TlsState* state = StateOf(info);
  auto found = state->connections.find(IdArg(info, i));
  if (found == state->connections.end()) {
    ThrowTypeError(info.GetIsolate(), "not an open TLS connection");
    return nullptr;
  }
  return found->second.get();
}

SSL_CTX* ContextArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i = 0) {
  TlsState* state = StateOf(info);
  auto found = state->contexts.find(IdArg(info, i));
  if (found == state->contexts.end()) {
    ThrowTypeError(info.GetIsolate(), "not a live TLS context");
    return nullptr;
  }
  return found->second;
}

// The whole ArrayBufferView argument i; false with a TypeError thrown if it is not one.
bool BytesArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i, const unsigned char** data, size_t* size) {
  if (info.Length() <= i || !info[i]->IsArrayBufferView()) {
    ThrowTypeError(info.GetIsolate(), "expected a buffer");
    return false;
  }
  v8::Local<v8::ArrayBufferView> view = info[i].As<v8::ArrayBufferView>();
  // Buffer() moves a small on-heap typed array's bytes off the heap once, so the pointer stays valid.
  *data = static_cast<const unsigned char*>(view->Buffer()->Data()) + view->ByteOffset();
  *size = view->ByteLength();
  return true;
}

v8::Local<v8::String> Str(v8::Isolate* isolate, const char* text, size_t length) {
  return v8::String::NewFromUtf8(isolate, text, v8::NewStringType::kNormal, static_cast<int>(length)).ToLocalChecked();
}

v8::Local<v8::String> Str(v8::Isolate* isolate, const std::string& text) { return Str(isolate, text.data(), text.size()); }

v8::Local<v8::String> Str(v8::Isolate* isolate, const char* text) {
  return text == nullptr ? v8::String::Empty(isolate) : Str(isolate, text, std::strlen(text));
}

// A Uint8Array of `length` bytes that `write` fills (an i2d_* call).
template <typename Writer>
v8::Local<v8::Value> NewBytes(v8::Isolate* isolate, int length, Writer write) {
  if (length <= 0) return v8::Null(isolate);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, static_cast<size_t>(length));
  unsigned char* out = static_cast<unsigned char*>(buffer->Data());
  if (write(&out) != length) return v8::Null(isolate);
  return v8::Uint8Array::New(buffer, 0, static_cast<size_t>(length));
}

// --- OpenSSL callbacks --------------------------------------------------------------------------------------

// Client: keeps the newest resumable session (the session cache itself is off: lib/ hands sessions around).
int OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* conn = static_cast<Connection*>(SSL_get_app_data(ssl));
  if (conn == nullptr) return 0;
  if (conn->latest_session != nullptr) SSL_SESSION_free(conn->latest_session);
  conn->latest_session = session;
  return 1;  // We keep the reference OpenSSL passed.
}

// Server: the first protocol of its own list that the client offers. No overlap means no ALPN (not a fatal
// alert), as Python's ssl module does.
int SelectAlpn(SSL* ssl, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void*) {
  ContextExtra* extra = ExtraOf(SSL_get_SSL_CTX(ssl));
  if (extra == nullptr || extra->alpn.empty() || in_length == 0) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* selected = nullptr;
  unsigned char selected_length = 0;
  int r = SSL_select_next_proto(&selected, &selected_length, extra->alpn.data(),
                                static_cast<unsigned int>(extra->alpn.size()), in, in_length);
  if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;  // OpenSSL copies it before the callback's buffers can go.
  *out_length = selected_length;
  return SSL_TLSEXT_ERR_OK;
}

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

// kVerifyRecord: the result stays in SSL_get_verify_result for lib/ to report.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

// No terminal prompt ever: an encrypted key without a passphrase fails to load.
int Passphrase(char* buffer, int size, int, void* user) {
  auto* passphrase = static_cast<const std::string*>(user);
  if (passphrase == nullptr || size <= 0) return -1;
  int n = static_cast<int>(passphrase->size()) < size ? static_cast<int>(passphrase->size()) : size;
  std::memcpy(buffer, passphrase->data(), static_cast<size_t>(n));
  return n;
}

// --- steps ----------------------------------------------------------------------------------------------------

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

void Handshake(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  if (conn->failed) return info.GetReturnValue().Set(conn->failed_code);
  errno = 0;
  int ret = SSL_do_handshake(conn->ssl);
  int saved_errno = errno;
  info.GetReturnValue().Set(ret == 1 ? 0 : Outcome(conn, ret, saved_errno));
}

// One SSL_read_ex or SSL_write_ex over the view range of arguments 1-3: the byte count, or an outcome code.
template <typename Step>
void RecordStep(const v8::FunctionCallbackInfo<v8::Value>& info, Step step) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  char* data;
  size_t size;
  if (conn == nullptr || !ByteRange(info, 1, &data, &size)) return;
  if (conn->failed) return info.GetReturnValue().Set(conn->failed_code);
  if (size == 0) return info.GetReturnValue().Set(0);
  size_t n = 0;
  errno = 0;
  int ret = step(conn->ssl, data, size, &n);
  int saved_errno = errno;
  if (ret == 1) return info.GetReturnValue().Set(static_cast<double>(n));
  info.GetReturnValue().Set(Outcome(conn, ret, saved_errno));
}

void Read(const v8::FunctionCallbackInfo<v8::Value>& info) {
  RecordStep(info, [](SSL* ssl, char* data, size_t size, size_t* n) { return SSL_read_ex(ssl, data, size, n); });
}

// SSL_MODE_ENABLE_PARTIAL_WRITE: returns once some records went out. After kWantWrite the retry must pass the
// same bytes again (at least as many); SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER lets them sit at another address.
void Write(const v8::FunctionCallbackInfo<v8::Value>& info) {
  RecordStep(info, [](SSL* ssl, char* data, size_t size, size_t* n) { return SSL_write_ex(ssl, data, size, n); });
}

// 0: close_notify sent, the peer's not received yet; 1: both sent and received (or there is nothing to shut
// down: the handshake never completed).
void Shutdown(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  if (conn->failed) return info.GetReturnValue().Set(conn->failed_code);
  if (SSL_in_init(conn->ssl)) return info.GetReturnValue().Set(1);
  errno = 0;
  int ret = SSL_shutdown(conn->ssl);
  int saved_errno = errno;
  info.GetReturnValue().Set(ret >= 0 ? ret : Outcome(conn, ret, saved_errno));
}

// --- contexts -------------------------------------------------------------------------------------------------

void ContextNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  TlsState* state = StateOf(info);
  bool server = info.Length() > 0 && info[0]->IsTrue();
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) {
    std::string message = ErrorMessage("SSL_CTX_new failed");
    info.GetIsolate()->ThrowException(v8::Exception::Error(Str(info.GetIsolate(), message)));
    return;
  }
  auto* extra = new ContextExtra();
  extra->server = server;
  if (SSL_CTX_set_ex_data(ctx, ExtraIndex(), extra) != 1) {
    delete extra;
    SSL_CTX_free(ctx);
    info.GetIsolate()->ThrowException(v8::Exception::Error(Str(info.GetIsolate(), "SSL_CTX_set_ex_data failed")));
    return;
  }
  int64_t id = state->next_id++;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (server) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    // Required for resumption when client certificates are verified; unique per context so that a session is
    // only resumed by the context (certificate) that made it.
    std::string session_context = "verdant:" + std::to_string(id);
    SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(session_context.data()),
                                   static_cast<unsigned int>(session_context.size()));
    SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, OnNewSession);
  }
  state->contexts.emplace(id, ctx);
  info.GetReturnValue().Set(static_cast<double>(id));
}

void ContextFree(const v8::FunctionCallbackInfo<v8::Value>& info) {
  TlsState* state = StateOf(info);
  auto found = state->contexts.find(IdArg(info, 0));
  if (found == state->contexts.end()) return;
  SSL_CTX_free(found->second);  // Connections made from it keep their own references.
  state->contexts.erase(found);
}

// The PEM certificate (leaf first, then its chain) and its private key.
void ContextUseCertificate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  v8::Isolate* isolate = info.GetIsolate();
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  std::string cert = StringArg(info, 1);
  std::string key = StringArg(info, 2);
  bool has_passphrase = info.Length() > 3 && info[3]->IsString();
  std::string passphrase = StringArg(info, 3);
  auto fail = [&](const char* what) { info.GetReturnValue().Set(Str(isolate, ErrorMessage(what))); };

  BIO* bio = BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size()));
  if (bio == nullptr) return fail("out of memory");
  X509* leaf = PEM_read_bio_X509_AUX(bio, nullptr, Passphrase, nullptr);
  if (leaf == nullptr) {
    BIO_free(bio);
    return fail("cannot read a PEM certificate from cert");
  }
  int used = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (used != 1) {
    BIO_free(bio);
    return fail("cannot use the certificate");
  }
  SSL_CTX_clear_chain_certs(ctx);
  while (X509* next = PEM_read_bio_X509(bio, nullptr, Passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, next) != 1) {  // takes ownership on success only
      X509_free(next);
      BIO_free(bio);
      return fail("cannot add a chain certificate");
    }
  }
  unsigned long last = ERR_peek_last_error();
  BIO_free(bio);
  if (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    return fail("cannot read a chain certificate from cert");
  }
  ERR_clear_error();

  bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
  if (bio == nullptr) return fail("out of memory");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, Passphrase, has_passphrase ? &passphrase : nullptr);
  BIO_free(bio);
  if (pkey == nullptr) return fail("cannot read a PEM private key from key (wrong or missing passphrase?)");
  used = SSL_CTX_use_PrivateKey(ctx, pkey);
  EVP_PKEY_free(pkey);
  if (used != 1) return fail("cannot use the private key");
  if (SSL_CTX_check_private_key(ctx) != 1) return fail("the private key does not match the certificate");
  info.GetReturnValue().Set(v8::String::Empty(isolate));
}

// Trusts every certificate of a PEM bundle (servers also name them to clients as acceptable issuers).
void ContextAddCa(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  v8::Isolate* isolate = info.GetIsolate();
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  std::string pem = StringArg(info, 1);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return info.GetReturnValue().Set(Str(isolate, "out of memory"));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  ContextExtra* extra = ExtraOf(ctx);
  bool server = extra != nullptr && extra->server;
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, Passphrase, nullptr)) {
    // A certificate already in the store is no error (bundles overlap).
    X509_STORE_add_cert(store, cert);
    if (server) SSL_CTX_add_client_CA(ctx, cert);
    X509_free(cert);
    count++;
  }
  unsigned long last = ERR_peek_last_error();
  BIO_free(bio);
  if (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    return info.GetReturnValue().Set(Str(isolate, ErrorMessage("cannot read a PEM certificate from ca")));
  }
  info.GetReturnValue().Set(count);
}

// TLS 1.2 cipher list and TLS 1.3 cipher suites; an empty string leaves that one as it is.
void ContextSetCiphers(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  v8::Isolate* isolate = info.GetIsolate();
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  std::string list = StringArg(info, 1);
  std::string suites = StringArg(info, 2);
  if (!list.empty() && SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
    return info.GetReturnValue().Set(Str(isolate, ErrorMessage("no usable TLS 1.2 cipher in the list")));
  }
  if (!suites.empty() && SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
    return info.GetReturnValue().Set(Str(isolate, ErrorMessage("no usable TLS 1.3 cipher suite in the list")));
  }
  info.GetReturnValue().Set(v8::String::Empty(isolate));
}

// Protocol versions as OpenSSL numbers (TLS1_2_VERSION ...); 0 leaves that bound open.
void ContextSetVersions(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  bool ok = SSL_CTX_set_min_proto_version(ctx, IntArg(info, 1)) == 1 && SSL_CTX_set_max_proto_version(ctx, IntArg(info, 2)) == 1;
  info.GetReturnValue().Set(ok);
}

void ContextSetAlpn(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SSL_CTX* ctx = ContextArg(info);
  const unsigned char* data;
  size_t size;
  if (ctx == nullptr || !BytesArg(info, 1, &data, &size)) return;
  ContextExtra* extra = ExtraOf(ctx);
  if (extra != nullptr) extra->alpn.assign(data, data + size);
}

void ContextSetSniPause(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  SSL_CTX_set_client_hello_cb(ctx, info.Length() > 1 && info[1]->IsTrue() ? OnClientHello : nullptr, nullptr);
}

// --- connections ----------------------------------------------------------------------------------------------

// An SSL over the (non-blocking) socket fd, client or server. The fd stays lib/'s: it is never closed here.
void ConnectionNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  TlsState* state = StateOf(info);
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  int fd = IntArg(info, 1);
  bool server = info.Length() > 2 && info[2]->IsTrue();
  if (fd < 0) return ThrowTypeError(info.GetIsolate(), "expected a file descriptor");
  auto conn = std::make_unique<Connection>();
  conn->ssl = SSL_new(ctx);
  if (conn->ssl == nullptr || SSL_set_fd(conn->ssl, fd) != 1) {
    return info.GetReturnValue().Set(Str(info.GetIsolate(), ErrorMessage("cannot create the TLS connection")));
  }
  SSL_set_app_data(conn->ssl, conn.get());
  if (server) {
    SSL_set_accept_state(conn->ssl);
  } else {
    SSL_set_connect_state(conn->ssl);
  }
  int64_t id = state->next_id++;
  state->connections.emplace(id, std::move(conn));
  info.GetReturnValue().Set(static_cast<double>(id));
}

void ConnectionFree(const v8::FunctionCallbackInfo<v8::Value>& info) {
  StateOf(info)->connections.erase(IdArg(info, 0));
}

// Client: the SNI name sent in the ClientHello.
void SetSni(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  std::string name = StringArg(info, 1);
  info.GetReturnValue().Set(SSL_set_tlsext_host_name(conn->ssl, name.c_str()) == 1);
}

// The verify mode (kVerify*) and, for clients, the name or IP address the certificate must be for ('' for none).
void SetVerify(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  int mode = IntArg(info, 1);
  std::string host = StringArg(info, 2);
  bool host_is_ip = info.Length() > 3 && info[3]->IsTrue();
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
  bool ok = true;
  if (!host.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(conn->ssl);
    if (host_is_ip) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set1_host(conn->ssl, host.c_str()) == 1;
    }
  }
  info.GetReturnValue().Set(ok);
}

// Client: the ALPN protocols it offers (wire format).
void SetAlpn(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  const unsigned char* data;
  size_t size;
  if (conn == nullptr || !BytesArg(info, 1, &data, &size)) return;
  info.GetReturnValue().Set(SSL_set_alpn_protos(conn->ssl, data, static_cast<unsigned int>(size)) == 0);
}

void SetVersions(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  bool ok = SSL_set_min_proto_version(conn->ssl, IntArg(info, 1)) == 1 &&
            SSL_set_max_proto_version(conn->ssl, IntArg(info, 2)) == 1;
  info.GetReturnValue().Set(ok);
}

// Client: offers to resume a session from tls_get_session (false if the bytes are not one).
void SetSession(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  const unsigned char* data;
  size_t size;
  if (conn == nullptr || !BytesArg(info, 1, &data, &size)) return;
  if (size == 0 || size > (1u << 24)) return info.GetReturnValue().Set(false);
  SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &data, static_cast<long>(size));
  if (session == nullptr) return info.GetReturnValue().Set(false);
  bool ok = SSL_set_session(conn->ssl, session) == 1;
  SSL_SESSION_free(session);
  info.GetReturnValue().Set(ok);
}

// Server, paused at the ClientHello: continue with this context's certificate and settings.
void SetContext(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  SSL_CTX* ctx = ContextArg(info, 1);
  if (ctx == nullptr) return;
  info.GetReturnValue().Set(SSL_set_SSL_CTX(conn->ssl, ctx) != nullptr);
}

void HelloServername(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Connection* conn = ConnectionArg(info);
  if (conn != nullptr) info.GetReturnValue().Set(Str(info.GetIsolate(), conn->hello_servername));
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

void Info(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  v8::Isolate* isolate = info.GetIsolate();
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  SSL* ssl = conn->ssl;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  long verify = SSL_get_verify_result(ssl);
  v8::Local<v8::Value> items[] = {
      Str(isolate, SSL_get_version(ssl)),
      Str(isolate, cipher != nullptr ? SSL_CIPHER_get_name(cipher) : nullptr),
      Str(isolate, cipher != nullptr ? SSL_CIPHER_standard_name(cipher) : nullptr),
      Str(isolate, reinterpret_cast<const char*>(alpn), alpn != nullptr ? alpn_length : 0),
      Str(isolate, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)),
      v8::Boolean::New(isolate, SSL_session_reused(ssl) == 1),
      v8::Number::New(isolate, static_cast<double>(verify)),
      Str(isolate, VerifyName(verify)),
      Str(isolate, X509_verify_cert_error_string(verify)),
      v8::Boolean::New(isolate, SSL_is_init_finished(ssl) == 1),
  };
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  uint32_t n = 0;
  for (v8::Local<v8::Value> item : items) out->CreateDataProperty(context, n++, item).FromMaybe(false);
  info.GetReturnValue().Set(out);
}

void LastError(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  out->CreateDataProperty(context, 0, Str(isolate, conn->failure.library)).FromMaybe(false);
  out->CreateDataProperty(context, 1, Str(isolate, conn->failure.reason)).FromMaybe(false);
  out->CreateDataProperty(context, 2, Str(isolate, conn->failure.message)).FromMaybe(false);
  info.GetReturnValue().Set(out);
}

// The peer's certificate, DER. A client whose handshake failed verification still has the chain the server
// sent (its first entry is the server's own certificate), so the error can say what the certificate was for.
void PeerCertificate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  X509* cert = SSL_get1_peer_certificate(conn->ssl);
  if (cert == nullptr && !SSL_is_server(conn->ssl)) {
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(conn->ssl);
    if (chain != nullptr && sk_X509_num(chain) > 0) {
      cert = sk_X509_value(chain, 0);
      if (cert != nullptr) X509_up_ref(cert);
    }
  }
  if (cert == nullptr) return info.GetReturnValue().SetNull();
  info.GetReturnValue().Set(NewBytes(info.GetIsolate(), i2d_X509(cert, nullptr), [&](unsigned char** out) {
    return i2d_X509(cert, out);
  }));
  X509_free(cert);
}

// The newest resumable session, serialized; null if there is none (yet: TLS 1.3 tickets come after the
// handshake, with the first data read).
void GetSession(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  SSL_SESSION* session = conn->latest_session != nullptr ? conn->latest_session : SSL_get0_session(conn->ssl);
  if (session == nullptr || SSL_SESSION_is_resumable(session) != 1) return info.GetReturnValue().SetNull();
  info.GetReturnValue().Set(NewBytes(info.GetIsolate(), i2d_SSL_SESSION(session, nullptr), [&](unsigned char** out) {
    return i2d_SSL_SESSION(session, out);
  }));
}

void Stats(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  TlsState* state = StateOf(info);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  out->CreateDataProperty(context, 0, v8::Number::New(isolate, static_cast<double>(state->contexts.size()))).FromMaybe(false);
  out->CreateDataProperty(context, 1, v8::Number::New(isolate, static_cast<double>(state->connections.size()))).FromMaybe(false);
  info.GetReturnValue().Set(out);
}

void SetConstants(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target) {
  static const IntConstant kConstants[] = {
      {"WANT_READ", kWantRead},       {"WANT_WRITE", kWantWrite},         {"CLOSED", kClosed},
      {"FAILED", kFailed},            {"EOF", kEof},                      {"WANT_HELLO", kWantHello},
      {"VERIFY_NONE", kVerifyNone},   {"VERIFY_PEER", kVerifyPeer},       {"VERIFY_REQUIRE", kVerifyRequire},
      {"VERIFY_RECORD", kVerifyRecord}, {"TLS1_2_VERSION", TLS1_2_VERSION}, {"TLS1_3_VERSION", TLS1_3_VERSION},
  };
  SetIntConstants(isolate, context, target, "tls_constants", kConstants);
}

}  // namespace

void InitTlsBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                     Runtime*) {
  auto* state = new TlsState();
  node::AddEnvironmentCleanupHook(isolate, FreeState, state);
  v8::Local<v8::External> data = v8::External::New(isolate, state);
  SetConstants(isolate, context, target);
  SetMethod(isolate, context, target, "tls_context_new", ContextNew, data);
  SetMethod(isolate, context, target, "tls_context_free", ContextFree, data);
  SetMethod(isolate, context, target, "tls_context_use_certificate", ContextUseCertificate, data);
  SetMethod(isolate, context, target, "tls_context_add_ca", ContextAddCa, data);
  SetMethod(isolate, context, target, "tls_context_set_ciphers", ContextSetCiphers, data);
  SetMethod(isolate, context, target, "tls_context_set_versions", ContextSetVersions, data);
  SetMethod(isolate, context, target, "tls_context_set_alpn", ContextSetAlpn, data);
  SetMethod(isolate, context, target, "tls_context_set_sni_pause", ContextSetSniPause, data);
  SetMethod(isolate, context, target, "tls_connection_new", ConnectionNew, data);
  SetMethod(isolate, context, target, "tls_connection_free", ConnectionFree, data);
  SetMethod(isolate, context, target, "tls_set_sni", SetSni, data);
  SetMethod(isolate, context, target, "tls_set_verify", SetVerify, data);
  SetMethod(isolate, context, target, "tls_set_alpn", SetAlpn, data);
  SetMethod(isolate, context, target, "tls_set_versions", SetVersions, data);
  SetMethod(isolate, context, target, "tls_set_session", SetSession, data);
  SetMethod(isolate, context, target, "tls_set_context", SetContext, data);
  SetMethod(isolate, context, target, "tls_hello_servername", HelloServername, data);
  SetMethod(isolate, context, target, "tls_handshake", Handshake, data);
  SetMethod(isolate, context, target, "tls_read", Read, data);
  SetMethod(isolate, context, target, "tls_write", Write, data);
  SetMethod(isolate, context, target, "tls_shutdown", Shutdown, data);
  SetMethod(isolate, context, target, "tls_info", Info, data);
  SetMethod(isolate, context, target, "tls_error", LastError, data);
  SetMethod(isolate, context, target, "tls_peer_certificate", PeerCertificate, data);
  SetMethod(isolate, context, target, "tls_get_session", GetSession, data);
  SetMethod(isolate, context, target, "tls_stats", Stats, data);
}

}  // namespace verdant::detail

// TLS over green sockets: the JS surface of native/tls/, with the OpenSSL that Node ships (its symbols resolve
// against the node binary; nothing links libssl). Contexts (SSL_CTX, context.h) and connections (SSL,
// connection.h) are numbered handles in a per-environment table, so a stale or forged number reads as "not
// open" (a TypeError) and never as a dangling pointer; lib/ frees them explicitly on close and through a
// FinalizationRegistry when they are dropped (lib/net/tls/context.ts, socket.ts). Each step is one non-blocking
// OpenSSL call on a non-blocking fd: it returns a result (>= 0), -errno, or one of connection.h's codes, and
// lib/net/tls/socket.ts waits on the fd and retries. Policy (which CAs, verification defaults, timeouts, error
// classes, SNI choice) is lib/'s.
//
//   tls_context_new(server): id                   tls_context_free(id)
//   tls_context_use_certificate(ctx, certPem, keyPem, passphrase | null): '' | error message
//   tls_context_add_ca(ctx, pem): count | error message
//   tls_context_set_ciphers(ctx, tls12List, tls13Suites): '' | error message
//   tls_context_set_versions(ctx, min, max)        tls_context_set_alpn(ctx, wireBytes)
//   tls_context_set_sni_pause(ctx, on)             (server: pause at the ClientHello: kWantHello)
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
//   tls_stats(): [contexts, connections]           tls_constants: the codes and modes of connection.h
//
// OpenSSL's error queue is per thread and shared with Node's own crypto: every binding clears it on entry and on
// exit (ErrorQueueScope, errors.h), and a failure drains it into the connection's Failure.
#include "tls/bindings.h"

#include <node.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

#include "io/arguments.h"
#include "tls/connection.h"
#include "tls/context.h"
#include "tls/errors.h"

// Node 20 ships OpenSSL 3.0, Node 22 and later 3.5; SSL_get1_peer_certificate & co. are 3.0's.
static_assert(OPENSSL_VERSION_MAJOR >= 3, "verdant's TLS needs the OpenSSL 3 headers that come with Node >= 20");

namespace verdant::detail {
namespace {

using namespace tls;  // NOLINT: this file is tls's surface

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

// --- contexts -------------------------------------------------------------------------------------------------

void ContextNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  TlsState* state = StateOf(info);
  bool server = info.Length() > 0 && info[0]->IsTrue();
  int64_t id = state->next_id;
  std::string error;
  SSL_CTX* ctx = NewContext(server, id, &error);
  if (ctx == nullptr) {
    info.GetIsolate()->ThrowException(v8::Exception::Error(Str(info.GetIsolate(), error)));
    return;
  }
  state->next_id++;
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

void ContextUseCertificate(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  bool has_passphrase = info.Length() > 3 && info[3]->IsString();
  std::string passphrase = StringArg(info, 3);
  std::string error = UseCertificate(ctx, StringArg(info, 1), StringArg(info, 2), has_passphrase ? &passphrase : nullptr);
  info.GetReturnValue().Set(Str(info.GetIsolate(), error));
}

void ContextAddCa(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  std::string error;
  int count = AddCa(ctx, StringArg(info, 1), &error);
  if (count < 0) return info.GetReturnValue().Set(Str(info.GetIsolate(), error));
  info.GetReturnValue().Set(count);
}

void ContextSetCiphers(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  info.GetReturnValue().Set(Str(info.GetIsolate(), SetCiphers(ctx, StringArg(info, 1), StringArg(info, 2))));
}

void ContextSetVersions(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  info.GetReturnValue().Set(tls::SetVersions(ctx, IntArg(info, 1), IntArg(info, 2)));
}

void ContextSetAlpn(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SSL_CTX* ctx = ContextArg(info);
  const unsigned char* data;
  size_t size;
  if (ctx == nullptr || !BytesArg(info, 1, &data, &size)) return;
  tls::SetAlpn(ctx, data, size);
}

void ContextSetSniPause(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  SetSniPause(ctx, info.Length() > 1 && info[1]->IsTrue());
}

// --- connections ----------------------------------------------------------------------------------------------

void ConnectionNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  TlsState* state = StateOf(info);
  SSL_CTX* ctx = ContextArg(info);
  if (ctx == nullptr) return;
  int fd = IntArg(info, 1);
  bool server = info.Length() > 2 && info[2]->IsTrue();
  if (fd < 0) return ThrowTypeError(info.GetIsolate(), "expected a file descriptor");
  std::string error;
  std::unique_ptr<Connection> conn = NewConnection(ctx, fd, server, &error);
  if (conn == nullptr) return info.GetReturnValue().Set(Str(info.GetIsolate(), error));
  int64_t id = state->next_id++;
  state->connections.emplace(id, std::move(conn));
  info.GetReturnValue().Set(static_cast<double>(id));
}

void ConnectionFree(const v8::FunctionCallbackInfo<v8::Value>& info) {
  StateOf(info)->connections.erase(IdArg(info, 0));
}

void SetSniBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  info.GetReturnValue().Set(SetSni(conn, StringArg(info, 1)));
}

void SetVerifyBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  bool host_is_ip = info.Length() > 3 && info[3]->IsTrue();
  info.GetReturnValue().Set(SetVerify(conn, IntArg(info, 1), StringArg(info, 2), host_is_ip));
}

void SetAlpnBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  const unsigned char* data;
  size_t size;
  if (conn == nullptr || !BytesArg(info, 1, &data, &size)) return;
  info.GetReturnValue().Set(tls::SetAlpn(conn, data, size));
}

void SetVersionsBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  info.GetReturnValue().Set(tls::SetVersions(conn, IntArg(info, 1), IntArg(info, 2)));
}

void SetSessionBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  const unsigned char* data;
  size_t size;
  if (conn == nullptr || !BytesArg(info, 1, &data, &size)) return;
  info.GetReturnValue().Set(SetSession(conn, data, size));
}

void SetContextBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  SSL_CTX* ctx = ContextArg(info, 1);
  if (ctx == nullptr) return;
  info.GetReturnValue().Set(SetContext(conn, ctx));
}

void HelloServername(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Connection* conn = ConnectionArg(info);
  if (conn != nullptr) info.GetReturnValue().Set(Str(info.GetIsolate(), conn->hello_servername));
}

void HandshakeBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  info.GetReturnValue().Set(Handshake(conn));
}

// tls_read and tls_write: the view range of arguments 1-3.
void ReadBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  char* data;
  size_t size;
  if (conn == nullptr || !ByteRange(info, 1, &data, &size)) return;
  info.GetReturnValue().Set(Read(conn, data, size));
}

void WriteBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  char* data;
  size_t size;
  if (conn == nullptr || !ByteRange(info, 1, &data, &size)) return;
  info.GetReturnValue().Set(Write(conn, data, size));
}

void ShutdownBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  info.GetReturnValue().Set(Shutdown(conn));
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

void PeerCertificateBinding(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  X509* cert = PeerCertificate(conn);
  if (cert == nullptr) return info.GetReturnValue().SetNull();
  info.GetReturnValue().Set(NewBytes(info.GetIsolate(), i2d_X509(cert, nullptr), [&](unsigned char** out) {
    return i2d_X509(cert, out);
  }));
  X509_free(cert);
}

void GetSession(const v8::FunctionCallbackInfo<v8::Value>& info) {
  ErrorQueueScope scope;
  Connection* conn = ConnectionArg(info);
  if (conn == nullptr) return;
  SSL_SESSION* session = ResumableSession(conn);
  if (session == nullptr) return info.GetReturnValue().SetNull();
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
  SetMethod(isolate, context, target, "tls_set_sni", SetSniBinding, data);
  SetMethod(isolate, context, target, "tls_set_verify", SetVerifyBinding, data);
  SetMethod(isolate, context, target, "tls_set_alpn", SetAlpnBinding, data);
  SetMethod(isolate, context, target, "tls_set_versions", SetVersionsBinding, data);
  SetMethod(isolate, context, target, "tls_set_session", SetSessionBinding, data);
  SetMethod(isolate, context, target, "tls_set_context", SetContextBinding, data);
  SetMethod(isolate, context, target, "tls_hello_servername", HelloServername, data);
  SetMethod(isolate, context, target, "tls_handshake", HandshakeBinding, data);
  SetMethod(isolate, context, target, "tls_read", ReadBinding, data);
  SetMethod(isolate, context, target, "tls_write", WriteBinding, data);
  SetMethod(isolate, context, target, "tls_shutdown", ShutdownBinding, data);
  SetMethod(isolate, context, target, "tls_info", Info, data);
  SetMethod(isolate, context, target, "tls_error", LastError, data);
  SetMethod(isolate, context, target, "tls_peer_certificate", PeerCertificateBinding, data);
  SetMethod(isolate, context, target, "tls_get_session", GetSession, data);
  SetMethod(isolate, context, target, "tls_stats", Stats, data);
}

}  // namespace verdant::detail

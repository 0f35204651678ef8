// TLS contexts (SSL_CTX): what connections made from them share (certificate and key, trusted CAs, ciphers,
// versions, a server's ALPN protocols and SNI pause), and their settings. Plain OpenSSL; bindings.cc numbers
// them for lib/net/tls/context.ts.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace verdant::detail::tls {

// A new client or server context with verdant's defaults (TLS 1.2 and later, partial writes, sessions handed
// around by lib/). `id` names it in the server's session id context, so that a session is only resumed by the
// context that made it. Null with `error` set if OpenSSL refuses.
SSL_CTX* NewContext(bool server, int64_t id, std::string* error);

// The PEM certificate (leaf first, then its chain) and its private key: '' or an error message.
std::string UseCertificate(SSL_CTX* ctx, const std::string& cert, const std::string& key, const std::string* passphrase);
// Trusts every certificate of a PEM bundle (a server also names them to clients as acceptable issuers): how
// many it added, or -1 with `error` set.
int AddCa(SSL_CTX* ctx, const std::string& pem, std::string* error);
// TLS 1.2 cipher list and TLS 1.3 cipher suites (an empty string leaves that one as it is): '' or an error.
std::string SetCiphers(SSL_CTX* ctx, const std::string& list, const std::string& suites);
// Protocol versions as OpenSSL numbers (TLS1_2_VERSION ...); 0 leaves that bound open.
bool SetVersions(SSL_CTX* ctx, int min, int max);
// Server: the ALPN protocols it accepts, in order of preference (wire format).
void SetAlpn(SSL_CTX* ctx, const unsigned char* wire, size_t size);
// Server: pause each handshake once at the ClientHello (the step returns kWantHello) so that lib/ can pick the
// context by the server name.
void SetSniPause(SSL_CTX* ctx, bool on);

}  // namespace verdant::detail::tls

// TLS contexts and their settings (context.h).
#include "tls/context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <vector>

#include "tls/connection.h"
#include "tls/errors.h"

namespace verdant::detail::tls {
namespace {

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

// No terminal prompt ever: an encrypted key without a passphrase fails to load.
int Passphrase(char* buffer, int size, int, void* user) {
  auto* passphrase = static_cast<const std::string*>(user);
  if (passphrase == nullptr || size <= 0) return -1;
  int n = static_cast<int>(passphrase->size()) < size ? static_cast<int>(passphrase->size()) : size;
  std::memcpy(buffer, passphrase->data(), static_cast<size_t>(n));
  return n;
}

// No PEM reading error but the end of the input (PEM_R_NO_START_LINE: no further certificate).
bool OnlyNoStartLine(unsigned long last) {
  return last == 0 || (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE);
}

}  // namespace

SSL_CTX* NewContext(bool server, int64_t id, std::string* error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) {
    *error = ErrorMessage("SSL_CTX_new failed");
    return nullptr;
  }
  auto* extra = new ContextExtra();
  extra->server = server;
  if (SSL_CTX_set_ex_data(ctx, ExtraIndex(), extra) != 1) {
    delete extra;
    SSL_CTX_free(ctx);
    *error = "SSL_CTX_set_ex_data failed";
    return nullptr;
  }
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
  return ctx;
}

std::string UseCertificate(SSL_CTX* ctx, const std::string& cert, const std::string& key, const std::string* passphrase) {
  BIO* bio = BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size()));
  if (bio == nullptr) return ErrorMessage("out of memory");
  X509* leaf = PEM_read_bio_X509_AUX(bio, nullptr, Passphrase, nullptr);
  if (leaf == nullptr) {
    BIO_free(bio);
    return ErrorMessage("cannot read a PEM certificate from cert");
  }
  int used = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (used != 1) {
    BIO_free(bio);
    return ErrorMessage("cannot use the certificate");
  }
  SSL_CTX_clear_chain_certs(ctx);
  while (X509* next = PEM_read_bio_X509(bio, nullptr, Passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, next) != 1) {  // takes ownership on success only
      X509_free(next);
      BIO_free(bio);
      return ErrorMessage("cannot add a chain certificate");
    }
  }
  unsigned long last = ERR_peek_last_error();
  BIO_free(bio);
  if (!OnlyNoStartLine(last)) return ErrorMessage("cannot read a chain certificate from cert");
  ERR_clear_error();

  bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
  if (bio == nullptr) return ErrorMessage("out of memory");
  // The callback's user data is the passphrase (null: none given).
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, Passphrase, const_cast<std::string*>(passphrase));
  BIO_free(bio);
  if (pkey == nullptr) return ErrorMessage("cannot read a PEM private key from key (wrong or missing passphrase?)");
  used = SSL_CTX_use_PrivateKey(ctx, pkey);
  EVP_PKEY_free(pkey);
  if (used != 1) return ErrorMessage("cannot use the private key");
  if (SSL_CTX_check_private_key(ctx) != 1) return ErrorMessage("the private key does not match the certificate");
  return std::string();
}

int AddCa(SSL_CTX* ctx, const std::string& pem, std::string* error) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) {
    *error = "out of memory";
    return -1;
  }
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
  if (!OnlyNoStartLine(last)) {
    *error = ErrorMessage("cannot read a PEM certificate from ca");
    return -1;
  }
  return count;
}

std::string SetCiphers(SSL_CTX* ctx, const std::string& list, const std::string& suites) {
  if (!list.empty() && SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) {
    return ErrorMessage("no usable TLS 1.2 cipher in the list");
  }
  if (!suites.empty() && SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
    return ErrorMessage("no usable TLS 1.3 cipher suite in the list");
  }
  return std::string();
}

bool SetVersions(SSL_CTX* ctx, int min, int max) {
  return SSL_CTX_set_min_proto_version(ctx, min) == 1 && SSL_CTX_set_max_proto_version(ctx, max) == 1;
}

void SetAlpn(SSL_CTX* ctx, const unsigned char* wire, size_t size) {
  ContextExtra* extra = ExtraOf(ctx);
  if (extra != nullptr) extra->alpn.assign(wire, wire + size);
}

void SetSniPause(SSL_CTX* ctx, bool on) { SSL_CTX_set_client_hello_cb(ctx, on ? OnClientHello : nullptr, nullptr); }

}  // namespace verdant::detail::tls

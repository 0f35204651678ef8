// OpenSSL's error queue (errors.h).
#include "tls/errors.h"

#include <openssl/err.h>

namespace verdant::detail::tls {

ErrorQueueScope::ErrorQueueScope() { ERR_clear_error(); }

ErrorQueueScope::~ErrorQueueScope() { ERR_clear_error(); }

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

}  // namespace verdant::detail::tls

// OpenSSL's error queue, as the TLS bindings use it: cleared around every binding, drained into a Failure when a
// step fails. The queue is per thread and shared with Node's own crypto, so nothing may be left in it.
#pragma once

#include <string>

namespace verdant::detail::tls {

// One failure as OpenSSL queued it: the first error's library and reason, and every queued error in `message`.
struct Failure {
  std::string library;
  std::string reason;
  std::string message;
};

// Clears OpenSSL's per-thread error queue on entry and on exit of a binding: nothing leaks between calls, into
// Node's crypto, or from it.
struct ErrorQueueScope {
  ErrorQueueScope();
  ~ErrorQueueScope();
  ErrorQueueScope(const ErrorQueueScope&) = delete;
  ErrorQueueScope& operator=(const ErrorQueueScope&) = delete;
};

// The queued errors, oldest first: the first one's library and reason, all of them in the message. Empties the
// queue.
Failure DrainErrors();

// `what`, followed by the queued errors if there are any (the queue is emptied).
std::string ErrorMessage(const char* what);

}  // namespace verdant::detail::tls

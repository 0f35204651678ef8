// TLS over green sockets: OpenSSL contexts and connections as numbered handles, each operation one non-blocking
// step (lib/net/tls.ts waits on the fd and retries). The OpenSSL is the one Node ships: its symbols resolve
// against the node binary at load time, and its headers come with Node's.
#pragma once

#include <v8.h>

namespace verdant::detail {

class Runtime;

void InitTlsBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                     Runtime* runtime);

}  // namespace verdant::detail

// TLS's JS surface (lib/net/tls/native.ts describes it in TypeScript): contexts (context.h) and connections
// (connection.h) as numbered handles, with the OpenSSL that Node ships. Its symbols resolve against the node binary
// at load time, and its headers come with Node's.
#pragma once

#include <v8.h>

namespace verdant::detail {

class Runtime;

void InitTlsBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                     Runtime* runtime);

}  // namespace verdant::detail

// The JS stack of whatever runs now, as text lines. Shared by the watchdog (stacks taken in a V8 interrupt) and
// the stack peek (stacks of suspended greenlets): both need plain strings, because what they capture outlives
// the handle scope it was taken in and may be read by a thread that must not touch V8.
#pragma once

#include <v8.h>

#include <string>
#include <vector>

namespace verdant::detail {

// The innermost `max_frames` JS frames of the running stack, innermost first, each formatted like a line of
// Error.stack without its "    at " prefix: "fn (file:line:col)", or "file:line:col" for anonymous code.
// Precondition: the isolate is locked by the caller and a HandleScope is open. Runs no JavaScript.
std::vector<std::string> CurrentStackLines(v8::Isolate* isolate, int max_frames);

// The lines as a JS array of strings (built without running any JavaScript).
v8::Local<v8::Array> LinesToArray(v8::Isolate* isolate, const std::vector<std::string>& lines);

}  // namespace verdant::detail

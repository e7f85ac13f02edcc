#pragma once
#include <napi.h>

namespace mrsynth {

// opLookup(name: string, overload: string): number — resolves an ATen operator schema once and caches it.
Napi::Value OpLookup(const Napi::CallbackInfo& info);
// opSchema(op: number): string — the schema text, for error messages and docs.
Napi::Value OpSchema(const Napi::CallbackInfo& info);
// opCall(op: number, ...args): result — a boxed call through the c10 dispatcher (autograd included).
Napi::Value OpCall(const Napi::CallbackInfo& info);

}  // namespace mrsynth

#pragma once
#include <napi.h>

namespace mrsynth {

// Process groups (c10d: TCPStore rendezvous, Gloo); see distributed.cc.
Napi::Value ProcessGroupCreate(const Napi::CallbackInfo& info);     // (addr, port, rank, world, timeoutMs, interface) → id
Napi::Value ProcessGroupAllReduce(const Napi::CallbackInfo& info);  // (id, handles[], timeoutMs?) sum in place
Napi::Value ProcessGroupBroadcast(const Napi::CallbackInfo& info);  // (id, handle, root, timeoutMs?)
Napi::Value ProcessGroupBarrier(const Napi::CallbackInfo& info);    // (id, timeoutMs?)
Napi::Value ProcessGroupDestroy(const Napi::CallbackInfo& info);    // (id)
Napi::Value DistributedBackends(const Napi::CallbackInfo& info);    // () → string[]

}  // namespace mrsynth

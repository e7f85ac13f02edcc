#pragma once
#include <napi.h>

namespace mrsynth {

// How host memory is allocated, as chosen when the addon loaded (addon.cc).
extern const char* hostAllocator;

// Tensor data in and out.
Napi::Value FromBuffer(const Napi::CallbackInfo& info);   // (typedArray, shape: number[], dtype: number) → handle
Napi::Value ToBuffer(const Napi::CallbackInfo& info);     // (handle) → ArrayBuffer (contiguous copy, host)
Napi::Value PinnedView(const Napi::CallbackInfo& info);   // (handle) → ArrayBuffer sharing the tensor's storage
Napi::Value Meta(const Napi::CallbackInfo& info);         // (handle) → [dtype, device, ...shape]
Napi::Value Item(const Napi::CallbackInfo& info);         // (handle) → number | boolean
Napi::Value Release(const Napi::CallbackInfo& info);      // (handle)
Napi::Value LiveTensors(const Napi::CallbackInfo& info);  // () → number
Napi::Value ExternalBytes(const Napi::CallbackInfo& info);  // () → bytes of host storage reported to V8

// Autograd.
Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info);
Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
Napi::Value IsLeaf(const Napi::CallbackInfo& info);
Napi::Value Grad(const Napi::CallbackInfo& info);
Napi::Value SetGrad(const Napi::CallbackInfo& info);
Napi::Value RetainGrad(const Napi::CallbackInfo& info);
Napi::Value Backward(const Napi::CallbackInfo& info);
Napi::Value IsGradEnabled(const Napi::CallbackInfo& info);
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info);

// Runtime.
Napi::Value Info(const Napi::CallbackInfo& info);
Napi::Value SetNumThreads(const Napi::CallbackInfo& info);
Napi::Value NumThreads(const Napi::CallbackInfo& info);
Napi::Value BenchConv3d(const Napi::CallbackInfo& info);

}  // namespace mrsynth

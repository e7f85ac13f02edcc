// Native tensors are owned here and named by small integer handles; the TypeScript backend owns the
// handles. Keeping at::Tensor out of JS objects means no N-API finalizer is needed per tensor, which is what
// makes scope-based disposal deterministic (Node 20 does not run finalizers inside a synchronous loop).
#pragma once
#include <ATen/core/Tensor.h>
#include <napi.h>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace mrsynth {

class TensorTable {
 public:
  // Registers a tensor and returns its handle (>= 1). Reports newly referenced CPU storage to V8.
  uint32_t add(const Napi::Env& env, at::Tensor tensor);
  // Looks a handle up; throws a JS Error naming `what` if the handle is not live.
  const at::Tensor& get(const Napi::Env& env, uint32_t handle, const char* what) const;
  // Frees a handle. Releasing an already released handle is an error reported to JS, never a crash.
  void release(const Napi::Env& env, uint32_t handle);
  size_t live() const { return live_; }
  int64_t reportedBytes() const { return reportedBytes_; }

 private:
  struct StorageUse {
    int64_t handles;
    int64_t bytes;
  };
  std::vector<at::Tensor> slots_{1};  // slot 0 is never used, so handle 0 is always invalid
  std::vector<const void*> storageOf_{nullptr};
  std::vector<uint32_t> free_;
  std::unordered_map<const void*, StorageUse> storages_;
  size_t live_ = 0;
  int64_t reportedBytes_ = 0;
};

TensorTable& tensors();

}  // namespace mrsynth

#include "tensor_table.h"

#include <string>

namespace mrsynth {

TensorTable& tensors() {
  static TensorTable table;
  return table;
}

uint32_t TensorTable::add(const Napi::Env& env, at::Tensor tensor) {
  uint32_t handle;
  if (free_.empty()) {
    handle = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
    storageOf_.push_back(nullptr);
  } else {
    handle = free_.back();
    free_.pop_back();
  }
  // External memory is reported per storage, not per tensor: views share their base's bytes, and V8 should
  // count those bytes once. Only host memory matters to V8's heuristics.
  const void* storage = nullptr;
  if (tensor.defined() && tensor.has_storage() && tensor.device().is_cpu()) {
    storage = tensor.storage().unsafeGetStorageImpl();
    auto [it, inserted] = storages_.try_emplace(storage, StorageUse{0, 0});
    if (inserted) {
      it->second.bytes = static_cast<int64_t>(tensor.storage().nbytes());
      reportedBytes_ += it->second.bytes;
      Napi::MemoryManagement::AdjustExternalMemory(env, it->second.bytes);
    }
    it->second.handles += 1;
  }
  slots_[handle] = std::move(tensor);
  storageOf_[handle] = storage;
  live_ += 1;
  return handle;
}

const at::Tensor& TensorTable::get(const Napi::Env& env, uint32_t handle, const char* what) const {
  if (handle == 0 || handle >= slots_.size() || !slots_[handle].defined()) {
    throw Napi::Error::New(env, std::string(what) + ": tensor handle " + std::to_string(handle) +
                                    " is not live (the tensor was disposed)");
  }
  return slots_[handle];
}

void TensorTable::release(const Napi::Env& env, uint32_t handle) {
  if (handle == 0 || handle >= slots_.size() || !slots_[handle].defined()) {
    throw Napi::Error::New(env, "dispose: tensor handle " + std::to_string(handle) + " is not live");
  }
  const void* storage = storageOf_[handle];
  if (storage != nullptr) {
    auto it = storages_.find(storage);
    if (it != storages_.end() && --it->second.handles == 0) {
      reportedBytes_ -= it->second.bytes;
      Napi::MemoryManagement::AdjustExternalMemory(env, -it->second.bytes);
      storages_.erase(it);
    }
  }
  slots_[handle] = at::Tensor();
  storageOf_[handle] = nullptr;
  free_.push_back(handle);
  live_ -= 1;
}

}  // namespace mrsynth

// Random generators are named by handles like tensors. Handle 0 is the default CPU generator, so code that
// never creates one still draws from a seeded, capturable stream (needed for exact resume).
#pragma once
#include <ATen/core/Generator.h>
#include <napi.h>
#include <vector>

namespace mrsynth {

class GeneratorTable {
 public:
  GeneratorTable();
  uint32_t add(at::Generator generator);
  const at::Generator& get(const Napi::Env& env, uint32_t handle) const;
  void release(const Napi::Env& env, uint32_t handle);

 private:
  std::vector<at::Generator> slots_;
};

GeneratorTable& generators();

Napi::Value GeneratorCreate(const Napi::CallbackInfo& info);     // (device: string, seed: bigint) → handle
Napi::Value GeneratorDefault(const Napi::CallbackInfo& info);    // (device: string) → handle
Napi::Value GeneratorRelease(const Napi::CallbackInfo& info);    // (handle)
Napi::Value GeneratorSeed(const Napi::CallbackInfo& info);       // (handle, seed: bigint)
Napi::Value GeneratorInitialSeed(const Napi::CallbackInfo& info);  // (handle) → bigint
Napi::Value GeneratorGetState(const Napi::CallbackInfo& info);   // (handle) → tensor handle (uint8)
Napi::Value GeneratorSetState(const Napi::CallbackInfo& info);   // (handle, tensor handle)
Napi::Value ManualSeed(const Napi::CallbackInfo& info);          // (seed: bigint): every default generator, like torch.manual_seed

}  // namespace mrsynth

#include "generators.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/core/Tensor.h>

#include <mutex>
#include <string>

#include "errors.h"
#include "tensor_table.h"

namespace mrsynth {

GeneratorTable::GeneratorTable() { slots_.push_back(at::detail::getDefaultCPUGenerator()); }

GeneratorTable& generators() {
  static GeneratorTable table;
  return table;
}

uint32_t GeneratorTable::add(at::Generator generator) {
  for (uint32_t i = 1; i < slots_.size(); ++i) {
    if (!slots_[i].defined()) {
      slots_[i] = std::move(generator);
      return i;
    }
  }
  slots_.push_back(std::move(generator));
  return static_cast<uint32_t>(slots_.size() - 1);
}

const at::Generator& GeneratorTable::get(const Napi::Env& env, uint32_t handle) const {
  if (handle >= slots_.size() || !slots_[handle].defined()) {
    fail(env, "generator handle " + std::to_string(handle) + " is not live (the generator was disposed)");
  }
  return slots_[handle];
}

void GeneratorTable::release(const Napi::Env& env, uint32_t handle) {
  if (handle == 0) return;  // the default generator is never freed
  get(env, handle);
  slots_[handle] = at::Generator();
}

namespace {

uint64_t seedArgument(const Napi::Env& env, const Napi::Value& value) {
  if (value.IsBigInt()) {
    bool lossless = false;
    uint64_t seed = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) fail(env, "generator seed must fit in 64 bits");
    return seed;
  }
  if (value.IsNumber()) {
    double number = value.As<Napi::Number>().DoubleValue();
    if (!(number >= 0) || number != static_cast<double>(static_cast<uint64_t>(number))) {
      fail(env, "generator seed must be a non-negative integer, got " + std::to_string(number));
    }
    return static_cast<uint64_t>(number);
  }
  fail(env, "generator seed must be a number or bigint");
}

// Generators are shared with libtorch's kernels, which lock them while drawing; so must we while reseeding.
void reseed(at::Generator generator, uint64_t seed) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(seed);
}

const at::Generator& defaultFor(const c10::Device& device) {
  return device.is_cpu() ? at::detail::getDefaultCPUGenerator() : at::globalContext().defaultGenerator(device);
}

uint32_t handleArgument(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsNumber()) fail(info.Env(), "expected a generator handle");
  return info[index].As<Napi::Number>().Uint32Value();
}

}  // namespace

Napi::Value GeneratorCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Generator", [&]() -> Napi::Value {
    c10::Device device(info[0].As<Napi::String>().Utf8Value());
    uint64_t seed = seedArgument(env, info[1]);
    // Cloning the device's default generator gives the right implementation for any backend without
    // linking backend-specific headers (CUDA generators come from the CUDA hooks).
    at::Generator generator = device.is_cpu() ? at::make_generator<at::CPUGeneratorImpl>(seed) : defaultFor(device).clone();
    reseed(generator, seed);
    return Napi::Number::New(env, generators().add(std::move(generator)));
  });
}

Napi::Value GeneratorDefault(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "defaultGenerator", [&]() -> Napi::Value {
    c10::Device device(info[0].As<Napi::String>().Utf8Value());
    if (device.is_cpu()) return Napi::Number::New(env, 0);
    return Napi::Number::New(env, generators().add(defaultFor(device)));
  });
}

Napi::Value GeneratorRelease(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Generator.dispose", [&]() -> Napi::Value {
    generators().release(env, handleArgument(info, 0));
    return env.Undefined();
  });
}

Napi::Value GeneratorSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Generator.manualSeed", [&]() -> Napi::Value {
    reseed(generators().get(env, handleArgument(info, 0)), seedArgument(env, info[1]));
    return env.Undefined();
  });
}

Napi::Value GeneratorInitialSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Generator.initialSeed", [&]() -> Napi::Value {
    at::Generator generator = generators().get(env, handleArgument(info, 0));
    return Napi::BigInt::New(env, generator.current_seed());
  });
}

Napi::Value GeneratorGetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Generator.getState", [&]() -> Napi::Value {
    at::Generator generator = generators().get(env, handleArgument(info, 0));
    std::lock_guard<std::mutex> lock(generator.mutex());
    return Napi::Number::New(env, tensors().add(env, generator.get_state()));
  });
}

Napi::Value GeneratorSetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "Generator.setState", [&]() -> Napi::Value {
    at::Generator generator = generators().get(env, handleArgument(info, 0));
    const at::Tensor& state = tensors().get(env, info[1].As<Napi::Number>().Uint32Value(), "Generator.setState");
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
    return env.Undefined();
  });
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "manualSeed", [&]() -> Napi::Value {
    uint64_t seed = seedArgument(env, info[0]);
    reseed(at::detail::getDefaultCPUGenerator(), seed);
    if (at::hasCUDA()) {
      for (int i = 0; i < at::detail::getCUDAHooks().getNumGPUs(); ++i) {
        reseed(at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA, i)), seed);
      }
    }
    return env.Undefined();
  });
}

}  // namespace mrsynth

#include "runtime.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "tensor_table.h"

namespace mrsynth {
namespace {

uint32_t handleAt(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsNumber()) fail(info.Env(), std::string(what) + ": expected a tensor handle");
  return info[index].As<Napi::Number>().Uint32Value();
}

const at::Tensor& tensorAt(const Napi::CallbackInfo& info, size_t index, const char* what) {
  return tensors().get(info.Env(), handleAt(info, index, what), what);
}

std::vector<int64_t> shapeFrom(const Napi::Env& env, const Napi::Value& value) {
  if (!value.IsArray()) fail(env, "fromBuffer: shape must be an array of non-negative integers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> shape(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    double d = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d))) {
      fail(env, "fromBuffer: shape must be an array of non-negative integers");
    }
    shape[i] = static_cast<int64_t>(d);
  }
  return shape;
}

}  // namespace

Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "fromBuffer", [&]() -> Napi::Value {
    if (info.Length() < 3 || !info[0].IsTypedArray() || !info[2].IsNumber()) {
      fail(env, "fromBuffer: expected (typedArray, shape, dtype)");
    }
    auto view = info[0].As<Napi::TypedArray>();
    auto shape = shapeFrom(env, info[1]);
    auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
    at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(dtype));
    const size_t expected = tensor.nbytes();
    if (view.ByteLength() != expected) {
      fail(env, "fromBuffer: the data holds " + std::to_string(view.ByteLength()) + " bytes but shape " +
                    c10::str(tensor.sizes()) + " of " + c10::toString(dtype) + " needs " + std::to_string(expected));
    }
    if (expected > 0) {
      const uint8_t* source = static_cast<const uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
      std::memcpy(tensor.data_ptr(), source, expected);
    }
    return Napi::Number::New(env, tensors().add(env, std::move(tensor)));
  });
}

Napi::Value ToBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "toBuffer", [&]() -> Napi::Value {
    at::Tensor host = tensorAt(info, 0, "toBuffer").detach().to(at::kCPU).contiguous();
    auto buffer = Napi::ArrayBuffer::New(env, host.nbytes());
    if (host.nbytes() > 0) std::memcpy(buffer.Data(), host.data_ptr(), host.nbytes());
    return buffer;
  });
}

Napi::Value PinnedView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "dataView", [&]() -> Napi::Value {
    const at::Tensor& tensor = tensorAt(info, 0, "dataView");
    if (!tensor.device().is_cpu() || !tensor.is_contiguous()) {
      fail(env, "dataView: needs a contiguous CPU tensor (call .contiguous() or .to('cpu') first)");
    }
    // The buffer keeps its own reference to the tensor, so the storage stays alive (pinned) for as long as
    // JavaScript can see the bytes, even after the tensor handle itself is disposed.
    auto* pinned = new at::Tensor(tensor);
    return Napi::ArrayBuffer::New(env, pinned->data_ptr(), pinned->nbytes(),
                                  [](Napi::Env, void*, at::Tensor* hint) noexcept { delete hint; }, pinned);
  });
}

Napi::Value Meta(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "meta", [&]() -> Napi::Value {
    const at::Tensor& tensor = tensorAt(info, 0, "meta");
    auto sizes = tensor.sizes();
    auto result = Napi::Array::New(env, 2 + sizes.size());
    result.Set(0u, Napi::Number::New(env, static_cast<int>(tensor.scalar_type())));
    result.Set(1u, Napi::String::New(env, tensor.device().str()));
    for (size_t i = 0; i < sizes.size(); ++i) result.Set(2 + i, Napi::Number::New(env, static_cast<double>(sizes[i])));
    return result;
  });
}

Napi::Value Item(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "item", [&]() -> Napi::Value {
    const at::Tensor& tensor = tensorAt(info, 0, "item");
    if (tensor.numel() != 1) {
      fail(env, "item: needs a tensor with exactly one element, got shape " + c10::str(tensor.sizes()));
    }
    at::Scalar scalar = tensor.item();
    if (scalar.isBoolean()) return Napi::Boolean::New(env, scalar.toBool());
    if (scalar.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(scalar.toLong()));
    return Napi::Number::New(env, scalar.toDouble());
  });
}

Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "dispose", [&]() -> Napi::Value {
    tensors().release(env, handleAt(info, 0, "dispose"));
    return env.Undefined();
  });
}

Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(tensors().live()));
}

Napi::Value ExternalBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(tensors().reportedBytes()));
}

Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "requiresGrad_", [&]() -> Napi::Value {
    at::Tensor tensor = tensorAt(info, 0, "requiresGrad_");
    tensor.set_requires_grad(info[1].ToBoolean().Value());
    return env.Undefined();
  });
}

Napi::Value RequiresGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "requiresGrad", [&]() -> Napi::Value {
    return Napi::Boolean::New(env, tensorAt(info, 0, "requiresGrad").requires_grad());
  });
}

Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "isLeaf", [&]() -> Napi::Value {
    return Napi::Boolean::New(env, tensorAt(info, 0, "isLeaf").is_leaf());
  });
}

Napi::Value Grad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "grad", [&]() -> Napi::Value {
    const at::Tensor& grad = tensorAt(info, 0, "grad").grad();
    if (!grad.defined()) return env.Null();
    return Napi::Number::New(env, tensors().add(env, grad));
  });
}

Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "setGrad", [&]() -> Napi::Value {
    at::Tensor tensor = tensorAt(info, 0, "setGrad");
    if (info.Length() < 2 || info[1].IsNull() || info[1].IsUndefined()) {
      tensor.mutable_grad().reset();
    } else {
      tensor.mutable_grad() = tensorAt(info, 1, "setGrad");
    }
    return env.Undefined();
  });
}

Napi::Value RetainGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "retainGrad", [&]() -> Napi::Value {
    tensorAt(info, 0, "retainGrad").retain_grad();
    return env.Undefined();
  });
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "backward", [&]() -> Napi::Value {
    const at::Tensor& root = tensorAt(info, 0, "backward");
    at::Tensor gradient;
    if (info.Length() > 1 && info[1].IsNumber()) gradient = tensorAt(info, 1, "backward");
    c10::optional<bool> retain;
    if (info.Length() > 2 && info[2].IsBoolean()) retain = info[2].As<Napi::Boolean>().Value();
    bool create = info.Length() > 3 && info[3].ToBoolean().Value();
    root.backward(gradient, retain, create);
    return env.Undefined();
  });
}

Napi::Value IsGradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::GradMode::is_enabled());
}

Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  c10::GradMode::set_enabled(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "info", [&]() -> Napi::Value {
    auto result = Napi::Object::New(env);
    result.Set("torchVersion", std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                                   std::to_string(TORCH_VERSION_PATCH));
    result.Set("cxx11Abi", Napi::Boolean::New(env, _GLIBCXX_USE_CXX11_ABI != 0));
    result.Set("buildConfig", at::show_config());
    result.Set("parallelInfo", at::get_parallel_info());
    result.Set("numThreads", at::get_num_threads());
    result.Set("hostAllocator", hostAllocator);
    result.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN()));
    result.Set("cuda", Napi::Boolean::New(env, at::hasCUDA()));
    result.Set("cudaDevices", at::hasCUDA() ? at::detail::getCUDAHooks().getNumGPUs() : 0);
    return result;
  });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "setNumThreads", [&]() -> Napi::Value {
    int n = info[0].As<Napi::Number>().Int32Value();
    if (n < 1) fail(env, "setNumThreads: expected a positive thread count, got " + std::to_string(n));
    at::set_num_threads(n);
    return env.Undefined();
  });
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// The reference the TypeScript benchmark is measured against: the same convolution from a plain C++ loop in
// the same process and at the same thread count. Returns seconds per iteration.
Napi::Value BenchConv3d(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "benchConv3d", [&]() -> Napi::Value {
    auto shape = shapeFrom(env, info[0]);
    int64_t outChannels = info[1].As<Napi::Number>().Int64Value();
    auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
    bool withBackward = info[3].ToBoolean().Value();
    int iterations = info[4].As<Napi::Number>().Int32Value();
    auto options = at::TensorOptions().dtype(dtype);
    at::Tensor input = at::randn(shape, options);
    at::Tensor weight = at::randn({outChannels, shape[1], 3, 3, 3}, options).mul_(0.05).set_requires_grad(withBackward);
    at::Tensor bias = at::zeros({outChannels}, options).set_requires_grad(withBackward);
    auto times = Napi::Float64Array::New(env, iterations);
    for (int i = 0; i < iterations; ++i) {
      auto started = std::chrono::steady_clock::now();
      {
        c10::AutoGradMode mode(withBackward);
        at::Tensor output = at::conv3d(input, weight, bias, 1, 1);
        if (withBackward) {
          output.sum().backward();
          weight.mutable_grad().reset();
          bias.mutable_grad().reset();
        }
      }
      times[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    return times;
  });
}

}  // namespace mrsynth

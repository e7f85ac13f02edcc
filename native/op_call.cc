// Calls any ATen operator by schema name through the c10 dispatcher's boxed calling convention. Arguments
// arrive positionally in schema order and are converted by the schema's declared types, so a JS number is
// read as a tensor handle, an int, a double or a generator handle depending on what the schema expects.
// `undefined` selects the schema's default. One generic path replaces hundreds of hand-written wrappers.
#include "op_call.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/jit_type.h>
#include <c10/core/Device.h>
#include <torch/version.h>

#include <cmath>
#include <string>
#include <vector>

#include "errors.h"
#include "generators.h"
#include "tensor_table.h"

namespace mrsynth {
namespace {

// The argument kinds our conversion distinguishes, decided once per operator from its schema.
enum class Kind {
  Tensor, OptionalTensor, Int, Float, Bool, Scalar, String, Device, Generator, IntList, FloatList, BoolList,
  TensorList, OptionalTensorList, Unsupported
};

struct ArgSpec {
  Kind kind;
  bool optional;
  c10::optional<int64_t> fixedLength;  // `int[3]`: a single number expands to this many copies
  c10::optional<c10::IValue> defaultValue;
  std::string name;
  std::string typeText;
};

struct CachedOp {
  c10::OperatorHandle handle;
  std::vector<ArgSpec> args;
  std::string displayName;
};

std::vector<CachedOp>& registry() {
  static std::vector<CachedOp> ops;
  return ops;
}

Kind kindOf(const c10::TypePtr& type) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType: return Kind::Tensor;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
    case c10::TypeKind::ScalarTypeType:
    case c10::TypeKind::LayoutType:
    case c10::TypeKind::MemoryFormatType: return Kind::Int;
    case c10::TypeKind::FloatType: return Kind::Float;
    case c10::TypeKind::BoolType: return Kind::Bool;
    case c10::TypeKind::NumberType: return Kind::Scalar;
    case c10::TypeKind::StringType: return Kind::String;
    case c10::TypeKind::DeviceObjType: return Kind::Device;
    case c10::TypeKind::GeneratorType: return Kind::Generator;
    case c10::TypeKind::ListType: {
      const auto& element = type->castRaw<c10::ListType>()->getElementType();
      switch (element->kind()) {
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return Kind::IntList;
        case c10::TypeKind::FloatType: return Kind::FloatList;
        case c10::TypeKind::BoolType: return Kind::BoolList;
        case c10::TypeKind::TensorType: return Kind::TensorList;
        case c10::TypeKind::OptionalType:
          if (element->castRaw<c10::OptionalType>()->getElementType()->kind() == c10::TypeKind::TensorType) {
            return Kind::OptionalTensorList;
          }
          return Kind::Unsupported;
        default: return Kind::Unsupported;
      }
    }
    default: return Kind::Unsupported;
  }
}

ArgSpec specOf(const c10::Argument& argument) {
  ArgSpec spec;
  spec.name = argument.name();
  spec.typeText = argument.type()->str();
  spec.defaultValue = argument.default_value();
  if (auto n = argument.N()) spec.fixedLength = static_cast<int64_t>(*n);
  c10::TypePtr type = argument.type();
  spec.optional = type->kind() == c10::TypeKind::OptionalType;
  if (spec.optional) type = type->castRaw<c10::OptionalType>()->getElementType();
  spec.kind = kindOf(type);
  if (spec.optional && spec.kind == Kind::Tensor) spec.kind = Kind::OptionalTensor;
  return spec;
}

[[noreturn]] void badArgument(const Napi::Env& env, const CachedOp& op, const ArgSpec& spec, const std::string& expected,
                              const Napi::Value& got) {
  std::string gotText = got.IsNumber() ? "number " + std::to_string(got.As<Napi::Number>().DoubleValue())
                        : got.IsString() ? "string '" + got.As<Napi::String>().Utf8Value() + "'"
                        : got.IsBoolean() ? "boolean" : got.IsArray() ? "array" : got.IsNull() ? "null"
                        : got.IsUndefined() ? "undefined" : "object";
  fail(env, op.displayName + ": argument '" + spec.name + "' (" + spec.typeText + ") expects " + expected + ", got " +
                gotText);
}

int64_t toInt(const Napi::Env& env, const CachedOp& op, const ArgSpec& spec, const Napi::Value& value) {
  if (value.IsBigInt()) {
    bool lossless = false;
    int64_t result = value.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) badArgument(env, op, spec, "an int64", value);
    return result;
  }
  if (!value.IsNumber()) badArgument(env, op, spec, "an integer", value);
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::floor(number) != number || std::fabs(number) > 9.007199254740992e15) {
    badArgument(env, op, spec, "an integer", value);
  }
  return static_cast<int64_t>(number);
}

c10::IValue toScalar(const Napi::Env& env, const CachedOp& op, const ArgSpec& spec, const Napi::Value& value) {
  if (value.IsBoolean()) return c10::IValue(value.As<Napi::Boolean>().Value());
  if (value.IsBigInt()) return c10::IValue(toInt(env, op, spec, value));
  if (!value.IsNumber()) badArgument(env, op, spec, "a number", value);
  // Integral JS numbers become integer Scalars so that integer tensors keep their dtype (Python writes 2
  // versus 2.0; JS cannot, and an integral scalar never promotes a floating tensor anyway).
  double number = value.As<Napi::Number>().DoubleValue();
  if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) <= 9.007199254740992e15) {
    return c10::IValue(static_cast<int64_t>(number));
  }
  return c10::IValue(number);
}

const at::Tensor& toTensor(const Napi::Env& env, const CachedOp& op, const ArgSpec& spec, const Napi::Value& value) {
  if (!value.IsNumber()) badArgument(env, op, spec, "a tensor", value);
  return tensors().get(env, value.As<Napi::Number>().Uint32Value(), op.displayName.c_str());
}

c10::IValue convert(const Napi::Env& env, const CachedOp& op, const ArgSpec& spec, const Napi::Value& value) {
  if (value.IsUndefined()) {
    if (spec.defaultValue.has_value()) return *spec.defaultValue;
    if (spec.optional) return c10::IValue();
    badArgument(env, op, spec, "a value (it has no default)", value);
  }
  if (value.IsNull()) {
    if (spec.optional) return c10::IValue();
    badArgument(env, op, spec, "a value (it is not optional)", value);
  }
  switch (spec.kind) {
    case Kind::Tensor:
    case Kind::OptionalTensor: return c10::IValue(toTensor(env, op, spec, value));
    case Kind::Int: return c10::IValue(toInt(env, op, spec, value));
    case Kind::Float:
      if (!value.IsNumber()) badArgument(env, op, spec, "a number", value);
      return c10::IValue(value.As<Napi::Number>().DoubleValue());
    case Kind::Bool:
      if (!value.IsBoolean()) badArgument(env, op, spec, "a boolean", value);
      return c10::IValue(value.As<Napi::Boolean>().Value());
    case Kind::Scalar: return toScalar(env, op, spec, value);
    case Kind::String:
      if (!value.IsString()) badArgument(env, op, spec, "a string", value);
      return c10::IValue(value.As<Napi::String>().Utf8Value());
    case Kind::Device:
      if (!value.IsString()) badArgument(env, op, spec, "a device string such as 'cpu' or 'cuda:0'", value);
      return c10::IValue(c10::Device(value.As<Napi::String>().Utf8Value()));
    case Kind::Generator:
      if (!value.IsNumber()) badArgument(env, op, spec, "a generator", value);
      return c10::IValue(generators().get(env, value.As<Napi::Number>().Uint32Value()));
    case Kind::IntList: {
      if (value.IsNumber() && spec.fixedLength.has_value()) {
        return c10::IValue(std::vector<int64_t>(*spec.fixedLength, toInt(env, op, spec, value)));
      }
      if (!value.IsArray()) badArgument(env, op, spec, "an array of integers", value);
      auto array = value.As<Napi::Array>();
      std::vector<int64_t> list(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) list[i] = toInt(env, op, spec, array.Get(i));
      return c10::IValue(list);
    }
    case Kind::FloatList: {
      if (!value.IsArray()) badArgument(env, op, spec, "an array of numbers", value);
      auto array = value.As<Napi::Array>();
      std::vector<double> list(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) {
        Napi::Value item = array.Get(i);
        if (!item.IsNumber()) badArgument(env, op, spec, "an array of numbers", item);
        list[i] = item.As<Napi::Number>().DoubleValue();
      }
      return c10::IValue(list);
    }
    case Kind::BoolList: {
      if (!value.IsArray()) badArgument(env, op, spec, "an array of booleans", value);
      auto array = value.As<Napi::Array>();
      c10::List<bool> list;
      for (uint32_t i = 0; i < array.Length(); ++i) {
        Napi::Value item = array.Get(i);
        if (!item.IsBoolean()) badArgument(env, op, spec, "an array of booleans", item);
        list.push_back(item.As<Napi::Boolean>().Value());
      }
      return c10::IValue(list);
    }
    case Kind::TensorList: {
      if (!value.IsArray()) badArgument(env, op, spec, "an array of tensors", value);
      auto array = value.As<Napi::Array>();
      c10::List<at::Tensor> list;
      list.reserve(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) list.push_back(toTensor(env, op, spec, array.Get(i)));
      return c10::IValue(list);
    }
    case Kind::OptionalTensorList: {
      if (!value.IsArray()) badArgument(env, op, spec, "an array of tensors or nulls", value);
      auto array = value.As<Napi::Array>();
      c10::List<c10::optional<at::Tensor>> list;
      list.reserve(array.Length());
      for (uint32_t i = 0; i < array.Length(); ++i) {
        Napi::Value item = array.Get(i);
        if (item.IsNull() || item.IsUndefined()) list.push_back(c10::nullopt);
        else list.push_back(toTensor(env, op, spec, item));
      }
      return c10::IValue(list);
    }
    case Kind::Unsupported: break;
  }
  fail(env, op.displayName + ": argument '" + spec.name + "' has type " + spec.typeText +
                ", which the native bridge does not convert");
}

Napi::Value fromIValue(const Napi::Env& env, const c10::IValue& value) {
  if (value.isTensor()) {
    const at::Tensor& tensor = value.toTensor();
    if (!tensor.defined()) return env.Null();
    return Napi::Number::New(env, tensors().add(env, tensor));
  }
  if (value.isNone()) return env.Null();
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isInt()) return Napi::Number::New(env, static_cast<double>(value.toInt()));
  if (value.isSymInt()) return Napi::Number::New(env, static_cast<double>(value.toSymInt().expect_int()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isTensorList()) {
    auto list = value.toTensorList();
    auto array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(i, fromIValue(env, c10::IValue(list.get(i))));
    return array;
  }
  if (value.isTuple()) {
    const auto& elements = value.toTupleRef().elements();
    auto array = Napi::Array::New(env, elements.size());
    for (size_t i = 0; i < elements.size(); ++i) array.Set(i, fromIValue(env, elements[i]));
    return array;
  }
  if (value.isIntList()) {
    auto list = value.toIntVector();
    auto array = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) array.Set(i, Napi::Number::New(env, static_cast<double>(list[i])));
    return array;
  }
  if (value.isString()) return Napi::String::New(env, value.toStringRef());
  if (value.isScalar()) {
    auto scalar = value.toScalar();
    if (scalar.isBoolean()) return Napi::Boolean::New(env, scalar.toBool());
    if (scalar.isIntegral(false)) return Napi::Number::New(env, static_cast<double>(scalar.toLong()));
    return Napi::Number::New(env, scalar.toDouble());
  }
  fail(env, "opCall: cannot convert a result of type " + value.tagKind() + " to JavaScript");
}

const CachedOp& cachedOp(const Napi::Env& env, const Napi::Value& id) {
  auto& ops = registry();
  uint32_t index = id.IsNumber() ? id.As<Napi::Number>().Uint32Value() : UINT32_MAX;
  if (index >= ops.size()) fail(env, "opCall: unknown operator id");
  return ops[index];
}

}  // namespace

Napi::Value OpLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "opLookup", [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
      fail(env, "opLookup: expected (name: string, overload: string)");
    }
    std::string name = info[0].As<Napi::String>().Utf8Value();
    std::string overload = info[1].As<Napi::String>().Utf8Value();
    auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
    if (!handle.has_value()) {
      fail(env, "opLookup: no operator " + name + (overload.empty() ? "" : "." + overload) +
                    " in this libtorch (" + std::to_string(TORCH_VERSION_MAJOR) + "." +
                    std::to_string(TORCH_VERSION_MINOR) + ")");
    }
    CachedOp op{*handle, {}, name + (overload.empty() ? "" : "." + overload)};
    for (const auto& argument : handle->schema().arguments()) op.args.push_back(specOf(argument));
    registry().push_back(std::move(op));
    return Napi::Number::New(env, static_cast<double>(registry().size() - 1));
  });
}

Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, "opSchema", [&]() -> Napi::Value {
    const CachedOp& op = cachedOp(env, info[0]);
    return Napi::String::New(env, c10::toString(op.handle.schema()));
  });
}

Napi::Value OpCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CachedOp& op = cachedOp(env, info[0]);
  return guarded(env, op.displayName.c_str(), [&]() -> Napi::Value {
    const size_t given = info.Length() - 1;
    if (given > op.args.size()) {
      fail(env, op.displayName + ": expected at most " + std::to_string(op.args.size()) + " arguments, got " +
                    std::to_string(given) + " (schema: " + c10::toString(op.handle.schema()) + ")");
    }
    torch::jit::Stack stack;
    stack.reserve(op.args.size());
    for (size_t i = 0; i < op.args.size(); ++i) {
      stack.push_back(convert(env, op, op.args[i], i < given ? info[i + 1] : env.Undefined()));
    }
    op.handle.callBoxed(&stack);
    if (stack.empty()) return env.Undefined();
    if (stack.size() == 1) return fromIValue(env, stack[0]);
    auto array = Napi::Array::New(env, stack.size());
    for (size_t i = 0; i < stack.size(); ++i) array.Set(i, fromIValue(env, stack[i]));
    return array;
  });
}

}  // namespace mrsynth

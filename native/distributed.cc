// Process groups on PyTorch's c10d: a TCPStore rendezvous and a Gloo process group, with the three collectives
// data-parallel training needs (all-reduce, broadcast, barrier) on tensors of the handle table. Groups are named by
// small integer ids, like tensors. Built only where Gloo's headers were found (USE_C10D_GLOO, scripts/
// libtorch-config.mjs); elsewhere every entry point says that this build has no distributed backend.
#include "distributed.h"

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "tensor_table.h"

#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace mrsynth {

#ifdef USE_C10D_GLOO

namespace {

struct Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::chrono::milliseconds timeout;
};

std::unordered_map<uint32_t, Group>& groups() {
  static std::unordered_map<uint32_t, Group> table;
  return table;
}

uint32_t nextGroup = 1;

Group& groupOf(const Napi::Env& env, const Napi::Value& value, const char* where) {
  auto found = groups().find(value.As<Napi::Number>().Uint32Value());
  if (found == groups().end()) fail(env, std::string(where) + ": the process group is closed or was never created");
  return found->second;
}

std::vector<at::Tensor> tensorsOf(const Napi::Env& env, const Napi::Value& value, const char* where) {
  auto handles = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  for (uint32_t i = 0; i < handles.Length(); i++) {
    out.push_back(tensors().get(env, handles.Get(i).As<Napi::Number>().Uint32Value(), where));
  }
  return out;
}

// Waits for a collective; c10d raises when a peer's connection is lost or the group's timeout passes.
void waitFor(const c10::intrusive_ptr<c10d::Work>& work, const Group& group) {
  work->wait(group.timeout);
}

}  // namespace

// (masterAddr, masterPort, rank, worldSize, timeoutMs, interface) → group id. Rank 0 runs the store's server; every
// rank waits for the others (up to the timeout) before the Gloo group connects them pairwise over `interface` (a
// network interface name, or a host name or address to bind to; '' resolves this host's name, as Gloo does).
Napi::Value ProcessGroupCreate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "processGroupCreate", [&]() -> Napi::Value {
    const std::string host = info[0].As<Napi::String>().Utf8Value();
    const auto port = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
    const int rank = info[2].As<Napi::Number>().Int32Value();
    const int worldSize = info[3].As<Napi::Number>().Int32Value();
    const std::chrono::milliseconds timeout(info[4].As<Napi::Number>().Int64Value());
    const std::string interface = info[5].As<Napi::String>().Utf8Value();

    c10d::TCPStoreOptions storeOptions;
    storeOptions.port = port;
    storeOptions.isServer = rank == 0;
    storeOptions.numWorkers = worldSize;
    storeOptions.waitWorkers = true;
    storeOptions.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(host, storeOptions);

    auto options = c10d::ProcessGroupGloo::Options::create();
    options->timeout = timeout;
    if (interface.empty()) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    } else if (interface.find_first_of(".:") == std::string::npos && interface != "localhost") {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(interface));
    }
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, worldSize, options);
    const uint32_t id = nextGroup++;
    groups().emplace(id, Group{store, group, timeout});
    return Napi::Number::New(info.Env(), id);
  });
}

// (group, handles[]) : sums each tensor over the ranks, in place. The tensors (one dtype) travel as one flat bucket:
// one collective per call however many tensors, which is what makes gradient averaging cheap.
Napi::Value ProcessGroupAllReduce(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "allReduce", [&]() -> Napi::Value {
    Group& group = groupOf(info.Env(), info[0], "allReduce");
    auto list = tensorsOf(info.Env(), info[1], "allReduce");
    if (list.empty()) return info.Env().Undefined();
    std::vector<at::Tensor> flat;
    for (const auto& t : list) {
      if (t.scalar_type() != list[0].scalar_type()) {
        fail(info.Env(), std::string("allReduce: one bucket holds one dtype, got ") + c10::toString(list[0].scalar_type()) + " and " +
                             c10::toString(t.scalar_type()));
      }
      flat.push_back(t.reshape({-1}));
    }
    std::vector<at::Tensor> bucket{list.size() == 1 && list[0].is_contiguous() ? flat[0] : at::cat(flat)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    options.timeout = group.timeout;
    waitFor(group.group->allreduce(bucket, options), group);
    if (bucket[0].data_ptr() != list[0].data_ptr() || list.size() > 1) {
      int64_t offset = 0;
      for (auto& t : list) {
        const int64_t n = t.numel();
        t.copy_(bucket[0].narrow(0, offset, n).view(t.sizes()));
        offset += n;
      }
    }
    return info.Env().Undefined();
  });
}

// (group, handle, root) : every rank's tensor becomes the root's, in place.
Napi::Value ProcessGroupBroadcast(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "broadcast", [&]() -> Napi::Value {
    Group& group = groupOf(info.Env(), info[0], "broadcast");
    std::vector<at::Tensor> list{tensors().get(info.Env(), info[1].As<Napi::Number>().Uint32Value(), "broadcast")};
    c10d::BroadcastOptions options;
    options.rootRank = info[2].As<Napi::Number>().Int32Value();
    options.timeout = group.timeout;
    waitFor(group.group->broadcast(list, options), group);
    return info.Env().Undefined();
  });
}

// (group) : returns once every rank has entered.
Napi::Value ProcessGroupBarrier(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "barrier", [&]() -> Napi::Value {
    Group& group = groupOf(info.Env(), info[0], "barrier");
    c10d::BarrierOptions options;
    options.timeout = group.timeout;
    waitFor(group.group->barrier(options), group);
    return info.Env().Undefined();
  });
}

// (group) : closes the group and its store connection; a closed id is refused afterwards.
Napi::Value ProcessGroupDestroy(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "processGroupDestroy", [&]() -> Napi::Value {
    groupOf(info.Env(), info[0], "processGroupDestroy");
    groups().erase(info[0].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  });
}

Napi::Value DistributedBackends(const Napi::CallbackInfo& info) {
  auto out = Napi::Array::New(info.Env());
  out.Set(0u, Napi::String::New(info.Env(), "gloo"));
  return out;
}

#else  // no Gloo in this build

static Napi::Value NoBackend(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), "this build of mrsynth has no distributed backend: Gloo's headers were not found when the addon "
                                     "was built (install libgloo-dev and rebuild: npm run build:native)");
}

Napi::Value ProcessGroupCreate(const Napi::CallbackInfo& info) { return NoBackend(info); }
Napi::Value ProcessGroupAllReduce(const Napi::CallbackInfo& info) { return NoBackend(info); }
Napi::Value ProcessGroupBroadcast(const Napi::CallbackInfo& info) { return NoBackend(info); }
Napi::Value ProcessGroupBarrier(const Napi::CallbackInfo& info) { return NoBackend(info); }
Napi::Value ProcessGroupDestroy(const Napi::CallbackInfo& info) { return NoBackend(info); }
Napi::Value DistributedBackends(const Napi::CallbackInfo& info) { return Napi::Array::New(info.Env()); }

#endif

}  // namespace mrsynth

// Process groups on PyTorch's c10d: a TCPStore rendezvous and a Gloo (CPU tensors) or NCCL (CUDA tensors) process
// group, with the three collectives data-parallel training needs (all-reduce, broadcast, barrier) on tensors of the
// handle table. Groups are named by small integer ids, like tensors. Gloo is built where its headers were found
// (USE_C10D_GLOO), NCCL where the libtorch has CUDA and nccl.h was found (USE_C10D_NCCL; see scripts/
// libtorch-config.mjs); a build with neither says so at every entry point.
#include "distributed.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "errors.h"
#include "tensor_table.h"

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
#define MRSYNTH_HAS_C10D 1
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace mrsynth {

#ifdef MRSYNTH_HAS_C10D

namespace {

// A process group's collectives, whatever its backend's class derives from (ProcessGroup in older libtorch
// releases, Backend in newer ones): each is a call on the concrete group, captured when it is made.
struct Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&, const c10d::AllreduceOptions&)> allreduce;
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&, const c10d::BroadcastOptions&)> broadcast;
  std::function<c10::intrusive_ptr<c10d::Work>(const c10d::BarrierOptions&)> barrier;
  std::chrono::milliseconds timeout;
};

template <typename Backend>
Group groupOver(c10::intrusive_ptr<c10d::TCPStore> store, c10::intrusive_ptr<Backend> backend, std::chrono::milliseconds timeout) {
  return Group{
      std::move(store),
      [backend](std::vector<at::Tensor>& tensors, const c10d::AllreduceOptions& options) { return backend->allreduce(tensors, options); },
      [backend](std::vector<at::Tensor>& tensors, const c10d::BroadcastOptions& options) { return backend->broadcast(tensors, options); },
      [backend](const c10d::BarrierOptions& options) { return backend->barrier(options); },
      timeout,
  };
}

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

// The timeout of one collective: its own (argument `index`, milliseconds, when given and positive) or the group's.
// A rank that waits for rank 0 to validate may wait far longer than a step's collective should.
std::chrono::milliseconds timeoutOf(const Napi::CallbackInfo& info, size_t index, const Group& group) {
  if (info.Length() > index && info[index].IsNumber()) {
    const int64_t ms = info[index].As<Napi::Number>().Int64Value();
    if (ms > 0) return std::chrono::milliseconds(ms);
  }
  return group.timeout;
}

// Waits for a collective; c10d raises when a peer's connection is lost or the timeout passes.
void waitFor(const c10::intrusive_ptr<c10d::Work>& work, std::chrono::milliseconds timeout) {
  work->wait(timeout);
}

// Refuses a job whose ranks disagree on its size, or in which two processes took one rank, before Gloo connects
// them (where either would end in a timeout that names neither): every rank records what it was started with in
// the store and compares it with rank 0's.
void checkMembership(const Napi::Env& env, c10d::TCPStore& store, int rank, int worldSize) {
  const std::string key = "mrsynth/world_size/" + std::to_string(rank);
  if (store.add("mrsynth/rank/" + std::to_string(rank), 1) > 1) {
    fail(env, "rank " + std::to_string(rank) + " joined twice: two workers were started with RANK=" + std::to_string(rank));
  }
  const std::string mine = std::to_string(worldSize);
  store.set(key, std::vector<uint8_t>(mine.begin(), mine.end()));
  if (rank == 0) return;
  const auto theirs = store.get("mrsynth/world_size/0");
  const std::string rootSize(theirs.begin(), theirs.end());
  if (rootSize != mine) {
    fail(env, "rank " + std::to_string(rank) + " was started with WORLD_SIZE=" + mine + " but rank 0 with WORLD_SIZE=" + rootSize +
                  "; every worker of a job must be given the same world size");
  }
}

}  // namespace

// (masterAddr, masterPort, rank, worldSize, timeoutMs, interface, backend) → group id. Rank 0 runs the store's server;
// every rank waits for the others (up to the timeout). Gloo then connects them pairwise over `interface` (a network
// interface name, or a host name or address to bind to; '' resolves this host's name, as Gloo does); NCCL creates its
// communicators at the first collective, on the devices of its tensors.
Napi::Value ProcessGroupCreate(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "processGroupCreate", [&]() -> Napi::Value {
    const std::string host = info[0].As<Napi::String>().Utf8Value();
    const auto port = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
    const int rank = info[2].As<Napi::Number>().Int32Value();
    const int worldSize = info[3].As<Napi::Number>().Int32Value();
    const std::chrono::milliseconds timeout(info[4].As<Napi::Number>().Int64Value());
    const std::string interface = info[5].As<Napi::String>().Utf8Value();
    const std::string backend = info.Length() > 6 ? info[6].As<Napi::String>().Utf8Value() : "gloo";
#ifndef USE_C10D_GLOO
    if (backend == "gloo") fail(info.Env(), "this build of mrsynth has no Gloo backend (Gloo's headers were not found when the addon was built)");
#endif
#ifndef USE_C10D_NCCL
    if (backend == "nccl") {
      fail(info.Env(), "this build of mrsynth has no NCCL backend: it needs a CUDA libtorch (LIBTORCH_DIR) and nccl.h when the addon is built");
    }
#endif
    if (backend != "gloo" && backend != "nccl") fail(info.Env(), "backend must be gloo or nccl, got '" + backend + "'");

    c10d::TCPStoreOptions storeOptions;
    storeOptions.port = port;
    storeOptions.isServer = rank == 0;
    storeOptions.numWorkers = worldSize;
    storeOptions.waitWorkers = true;
    storeOptions.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(host, storeOptions);
    checkMembership(info.Env(), *store, rank, worldSize);

    const uint32_t id = nextGroup++;
#ifdef USE_C10D_GLOO
    if (backend == "gloo") {
      auto options = c10d::ProcessGroupGloo::Options::create();
      options->timeout = timeout;
      if (interface.empty()) {
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      } else if (interface.find_first_of(".:") == std::string::npos && interface != "localhost") {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
      } else {
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(interface));
      }
      groups().emplace(id, groupOver(store, c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, worldSize, options), timeout));
    }
#endif
#ifdef USE_C10D_NCCL
    if (backend == "nccl") {
      // Not built or run on this project's machines (no CUDA there): written to c10d's API, unverified.
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      groups().emplace(id, groupOver(store, c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, worldSize, options), timeout));
    }
#endif
    return Napi::Number::New(info.Env(), id);
  });
}

// (group, handles[], timeoutMs?) : sums each tensor over the ranks, in place. The tensors (one dtype) travel as one flat bucket:
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
    options.timeout = timeoutOf(info, 2, group);
    waitFor(group.allreduce(bucket, options), options.timeout);
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

// (group, handle, root, timeoutMs?) : every rank's tensor becomes the root's, in place.
Napi::Value ProcessGroupBroadcast(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "broadcast", [&]() -> Napi::Value {
    Group& group = groupOf(info.Env(), info[0], "broadcast");
    std::vector<at::Tensor> list{tensors().get(info.Env(), info[1].As<Napi::Number>().Uint32Value(), "broadcast")};
    c10d::BroadcastOptions options;
    options.rootRank = info[2].As<Napi::Number>().Int32Value();
    options.timeout = timeoutOf(info, 3, group);
    waitFor(group.broadcast(list, options), options.timeout);
    return info.Env().Undefined();
  });
}

// (group, timeoutMs?) : returns once every rank has entered.
Napi::Value ProcessGroupBarrier(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "barrier", [&]() -> Napi::Value {
    Group& group = groupOf(info.Env(), info[0], "barrier");
    c10d::BarrierOptions options;
    options.timeout = timeoutOf(info, 1, group);
    waitFor(group.barrier(options), options.timeout);
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
#ifdef USE_C10D_GLOO
  out.Set(out.Length(), Napi::String::New(info.Env(), "gloo"));
#endif
#ifdef USE_C10D_NCCL
  out.Set(out.Length(), Napi::String::New(info.Env(), "nccl"));
#endif
  return out;
}

#else  // no distributed backend in this build

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

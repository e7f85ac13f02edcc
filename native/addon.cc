// The whole native surface of mrsynth: tensors by handle, one generic operator call, autograd hooks,
// generators and runtime information. Everything else (shapes, validation, modules) lives in TypeScript.
#include <ATen/Parallel.h>
#include <malloc.h>
#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "distributed.h"
#include "generators.h"
#include "op_call.h"
#include "runtime.h"

namespace mrsynth {

// glibc serves every block above its dynamic mmap threshold with a fresh mmap and unmaps it on free, so each
// training or sampling step faults its activations in again and the kernel zeroes them (80,000 page faults and
// about 0.8 s of system time per paper-network training step at 64³). MRSYNTH_HOST_ALLOCATOR chooses:
//   balanced (default): blocks up to 32 MiB (glibc's ceiling for the threshold) come from the heap, larger ones
//                        are still mapped; freed memory stays until a whole GiB at the heap's top is free. Peak
//                        memory stays that of glibc's default (within the reference's + 5 % at every bench size).
//   heap:               nothing is mapped; the fastest for full-size volumes (a 160×192×160 bf16 denoising
//                        step 16.8 s instead of 22.8 s) but fragmentation raises the peak (5.5 instead of 2.9 GB).
//   default:            glibc as configured by the environment (GLIBC_TUNABLES).
// The TypeScript side checks the value before loading the addon.
static const char* TuneHostAllocator() {
  const char* choice = std::getenv("MRSYNTH_HOST_ALLOCATOR");
  if (choice != nullptr && std::strcmp(choice, "default") == 0) return "default";
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (choice != nullptr && std::strcmp(choice, "heap") == 0) {
    mallopt(M_MMAP_MAX, 0);
    return "heap";
  }
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  return "balanced";
}

const char* hostAllocator = "default";

// Hands the free memory the allocator keeps back to the system. glibc's malloc_trim releases the free pages inside
// every arena, not only the heap's top, so what stays resident afterwards is memory in use. Returns whether any
// was released; elsewhere than glibc it releases nothing.
static Napi::Value ReleaseFreeHostMemory(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  hostAllocator = TuneHostAllocator();

  // Debian's libtorch starts with one intra-op thread; use every core unless the caller says otherwise
  // (the TypeScript side applies MRSYNTH_THREADS before any work).
  unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0) at::set_num_threads(static_cast<int>(cores));

  const std::pair<const char*, Napi::Function::Callback> functions[] = {
      {"opLookup", OpLookup}, {"opSchema", OpSchema}, {"opCall", OpCall},
      {"fromBuffer", FromBuffer}, {"toBuffer", ToBuffer}, {"pinnedView", PinnedView}, {"meta", Meta},
      {"item", Item}, {"release", Release}, {"liveTensors", LiveTensors}, {"externalBytes", ExternalBytes},
      {"setRequiresGrad", SetRequiresGrad}, {"requiresGrad", RequiresGrad}, {"isLeaf", IsLeaf}, {"grad", Grad},
      {"setGrad", SetGrad}, {"retainGrad", RetainGrad}, {"backward", Backward},
      {"isGradEnabled", IsGradEnabled}, {"setGradEnabled", SetGradEnabled},
      {"generatorCreate", GeneratorCreate}, {"generatorDefault", GeneratorDefault},
      {"generatorRelease", GeneratorRelease}, {"generatorSeed", GeneratorSeed},
      {"generatorInitialSeed", GeneratorInitialSeed}, {"generatorGetState", GeneratorGetState},
      {"generatorSetState", GeneratorSetState},
      {"info", Info}, {"setNumThreads", SetNumThreads}, {"numThreads", NumThreads}, {"manualSeed", ManualSeed},
      {"benchConv3d", BenchConv3d}, {"releaseFreeHostMemory", ReleaseFreeHostMemory},
      {"processGroupCreate", ProcessGroupCreate}, {"processGroupAllReduce", ProcessGroupAllReduce},
      {"processGroupBroadcast", ProcessGroupBroadcast}, {"processGroupBarrier", ProcessGroupBarrier},
      {"processGroupDestroy", ProcessGroupDestroy}, {"distributedBackends", DistributedBackends},
  };
  for (const auto& [name, callback] : functions) exports.Set(name, Napi::Function::New(env, callback, name));
  return exports;
}

}  // namespace mrsynth

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return mrsynth::Init(env, exports); }

NODE_API_MODULE(mrsynth_native, InitModule)

/** The tensor engine: libtorch tensors with autograd, memory scopes and seeded generators. */
export { Tensor, callTensor, callTensors, callValue } from './tensor.js';
export type { Device, Scalar, Shape } from './tensor.js';
export { DTYPES, isFloatingPoint, BYTES_PER_ELEMENT } from './dtype.js';
export type { DType, TypedArrayOf, AnyTypedArray } from './dtype.js';
export { Op, op } from './dispatch.js';
export { tidy, keep, dispose } from './scope.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export { Generator, manualSeed } from './random.js';
export { ProcessGroup, distributedBackends } from './processGroup.js';
export type { CollectiveOptions, DistributedBackend, ProcessGroupOptions } from './processGroup.js';
export { runtimeInfo, setNumThreads, getNumThreads, memory, releaseFreeHostMemory, cudaAvailable } from './runtime.js';
export type { RuntimeInfo, MemoryInfo } from './runtime.js';
export * from './creation.js';
export * as F from './functional.js';

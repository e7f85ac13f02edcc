/**
 * The typed surface of the native addon (native/*.cc). Tensors and generators are integer handles owned by
 * this process's tensor table; everything above this file deals in `Tensor` objects, never raw handles.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';

export type Handle = number;

/** How the addon sets up host memory (MRSYNTH_HOST_ALLOCATOR); `balanced` when unset. */
export const HOST_ALLOCATORS = ['balanced', 'heap', 'default'] as const;
export type HostAllocator = (typeof HOST_ALLOCATORS)[number];

export interface NativeInfo {
  torchVersion: string;
  cxx11Abi: boolean;
  buildConfig: string;
  parallelInfo: string;
  numThreads: number;
  /** How the addon set up host memory allocation at load (MRSYNTH_HOST_ALLOCATOR). */
  hostAllocator: HostAllocator;
  mkldnn: boolean;
  cuda: boolean;
  cudaDevices: number;
}

export interface NativeBinding {
  opLookup(name: string, overload: string): number;
  opSchema(op: number): string;
  opCall(op: number, ...args: unknown[]): unknown;
  fromBuffer(data: ArrayBufferView, shape: readonly number[], dtype: number): Handle;
  toBuffer(handle: Handle): ArrayBuffer;
  pinnedView(handle: Handle): ArrayBuffer;
  meta(handle: Handle): [number, string, ...number[]];
  item(handle: Handle): number | boolean;
  release(handle: Handle): void;
  liveTensors(): number;
  externalBytes(): number;
  setRequiresGrad(handle: Handle, requires: boolean): void;
  requiresGrad(handle: Handle): boolean;
  isLeaf(handle: Handle): boolean;
  grad(handle: Handle): Handle | null;
  setGrad(handle: Handle, grad: Handle | null): void;
  retainGrad(handle: Handle): void;
  backward(handle: Handle, gradient: Handle | null, retainGraph: boolean | null, createGraph: boolean): void;
  isGradEnabled(): boolean;
  setGradEnabled(enabled: boolean): void;
  generatorCreate(device: string, seed: bigint): number;
  generatorDefault(device: string): number;
  generatorRelease(generator: number): void;
  generatorSeed(generator: number, seed: bigint): void;
  generatorInitialSeed(generator: number): bigint;
  generatorGetState(generator: number): Handle;
  generatorSetState(generator: number, state: Handle): void;
  info(): NativeInfo;
  setNumThreads(threads: number): void;
  numThreads(): number;
  manualSeed(seed: bigint): void;
  benchConv3d(inputShape: readonly number[], outChannels: number, dtype: number, backward: boolean, iterations: number): Float64Array;
  releaseFreeHostMemory(): boolean;
  processGroupCreate(masterAddr: string, masterPort: number, rank: number, worldSize: number, timeoutMs: number, iface: string, backend: string): number;
  processGroupAllReduce(group: number, handles: readonly Handle[], timeoutMs: number): void;
  processGroupBroadcast(group: number, handle: Handle, root: number, timeoutMs: number): void;
  processGroupBarrier(group: number, timeoutMs: number): void;
  processGroupDestroy(group: number): void;
  distributedBackends(): ("gloo" | "nccl")[];
}

function loadBinding(): NativeBinding {
  const root = packageRoot();
  const path = join(root, 'build', 'Release', 'mrsynth_native.node');
  if (!existsSync(path)) {
    throw new Error(`mrsynth: the native addon is not built (${path} is missing). ` +
      'Run `npm run build:native` (needs libtorch: `apt-get install libtorch-dev`, or LIBTORCH_DIR=<libtorch folder>).');
  }
  // OpenMP reads its settings when libtorch's libgomp loads, that is on the require below. By default its idle
  // workers spin for a while after every parallel region; between the many short operators of a network step
  // they then compete with the thread that issues the next operator. Sleeping instead measured, on 2 cores with
  // 2 threads, 0.63 s instead of 1.1 s per `cpu` training step and 1.45 s instead of 1.89 s per `paper` denoising
  // step at 64³ (bench:cwdm). A policy the user set is kept.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  // Read by the addon when it loads (native/addon.cc says what each choice does); checked here, where a bad
  // value can still be a clear error.
  const allocator = process.env.MRSYNTH_HOST_ALLOCATOR;
  if (allocator !== undefined && !(HOST_ALLOCATORS as readonly string[]).includes(allocator)) {
    throw new Error(`MRSYNTH_HOST_ALLOCATOR must be one of ${HOST_ALLOCATORS.join(', ')}, got '${allocator}'`);
  }
  const binding = createRequire(import.meta.url)(path) as NativeBinding;
  const threads = process.env.MRSYNTH_THREADS;
  if (threads !== undefined) {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 1) throw new Error(`MRSYNTH_THREADS must be a positive integer, got '${threads}'`);
    binding.setNumThreads(n);
  }
  return binding;
}

export const native: NativeBinding = loadBinding();

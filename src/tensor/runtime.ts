/** Runtime facts and settings of the linked libtorch: versions, threads, devices, memory. */
import { readFileSync } from 'node:fs';
import { native, type HostAllocator } from './native.js';

export interface RuntimeInfo {
  torchVersion: string;
  cxx11Abi: boolean;
  numThreads: number;
  hostAllocator: HostAllocator;
  blas: string;
  mkldnn: boolean;
  devices: string[];
  parallelInfo: string;
  buildConfig: string;
}

/** Which BLAS the process really loaded: Debian's libtorch links the generic libblas.so.3, which the
 *  alternatives system may point at OpenBLAS, BLIS or the reference BLAS. */
function loadedBlas(buildConfig: string): string {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const libraries = new Set(maps.split('\n').map((l) => l.split(/\s+/)[5]).filter((p) => p && /lib(open)?blas|libmkl|libblis/.test(p)));
    if (libraries.size > 0) return [...libraries].map((p) => p.replace(/^.*\//, '')).sort().join(', ');
  } catch { /* not Linux: fall back to the build configuration */ }
  return buildConfig.match(/BLAS_INFO=([^,\s]+)/)?.[1] ?? 'unknown';
}

export function runtimeInfo(): RuntimeInfo {
  const info = native.info();
  const devices = ['cpu', ...Array.from({ length: info.cudaDevices }, (_, i) => `cuda:${i}`)];
  return {
    torchVersion: info.torchVersion,
    cxx11Abi: info.cxx11Abi,
    numThreads: native.numThreads(),
    hostAllocator: info.hostAllocator,
    blas: loadedBlas(info.buildConfig),
    mkldnn: info.mkldnn,
    devices,
    parallelInfo: info.parallelInfo,
    buildConfig: info.buildConfig,
  };
}

/** Sets libtorch's intra-op thread count (defaults to all cores; MRSYNTH_THREADS overrides at start-up). */
export function setNumThreads(threads: number): void {
  native.setNumThreads(threads);
}

export function getNumThreads(): number {
  return native.numThreads();
}

export interface MemoryInfo {
  /** Live native tensor handles (weights, optimiser state and everything not yet disposed). */
  numTensors: number;
  /** Host bytes of the storages those handles reference, as reported to V8 (views counted once). */
  externalBytes: number;
}

export function memory(): MemoryInfo {
  return { numTensors: native.liveTensors(), externalBytes: native.externalBytes() };
}

/**
 * Returns the free host memory the allocator keeps to the system and says whether there was any. The default
 * (`balanced`) allocator keeps freed blocks for the next step's reuse, so resident memory includes free blocks
 * whose amount depends on fragmentation; after this call, what stays resident is memory in use. Useful before
 * measuring memory, or between phases (training, then sampling) of a long-lived process; each call costs the
 * page faults of bringing released memory back, so not once per step.
 */
export function releaseFreeHostMemory(): boolean {
  return native.releaseFreeHostMemory();
}

export function cudaAvailable(): boolean {
  return native.info().cuda;
}

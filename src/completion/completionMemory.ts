/**
 * How much memory completing one case needs, estimated from headers before any voxel is read, so that a case too
 * large for the machine is refused with advice instead of swapping or being killed minutes in.
 *
 * Measured (peak RSS of `complete` with the cWDM `cpu` and `tiny` networks at 64³, 96³ and 128³, this machine):
 * beyond a fixed ~0.3 GiB, completion holds about 50 float32 copies of one volume (the inputs as read and
 * preprocessed, the tensors, the sampler's state, the inverse and the written file), and each method adds what its
 * networks keep alive while sampling (SynthesisMethod.samplingMemory). The estimate rounds both up. Samples drawn
 * together in one batch add the networks' share of each further sample and its sampler state; the batch is the
 * largest that fits ({@link samplesThatFit}).
 */
import { effectiveAffine, readNiftiHeader } from '../io/nifti/index.js';
import { method } from '../methods/index.js';
import type { AnyRunConfig } from '../runs/index.js';
import { assert, formatGiB } from '../util/index.js';
import { voxelSizes } from '../volume/index.js';

/** Node, libtorch and the allocator's slack: ~0.3 GiB measured, rounded up. */
const RUNTIME_BYTES = 0.5 * 2 ** 30;
/** Float32 copies of one volume a completion holds at its peak: ~50 measured, rounded up. */
const VOLUME_COPIES = 64;
/** Float32 copies of the model grid each further sample of a batch holds while sampling: its latent, noise, x̂₀, the next step's latent and the network's output, rounded up. */
const BATCH_SAMPLE_COPIES = 8;

export interface CompletionMemoryEstimate {
  /** Voxels of the case's stored grid and of the model grid the runs preprocess it to (the larger of the runs'). */
  readonly voxels: number;
  readonly modelVoxels: number;
  readonly total: number;
}

/**
 * The estimate for a case whose first input is `path`, completed with `runs` in turn: all their weights (`weightBytes`,
 * loaded at once) and the largest run's sampling, `batch` samples at once.
 */
export async function estimateCompletionMemory(path: string, runs: readonly AnyRunConfig[], weightBytes: number, batch = 1): Promise<CompletionMemoryEstimate> {
  assert(Number.isInteger(batch) && batch >= 1, () => `estimateCompletionMemory: batch must be a positive integer, got ${batch}`);
  const header = await readNiftiHeader(path);
  const shape = header.dim.slice(1, 4);
  const voxels = shape.reduce((a, b) => a * b, 1);
  const spacing = voxelSizes(effectiveAffine(header));
  let modelVoxels = voxels;
  let network = 0;
  for (const config of runs) {
    const onModelGrid = modelGridVoxels(shape, spacing, config);
    modelVoxels = Math.max(modelVoxels, onModelGrid);
    network = Math.max(network, method(config.method).samplingMemory?.(config, onModelGrid, batch) ?? 0);
  }
  const samplerState = runs.length === 0 ? 0 : (batch - 1) * BATCH_SAMPLE_COPIES * 4 * modelVoxels;
  return { voxels, modelVoxels, total: RUNTIME_BYTES + weightBytes + VOLUME_COPIES * 4 * Math.max(voxels, modelVoxels) + network + samplerState };
}

/**
 * How many of `samples` to draw together: the most, up to `cap`, whose estimate fits `limit` (at least 1: a case whose
 * single sample does not fit was refused before). Batching changes a sample only by the kernels' rounding (each sample
 * draws from its own generator), and on a CPU saves about a quarter of the time per sample at the phantoms' grids.
 */
export async function samplesThatFit(path: string, runs: readonly AnyRunConfig[], weightBytes: number, limit: number,
  samples: number, cap = samples): Promise<number> {
  for (let batch = Math.min(samples, cap); batch > 1; batch--) {
    if ((await estimateCompletionMemory(path, runs, weightBytes, batch)).total <= limit) return batch;
  }
  return 1;
}

/**
 * Voxels of the model grid `config` makes of a stored grid of `shape` and voxel size `spacing`: a resampling scales
 * them, a pad to a fixed shape (which refuses or centre-crops what does not fit) or a window sets them. A crop or a pad
 * to multiples is taken as leaving them (a brain's box is smaller than its scan, its padding to 16 or 32 is not larger).
 */
function modelGridVoxels(shape: readonly number[], spacing: readonly number[], config: AnyRunConfig): number {
  let voxels = shape.reduce((a, b) => a * b, 1);
  for (const step of config.preprocess.steps) {
    if (step.kind === 'resample') {
      voxels = Math.ceil(shape.reduce((n, size, axis) => n * Math.ceil((size * Math.abs(spacing[axis])) / step.spacing[axis]), 1));
    } else if ((step.kind === 'pad' && 'shape' in step) || step.kind === 'window') {
      voxels = step.shape.reduce((a, b) => a * b, 1);
    }
  }
  return voxels;
}

/** Why a case estimated at `memory` is refused under `limit`; undefined when it fits. */
export function memoryRefusal(memory: CompletionMemoryEstimate, limit: number): string | undefined {
  if (memory.total <= limit) return undefined;
  return `would need about ${formatGiB(memory.total)} (${memory.voxels} voxels${memory.modelVoxels === memory.voxels ? ''
    : `, ${memory.modelVoxels} on the model grid`}), more than the ${formatGiB(limit)} allowed (--max-memory; default the machine's `
    + 'memory); use a run trained on a coarser grid (train --spacing), or raise --max-memory if the machine can give more';
}

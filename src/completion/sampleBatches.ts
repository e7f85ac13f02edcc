/** A synthesis's samples drawn in batches: which samples go together, and one batch drawn from each sample's own seed. */
import { tensorToVolumeData } from '../pipelines/index.js';
import { Generator, tidy, type Tensor } from '../tensor/index.js';
import { assert } from '../util/index.js';

export interface SampleBatch {
  /** The index of the batch's first sample. */
  readonly first: number;
  readonly size: number;
}

/** `samples` samples (indices from 0) in order, at most `batch` to a batch. */
export function sampleBatches(samples: number, batch: number): SampleBatch[] {
  assert(Number.isInteger(samples) && samples >= 1 && Number.isInteger(batch) && batch >= 1,
    () => `sampleBatches: samples and batch must be positive integers, got ${samples} and ${batch}`);
  return Array.from({ length: Math.ceil(samples / batch) }, (_, i) => ({ first: i * batch, size: Math.min(batch, samples - i * batch) }));
}

/**
 * One batch of samples as volume data: `draw` samples them, (N, 1, …spatial), given one generator per sample seeded
 * with `seeds` (so that each sample is its own draw, whatever its batch).
 */
export function drawSampleBatch(seeds: readonly bigint[], draw: (generators: readonly Generator[]) => Tensor): Float32Array[] {
  const generators = seeds.map((seed) => new Generator(seed));
  try {
    return tidy(() => {
      const images = draw(generators);
      return generators.map((_, i) => tensorToVolumeData(images, 0, i));
    });
  } finally {
    for (const generator of generators) generator.dispose();
  }
}

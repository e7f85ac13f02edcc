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

/** How a drawn sample is checked and finished before it is kept. */
export interface SampleFinish {
  /** The input's background (1 per voxel outside it), set to `floor` in every sample, as the model units' floor. */
  readonly background: Uint8Array;
  readonly floor: number;
  /** What was sampled, for the message when a sample is not finite ("sampling t1ce", "translating t1 into t2"). */
  readonly what: string;
  /** The weights that drew it ("RUN (FILE)"), which that message blames. */
  readonly weights: string;
}

/**
 * One batch of samples as volume data: `draw` samples them, (N, 1, …spatial), given one generator per sample seeded
 * with `seeds` (so that each sample is its own draw, whatever its batch). A sample with a NaN or infinite voxel is
 * refused (nothing of the case has been written yet); the others get the input's background.
 */
export function drawSampleBatch(seeds: readonly bigint[], draw: (generators: readonly Generator[]) => Tensor,
  finish: SampleFinish): Float32Array[] {
  const generators = seeds.map((seed) => new Generator(seed));
  let samples: Float32Array[];
  try {
    samples = tidy(() => {
      const images = draw(generators);
      return generators.map((_, i) => tensorToVolumeData(images, 0, i));
    });
  } finally {
    for (const generator of generators) generator.dispose();
  }
  for (const sample of samples) {
    const nonFinite = sample.reduce((n, value) => (Number.isFinite(value) ? n : n + 1), 0);
    assert(nonFinite === 0, () => `${finish.what} gave ${nonFinite} NaN or infinite voxel(s) of ${sample.length}: the weights of `
      + `${finish.weights} drive the network out of range, an extreme or damaged value; nothing was written`);
    for (let v = 0; v < sample.length; v++) if (finish.background[v]) sample[v] = finish.floor;
  }
  return samples;
}

/**
 * What the loss cannot show: one validation case synthesised end to end (DDIM, a few steps, fixed seed) and
 * scored inside the brain against its real target, in the model's [0, 1] units on the model grid.
 */
import { regionMasks } from '../metrics/index.js';
import { scoreRegions } from '../metrics/index.js';
import { parseSamplerSpec, tensorToVolumeData, type DiffusionPipeline } from '../pipelines/index.js';
import { Generator } from '../tensor/index.js';
import type { Volume } from '../volume/index.js';
import type { TrainingCase } from './trainingCases.js';

export interface SampledCaseScores {
  readonly case: string;
  /** Brain-masked PSNR (dB, data range 1) and SSIM. */
  readonly psnr: number;
  readonly ssim: number;
}

/** Samples `trainingCase` with the model's current weights (the caller swaps in the EMA ones) and scores it. */
export function sampledCaseScores(
  pipeline: DiffusionPipeline<unknown>, trainingCase: TrainingCase, options: { steps: number; seed: number },
): SampledCaseScores {
  const scheduler = pipeline.scheduler(parseSamplerSpec({ kind: 'ddim', steps: options.steps }));
  const generator = new Generator(options.seed);
  const wasTraining = pipeline.training;
  pipeline.eval();
  let predicted: Float32Array;
  try {
    const sample = pipeline.sample(trainingCase.batch.conditions, scheduler, { generator });
    predicted = tensorToVolumeData(sample);
    sample.dispose();
  } finally {
    pipeline.train(wasTraining);
    generator.dispose();
  }
  const grid = (data: Float32Array): Volume => ({ data, shape: trainingCase.shape, affine: new Float64Array(16) });
  const reference = tensorToVolumeData(trainingCase.batch.target);
  // Skull-stripped data normalised to [0, 1] keeps its background at exactly 0: the brain is the nonzero target.
  const masks = regionMasks(['brain'], reference, undefined, `sampledCaseScores(${trainingCase.id})`);
  const brain = scoreRegions(grid(predicted), grid(reference), masks, { dataRange: 1 }).get('brain')!;
  return { case: trainingCase.id, psnr: brain.psnr, ssim: brain.ssim };
}

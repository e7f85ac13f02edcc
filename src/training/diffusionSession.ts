/**
 * The training session of a diffusion model whose one trained network is its denoiser: each step is the pipeline's
 * training loss on the step's draws, and validation is the loss on fixed (case, t, noise) triples with the trained
 * and the averaged weights, the mean-coefficient baseline, and one validation case sampled with the averaged
 * weights (see fixedValidationSet.ts and sampledCaseScores.ts). cWDM's recipe is this; a latent diffusion stage
 * whose codec is frozen is this too.
 */
import type { DiffusionPipeline } from '../pipelines/index.js';
import { FixedValidationSet } from './fixedValidationSet.js';
import type { TrainingSession, ValidationOptions } from './recipe.js';
import { sampledCaseScores } from './sampledCaseScores.js';

export function diffusionSession(pipeline: DiffusionPipeline<unknown>, denoiser: string, options: ValidationOptions): TrainingSession {
  let fixed: { set: FixedValidationSet; baselineLoss: number } | undefined;
  return {
    step(batch, context) {
      const loss = pipeline.trainingLoss(batch, context.draws);
      const gradNorm = context.update(denoiser, loss);
      return { loss: loss.item(), ...(gradNorm !== undefined && { gradNorm }) };
    },
    validate(context) {
      if (fixed === undefined) {
        const set = new FixedValidationSet(context.cases, options.triples, context.splitSeed + 1);
        fixed = { set, baselineLoss: set.meanCoefficientLoss(pipeline, context.trainCases) };
      }
      const { set, baselineLoss } = fixed;
      const loss = set.loss(pipeline);
      const lossEma = context.averaged(() => set.loss(pipeline));
      const sample = options.sampleSteps > 0
        ? context.averaged(() => sampledCaseScores(pipeline, set.cases[0], { steps: options.sampleSteps, seed: context.splitSeed + 2 }))
        : undefined;
      return { loss, lossEma, baselineLoss, ...(sample && { sample }) };
    },
  };
}

/**
 * Validation loss that can be compared across a run: the training objective on a FIXED list of (case, t, noise)
 * triples. Each triple is a case and the seed of a generator made afresh for every evaluation, so the pipeline's
 * own draws of t and ε are the same every time; the seeds themselves come once from a dedicated seeded generator.
 * Without this, the loss would wander with the draw of t alone (x₀ is far easier to predict at small t).
 */
import type { DiffusionPipeline } from '../pipelines/index.js';
import { F, Generator, noGrad, randint, tidy } from '../tensor/index.js';
import { assert } from '../util/index.js';
import type { TrainingCase } from './trainingCases.js';

export interface ValidationTriple {
  readonly caseIndex: number;
  readonly seed: number;
}

export class FixedValidationSet {
  readonly triples: readonly ValidationTriple[];

  /** `count` triples cycling through `cases` (so each case weighs alike), seeds drawn from `seed`. */
  constructor(readonly cases: readonly TrainingCase[], count: number, seed: number) {
    assert(cases.length > 0, () => 'FixedValidationSet: got no cases');
    assert(Number.isInteger(count) && count > 0, () => `FixedValidationSet: count must be a positive integer, got ${count}`);
    const generator = new Generator(seed);
    try {
      const seeds = tidy(() => Array.from(randint(0, 2 ** 31, [count], { generator }).toTypedArray<'int64'>(), Number));
      this.triples = seeds.map((s, k) => ({ caseIndex: k % cases.length, seed: s }));
    } finally {
      generator.dispose();
    }
  }

  /** The mean training loss over the triples, without gradients and with the model in eval mode. */
  loss(pipeline: DiffusionPipeline<unknown>): number {
    const wasTraining = pipeline.training;
    pipeline.eval();
    try {
      let total = 0;
      for (const { caseIndex, seed } of this.triples) {
        const generator = new Generator(seed);
        try {
          total += noGrad(() => tidy(() => pipeline.trainingLoss(this.cases[caseIndex].batch, generator).item()));
        } finally {
          generator.dispose();
        }
      }
      return total / this.triples.length;
    } finally {
      pipeline.train(wasTraining);
    }
  }

  /**
   * The loss of predicting the mean clean coefficients of `trainCases` whatever the noisy input and the
   * conditions: the best input-blind predictor. When every case shares one grid (fixed-shape preprocessing) the
   * mean is taken per coefficient, a mean image that already knows where the anatomy usually is; otherwise per
   * band. It does not depend on t or ε, so it is each triple's squared deviation from that mean. A model below
   * it uses its inputs.
   */
  meanCoefficientLoss(pipeline: DiffusionPipeline<unknown>, trainCases: readonly TrainingCase[]): number {
    const shapeOf = (c: TrainingCase) => c.batch.target.shape.join(',');
    const oneGrid = [...trainCases, ...this.cases].every((c) => shapeOf(c) === shapeOf(trainCases[0]));
    return noGrad(() => tidy(() => {
      const cleans = trainCases.map((c) => pipeline.encode(c.batch.target));
      const mean = oneGrid
        ? F.cat(cleans, 0).mean(0, true)
        : F.stack(cleans.map((c) => c.sum([0, 2, 3, 4])), 0).sum(0)
          .div(cleans.reduce((n, c) => n + c.numel / c.shape[1], 0)).reshape([1, cleans[0].shape[1], 1, 1, 1]);
      let total = 0;
      for (const { caseIndex } of this.triples) {
        const clean = pipeline.encode(this.cases[caseIndex].batch.target);
        total += F.mseLoss(mean.expand(clean.shape), clean).item();
      }
      return total / this.triples.length;
    }));
  }
}

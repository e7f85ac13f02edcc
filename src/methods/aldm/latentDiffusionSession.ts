/**
 * ALDM's stage 3 for the generic trainer: the U-Net learns ε (the reference's objective, spec §3), the clean target
 * latent ('sample'), or what MS-SPADE's translation misses of it ('residual'), on the frozen first stage of its parent. Each sample draws an
 * ordered pair of distinct contrasts (source, target) per step; the U-Net sees [x_t ‖ z_source ‖ SPADE(z_source,
 * target)] (or [x_t ‖ SPADE(…)] with the paper's concatenation) with the target's class, all latents times the run's
 * latent scale, exactly as the sampler conditions it (aldmDenoiser.ts).
 *
 * The first stage is frozen and deterministic, so each case's quantised latents and the translations of every ordered
 * pair are computed once (`encodeCaseWithTranslations`, the plan's prepareCase).
 *
 * Validation: the loss on fixed (case, pair, t, noise) draws with the trained and the EMA weights, and the loss of
 * predicting zeros as the baseline (no noise, a latent of zeros, or for 'residual' MS-SPADE's translation as it is); the standard deviation of the
 * validation latents, the figure a latent scale of 1/std would divide by; with sampling steps, every ordered pair of
 * one validation case translated and scored (translationScores.ts).
 */
import type { AldmUNet, VQModel } from '../../models/aldm/index.js';
import type { Module } from '../../nn/index.js';
import { drawStepsAndNoise, type DiffusionBatch, type DiffusionSchedule } from '../../pipelines/index.js';
import { DDPMScheduler, parseDDPMSchedulerConfig } from '../../schedulers/index.js';
import { F, Generator, noGrad, tensor, tidy, type Tensor } from '../../tensor/index.js';
import type { StepResult, TrainingCase, TrainingSession, ValidationOptions } from '../../training/index.js';
import { assert } from '../../util/index.js';
import type { AldmConfig } from './aldmConfig.js';
import { AUTOENCODER, UNET, aldmPredictionType } from './aldmConfig.js';
import { translationScores } from './translationScores.js';
import { contrastsInClassOrder } from './autoencoderSession.js';
import { drawPairs, encodeCase } from './spadeSession.js';

/** Every ordered pair of distinct classes, target by target: the layout of the cached translations. */
export function orderedPairs(classes: number): { source: number; target: number }[] {
  const pairs: { source: number; target: number }[] = [];
  for (let target = 0; target < classes; target++) {
    for (let source = 0; source < classes; source++) if (source !== target) pairs.push({ source, target });
  }
  return pairs;
}

/**
 * A case's images (class order) → `target`: their quantised latents, contrast after contrast; `conditions`: the MS-SPADE
 * translation of every ordered pair, in `orderedPairs` order. Unscaled (the first stage's own units).
 */
export function encodeCaseWithTranslations(model: VQModel, batch: DiffusionBatch): DiffusionBatch {
  return tidy(() => {
    const encoded = encodeCase(model, batch);
    const latents = contrastsInClassOrder(encoded);
    const { zChannels } = model.config;
    const classes = latents.shape[1] / zChannels;
    const translations = orderedPairs(classes).map(({ source, target }) =>
      model.translate(latents.narrow(1, source * zChannels, zChannels).to(model.dtype), [target]).float());
    return { conditions: F.cat(translations, 1), target: latents };
  });
}

/** The U-Net's input latents and class for each sample's (source, target), scaled. */
function pairInputs(batch: DiffusionBatch, pairs: readonly { source: number; target: number }[], config: AldmConfig, scale: number) {
  const { zChannels } = config.autoencoder;
  const all = orderedPairs(config.contrasts.length);
  return tidy(() => {
    const pick = (t: Tensor, i: number, slot: number) => t.narrow(0, i, 1).narrow(1, slot * zChannels, zChannels);
    const clean = F.cat(pairs.map((p, i) => pick(batch.target, i, p.target)), 0).mul(scale);
    const source = F.cat(pairs.map((p, i) => pick(batch.target, i, p.source)), 0).mul(scale);
    const translated = F.cat(pairs.map((p, i) => pick(batch.conditions, i,
      all.findIndex((q) => q.source === p.source && q.target === p.target))), 0).mul(scale);
    const condition = config.unet.concat === 'paper' ? translated : F.cat([source, translated], 1);
    const classes = tensor(BigInt64Array.from(pairs, (p) => BigInt(p.target)));
    return { clean, condition, classes, translated };
  });
}

/** The standard deviation of the cases' quantised latents (every contrast, every voxel), unscaled. */
export function latentStandardDeviation(cases: readonly TrainingCase[]): number {
  return tidy(() => {
    const values = F.cat(cases.map((c) => c.batch.target.reshape([-1])), 0);
    return values.sub(values.mean()).square().mean().sqrt().item();
  });
}

export function latentDiffusionSession(networks: Readonly<Record<string, Module>>, config: AldmConfig, schedule: DiffusionSchedule,
  options: ValidationOptions): TrainingSession {
  assert(typeof config.latentScale !== 'string', () => 'latentDiffusionSession: the latent scale must be measured before training');
  const scale = config.latentScale ?? 1;
  const unet = networks[UNET] as AldmUNet;
  const scheduler = new DDPMScheduler(parseDDPMSchedulerConfig({ ...schedule }));
  const classes = config.contrasts.length;

  const predictionType = aldmPredictionType(config);
  assert((predictionType === 'epsilon') === (schedule.predictionType === 'epsilon'),
    () => `latentDiffusionSession: the U-Net learns '${predictionType}', but the schedule says '${schedule.predictionType}'`);
  /**
   * What the U-Net's output regresses: the noise, the clean latent, or ('residual') the clean latent less MS-SPADE's
   * translation, which the denoiser adds back when it samples (aldmDenoiser.ts).
   */
  const regressed = (inputs: { clean: Tensor; translated: Tensor }, noise: Tensor) => (predictionType === 'epsilon' ? noise
    : predictionType === 'residual' ? inputs.clean.sub(inputs.translated) : inputs.clean);
  /** The loss of the U-Net for these pairs, with these timesteps and noise. */
  const loss = (batch: DiffusionBatch, pairs: readonly { source: number; target: number }[], draw: (clean: Tensor) => { steps: Tensor; noise: Tensor }) =>
    tidy(() => {
      const inputs = pairInputs(batch, pairs, config, scale);
      const { clean, condition, classes: labels } = inputs;
      const { steps, noise } = draw(clean);
      const noisy = scheduler.addNoise(clean, noise, Array.from(steps.toTypedArray<'int64'>(), Number));
      const input = F.cat([noisy, condition], 1);
      return F.mseLoss(unet.forward(input.to(unet.dtype), steps, labels).float(), regressed(inputs, noise));
    });

  type FixedDraw = { case: TrainingCase; pair: { source: number; target: number }; seed: number };
  /** Fixed validation draws, drawn once from the split's seed, and the loss of an output of zeros on them (it never changes). */
  let fixed: { draws: FixedDraw[]; baselineLoss: number } | undefined;
  /** The mean over the fixed draws of `measure`, each given its draw's timesteps and noise afresh from its own seed. */
  const meanOverDraws = (draws: readonly FixedDraw[], measure: (draw: FixedDraw, stepsAndNoise: (clean: Tensor) => { steps: Tensor; noise: Tensor }) => number) =>
    noGrad(() => draws.reduce((sum, draw) => {
      const generator = new Generator(draw.seed);
      try {
        return sum + measure(draw, (clean) => drawStepsAndNoise(clean, generator, schedule.numTrainTimesteps));
      } finally {
        generator.dispose();
      }
    }, 0) / draws.length);
  const validationLoss = () => meanOverDraws(fixed!.draws, (draw, stepsAndNoise) => loss(draw.case.batch, [draw.pair], stepsAndNoise).item());

  return {
    step(batch, context): StepResult {
      const pairs = drawPairs(context.draws, batch.target.shape[0], classes);
      const value = loss(batch, pairs, (clean) => drawStepsAndNoise(clean, context.draws, schedule.numTrainTimesteps));
      context.update(UNET, value);
      return { loss: value.item() };
    },

    validate(context) {
      if (fixed === undefined) {
        const generator = new Generator(context.splitSeed + 1);
        let draws: FixedDraw[];
        try {
          draws = Array.from({ length: options.triples }, (_, i) => ({
            case: context.cases[i % context.cases.length],
            pair: drawPairs(generator, 1, classes)[0],
            seed: context.splitSeed * 1000 + i + 1,
          }));
        } finally {
          generator.dispose();
        }
        const baselineLoss = meanOverDraws(draws, (draw, stepsAndNoise) => tidy(() => {
          const inputs = pairInputs(draw.case.batch, [draw.pair], config, scale);
          return regressed(inputs, stepsAndNoise(inputs.clean).noise).square().mean().item();
        }));
        fixed = { draws, baselineLoss };
      }
      const trained = validationLoss();
      const averaged = context.averaged(validationLoss);
      const sampled = options.sampleSteps > 0 && context.cases[0].images !== undefined
        ? context.averaged(() => translationScores(unet, networks[AUTOENCODER] as VQModel, { ...config, latentScale: scale }, schedule, context.cases[0],
          { steps: options.sampleSteps, seed: context.splitSeed + 2 }))
        : undefined;
      return {
        loss: trained, lossEma: averaged, baselineLoss: fixed.baselineLoss, measures: { latentStd: latentStandardDeviation(context.cases) * scale },
        ...(sampled !== undefined && { translations: sampled }),
      };
    },
  };
}

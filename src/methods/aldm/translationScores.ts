/**
 * Stage 3's sampled validation: what the denoising loss cannot show. One validation case is translated with the U-Net's
 * current weights (the trainer swaps in the averaged ones) from each of the model's contrasts into each other — DDIM,
 * a few steps, η 0, a fixed seed per pair — decoded, and scored inside the brain against the real target on the model
 * grid, in the run's [−1, 1] units (PSNR's data range 2). Completion picks a case's source by these scores.
 */
import type { AldmUNet, VQModel } from '../../models/aldm/index.js';
import { regionMasks, scoreRegions } from '../../metrics/index.js';
import { DiffusionPipeline, tensorToVolumeData, type DiffusionSchedule } from '../../pipelines/index.js';
import type { SampledValidation, TranslationScore } from '../../runs/index.js';
import { Generator, noGrad, tidy } from '../../tensor/index.js';
import type { TrainingCase } from '../../training/index.js';
import type { Volume } from '../../volume/index.js';
import { aldmImageMultiple, aldmPredictionType, type AldmConfig } from './aldmConfig.js';
import { aldmCodec } from './aldmCodec.js';
import { AldmDenoiser } from './aldmDenoiser.js';
import { DATA_RANGE } from './brainPsnr.js';
import { contrastsInClassOrder } from './autoencoderSession.js';

export function translationScores(unet: AldmUNet, vqgan: VQModel, config: AldmConfig, schedule: DiffusionSchedule, validationCase: TrainingCase,
  options: { steps: number; seed: number }): Omit<SampledValidation, 'step'> {
  const { images } = validationCase;
  if (images === undefined) throw new Error(`translationScores: validation case ${validationCase.id} kept no images to score against`);
  const scale = typeof config.latentScale === 'number' ? config.latentScale : 1;
  // The session's own networks: the pipeline is only a view of them, never disposed here.
  const pipeline = new DiffusionPipeline(new AldmDenoiser(unet, vqgan, 0, { correctsTranslation: aldmPredictionType(config) === 'residual' }), aldmCodec(vqgan, aldmImageMultiple(config), scale),
    { schedule, targets: config.contrasts });
  const scheduler = pipeline.scheduler({ kind: 'ddim', steps: options.steps, eta: 0 });
  const wasTraining = unet.training;
  unet.eval();
  const scores: Record<string, Record<string, TranslationScore>> = {};
  try {
    noGrad(() => {
      const volumes = contrastsInClassOrder(images);
      try {
        config.contrasts.forEach((source, s) => {
          const encoded = pipeline.encodeConditions(volumes.narrow(1, s, 1));
          try {
            config.contrasts.forEach((target, t) => {
              if (t === s) return;
              const generator = new Generator(options.seed + s * config.contrasts.length + t);
              try {
                const predicted = tidy(() => tensorToVolumeData(pipeline.sample(encoded, scheduler, { generator, target })));
                const reference = tidy(() => tensorToVolumeData(volumes.narrow(1, t, 1)));
                (scores[target] ??= {})[source] = score(predicted, reference, validationCase);
              } finally {
                generator.dispose();
              }
            });
          } finally {
            encoded.dispose();
          }
        });
      } finally {
        volumes.dispose();
      }
    });
  } finally {
    unet.train(wasTraining);
  }
  return { case: validationCase.id, sampleSteps: options.steps, scores };
}

/** Brain-masked PSNR and SSIM; the brain is where the reference lies above the units' floor (skull-stripped data). */
function score(predicted: Float32Array, reference: Float32Array, c: TrainingCase): TranslationScore {
  // Shifted by the floor, the background is 0, as the brain mask and SSIM's masked form take it.
  const floor = reference.reduce((m, v) => Math.min(m, v), Number.POSITIVE_INFINITY);
  const volume = (data: Float32Array): Volume => ({ data: data.map((v) => v - floor), shape: c.shape, affine: new Float64Array(16) });
  const [pred, ref] = [volume(predicted), volume(reference)];
  const brain = scoreRegions(pred, ref, regionMasks(['brain'], ref.data, undefined, `translationScores(${c.id})`), { dataRange: DATA_RANGE }).get('brain')!;
  return { psnr: brain.psnr, ssim: brain.ssim };
}

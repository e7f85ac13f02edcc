/**
 * What an ALDM run's `methodConfig` is: the first stage (VQ-GAN with MS-SPADE), the latent U-Net, and the contrasts
 * the model translates between, in the order of their class labels (the reference's t1, t1ce, t2, flair = 0–3).
 */
import { CONTRASTS, type Contrast } from '../../data/index.js';
import {
  AUTOENCODER_PRESETS, ALDM_UNET_PRESETS, FAKE_CLASS_CHOICES, RECONSTRUCTION_LOSSES, aldmUNetSpatialMultiple, autoencoderSpatialMultiple, parseAldmUNetConfig, parseAutoencoderConfig,
  type AldmUNetConfig, type AutoencoderConfig, type FakeClass,
} from '../../models/aldm/index.js';
import type { RunSchedule } from '../../runs/index.js';
import { assert } from '../../util/index.js';

/** The method's registered name. */
export const ALDM = 'aldm';

/** The networks of an ALDM run, and the names their weights go by. */
export const UNET = 'unet';
export const AUTOENCODER = 'autoencoder';
/** The image PatchGAN of stage 1's GAN (training only: in checkpoints, not in a weights file). */
export const DISCRIMINATOR = 'discriminator';
/** Stage 1's code counts for re-seeding dead codes (training only: in checkpoints). */
export const CODE_USAGE = 'codeUsage';
/** Stage 2's trained network: the autoencoder's MS-SPADE, whose weights go into the autoencoder's file. */
export const SPADE = 'spade';

/** The reference's class order: its data loader numbers the BraTS contrasts so. */
export const REFERENCE_CONTRASTS: readonly Contrast[] = Object.freeze(['t1', 't1ce', 't2', 'flair']);

/** The reference's noise schedule: latent diffusion's scaled-linear β over 1000 steps, ε-prediction, its DDIM spacing. */
export const REFERENCE_SCHEDULE: RunSchedule = Object.freeze({
  betaSchedule: 'scaledLinear', numTrainTimesteps: 1000, predictionType: 'epsilon', timestepSpacing: 'ldm',
});

/**
 * What stage 3's U-Net can learn to predict: 'epsilon', the noise (the reference's); 'sample', the clean target latent
 * x₀; 'residual', x₀ as MS-SPADE's translation plus the U-Net's output, so that the U-Net learns only what the first
 * stage's translation misses (its zero-initialised head starts from that translation).
 */
export const ALDM_PREDICTION_TYPES = ['epsilon', 'sample', 'residual'] as const;
export type AldmPredictionType = (typeof ALDM_PREDICTION_TYPES)[number];

/** What the U-Net of a run of `config` predicts: its stage 3's choice; ε for an imported one. */
export function aldmPredictionType(config: AldmConfig): AldmPredictionType {
  const training = config.training;
  return training?.stage === 'diffusion' ? training.predictionType ?? 'epsilon' : 'epsilon';
}

/**
 * The schedule of a run of `config`: the reference's, with what its denoiser predicts for the samplers (x₀ for
 * 'residual' too: the denoiser adds the translation itself).
 */
export function aldmSchedule(config: AldmConfig): RunSchedule {
  return aldmPredictionType(config) === 'epsilon' ? REFERENCE_SCHEDULE : { ...REFERENCE_SCHEDULE, predictionType: 'sample' };
}

/** ALDM's training stages, in order: the VQ-GAN autoencoder (stage 1), MS-SPADE (stage 2), the latent diffusion U-Net (stage 3). */
export const ALDM_STAGES = ['autoencoder', 'spade', 'diffusion'] as const;
export type AldmStage = (typeof ALDM_STAGES)[number];

/** Stage 1: the autoencoder learns to reconstruct every contrast (one drawn per step); SPADE is not used. */
export interface AldmAutoencoderTraining {
  readonly stage: 'autoencoder';
  /** Weight of the quantiser's loss: 1 is taming's (the reference's released 0 leaves the codebook at its initialisation). */
  readonly codebookWeight: number;
  /**
   * The hinge GAN through the image PatchGAN, from step `start` on, its generator term weighted adaptively (taming's
   * ‖∇rec‖/‖∇G‖ at the decoder's last layer) times `weight` (the reference's disc_weight 0.8); null: L1 and codebook only.
   */
  readonly gan: { readonly start: number; readonly weight: number } | null;
  /**
   * Every this many steps, codes no encoding chose since the last time are re-seeded from that step's encoder outputs
   * (drawn with the step's generator), so that the codebook does not collapse onto a few codes; 0: never (the reference).
   */
  readonly reseedEvery: number;
  /**
   * The paper's perceptual loss (the reference code builds none): MONAI's MedicalNet distance between a volume and its
   * reconstruction, times `weight`, on the feature network in the weights file `network` (whose SHA-256 the run
   * records, so a resumed run refuses a changed file). Absent: off.
   */
  readonly perceptual?: { readonly weight: number; readonly network: string; readonly sha256: string };
  /**
   * The reconstruction term: absent, L1 (the reference's); 'mse', the squared error, which PSNR measures. Validation
   * reports the L1 either way, so runs trained on either compare.
   */
  readonly reconstructionLoss?: 'mse';
}

/**
 * Stage 2: MS-SPADE alone learns to turn a source's quantised latent into the target's, L1 in latent space, on the
 * frozen autoencoder of the run it is trained on top of (its parent).
 */
export interface AldmSpadeTraining {
  readonly stage: 'spade';
  /**
   * The latent PatchGAN (absent: off, as the reference's released config): from step `start`, MS-SPADE is also trained
   * to have its translation classified as the target contrast, times `weight`, while the discriminator learns real
   * target latents as their contrast and translations as `fakeClass` ('extra', its own class; 'zero', the reference's
   * code, which calls them t1).
   */
  readonly gan?: { readonly start: number; readonly weight: number; readonly fakeClass: FakeClass };
  /** The paper's cycle term (absent: off, as the reference code): L1 between z_s and SPADE(SPADE(z_s, t), s), times this. */
  readonly cycleWeight?: number;
  /**
   * What the translation is fitted to: absent, the target's latent by L1 (the reference's); 'decoded', the target image
   * by the squared error of the translation decoded through the frozen decoder, which is what PSNR measures.
   */
  readonly loss?: 'decoded';
}

/** What stage 2 fits MS-SPADE's translation to: the target's latent (the reference's), or the target image through the decoder. */
export const SPADE_LOSSES = ['latent', 'decoded'] as const;

/**
 * Stage 3: the U-Net learns to denoise on the frozen first stage (autoencoder and MS-SPADE) of its parent, conditioned
 * on a source's latent and its translation, for ordered pairs of distinct contrasts drawn per step.
 */
export interface AldmDiffusionTraining {
  readonly stage: 'diffusion';
  /**
   * What the U-Net learns to predict (`ALDM_PREDICTION_TYPES`): absent, ε (the reference's); 'sample', the clean target
   * latent x₀ (cWDM's objective); 'residual', x₀ less MS-SPADE's translation. The run's schedule records what the
   * denoiser gives the samplers (x₀ for both of the latter).
   */
  readonly predictionType?: 'sample' | 'residual';
}

export type AldmTraining = AldmAutoencoderTraining | AldmSpadeTraining | AldmDiffusionTraining;

export interface AldmConfig {
  readonly autoencoder: AutoencoderConfig;
  readonly unet: AldmUNetConfig;
  /** Class label k translates into contrasts[k]. */
  readonly contrasts: readonly Contrast[];
  /**
   * The U-Net's latents are the first stage's times this (latent diffusion's `scale_factor`): target, source and
   * translation alike; decoding divides it out. Absent: 1, the reference's (left out so that configs without it keep
   * their hash). 'measured': a new diffusion run's, until training measures it (1 / the latents' standard deviation
   * over the training cases) and records the number.
   */
  readonly latentScale?: number | 'measured';
  /** How a run trained here trains its stage; absent for an imported model. */
  readonly training?: AldmTraining;
}

export const ALDM_PRESET_NAMES = ['code', 'paper-unet', 'cpu', 'cpu-f2', 'tiny', 'reference-tiny'] as const;
export type AldmPresetName = (typeof ALDM_PRESET_NAMES)[number];

/** Each preset as the autoencoder and U-Net configs (or presets) it combines. */
const PRESETS: Readonly<Record<AldmPresetName, { autoencoder: unknown; unet: unknown }>> = {
  // The reference code's released configs (brats_vqgan_stage{1,2}.yaml, brats_ldm.yaml).
  code: { autoencoder: 'code', unet: 'code' },
  // The paper's U-Net (128 × [1, 2, 4], 2 blocks, attention at 2 and 4) on the code's first stage.
  'paper-unet': { autoencoder: 'code', unet: 'paper-unet' },
  // Narrower everywhere, for training on a few CPU cores.
  cpu: { autoencoder: 'cpu', unet: 'cpu' },
  // `cpu` with a latent grid half the image's instead of a quarter: for 2–3 mm scans (see autoencoderConfig.ts).
  'cpu-f2': { autoencoder: 'cpu-f2', unet: 'cpu-f2' },
  // For the test suite and quick checks: the fixture's layout with an 8-wide autoencoder and a 256-code book, so that a
  // whole train-and-sample round trip takes seconds; not a model to synthesise with.
  tiny: {
    autoencoder: { ...AUTOENCODER_PRESETS['reference-tiny'], ch: 8, numGroups: 4, nEmbed: 256 },
    unet: ALDM_UNET_PRESETS['reference-tiny'],
  },
  // The oracle fixture's modules (test-fixtures/aldm/README.md).
  'reference-tiny': { autoencoder: 'reference-tiny', unet: 'reference-tiny' },
};

/**
 * Accepts a preset name, `{ preset, autoencoder?, unet?, contrasts? }` (a part given as an object changes that part of
 * the preset, e.g. `{ preset: 'code', unet: { preset: 'code', concat: 'paper', inChannels: 8 } }`), or a complete
 * config as run.json holds it. With `conditions`, also checks that the run translates from one of the contrasts.
 */
export function parseAldmConfig(raw: unknown, conditions?: readonly Contrast[]): AldmConfig {
  const where = 'parseAldmConfig';
  const obj = typeof raw === 'string' ? { preset: raw } : raw;
  assert(typeof obj === 'object' && obj !== null && !Array.isArray(obj),
    () => `${where}: expected a preset name (${ALDM_PRESET_NAMES.join(', ')}) or a config object, got ${JSON.stringify(raw)}`);
  const given = obj as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    assert(['preset', 'autoencoder', 'unet', 'contrasts', 'latentScale', 'training'].includes(key),
      () => `${where}: unknown key '${key}'; expected preset, autoencoder, unet, contrasts, latentScale, training`);
  }
  let base: { autoencoder?: unknown; unet?: unknown } = {};
  if (given.preset !== undefined) {
    assert(typeof given.preset === 'string' && (ALDM_PRESET_NAMES as readonly string[]).includes(given.preset),
      () => `${where}: preset must be one of ${ALDM_PRESET_NAMES.join(', ')}, got ${JSON.stringify(given.preset)}`);
    base = PRESETS[given.preset as AldmPresetName];
  }
  const autoencoderRaw = given.autoencoder ?? base.autoencoder;
  const unetRaw = given.unet ?? base.unet;
  assert(autoencoderRaw !== undefined && unetRaw !== undefined, () => `${where}: give a preset, or both 'autoencoder' and 'unet'`);
  const contrasts = parseContrasts(given.contrasts ?? REFERENCE_CONTRASTS, `${where}: contrasts`);
  // A part taken from a preset, or changing one without naming its classes, has as many classes as the contrasts listed
  // (a preset with IXI's t1, t2, pd has 3).
  const fromPreset = (part: unknown) => part === undefined || (typeof part === 'object' && part !== null && 'preset' in part && !('numClasses' in part));
  const classes = (part: unknown) => (fromPreset(part) && given.contrasts !== undefined ? { numClasses: contrasts.length } : {});
  const autoencoder = parseAutoencoderConfig({ ...parseAutoencoderConfig(autoencoderRaw), ...classes(given.autoencoder) });
  const unet = parseAldmUNetConfig({ ...parseAldmUNetConfig(unetRaw), ...classes(given.unet) });
  assert(autoencoder.numClasses === contrasts.length && unet.numClasses === contrasts.length,
    () => `${where}: ${contrasts.length} contrasts (${contrasts.join(', ')}) need ${contrasts.length} classes, but the autoencoder's MS-SPADE has `
      + `${autoencoder.numClasses} and the U-Net ${unet.numClasses}`);
  assert(unet.outChannels === autoencoder.zChannels,
    () => `${where}: the U-Net denoises ${unet.outChannels}-channel latents, but the autoencoder makes ${autoencoder.zChannels}-channel ones`);
  assert(autoencoder.inChannels === 1 && autoencoder.outChannels === 1,
    () => `${where}: ALDM translates one contrast at a time: the autoencoder must take and give 1 channel, got ${autoencoder.inChannels} → ${autoencoder.outChannels}`);
  if (conditions !== undefined) {
    // A run imported for one task lists its source; a trained run lists every contrast but its default target.
    const foreign = conditions.find((c) => !contrasts.includes(c));
    assert(foreign === undefined, () => `methodConfig: the source ${foreign} is not one of the model's contrasts (${contrasts.join(', ')})`);
  }
  const training = given.training === undefined ? undefined : parseAldmTraining(given.training, `${where}: training`);
  const latentScale = given.latentScale ?? 1;
  assert(latentScale === 'measured' || (typeof latentScale === 'number' && Number.isFinite(latentScale) && latentScale > 0),
    () => `${where}: latentScale must be a number > 0 or 'measured', got ${JSON.stringify(given.latentScale)}`);
  return deepFreeze({ autoencoder, unet, contrasts, ...(latentScale !== 1 && { latentScale }), ...(training !== undefined && { training }) });
}

function parseAldmTraining(raw: unknown, where: string): AldmTraining {
  assert(typeof raw === 'object' && raw !== null && !Array.isArray(raw), () => `${where} must be an object, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  assert((ALDM_STAGES as readonly unknown[]).includes(r.stage), () => `${where}.stage must be one of ${ALDM_STAGES.join(', ')}, got ${JSON.stringify(r.stage)}`);
  if (r.stage === 'diffusion') {
    const extra = Object.keys(r).find((key) => key !== 'stage' && key !== 'predictionType');
    assert(extra === undefined, () => `${where}: unknown key '${extra}' for stage ${r.stage}; expected stage, predictionType`);
    assert(r.predictionType === undefined || r.predictionType === 'sample' || r.predictionType === 'residual',
      () => `${where}.predictionType must be 'sample', 'residual' or absent (ε, the reference's), got ${JSON.stringify(r.predictionType)}`);
    return { stage: r.stage, ...(r.predictionType !== undefined && { predictionType: r.predictionType as 'sample' | 'residual' }) };
  }
  if (r.stage === 'spade') return parseSpadeTraining(r, where);
  for (const key of Object.keys(r)) {
    assert(['stage', 'codebookWeight', 'gan', 'reseedEvery', 'perceptual', 'reconstructionLoss'].includes(key),
      () => `${where}: unknown key '${key}' for stage ${r.stage}; expected stage, codebookWeight, gan, reseedEvery, perceptual, reconstructionLoss`);
  }
  assert(typeof r.codebookWeight === 'number' && Number.isFinite(r.codebookWeight) && r.codebookWeight >= 0,
    () => `${where}.codebookWeight must be a number ≥ 0, got ${JSON.stringify(r.codebookWeight)}`);
  let gan: AldmAutoencoderTraining['gan'] = null;
  if (r.gan !== null) {
    const g = r.gan as Record<string, unknown>;
    assert(typeof g === 'object' && g !== null && Object.keys(g).every((k) => k === 'start' || k === 'weight'),
      () => `${where}.gan must be null or { start, weight }, got ${JSON.stringify(r.gan)}`);
    assert(Number.isInteger(g.start) && (g.start as number) >= 0, () => `${where}.gan.start must be a step ≥ 0, got ${JSON.stringify(g.start)}`);
    assert(typeof g.weight === 'number' && Number.isFinite(g.weight) && g.weight > 0, () => `${where}.gan.weight must be a number > 0, got ${JSON.stringify(g.weight)}`);
    gan = { start: g.start as number, weight: g.weight };
  }
  assert(Number.isInteger(r.reseedEvery) && (r.reseedEvery as number) >= 0,
    () => `${where}.reseedEvery must be a whole number of steps ≥ 0, got ${JSON.stringify(r.reseedEvery)}`);
  let perceptual: AldmAutoencoderTraining['perceptual'];
  if (r.perceptual !== undefined) {
    const p = r.perceptual as Record<string, unknown>;
    assert(typeof p === 'object' && p !== null && Object.keys(p).sort().join() === 'network,sha256,weight'
      && typeof p.weight === 'number' && Number.isFinite(p.weight) && p.weight > 0 && typeof p.network === 'string'
      && typeof p.sha256 === 'string' && /^[0-9a-f]{64}$/.test(p.sha256),
    () => `${where}.perceptual must be { weight > 0, network: a file, sha256: 64 hex digits }, got ${JSON.stringify(r.perceptual)}`);
    perceptual = { weight: p.weight as number, network: p.network as string, sha256: p.sha256 as string };
  }
  assert(r.reconstructionLoss === undefined || (RECONSTRUCTION_LOSSES as readonly unknown[]).includes(r.reconstructionLoss),
    () => `${where}.reconstructionLoss must be one of ${RECONSTRUCTION_LOSSES.join(', ')}, got ${JSON.stringify(r.reconstructionLoss)}`);
  // L1 is recorded as no key, so that the runs made before the choice existed keep their config hashes.
  const squared = r.reconstructionLoss === 'mse';
  return {
    stage: 'autoencoder', codebookWeight: r.codebookWeight, gan, reseedEvery: r.reseedEvery as number, ...(perceptual && { perceptual }),
    ...(squared && { reconstructionLoss: 'mse' as const }),
  };
}

/** Image axes must divide by this: the autoencoder's halvings, then the U-Net's. */
export function aldmImageMultiple(config: AldmConfig): number {
  return autoencoderSpatialMultiple(config.autoencoder) * aldmUNetSpatialMultiple(config.unet);
}

function parseSpadeTraining(r: Record<string, unknown>, where: string): AldmSpadeTraining {
  for (const key of Object.keys(r)) {
    assert(['stage', 'gan', 'cycleWeight', 'loss'].includes(key), () => `${where}: unknown key '${key}' for stage spade; expected stage, gan, cycleWeight, loss`);
  }
  let gan: AldmSpadeTraining['gan'];
  if (r.gan !== undefined) {
    const g = r.gan as Record<string, unknown>;
    assert(typeof g === 'object' && g !== null && Object.keys(g).sort().join() === 'fakeClass,start,weight'
      && Number.isInteger(g.start) && (g.start as number) >= 0 && typeof g.weight === 'number' && Number.isFinite(g.weight) && g.weight > 0
      && (FAKE_CLASS_CHOICES as readonly unknown[]).includes(g.fakeClass),
    () => `${where}.gan must be { start: a step ≥ 0, weight > 0, fakeClass: ${FAKE_CLASS_CHOICES.join(' or ')} }, got ${JSON.stringify(r.gan)}`);
    gan = { start: g.start as number, weight: g.weight, fakeClass: g.fakeClass as FakeClass };
  }
  assert(r.cycleWeight === undefined || (typeof r.cycleWeight === 'number' && Number.isFinite(r.cycleWeight) && r.cycleWeight > 0),
    () => `${where}.cycleWeight must be a number > 0, got ${JSON.stringify(r.cycleWeight)}`);
  // The latent loss is recorded as no key, so that the runs made before the choice existed keep their config hashes.
  assert(r.loss === undefined || r.loss === 'decoded', () => `${where}.loss must be 'decoded' or absent (the latent L1, the reference's), got ${JSON.stringify(r.loss)}`);
  return {
    stage: 'spade', ...(gan && { gan }), ...(r.cycleWeight !== undefined && { cycleWeight: r.cycleWeight as number }),
    ...(r.loss === 'decoded' && { loss: 'decoded' as const }),
  };
}

function parseContrasts(raw: unknown, where: string): Contrast[] {
  assert(Array.isArray(raw) && raw.length >= 2 && raw.every((c) => (CONTRASTS as readonly unknown[]).includes(c)) && new Set(raw).size === raw.length,
    () => `${where} must list at least two distinct contrasts of ${CONTRASTS.join(', ')}, got ${JSON.stringify(raw)}`);
  return [...raw] as Contrast[];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

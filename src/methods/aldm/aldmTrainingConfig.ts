/**
 * How an ALDM training run's config is made: the roles (the data set's contrasts in class order) and the flags of each
 * stage (`methodOptions`), over the config a resumed run recorded. Validated here, once; parseAldmConfig checks the
 * result as it checks any run's config.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { canonicalOrder, type Dataset, type Contrast } from '../../data/index.js';
import { FAKE_CLASS_CHOICES, RECONSTRUCTION_LOSSES, type FakeClass, type ReconstructionLoss } from '../../models/aldm/index.js';
import { isPresetChanges, type ConditionalRoles, type MethodOption } from '../../training/index.js';
import { assert } from '../../util/index.js';
import {
  ALDM_PREDICTION_TYPES, ALDM_STAGES, SPADE_LOSSES, parseAldmConfig, type AldmAutoencoderTraining, type AldmConfig, type AldmPredictionType, type AldmSpadeTraining,
  type AldmTraining,
} from './aldmConfig.js';

/**
 * Steps between re-seedings of unused codes: at the cpu preset's 3 mm grid a window holds about 300,000 code choices,
 * so a code none of them took is dead, not rare.
 */
const DEFAULT_RESEED_EVERY = 100;
/**
 * The latent GAN's weight in stage 2 (the reference's is 0): its cross-entropy starts near log 5 ≈ 1.6 where the latent
 * L1 is a few tenths, so 0.1 keeps L1 the main term.
 */
const DEFAULT_LATENT_GAN_WEIGHT = 0.1;
/** The flags each stage takes. */
const STAGE_OPTIONS: Readonly<Record<AldmTraining['stage'], readonly string[]>> = {
  autoencoder: ['codebook-weight', 'reconstruction-loss', 'gan-start', 'gan-weight', 'reseed-every', 'perceptual', 'perceptual-weight'],
  spade: ['gan-start', 'gan-weight', 'fake-class', 'cycle-weight', 'spade-loss'],
  diffusion: ['latent-scale', 'prediction-type'],
};
/** taming's perceptual weight. */
const DEFAULT_PERCEPTUAL_WEIGHT = 1;
/** The reference's discriminator weight (disc_weight), multiplying the adaptive weight. */
const DEFAULT_GAN_WEIGHT = 0.8;

/** The data set's contrasts in canonical (= class) order; the last is the run's default target. */
export function aldmRoles(dataset: Pick<Dataset, 'root' | 'contrasts'>, target: Contrast | undefined): ConditionalRoles {
  assert(target === undefined, () => `aldmRoles: an ALDM model learns every target among ${dataset.contrasts.join(', ')}; it takes no target `
    + `(got ${target}); choose the task when translating`);
  const contrasts = canonicalOrder(dataset.contrasts);
  assert(contrasts.length >= 2, () => `aldmRoles: ${dataset.root} has ${contrasts.length === 0 ? 'no contrast' : `only ${contrasts[0]}`}; `
    + 'ALDM translates between at least two');
  return { target: contrasts[contrasts.length - 1], conditions: contrasts.slice(0, -1) };
}

/** The model's contrasts as the roles list them: conditions then target, which is class order. */
export function roleContrasts(roles: ConditionalRoles): Contrast[] {
  return [...roles.conditions, roles.target];
}

export const METHOD_OPTIONS: readonly MethodOption[] = [
  { name: 'stage', description: `the stage to train: ${ALDM_STAGES.join(', ')} (default autoencoder for a new run)`, choices: ALDM_STAGES },
  {
    name: 'codebook-weight', description: 'stage 1: weight of the quantiser\'s loss (default 1, taming\'s; the reference\'s released 0 never moves the codebook)',
    parse: (value, flag) => nonNegative(value, flag),
  },
  {
    name: 'reconstruction-loss', description: 'stage 1: the reconstruction term, l1 (default, the reference\'s) or mse (the squared error '
      + 'PSNR measures; for example a further cycle of an L1-trained autoencoder, as Stable Diffusion\'s MSE-fine-tuned decoder)',
    choices: RECONSTRUCTION_LOSSES,
  },
  {
    name: 'gan-start', description: 'stages 1 and 2: train the PatchGAN (stage 1: on images, its hinge generator term adaptively weighted; '
      + 'stage 2: on latents, classifying contrasts) and add its generator term from this step on (default: no GAN)',
    parse: (value, flag) => {
      const n = Number(value);
      assert(value.trim() !== '' && Number.isInteger(n) && n >= 0, () => `${flag} must be a step ≥ 0, got '${value}'`);
      return n;
    },
  },
  {
    name: 'reseed-every', description: `stage 1: re-seed the codes unused for this many steps from encoder outputs, 0 never (default ${DEFAULT_RESEED_EVERY}; the reference never does)`,
    parse: (value, flag) => {
      const n = Number(value);
      assert(value.trim() !== '' && Number.isInteger(n) && n >= 0, () => `${flag} must be a whole number of steps ≥ 0, got '${value}'`);
      return n;
    },
  },
  {
    name: 'latent-scale', description: 'stage 3: the U-Net\'s latents are the first stage\'s times this (default: 1 / their standard '
      + 'deviation over the training cases, measured when a new run starts and recorded; 1 is the reference\'s)',
    parse: (value, flag) => {
      const n = nonNegative(value, flag);
      assert(n > 0, () => `${flag} must be > 0, got '${value}'`);
      return n;
    },
  },
  {
    name: 'prediction-type', description: 'stage 3: what the U-Net learns to predict, epsilon (the noise; default, the reference\'s), sample '
      + '(the clean target latent, as cWDM learns its wavelet coefficients) or residual (the clean latent less MS-SPADE\'s translation: '
      + 'it starts from the first stage\'s translation and learns what that misses), recorded in the run',
    choices: ALDM_PREDICTION_TYPES,
  },
  {
    name: 'perceptual', description: 'stage 1: add the paper\'s perceptual loss on this 3D feature network (a weights file from mrsynth convert '
      + '--feature-network medicalnet-resnet10; mrsynth downloads nothing), as MONAI\'s PerceptualLoss computes it (default: off)',
  },
  {
    name: 'perceptual-weight', description: `stage 1: the perceptual loss's weight (default ${DEFAULT_PERCEPTUAL_WEIGHT}, taming's)`,
    parse: (value, flag) => {
      const n = nonNegative(value, flag);
      assert(n > 0, () => `${flag} must be > 0, got '${value}'`);
      return n;
    },
  },
  {
    name: 'fake-class', description: 'stage 2: the class the latent discriminator learns translations as: extra (its own, default) or zero (the '
      + 'reference\'s code, which calls them t1)', choices: FAKE_CLASS_CHOICES,
  },
  {
    name: 'spade-loss', description: 'stage 2: what MS-SPADE\'s translation is fitted to, latent (the target\'s latent by L1; default, the '
      + 'reference\'s) or decoded (the target image by the squared error of the translation decoded through the frozen decoder, which PSNR '
      + 'measures; a decoder pass and its backward per step)',
    choices: SPADE_LOSSES,
  },
  {
    name: 'cycle-weight', description: 'stage 2: add the paper\'s cycle term, L1 between z_s and SPADE(SPADE(z_s, t), s), times this (default: off, as the reference code)',
    parse: (value, flag) => {
      const n = nonNegative(value, flag);
      assert(n > 0, () => `${flag} must be > 0, got '${value}'`);
      return n;
    },
  },
  {
    name: 'gan-weight', description: `the GAN term's weight: stage 1 on top of the adaptive one (default ${DEFAULT_GAN_WEIGHT}, the reference's `
      + `disc_weight), stage 2 (default ${DEFAULT_LATENT_GAN_WEIGHT})`,
    parse: (value, flag) => {
      const n = nonNegative(value, flag);
      assert(n > 0, () => `${flag} must be > 0, got '${value}'`);
      return n;
    },
  },
];

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  assert(value.trim() !== '' && Number.isFinite(n) && n >= 0, () => `${flag} must be a number ≥ 0, got '${value}'`);
  return n;
}
/**
 * The run's config: a preset (a new run) takes the roles' contrasts and the stage the options ask for; a recorded
 * config (a resumed run) keeps its own, and the options given must agree with it (the trainer compares the two).
 */
export function parseTrainingConfig(raw: unknown, roles: ConditionalRoles, options: Readonly<Record<string, unknown>> = {}): AldmConfig {
  const contrasts = roleContrasts(roles);
  // A preset's name or changes to a preset make a new run's networks; anything else is a run's recorded config.
  const changes = isPresetChanges(raw) ? raw : undefined;
  assert(changes === undefined || (changes.training === undefined && changes.latentScale === undefined), () => 'train aldm: a config\'s '
    + `changes give the networks only (preset, autoencoder, unet, contrasts); the stage's training is set by its flags, got ${Object.keys(changes!).join(', ')}`);
  const recorded = typeof raw === 'string' || changes !== undefined ? undefined : parseAldmConfig(raw, roles.conditions);
  const base = recorded ?? parseAldmConfig(changes === undefined ? { preset: raw, contrasts } : { contrasts, ...changes });
  assert(base.contrasts.join() === contrasts.join(), () => `train aldm: the model's contrasts are ${base.contrasts.join(', ')}, `
    + `but the data set's are ${contrasts.join(', ')}`);
  const stage = (options.stage ?? recorded?.training?.stage ?? 'autoencoder') as AldmTraining['stage'];
  const latentScale = options['latent-scale'] as number | undefined;
  const stray = Object.keys(options).find((name) => name !== 'stage' && !STAGE_OPTIONS[stage].includes(name));
  assert(stray === undefined, () => `train aldm: --${stray} is not an option of stage ${stage} (its options: `
    + `${STAGE_OPTIONS[stage].map((name) => `--${name}`).join(', ')})`);
  if (stage === 'spade') {
    const previous = recorded?.training?.stage === 'spade' ? recorded.training : undefined;
    return parseAldmConfig({ ...base, training: spadeTraining(options, previous) }, roles.conditions);
  }
  if (stage === 'diffusion') {
    // A new diffusion run measures its latent scale unless given one; a recorded run keeps its own.
    const previous = recorded?.training?.stage === 'diffusion' ? recorded.training : undefined;
    const scale = latentScale ?? (previous !== undefined ? base.latentScale : 'measured');
    const predictionType = (options['prediction-type'] as AldmPredictionType | undefined) ?? previous?.predictionType ?? 'epsilon';
    const training = { stage, ...(predictionType !== 'epsilon' && { predictionType }) };
    return parseAldmConfig({ ...base, ...(scale !== undefined && { latentScale: scale }), training }, roles.conditions);
  }
  const previous = recorded?.training?.stage === stage ? recorded.training as AldmAutoencoderTraining : undefined;
  const ganStart = (options['gan-start'] as number | undefined) ?? previous?.gan?.start;
  const ganWeight = (options['gan-weight'] as number | undefined) ?? previous?.gan?.weight;
  assert(ganWeight === undefined || ganStart !== undefined, () => 'train aldm: --gan-weight weighs the GAN, which --gan-start turns on');
  const training: AldmTraining = {
    stage,
    codebookWeight: (options['codebook-weight'] as number | undefined) ?? previous?.codebookWeight ?? 1,
    gan: ganStart === undefined ? null : { start: ganStart, weight: ganWeight ?? DEFAULT_GAN_WEIGHT },
    reseedEvery: (options['reseed-every'] as number | undefined) ?? previous?.reseedEvery ?? DEFAULT_RESEED_EVERY,
    ...perceptualOf(options, previous),
    ...(((options['reconstruction-loss'] as ReconstructionLoss | undefined) ?? previous?.reconstructionLoss) === 'mse' && { reconstructionLoss: 'mse' as const }),
  };
  return parseAldmConfig({ ...base, training }, roles.conditions);
}

/** The perceptual term the options ask for (a new network file is read and hashed now), or the recorded one. */
function perceptualOf(options: Readonly<Record<string, unknown>>, previous: AldmAutoencoderTraining | undefined): Pick<AldmAutoencoderTraining, 'perceptual'> {
  const file = options.perceptual as string | undefined;
  const weight = options['perceptual-weight'] as number | undefined;
  assert(weight === undefined || file !== undefined || previous?.perceptual !== undefined,
    () => 'train aldm: --perceptual-weight weighs the perceptual loss, which --perceptual FILE turns on');
  if (file === undefined) {
    return previous?.perceptual === undefined ? {} : { perceptual: { ...previous.perceptual, ...(weight !== undefined && { weight }) } };
  }
  const network = resolve(file);
  return { perceptual: { weight: weight ?? previous?.perceptual?.weight ?? DEFAULT_PERCEPTUAL_WEIGHT, network, sha256: sha256(readFeatureFile(network)) } };
}

export function readFeatureFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`train aldm: cannot read the perceptual loss's feature network ${path} (${(error as Error).message})`, { cause: error });
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Stage 2's GAN and cycle term from the options, over the recorded ones. */
function spadeTraining(options: Readonly<Record<string, unknown>>, previous: AldmSpadeTraining | undefined): AldmSpadeTraining {
  const start = (options['gan-start'] as number | undefined) ?? previous?.gan?.start;
  const weight = (options['gan-weight'] as number | undefined) ?? previous?.gan?.weight;
  const fakeClass = (options['fake-class'] as FakeClass | undefined) ?? previous?.gan?.fakeClass;
  assert((weight === undefined && fakeClass === undefined) || start !== undefined,
    () => `train aldm: --${weight !== undefined ? 'gan-weight' : 'fake-class'} belongs to the latent GAN, which --gan-start turns on`);
  const cycleWeight = (options['cycle-weight'] as number | undefined) ?? previous?.cycleWeight;
  const loss = (options['spade-loss'] as (typeof SPADE_LOSSES)[number] | undefined) ?? previous?.loss ?? 'latent';
  return {
    stage: 'spade',
    ...(start !== undefined && { gan: { start, weight: weight ?? DEFAULT_LATENT_GAN_WEIGHT, fakeClass: fakeClass ?? 'extra' } }),
    ...(cycleWeight !== undefined && { cycleWeight }),
    ...(loss === 'decoded' && { loss }),
  };
}


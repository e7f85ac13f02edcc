/**
 * ALDM's training recipe for the generic trainer (training/trainer.ts). A run trains one stage (`--stage`), recorded in
 * its methodConfig's `training`: stage 1, `autoencoder`, trains the VQ-GAN on every contrast of the data set (and,
 * with `--gan-start`, its image PatchGAN); stage 2, `spade`, trains MS-SPADE on top of a stage-1 run (`--parent`),
 * whose autoencoder it inherits frozen. One model serves every contrast, so a run has no target of its own: the
 * roles list the data set's contrasts in class order, the last as run.json's `target` (the default task) and the
 * others as its `conditions`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { canonicalOrder, type Dataset, type Contrast } from '../../data/index.js';
import { decodeSafetensors } from '../../io/safetensors/index.js';
import { PerceptualLoss } from '../../models/medicalNet/index.js';
import {
  AldmUNet, FAKE_CLASS_CHOICES, SpadeGenerator, VQModel, autoencoderSpatialMultiple, imageDiscriminator, latentDiscriminator, type FakeClass,
  type NLayerDiscriminator,
} from '../../models/aldm/index.js';
import type { Module } from '../../nn/index.js';
import type { RunSchedule } from '../../runs/index.js';
import {
  trainingPreprocessConfig, type ConditionalRoles, type MethodOption, type TrainingMemoryEstimate, type TrainingPlan, type TrainingRecipe,
} from '../../training/index.js';
import { assert } from '../../util/index.js';
import {
  ALDM, ALDM_PRESET_NAMES, ALDM_STAGES, AUTOENCODER, CODE_USAGE, DISCRIMINATOR, REFERENCE_SCHEDULE, SPADE, UNET, aldmImageMultiple, parseAldmConfig,
  type AldmAutoencoderTraining, type AldmConfig, type AldmSpadeTraining, type AldmTraining,
} from './aldmConfig.js';
import { autoencoderSession } from './autoencoderSession.js';
import { CodeUsage } from './codeUsage.js';
import { encodeCase, spadeSession } from './spadeSession.js';
import { encodeCaseWithTranslations, latentDiffusionSession, latentStandardDeviation } from './latentDiffusionSession.js';

/** Weight files of a stage-1 run: the autoencoder, as `convert --part autoencoder` writes it too. */
const AUTOENCODER_FILE = 'autoencoder.safetensors';
/** A diffusion run's U-Net (its EMA), the run's main file. */
const UNET_FILE = 'unet.safetensors';
/** taming's and the reference's Adam for a GAN's two players: β = (0.5, 0.9). */
const GAN_BETAS = [0.5, 0.9] as const;
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
  autoencoder: ['codebook-weight', 'gan-start', 'gan-weight', 'reseed-every', 'perceptual', 'perceptual-weight'],
  spade: ['gan-start', 'gan-weight', 'fake-class', 'cycle-weight'],
  diffusion: ['latent-scale'],
};
/** taming's perceptual weight. */
const DEFAULT_PERCEPTUAL_WEIGHT = 1;
/** The reference's discriminator weight (disc_weight), multiplying the adaptive weight. */
const DEFAULT_GAN_WEIGHT = 0.8;

/**
 * Learning rates by stage and preset. The reference's 4e-5 (stages 1 and 3) and 8e-5 (stage 2) are its base rates ×
 * batch 4, for hundreds of epochs; `cpu` takes 1e-4 (stage 1) and 2e-4 for runs of thousands of steps, `tiny`
 * (tests, seconds) 1e-3.
 */
const LEARNING_RATES: Readonly<Record<AldmTraining['stage'], Readonly<Record<string, number>>>> = {
  autoencoder: { code: 4e-5, 'paper-unet': 4e-5, cpu: 1e-4, tiny: 1e-3, 'reference-tiny': 1e-3 },
  spade: { code: 8e-5, 'paper-unet': 8e-5, cpu: 2e-4, tiny: 1e-3, 'reference-tiny': 1e-3 },
  diffusion: { code: 4e-5, 'paper-unet': 4e-5, cpu: 2e-4, tiny: 1e-3, 'reference-tiny': 1e-3 },
};

/**
 * Bytes autograd keeps per image voxel and per unit of the autoencoder's base width `ch` in a stage-1 step (encoder,
 * quantiser, decoder, L1, backward): measured with `npm run bench:aldm` as the growth of peak RSS between image sizes,
 * 10.1 kB per voxel for `code` (ch 64, 48×64×48 → 72×96×72) and 4.0 kB for `cpu` (ch 32): about 160 bytes per unit of
 * ch, rounded up to cover the PatchGAN's pass when the GAN is on.
 */
const ACTIVATION_BYTES_PER_VOXEL_PER_CH = 180;
/** Gradient and AdamW's two moments: three more copies of the trained weights; in bf16 a bfloat16 copy and its gradient. */
const WEIGHT_COPIES = 3;
const RUNTIME_BYTES = 0.5 * 2 ** 30;
/**
 * Bytes autograd keeps in a U-Net training step per latent voxel and per unit of its base width: the `code` U-Net
 * (128 wide) peaked at 2.8 GB at the 36×48×36 latent in `bench/aldm-vs-pytorch.sh`, about 32 kB per latent voxel with
 * weights and optimiser included; 250 bytes per unit of width keeps the estimate on the safe side.
 */
const UNET_ACTIVATION_BYTES_PER_LATENT_VOXEL_PER_CHANNEL = 250;

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
function roleContrasts(roles: ConditionalRoles): Contrast[] {
  return [...roles.conditions, roles.target];
}

const METHOD_OPTIONS: readonly MethodOption[] = [
  { name: 'stage', description: `the stage to train: ${ALDM_STAGES.join(', ')} (default autoencoder for a new run)`, choices: ALDM_STAGES },
  {
    name: 'codebook-weight', description: 'stage 1: weight of the quantiser\'s loss (default 1, taming\'s; the reference\'s released 0 never moves the codebook)',
    parse: (value, flag) => nonNegative(value, flag),
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
function parseTrainingConfig(raw: unknown, roles: ConditionalRoles, options: Readonly<Record<string, unknown>> = {}): AldmConfig {
  const contrasts = roleContrasts(roles);
  const recorded = typeof raw === 'string' ? undefined : parseAldmConfig(raw, roles.conditions);
  const base = recorded ?? parseAldmConfig({ preset: raw, contrasts });
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
    const scale = latentScale ?? (stage === 'diffusion' && recorded?.training?.stage !== 'diffusion' ? 'measured' : base.latentScale);
    return parseAldmConfig({ ...base, ...(scale !== undefined && { latentScale: scale }), training: { stage } }, roles.conditions);
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

function readFeatureFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`train aldm: cannot read the perceptual loss's feature network ${path} (${(error as Error).message})`, { cause: error });
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The run's feature network, checked against the SHA-256 the run recorded. */
function loadPerceptualLoss(perceptual: NonNullable<AldmAutoencoderTraining['perceptual']>): PerceptualLoss {
  const bytes = readFeatureFile(perceptual.network);
  const found = sha256(bytes);
  assert(found === perceptual.sha256, () => `train aldm: the perceptual loss's feature network ${perceptual.network} changed since the run `
    + `started (SHA-256 ${found}, recorded ${perceptual.sha256}); restore that file, or start a new run`);
  return PerceptualLoss.fromWeights(decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), perceptual.network),
    perceptual.network);
}

/** Stage 2's GAN and cycle term from the options, over the recorded ones. */
function spadeTraining(options: Readonly<Record<string, unknown>>, previous: AldmSpadeTraining | undefined): AldmSpadeTraining {
  const start = (options['gan-start'] as number | undefined) ?? previous?.gan?.start;
  const weight = (options['gan-weight'] as number | undefined) ?? previous?.gan?.weight;
  const fakeClass = (options['fake-class'] as FakeClass | undefined) ?? previous?.gan?.fakeClass;
  assert((weight === undefined && fakeClass === undefined) || start !== undefined,
    () => `train aldm: --${weight !== undefined ? 'gan-weight' : 'fake-class'} belongs to the latent GAN, which --gan-start turns on`);
  const cycleWeight = (options['cycle-weight'] as number | undefined) ?? previous?.cycleWeight;
  return {
    stage: 'spade',
    ...(start !== undefined && { gan: { start, weight: weight ?? DEFAULT_LATENT_GAN_WEIGHT, fakeClass: fakeClass ?? 'extra' } }),
    ...(cycleWeight !== undefined && { cycleWeight }),
  };
}

/** Refuses a grid on which the PatchGAN (if the stage has one) would have no logit left: it judges images or latents (image / reduction). */
function checkDiscriminatorFits(discriminator: NLayerDiscriminator | undefined, imageShape: readonly number[], what: 'image' | 'latent',
  reduction: number): void {
  if (discriminator === undefined) return;
  const sizes = imageShape.map((n) => n / reduction);
  const least = discriminator.minimumInputSize;
  assert(sizes.every((n) => n >= least), () => `train aldm: the ${what} PatchGAN needs ${what}s of at least ${least} voxels per axis `
    + `(${discriminator.strideTwoLayers} halvings and two shortenings), but this data set's ${what}s are ${sizes.join('×')}`
    + `${what === 'latent' ? ` (images of ${imageShape.join('×')})` : ''}; train without --gan-start, or on a finer grid`);
}

function stageOf(config: AldmConfig): AldmTraining {
  assert(config.training !== undefined, () => 'train aldm: the config names no training stage');
  return config.training;
}

function plan(config: AldmConfig, schedule: RunSchedule): TrainingPlan {
  const training = stageOf(config);
  if (training.stage === 'autoencoder') return autoencoderPlan(config, training);
  return training.stage === 'spade' ? spadePlan(config, training) : diffusionPlan(config, schedule);
}

function autoencoderPlan(config: AldmConfig, training: AldmAutoencoderTraining): TrainingPlan {
  const build = (name: string): Module => (name === DISCRIMINATOR ? imageDiscriminator(config.autoencoder) : new VQModel(config.autoencoder));
  const withGan = training.gan !== null;
  const names = withGan ? [AUTOENCODER, DISCRIMINATOR] : [AUTOENCODER];
  const trainedNetworks = Object.fromEntries(names.map((name) => [name, build(name)]));
  const trainedParameters = Object.values(trainedNetworks).reduce((n, network) => n + network.numParameters(), 0);
  // The code counts of dead-code re-seeding: a module of one buffer, so that checkpoints hold it.
  const networks = training.reseedEvery > 0 ? { ...trainedNetworks, [CODE_USAGE]: new CodeUsage(config.autoencoder.nEmbed) } : trainedNetworks;
  // Fixed pretrained weights identified by their hash: loaded from their file, not checkpointed.
  const perceptual = training.perceptual === undefined ? undefined : loadPerceptualLoss(training.perceptual);
  return {
    networks,
    build,
    checkGrid: (shape) => checkDiscriminatorFits(networks[DISCRIMINATOR] as NLayerDiscriminator | undefined, shape, 'image', 1),
    trained: names,
    averaged: [],
    betas: Object.fromEntries(names.map((name) => [name, GAN_BETAS])),
    description: `ALDM stage 1 (${config.autoencoder.ch}-wide VQ-GAN autoencoder over ${config.contrasts.join(', ')}${withGan ? ', with its PatchGAN' : ''})`,
    estimateMemory(input): TrainingMemoryEstimate {
      const voxels = input.imageShape.reduce((a, b) => a * b, 1) * input.batchSize;
      const weightBytes = 4 * trainedParameters;
      const parts = {
        parameters: weightBytes,
        optimiser: WEIGHT_COPIES * weightBytes + (input.precision === 'bf16' ? weightBytes : 0),
        activations: ACTIVATION_BYTES_PER_VOXEL_PER_CH * config.autoencoder.ch * voxels * (input.precision === 'bf16' ? 0.5 : 1),
        data: 4 * input.cachedValues,
        runtime: RUNTIME_BYTES,
      };
      return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
    },
    session: (working, validation) => autoencoderSession(working, training, config.contrasts, validation, perceptual),
    dispose: () => perceptual?.dispose(),
  };
}

/**
 * Stage 2: the inherited autoencoder, frozen, with its MS-SPADE trained (a network of its own in the plan, so it has
 * an optimiser and a bfloat16 working copy, but the same module: the autoencoder's weights file holds it trained).
 */
function spadePlan(config: AldmConfig, training: AldmSpadeTraining): TrainingPlan {
  const { numClasses, zChannels, spadeNf, spadeHidden } = config.autoencoder;
  const autoencoder = new VQModel(config.autoencoder);
  const build = (name: string): Module => {
    if (name === SPADE) return new SpadeGenerator({ numClasses, zChannels, nf: spadeNf, hidden: spadeHidden });
    return name === DISCRIMINATOR ? latentDiscriminator(config.autoencoder) : new VQModel(config.autoencoder);
  };
  const trained = training.gan === undefined ? [SPADE] : [SPADE, DISCRIMINATOR];
  const networks: Record<string, Module> = { [AUTOENCODER]: autoencoder, [SPADE]: autoencoder.spade };
  if (training.gan !== undefined) networks[DISCRIMINATOR] = build(DISCRIMINATOR);
  const spadeParameters = trained.reduce((n, name) => n + networks[name].numParameters(), 0);
  return {
    networks,
    build,
    checkGrid: (shape) => checkDiscriminatorFits(networks[DISCRIMINATOR] as NLayerDiscriminator | undefined, shape, 'latent',
      autoencoderSpatialMultiple(config.autoencoder)),
    trained,
    averaged: [],
    betas: Object.fromEntries(trained.map((name) => [name, GAN_BETAS])),
    description: `ALDM stage 2 (MS-SPADE, ${spadeNf} wide, on a frozen autoencoder${training.gan === undefined ? '' : ', with its latent PatchGAN'}; `
      + `${config.contrasts.join(', ')})`,
    estimateMemory(input): TrainingMemoryEstimate {
      const imageVoxels = input.imageShape.reduce((a, b) => a * b, 1);
      const parts = {
        parameters: 4 * autoencoder.numParameters(),
        optimiser: WEIGHT_COPIES * 4 * spadeParameters,
        // Encoding a case once (the largest step): the autoencoder's forward pass without gradients, a third of a training step's.
        activations: (ACTIVATION_BYTES_PER_VOXEL_PER_CH / 3) * config.autoencoder.ch * imageVoxels,
        data: 4 * input.cachedValues,
        runtime: RUNTIME_BYTES,
      };
      return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
    },
    prepareCase: (batch) => encodeCase(autoencoder, batch),
    session: (working, validation) => spadeSession(working, training, config.contrasts, validation),
  };
}

/**
 * Stage 3: the U-Net, trained and averaged (its EMA goes to unet.safetensors), on the inherited first stage, frozen;
 * the run's autoencoder.safetensors is the parent's, so the run samples by itself.
 */
function diffusionPlan(config: AldmConfig, schedule: RunSchedule): TrainingPlan {
  let latentScale = config.latentScale;
  const autoencoder = new VQModel(config.autoencoder);
  const unet = new AldmUNet(config.unet);
  const unetParameters = unet.numParameters();
  const latentMultiple = autoencoderSpatialMultiple(config.autoencoder);
  return {
    networks: { [UNET]: unet, [AUTOENCODER]: autoencoder },
    build: (name) => (name === UNET ? new AldmUNet(config.unet) : new VQModel(config.autoencoder)),
    trained: [UNET],
    averaged: [UNET],
    description: `ALDM stage 3 (${config.unet.modelChannels}-channel latent U-Net on a frozen first stage; ${config.contrasts.join(', ')})`,
    estimateMemory(input): TrainingMemoryEstimate {
      const imageVoxels = input.imageShape.reduce((a, b) => a * b, 1);
      const latentVoxels = (imageVoxels / latentMultiple ** 3) * input.batchSize;
      const parts = {
        parameters: 4 * (unetParameters + autoencoder.numParameters()),
        // Gradients, AdamW's moments, the EMA and its swap-in backup.
        optimiser: 5 * 4 * unetParameters + (input.precision === 'bf16' ? 4 * unetParameters : 0),
        activations: Math.max(UNET_ACTIVATION_BYTES_PER_LATENT_VOXEL_PER_CHANNEL * config.unet.modelChannels * latentVoxels,
          (ACTIVATION_BYTES_PER_VOXEL_PER_CH / 3) * config.autoencoder.ch * imageVoxels),
        data: 4 * input.cachedValues,
        runtime: RUNTIME_BYTES,
      };
      return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
    },
    prepareCase: (batch) => encodeCaseWithTranslations(autoencoder, batch),
    calibrate(cases) {
      if (latentScale !== 'measured') return undefined;
      const std = latentStandardDeviation(cases);
      assert(std > 0 && Number.isFinite(std), () => `train aldm: the training cases' latents have standard deviation ${std}; `
        + 'the first stage maps every case to one code. Retrain it, or give --latent-scale');
      latentScale = 1 / std;
      return { latentScale };
    },
    session: (working, validation) => latentDiffusionSession(working, { ...config, latentScale }, schedule, validation),
  };
}

export const aldmTraining: TrainingRecipe<AldmConfig> = {
  method: ALDM,
  presets: ALDM_PRESET_NAMES,
  defaultPreset: 'cpu',
  defaultLearningRate: (preset, config) => LEARNING_RATES[stageOf(config).stage][preset],
  schedule: REFERENCE_SCHEDULE,
  parseConfig: parseTrainingConfig,
  roles: aldmRoles,
  describeTask: (roles) => `every ordered pair of ${roleContrasts(roles).join(', ')}`,
  methodOptions: METHOD_OPTIONS,
  // The reference's preprocessing by default; every image axis must take the autoencoder's and the U-Net's halvings.
  preprocess: (raw, spacing, config) => trainingPreprocessConfig(raw ?? 'aldm', { spacing, imageMultiple: aldmImageMultiple(config) }),
  weightFiles: (config): Record<string, string> => (stageOf(config).stage === 'diffusion'
    ? { [UNET]: UNET_FILE, [AUTOENCODER]: AUTOENCODER_FILE }
    : { [AUTOENCODER]: AUTOENCODER_FILE }),
  inherits: (config) => (stageOf(config).stage === 'autoencoder' ? [] : [AUTOENCODER]),
  checkParent(parent, config) {
    const where = 'train aldm: the parent run';
    const theirs = parseAldmConfig(parent.methodConfig);
    const stage = stageOf(config).stage;
    const wanted = stage === 'spade' ? 'autoencoder' : 'spade';
    assert(theirs.training === undefined || theirs.training.stage === wanted, () => `${where} trained stage ${theirs.training?.stage}; stage ${stage} `
      + `is trained on a stage-${wanted} run (or on a first stage imported with convert --part autoencoder)`);
    assert(theirs.contrasts.join() === config.contrasts.join(),
      () => `${where} models ${theirs.contrasts.join(', ')}, but the data set has ${config.contrasts.join(', ')}`);
    assert(JSON.stringify(theirs.autoencoder) === JSON.stringify(config.autoencoder), () => `${where} has another autoencoder than --config asks for `
      + `(${theirs.autoencoder.ch} wide, ${theirs.autoencoder.nEmbed} codes against ${config.autoencoder.ch} and ${config.autoencoder.nEmbed}); give the parent's --config`);
  },
  plan,
};

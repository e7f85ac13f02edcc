/**
 * What each of ALDM's training stages trains, for the generic trainer: its networks (trained, frozen, averaged), AdamW's
 * betas, the memory a step needs, the grid its PatchGAN takes, how cases are prepared once, and its session.
 */
import { decodeSafetensors } from '../../io/safetensors/index.js';
import {
  AldmUNet, SpadeGenerator, VQModel, autoencoderSpatialMultiple, imageDiscriminator, latentDiscriminator, type NLayerDiscriminator,
} from '../../models/aldm/index.js';
import { PerceptualLoss } from '../../models/medicalNet/index.js';
import type { Module } from '../../nn/index.js';
import type { RunSchedule } from '../../runs/index.js';
import type { TrainingMemoryEstimate, TrainingPlan } from '../../training/index.js';
import { assert } from '../../util/index.js';
import {
  AUTOENCODER, CODE_USAGE, DISCRIMINATOR, SPADE, UNET, type AldmAutoencoderTraining, type AldmConfig, type AldmSpadeTraining, type AldmTraining,
} from './aldmConfig.js';
import { readFeatureFile, sha256 } from './aldmTrainingConfig.js';
import { autoencoderSession } from './autoencoderSession.js';
import { CodeUsage } from './codeUsage.js';
import { encodeCaseWithTranslations, latentDiffusionSession, latentStandardDeviation } from './latentDiffusionSession.js';
import { encodeCase, encodeCaseKeepingImages, spadeSession } from './spadeSession.js';

/** taming's and the reference's Adam for a GAN's two players: β = (0.5, 0.9). */
const GAN_BETAS = [0.5, 0.9] as const;
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

/** The run's feature network, checked against the SHA-256 the run recorded. */
function loadPerceptualLoss(perceptual: NonNullable<AldmAutoencoderTraining['perceptual']>): PerceptualLoss {
  const bytes = readFeatureFile(perceptual.network);
  const found = sha256(bytes);
  assert(found === perceptual.sha256, () => `train aldm: the perceptual loss's feature network ${perceptual.network} changed since the run `
    + `started (SHA-256 ${found}, recorded ${perceptual.sha256}); restore that file, or start a new run`);
  return PerceptualLoss.fromWeights(decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), perceptual.network),
    perceptual.network);
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


export function stageOf(config: AldmConfig): AldmTraining {
  assert(config.training !== undefined, () => 'train aldm: the config names no training stage');
  return config.training;
}


export function aldmStagePlan(config: AldmConfig, schedule: RunSchedule): TrainingPlan {
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
  const trainedParameters = trained.reduce((n, name) => n + networks[name].numParameters(), 0);
  return {
    networks,
    build,
    checkGrid: (shape) => checkDiscriminatorFits(networks[DISCRIMINATOR] as NLayerDiscriminator | undefined, shape, 'latent',
      autoencoderSpatialMultiple(config.autoencoder)),
    trained,
    averaged: [],
    betas: Object.fromEntries(trained.map((name) => [name, GAN_BETAS])),
    description: `ALDM stage 2 (MS-SPADE, ${spadeNf} wide, on a frozen autoencoder${training.loss === 'decoded' ? ', fitted through its decoder' : ''}`
      + `${training.gan === undefined ? '' : ', with its latent PatchGAN'}; `
      + `${config.contrasts.join(', ')})`,
    estimateMemory(input): TrainingMemoryEstimate {
      const imageVoxels = input.imageShape.reduce((a, b) => a * b, 1);
      const parts = {
        parameters: 4 * autoencoder.numParameters(),
        optimiser: WEIGHT_COPIES * 4 * trainedParameters,
        // Encoding a case once (the autoencoder's forward pass without gradients, a third of a training step's), or with
        // the decoded loss a step's decoder pass and its backward, taken as a whole stage-1 step's to be safe.
        activations: training.loss === 'decoded' ? ACTIVATION_BYTES_PER_VOXEL_PER_CH * config.autoencoder.ch * imageVoxels * input.batchSize
          : (ACTIVATION_BYTES_PER_VOXEL_PER_CH / 3) * config.autoencoder.ch * imageVoxels,
        // With the decoded loss a case keeps its images and every contrast's latent (zChannels per cell of multiple³ voxels).
        data: 4 * input.cachedValues * (training.loss === 'decoded' ? 1 + zChannels / autoencoderSpatialMultiple(config.autoencoder) ** 3 : 1),
        runtime: RUNTIME_BYTES,
      };
      return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
    },
    prepareCase: (batch) => (training.loss === 'decoded' ? encodeCaseKeepingImages(autoencoder, batch) : encodeCase(autoencoder, batch)),
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


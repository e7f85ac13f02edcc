/**
 * A minimal synthesis method shaped like ALDM, not like cWDM, used only by tests to show that a second method goes
 * through the registry, the generic trainer, completion and the run folder without any change to them:
 *
 * - stage `codec`: a learnt autoencoder (`codec`) and a patch discriminator (`critic`), two networks with two
 *   optimisers stepped one after the other in every step (reconstruction plus a hinge adversarial term, then the
 *   critic's hinge loss), as ALDM's VQ-GAN stage trains; the EMA of the codec goes to codec.safetensors;
 * - stage `diffusion`: trained on top of a codec run (its parent), whose codec it inherits frozen and keeps in a
 *   second weights file next to its own denoiser's (weights.safetensors); ε-prediction in the codec's latent space.
 *
 * The networks are a few hundred parameters of 1×1×1 and 3×3×3 convolutions: enough to learn something on the
 * phantoms in a handful of steps, nothing to synthesise real scans with.
 */
import type { LatentCodec } from '../codecs/index.js';
import type { Contrast } from '../data/index.js';
import { Conv, Module, SiLU, Sequential, loadRawIntoModule } from '../nn/index.js';
import { DiffusionPipeline, type Denoiser } from '../pipelines/index.js';
import { RUN_FILES, type AnyRunConfig, type RunSchedule } from '../runs/index.js';
import { F, tidy, type Tensor } from '../tensor/index.js';
import {
  diffusionSession, trainingPreprocessConfig, type TrainingMemoryEstimate, type TrainingPlan, type TrainingRecipe, type TrainingSession,
} from '../training/index.js';
import { assert, fmtShape } from '../util/index.js';
import type { SynthesisMethod } from './method.js';

export const LATENT_TOY = 'latent-toy';

export interface LatentToyConfig {
  readonly stage: 'codec' | 'diffusion';
  readonly conditions: number;
  readonly latentChannels: number;
}

const CODEC_FILE = 'codec.safetensors';
const SCHEDULE: RunSchedule = { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'epsilon' };
const OUTPUT_RANGE = [0, 1] as const;
/** Weight of the adversarial term in the codec's loss (VQ-GAN weighs it adaptively; a constant does here). */
const ADVERSARIAL_WEIGHT = 0.05;

function parseConfig(raw: unknown, conditions?: readonly Contrast[]): LatentToyConfig {
  const given = (typeof raw === 'string' ? { stage: raw } : raw) as Partial<LatentToyConfig>;
  assert(typeof given === 'object' && given !== null && (given.stage === 'codec' || given.stage === 'diffusion'),
    () => `methodConfig.stage must be "codec" or "diffusion", got ${JSON.stringify(given?.stage)}`);
  const config: LatentToyConfig = {
    stage: given.stage, conditions: given.conditions ?? conditions?.length ?? 0, latentChannels: given.latentChannels ?? 2,
  };
  assert(conditions === undefined || config.conditions === conditions.length,
    () => `methodConfig.conditions is ${config.conditions} but ${conditions!.length} conditions are listed`);
  return Object.freeze(config);
}

/** Image channel → `latentChannels` latent channels, voxel by voxel, and back. */
export class ToyAutoencoder extends Module {
  readonly encoder: Conv;
  readonly decoder: Conv;

  constructor(readonly latentChannels: number) {
    super();
    this.encoder = this.registerModule('encoder', new Conv({ spatialDims: 3, inChannels: 1, outChannels: latentChannels, kernelSize: 1 }));
    this.decoder = this.registerModule('decoder', new Conv({ spatialDims: 3, inChannels: latentChannels, outChannels: 1, kernelSize: 1 }));
  }
}

/** The autoencoder as the codec of a pipeline: each image channel is encoded on its own. */
class ToyCodec implements LatentCodec {
  readonly description: string;
  readonly scaleFactor = 1;
  readonly networks: Readonly<Record<string, Module>>;

  constructor(readonly autoencoder: ToyAutoencoder) {
    this.description = `learnt 1×1×1 autoencoder, ${autoencoder.latentChannels} latent channels per image channel`;
    this.networks = { codec: autoencoder };
  }

  latentShape(imageShape: readonly number[]): number[] {
    return [imageShape[0], imageShape[1] * this.autoencoder.latentChannels, ...imageShape.slice(2)];
  }

  checkImageShape(imageShape: readonly number[]): void {
    assert(imageShape.length === 5, () => `ToyCodec: images must be (N, C, D, H, W), got ${fmtShape(imageShape)}`);
  }

  encode(image: Tensor): Tensor {
    const [n, c, ...spatial] = image.shape;
    return tidy(() => this.autoencoder.encoder.forward(image.reshape([n * c, 1, ...spatial])).reshape(this.latentShape(image.shape)));
  }

  decode(latent: Tensor): Tensor {
    const [n, c, ...spatial] = latent.shape;
    const l = this.autoencoder.latentChannels;
    return tidy(() => this.autoencoder.decoder.forward(latent.reshape([n * c / l, l, ...spatial])).reshape([n, c / l, ...spatial]));
  }
}

/** ε from [z_t ‖ encoded conditions ‖ t/T], two 3×3×3 convolutions. */
export class ToyDenoiserNet extends Module {
  readonly net: Sequential;

  constructor(readonly config: LatentToyConfig) {
    super();
    const l = config.latentChannels;
    this.net = this.registerModule('net', new Sequential(
      new Conv({ spatialDims: 3, inChannels: l * (1 + config.conditions) + 1, outChannels: 8, kernelSize: 3, padding: 1 }),
      new SiLU(),
      new Conv({ spatialDims: 3, inChannels: 8, outChannels: l, kernelSize: 3, padding: 1 }),
    ));
  }
}

class ToyDenoiser implements Denoiser<Tensor> {
  readonly networks: Readonly<Record<string, Module>>;

  constructor(readonly network: ToyDenoiserNet) {
    this.networks = { denoiser: network };
  }

  checkConditions(fn: string, conditions: Tensor): void {
    assert(conditions.ndim === 5 && conditions.shape[1] === this.network.config.conditions,
      () => `${fn}: conditions must be (N, ${this.network.config.conditions}, D, H, W), got ${fmtShape(conditions.shape)}`);
  }

  condition(encoded: Tensor): Tensor {
    return encoded.detach();
  }

  predict(noisy: Tensor, timesteps: Tensor, condition: Tensor): Tensor {
    return tidy(() => {
      const [n, , ...spatial] = noisy.shape;
      const t = timesteps.float().div(SCHEDULE.numTrainTimesteps).reshape([n, 1, 1, 1, 1]).expand([n, 1, ...spatial]);
      const dtype = this.network.parameters()[0].dtype;
      const input = F.cat([noisy, condition, t], 1);
      return this.network.net.forward(input.to(dtype)).to(input.dtype);
    });
  }
}

function critic(): Sequential {
  return new Sequential(
    new Conv({ spatialDims: 3, inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
    new SiLU(),
    new Conv({ spatialDims: 3, inChannels: 4, outChannels: 1, kernelSize: 1 }),
  );
}

function pipelineOf(denoiser: ToyDenoiserNet, autoencoder: ToyAutoencoder, schedule: RunSchedule): DiffusionPipeline<Tensor> {
  return new DiffusionPipeline(new ToyDenoiser(denoiser), new ToyCodec(autoencoder), { schedule, outputRange: OUTPUT_RANGE });
}

function buildNetworks(config: LatentToyConfig): Record<string, Module> {
  return config.stage === 'codec'
    ? { codec: new ToyAutoencoder(config.latentChannels), critic: critic() }
    : { denoiser: new ToyDenoiserNet(config), codec: new ToyAutoencoder(config.latentChannels) };
}

/** The codec stage's step: the autoencoder's update against the critic, then the critic's. */
function codecSession(networks: Readonly<Record<string, Module>>): TrainingSession {
  const codec = new ToyCodec(networks.codec as ToyAutoencoder);
  const judge = networks.critic as Sequential;
  const reconstructionLoss = (target: Tensor) => tidy(() => F.mseLoss(codec.decode(codec.encode(target)), target).item());
  return {
    step(batch, context) {
      const reconstruction = codec.decode(codec.encode(batch.target));
      const generator = F.mseLoss(reconstruction, batch.target).add(judge.forward(reconstruction).mean().neg().mul(ADVERSARIAL_WEIGHT));
      context.update('codec', generator);
      const critic = F.relu(judge.forward(batch.target).neg().add(1)).mean().add(F.relu(judge.forward(reconstruction.detach()).add(1)).mean());
      context.update('critic', critic);
      return { loss: generator.item(), losses: { codec: generator.item(), critic: critic.item() } };
    },
    validate(context) {
      const mean = (fn: (target: Tensor) => number) => context.cases.reduce((sum, c) => sum + fn(c.batch.target), 0) / context.cases.length;
      return {
        loss: mean(reconstructionLoss),
        lossEma: context.averaged(() => mean(reconstructionLoss)),
        // Input-blind: every voxel predicted as the case's mean intensity.
        baselineLoss: mean((target) => tidy(() => F.mseLoss(target.mean().expand(target.shape), target).item())),
      };
    },
  };
}

function plan(config: LatentToyConfig, schedule: RunSchedule): TrainingPlan {
  const networks = buildNetworks(config);
  const parameters = Object.values(networks).reduce((n, m) => n + m.numParameters(), 0);
  const trained = config.stage === 'codec' ? ['codec', 'critic'] : ['denoiser'];
  return {
    networks,
    build: (name) => buildNetworks(config)[name],
    trained,
    averaged: [trained[0]],
    description: `latent-toy ${config.stage} stage`,
    estimateMemory(input): TrainingMemoryEstimate {
      const voxels = input.imageShape.reduce((a, b) => a * b, 1) * input.batchSize;
      const parts = { parameters: 4 * parameters, optimiser: 20 * parameters, activations: 4 * 64 * voxels, data: 4 * input.cachedValues, runtime: 2 ** 29 };
      return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
    },
    session: (working, validation) => (config.stage === 'codec'
      ? codecSession(working)
      : diffusionSession(pipelineOf(working.denoiser as ToyDenoiserNet, working.codec as ToyAutoencoder, schedule), 'denoiser', validation)),
  };
}

const training: TrainingRecipe<LatentToyConfig> = {
  method: LATENT_TOY,
  presets: ['codec', 'diffusion'],
  defaultPreset: 'codec',
  defaultLearningRate: () => 1e-2,
  schedule: () => SCHEDULE,
  parseConfig: (raw, roles) => parseConfig(raw, roles.conditions),
  roles: (dataset, target) => {
    assert(target !== undefined, () => 'latent-toy: name the target');
    return { target, conditions: dataset.contrasts.filter((c) => c !== target) };
  },
  preprocess: (raw, spacing) => trainingPreprocessConfig(raw, { spacing, imageMultiple: 1 }),
  weightFiles: (config): Record<string, string> => (config.stage === 'codec' ? { codec: CODEC_FILE } : { denoiser: RUN_FILES.weights, codec: CODEC_FILE }),
  inherits: (config) => (config.stage === 'diffusion' ? ['codec'] : []),
  checkParent(parent, config) {
    const theirs = parseConfig(parent.methodConfig);
    assert(theirs.stage === 'codec' && theirs.latentChannels === config.latentChannels,
      () => `a latent-toy diffusion stage needs a codec-stage parent with ${config.latentChannels} latent channels, got ${JSON.stringify(theirs)}`);
  },
  plan,
};

export const latentToyMethod: SynthesisMethod<LatentToyConfig> = {
  name: LATENT_TOY,
  description: 'latent-toy: an ALDM-shaped test method (learnt codec with a critic, then ε-prediction in its latents)',
  presets: ['codec', 'diffusion'],
  parseConfig,
  buildNetworks,
  parameterCounts: (networks) => Object.entries(networks).map(([part, m]) => ({ part, parameters: m.numParameters() })),
  checkRun: () => {},
  pipeline(config: AnyRunConfig, weights, where) {
    const parsed = parseConfig(config.methodConfig, config.conditions);
    assert(parsed.stage === 'diffusion', () => `${where}: a latent-toy codec-stage run has no denoiser to synthesise with; `
      + 'train a diffusion stage on top of it (parent) and complete with that');
    const networks = buildNetworks(parsed);
    for (const [name, network] of Object.entries(networks)) {
      assert(weights[name] !== undefined, () => `${where}: no weights for the network '${name}'`);
      loadRawIntoModule(network, weights[name]);
      network.eval();
    }
    return pipelineOf(networks.denoiser as ToyDenoiserNet, networks.codec as ToyAutoencoder, config.schedule);
  },
  training,
};

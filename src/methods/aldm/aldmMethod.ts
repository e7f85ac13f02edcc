/**
 * ALDM (Kim & Park, WACV 2024, adaptive latent diffusion) as a synthesis method: a VQ-GAN first stage whose MS-SPADE
 * block turns a source contrast's latent into one like the chosen target's, and a latent U-Net predicting ε,
 * conditioned on both latents and the target's class. One model serves every target among its contrasts.
 */
import { loadRawIntoModule, type Module } from '../../nn/index.js';
import {
  AldmUNet, VQModel, aldmUNetParameterCounts, autoencoderSpatialMultiple, imageDiscriminator, latentDiscriminator, vqModelParameterCounts,
} from '../../models/aldm/index.js';
import { DiffusionPipeline } from '../../pipelines/index.js';
import type { AnyRunConfig } from '../../runs/index.js';
import { assert } from '../../util/index.js';
import type { SynthesisMethod } from '../index.js';
import {
  ALDM, ALDM_PRESET_NAMES, AUTOENCODER, REFERENCE_CONTRASTS, REFERENCE_SCHEDULE, UNET, aldmImageMultiple, aldmPredictionType, aldmSchedule, parseAldmConfig, type AldmConfig,
} from './aldmConfig.js';
import { aldmTraining } from './aldmTraining.js';
import { aldmCodec } from './aldmCodec.js';
import { AldmDenoiser, type AldmFirstStageOnly } from './aldmDenoiser.js';

export const aldmMethod: SynthesisMethod<AldmConfig> = {
  name: ALDM,
  description: 'ALDM: a VQ-GAN with MS-SPADE translation and a latent ε-predicting U-Net, one model for every target (Kim & Park)',
  presets: ALDM_PRESET_NAMES,

  parseConfig: parseAldmConfig,

  buildNetworks: (config) => ({ [UNET]: new AldmUNet(config.unet), [AUTOENCODER]: new VQModel(config.autoencoder) }),

  parameterCounts(networks) {
    const unet = aldmUNetParameterCounts(networks[UNET] as AldmUNet);
    const vqgan = vqModelParameterCounts(networks[AUTOENCODER] as VQModel);
    return [
      { part: 'encoder', parameters: vqgan.encoder },
      { part: 'decoder', parameters: vqgan.decoder },
      { part: 'codebook', parameters: vqgan.codebook },
      { part: 'quant_conv', parameters: vqgan.quantConv },
      { part: 'post_quant_conv', parameters: vqgan.postQuantConv },
      { part: 'MS-SPADE', parameters: vqgan.spade },
      { part: 'U-Net input blocks', parameters: unet.inputBlocks },
      { part: 'U-Net middle', parameters: unet.middle },
      { part: 'U-Net output blocks', parameters: unet.outputBlocks },
      { part: 'U-Net time embedding', parameters: unet.timeEmbedding },
      { part: 'U-Net label embedding', parameters: unet.labelEmbedding },
      { part: 'U-Net head', parameters: unet.head },
    ];
  },

  trainingParameterCounts(config) {
    const discriminators = { 'PatchGAN, image (stage 1)': imageDiscriminator(config.autoencoder), 'PatchGAN, latent (stage 2)': latentDiscriminator(config.autoencoder) };
    const parts = Object.entries(discriminators).map(([part, network]) => ({ part, parameters: network.numParameters() }));
    for (const network of Object.values(discriminators)) network.dispose();
    return parts;
  },

  checkRun(config, where) {
    const intensity = config.preprocess.steps.filter((s) => s.kind === 'intensity');
    assert(intensity.length === 1, () => `${where}: an ALDM run must map each contrast's intensities exactly once, got ${intensity.length} intensity steps`);
    const parsed = parseAldmConfig(config.methodConfig, config.conditions);
    const { contrasts, latentScale } = parsed;
    assert(latentScale !== 'measured', () => `${where}: the run's latent scale was never measured (it is recorded when its training starts); `
      + 'the run folder is incomplete');
    // A trained U-Net predicts what its stage 3 chose; an imported one, the reference's ε.
    const trainedFor = aldmSchedule(parsed).predictionType;
    const learnt = aldmPredictionType(parsed);
    assert(config.schedule.predictionType === trainedFor, () => `${where}: the U-Net was trained to predict ${learnt}`
      + `${learnt === trainedFor ? '' : ` (${trainedFor} for the samplers)`}, but the run's schedule says '${config.schedule.predictionType}'`);
    assert(contrasts.includes(config.target), () => `${where}: the target ${config.target} is not one of the model's contrasts (${contrasts.join(', ')})`);
  },

  pipeline(config: AnyRunConfig, weights, where) {
    const parsed = parseAldmConfig(config.methodConfig, config.conditions);
    assert(weights[AUTOENCODER] !== undefined, () => `${where}: no weights for the network '${AUTOENCODER}'`);
    // A run of the first stage alone (stages 1 and 2, or an imported first stage) holds no U-Net: it reconstructs
    // scans, and translates by MS-SPADE alone once that is trained, but does not sample.
    const firstStageOnly = weights[UNET] === undefined ? firstStageAbilities(parsed, where) : undefined;
    const names = firstStageOnly === undefined ? [UNET, AUTOENCODER] : [AUTOENCODER];
    const networks: Record<string, Module> = firstStageOnly === undefined
      ? this.buildNetworks(parsed) : { [AUTOENCODER]: new VQModel(parsed.autoencoder) };
    try {
      for (const name of names) {
        loadRawIntoModule(networks[name], weights[name]);
        networks[name].eval();
      }
    } catch (error) {
      for (const network of Object.values(networks)) network.dispose();
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
    const unet = networks[UNET] as AldmUNet | undefined;
    const vqgan = networks[AUTOENCODER] as VQModel;
    const denoiser = new AldmDenoiser(unet, vqgan, parsed.contrasts.indexOf(config.target),
      { firstStageOnly, correctsTranslation: aldmPredictionType(parsed) === 'residual' });
    // Unbounded: the reference neither clips x̂₀ nor clamps its outputs (its [−1, 1] units are not clipped either).
    const codec = aldmCodec(vqgan, aldmImageMultiple(parsed), parsed.latentScale === 'measured' ? Number.NaN : parsed.latentScale);
    // One model, any of its contrasts from any other: the run's conditions and target are only its defaults.
    return new DiffusionPipeline(denoiser, codec, { schedule: config.schedule, targets: parsed.contrasts });
  },

  samplingMemory(config, modelVoxels, batch) {
    const { autoencoder, unet } = parseAldmConfig(config.methodConfig);
    const latentVoxels = modelVoxels / autoencoderSpatialMultiple(autoencoder) ** 3;
    // The first stage's passes over the whole image (encoding the source, decoding each sample) outweigh a U-Net step
    // everywhere but at the smallest grids. A whole fp32 translation with `code` in the reference's 144×192×144 box
    // peaked at 12.6 GB (npm run bench:aldm-translation; bf16 6.1 GB), about 40 bytes per model voxel per unit of ch
    // beyond what completion holds itself; a `code` U-Net reverse step at 0.8 GB over 36×48×36 latents (about 100 bytes
    // per latent voxel per unit of width). Both rounded up. A batch multiplies the U-Net's share only: its samples are
    // decoded one at a time.
    return Math.max(44 * autoencoder.ch * modelVoxels, batch * 120 * unet.modelChannels * latentVoxels);
  },

  firstStageNetwork: AUTOENCODER,

  // The reference publishes its first stage (stage-1 and stage-2 Lightning checkpoints), not its diffusion U-Net.
  reference: {
    conditions: (target) => [REFERENCE_CONTRASTS.find((contrast) => contrast !== target)!],
    schedule: REFERENCE_SCHEDULE,
    preprocess: 'aldm',
    weights: { [AUTOENCODER]: 'autoencoder.safetensors', [UNET]: 'unet.safetensors' },
    setAside: ['loss.'],
  },

  training: aldmTraining,
};

/** What a run of ALDM's first stage alone can do: its MS-SPADE is trained unless the run is stage 1's. */
function firstStageAbilities(config: AldmConfig, where: string): AldmFirstStageOnly {
  const stage = config.training?.stage;
  assert(stage !== 'diffusion', () => `${where}: the run is a diffusion stage, but it holds no weights for the network '${UNET}'`);
  const reconstructs = 'it reconstructs scans (mrsynth reconstruct)';
  return stage === 'autoencoder'
    ? {
      spadeTrained: false,
      cannotPredict: `the run is ALDM's stage 1, its VQ-GAN autoencoder alone: ${reconstructs}; its MS-SPADE translates once a spade stage `
        + 'is trained on it (mrsynth train aldm --stage spade --parent RUN), and a diffusion stage on that samples',
    }
    : {
      spadeTrained: true,
      cannotPredict: `the run holds ALDM's first stage only (its VQ-GAN autoencoder and MS-SPADE): `
        + `${reconstructs} and translates by MS-SPADE alone (mrsynth translate --first-stage); it samples once a diffusion stage is `
        + 'trained on it (mrsynth train aldm --stage diffusion --parent RUN)',
    };
}

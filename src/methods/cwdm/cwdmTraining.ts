/**
 * cWDM's training recipe for the generic trainer (training/trainer.ts): one U-Net, trained and averaged, on the
 * diffusion objective over Haar bands (the reference's training loop, spec §6), validated on fixed draws and one
 * sampled case. `trainCwdm` trains a cWDM run with it.
 */
import { CwdmUNet, cwdmSpatialMultiple, type CwdmUNetConfig } from '../../models/wdm/index.js';
import { RUN_FILES, type RunSchedule } from '../../runs/index.js';
import { assert } from '../../util/index.js';
import {
  diffusionSession, isPresetChanges, train, trainingPreprocessConfig, type TrainCallbacks, type TrainOptions, type TrainResult, type TrainingRecipe,
} from '../../training/index.js';
import { CWDM, UNET, parseCwdmConfig } from './cwdmConfig.js';
import { CWDM_PREDICTION_TYPE, cwdmPipeline } from './cwdmPipeline.js';
import { cwdmRoles } from './roles.js';
import { estimateCwdmTrainingMemory } from './trainingMemory.js';

export const TRAIN_PRESETS = ['tiny', 'cpu', 'paper'] as const;
export type TrainPreset = (typeof TRAIN_PRESETS)[number];

/**
 * AdamW learning rates by network. The reference's 1e-5 (paper) goes with 1.2 M steps of a 81 M-parameter
 * network; runs of the smaller ones are thousands of steps, where 1e-5 barely moves the weights. `cpu`
 * (3.2 M parameters) takes 2e-4, what DDPM trained its 36 M-parameter U-Net with; `tiny` (56 k parameters, test
 * and demo runs of hundreds of steps) takes Adam's customary 1e-3, stable here because every ResBlock's last
 * convolution and the head start at zero.
 */
export const DEFAULT_LEARNING_RATES: Readonly<Record<TrainPreset, number>> = { tiny: 1e-3, cpu: 2e-4, paper: 1e-5 };

/** The reference's schedule: linear over 1000 steps, x₀-prediction. */
const SCHEDULE: RunSchedule = { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: CWDM_PREDICTION_TYPE };

export const cwdmTraining: TrainingRecipe<CwdmUNetConfig> = {
  method: CWDM,
  presets: TRAIN_PRESETS,
  defaultPreset: 'tiny',
  defaultLearningRate: (preset) => DEFAULT_LEARNING_RATES[preset as TrainPreset],
  schedule: () => SCHEDULE,
  // A preset's name, or changes to one (which take the roles' condition count unless they give one), or a recorded config.
  parseConfig: (raw, { conditions }) => {
    if (typeof raw === 'string') return parseCwdmConfig({ preset: raw, conditions: conditions.length }, conditions);
    return parseCwdmConfig(isPresetChanges(raw) ? { conditions: conditions.length, ...raw } : raw, conditions);
  },
  roles: cwdmRoles,
  preprocess: (raw, spacing, config) => trainingPreprocessConfig(raw, { spacing, imageMultiple: 2 * cwdmSpatialMultiple(config) }),
  weightFiles: () => ({ [UNET]: RUN_FILES.weights }),
  // With a parent (a run or a built-in model of the same task), the U-Net starts from its weights and trains further.
  inherits: (_config, fromParent) => (fromParent ? [UNET] : []),
  checkParent(parent, config, roles) {
    const where = 'train cwdm: the parent run';
    assert(parent.target === roles.target && parent.conditions.join() === roles.conditions.join(), () => `${where} synthesises `
      + `${parent.target} from ${parent.conditions.join(', ')}, and this run ${roles.target} from ${roles.conditions.join(', ')}; `
      + `fine-tuning keeps the parent's task: give --target ${parent.target} and data with ${[parent.target, ...parent.conditions].join(', ')}`);
    const trainedOn = (['betaSchedule', 'numTrainTimesteps', 'predictionType'] as const).filter((key) => parent.schedule[key] !== SCHEDULE[key]);
    assert(trainedOn.length === 0, () => `${where} was trained on another noise schedule (${trainedOn.map((key) => `${key} `
      + `${parent.schedule[key]}, here ${SCHEDULE[key]}`).join('; ')}); its U-Net cannot be trained further on this one`);
    const theirs = parseCwdmConfig(parent.methodConfig, parent.conditions);
    const differences = (Object.keys(theirs) as (keyof CwdmUNetConfig)[]).filter((key) => JSON.stringify(theirs[key]) !== JSON.stringify(config[key]))
      .map((key) => `${key} ${JSON.stringify(theirs[key])} against ${JSON.stringify(config[key])}`);
    assert(differences.length === 0, () => `${where} has another U-Net than --config asks for (${differences.join('; ')}); `
      + 'give the parent\'s --config');
  },

  plan(config, schedule) {
    const unet = new CwdmUNet(config);
    return {
      networks: { [UNET]: unet },
      build: () => new CwdmUNet(config),
      trained: [UNET],
      averaged: [UNET],
      description: `${config.modelChannels}-channel cWDM`,
      estimateMemory: (input) => estimateCwdmTrainingMemory(config, {
        parameterCount: unet.numParameters(), imageShape: input.imageShape as [number, number, number], batchSize: input.batchSize,
        precision: input.precision, cachedValues: input.cachedValues,
      }),
      session: (networks, validation) => diffusionSession(cwdmPipeline(networks[UNET] as CwdmUNet, schedule), UNET, validation),
    };
  },
};

export type TrainCwdmOptions = TrainOptions & { readonly config?: TrainPreset };

/** Trains a cWDM run (see {@link TrainOptions}). */
export function trainCwdm(options: TrainCwdmOptions, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  return train(cwdmTraining, options, callbacks);
}

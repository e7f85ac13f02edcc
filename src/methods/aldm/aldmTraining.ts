/**
 * ALDM's training recipe for the generic trainer (training/trainer.ts). A run trains one stage (`--stage`), recorded in
 * its methodConfig's `training`: stage 1, `autoencoder`, trains the VQ-GAN on every contrast of the data set (and,
 * with `--gan-start`, its image PatchGAN); stage 2, `spade`, trains MS-SPADE on top of a stage-1 run (`--parent`),
 * whose autoencoder it inherits frozen; stage 3, `diffusion`, trains the latent U-Net on top of a stage-2 run. One
 * model serves every contrast, so a run has no target of its own: the roles list the data set's contrasts in class
 * order, the last as run.json's `target` (the default task) and the others as its `conditions`
 * (aldmTrainingConfig.ts); what each stage trains is in aldmStagePlans.ts.
 */
import type { TrainingRecipe } from '../../training/index.js';
import { trainingPreprocessConfig } from '../../training/index.js';
import { assert } from '../../util/index.js';
import {
  ALDM, ALDM_PRESET_NAMES, AUTOENCODER, UNET, aldmImageMultiple, aldmSchedule, parseAldmConfig, type AldmConfig, type AldmTraining,
} from './aldmConfig.js';
import { aldmStagePlan, stageOf } from './aldmStagePlans.js';
import { METHOD_OPTIONS, aldmRoles, parseTrainingConfig, roleContrasts } from './aldmTrainingConfig.js';

/** Weight files of a stage-1 run: the autoencoder, as `convert --part autoencoder` writes it too. */
const AUTOENCODER_FILE = 'autoencoder.safetensors';
/** A diffusion run's U-Net (its EMA), the run's main file. */
const UNET_FILE = 'unet.safetensors';
/**
 * Learning rates by stage and preset. The reference's 4e-5 (stages 1 and 3) and 8e-5 (stage 2) are its base rates ×
 * batch 4, for hundreds of epochs; `cpu` takes 1e-4 (stage 1) and 2e-4 for runs of thousands of steps, `tiny`
 * (tests, seconds) 1e-3.
 */
const LEARNING_RATES: Readonly<Record<AldmTraining['stage'], Readonly<Record<string, number>>>> = {
  autoencoder: { code: 4e-5, 'paper-unet': 4e-5, cpu: 1e-4, 'cpu-f2': 1e-4, tiny: 1e-3, 'reference-tiny': 1e-3 },
  spade: { code: 8e-5, 'paper-unet': 8e-5, cpu: 2e-4, 'cpu-f2': 2e-4, tiny: 1e-3, 'reference-tiny': 1e-3 },
  diffusion: { code: 4e-5, 'paper-unet': 4e-5, cpu: 2e-4, 'cpu-f2': 2e-4, tiny: 1e-3, 'reference-tiny': 1e-3 },
};

export const aldmTraining: TrainingRecipe<AldmConfig> = {
  method: ALDM,
  presets: ALDM_PRESET_NAMES,
  defaultPreset: 'cpu',
  defaultLearningRate: (preset, config) => LEARNING_RATES[stageOf(config).stage][preset],
  schedule: aldmSchedule,
  parseConfig: parseTrainingConfig,
  roles: aldmRoles,
  describeTask: (roles) => `every ordered pair of ${roleContrasts(roles).join(', ')}`,
  methodOptions: METHOD_OPTIONS,
  // The reference's preprocessing by default; every image axis must take the autoencoder's and the U-Net's halvings.
  preprocess: (raw, spacing, config) => trainingPreprocessConfig(raw ?? 'aldm', { spacing, imageMultiple: aldmImageMultiple(config) }),
  weightFiles: (config): Record<string, string> => (stageOf(config).stage === 'diffusion'
    ? { [UNET]: UNET_FILE, [AUTOENCODER]: AUTOENCODER_FILE }
    : { [AUTOENCODER]: AUTOENCODER_FILE }),
  // Stages 2 and 3 take the autoencoder over frozen; stage 1 takes it over only when started from another run, to train
  // it further (fine-tuning on new data, or another learning-rate cycle).
  inherits: (config, fromParent) => (stageOf(config).stage === 'autoencoder' && !fromParent ? [] : [AUTOENCODER]),
  checkParent(parent, config) {
    const where = 'train aldm: the parent run';
    const theirs = parseAldmConfig(parent.methodConfig);
    const stage = stageOf(config).stage;
    // Stage 1 fine-tunes the autoencoder of a run of any stage (each holds it); a later stage builds on the one before.
    const wanted = stage === 'autoencoder' ? undefined : stage === 'spade' ? 'autoencoder' : 'spade';
    assert(wanted === undefined || theirs.training === undefined || theirs.training.stage === wanted, () => `${where} trained stage `
      + `${theirs.training?.stage}; stage ${stage} is trained on a stage-${wanted} run (or on a first stage imported with convert --part autoencoder)`);
    // The autoencoder itself knows no contrasts: stage 1 may fine-tune one on data of others, its MS-SPADE (one branch per
    // contrast, trained in stage 2) starting afresh. A later stage needs the contrasts its parent's MS-SPADE was made for.
    assert(stage === 'autoencoder' || theirs.contrasts.join() === config.contrasts.join(),
      () => `${where} models ${theirs.contrasts.join(', ')}, but the data set has ${config.contrasts.join(', ')}`);
    const withoutClasses = (autoencoder: AldmConfig['autoencoder']) => JSON.stringify({ ...autoencoder, numClasses: undefined });
    assert(withoutClasses(theirs.autoencoder) === withoutClasses(config.autoencoder), () => `${where} has another autoencoder than --config asks for `
      + `(${theirs.autoencoder.ch} wide, ${theirs.autoencoder.nEmbed} codes against ${config.autoencoder.ch} and ${config.autoencoder.nEmbed}); give the parent's --config`);
  },
  keptFresh(config, parent): Record<string, readonly string[]> {
    // MS-SPADE's parameters sit under the autoencoder's state-dict root `spade`.
    return parseAldmConfig(parent.methodConfig).contrasts.join() === config.contrasts.join() ? {} : { [AUTOENCODER]: ['spade.'] };
  },
  plan: aldmStagePlan,
};

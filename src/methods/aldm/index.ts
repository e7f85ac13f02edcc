/** ALDM as a synthesis method: its run config, codec, denoiser and the method the registry holds. */
export {
  ALDM, ALDM_PRESET_NAMES, ALDM_STAGES, AUTOENCODER, DISCRIMINATOR, REFERENCE_CONTRASTS, SPADE, REFERENCE_SCHEDULE, UNET, aldmImageMultiple, parseAldmConfig,
} from './aldmConfig.js';
export type { AldmAutoencoderTraining, AldmConfig, AldmPresetName, AldmSpadeTraining, AldmStage, AldmTraining } from './aldmConfig.js';
export { aldmCodec } from './aldmCodec.js';
export { AldmDenoiser } from './aldmDenoiser.js';
export type { AldmCondition } from './aldmDenoiser.js';
export { aldmMethod } from './aldmMethod.js';
export { aldmTraining } from './aldmTraining.js';
export { aldmRoles } from './aldmTrainingConfig.js';

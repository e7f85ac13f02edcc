/** ALDM as a synthesis method: its run config, codec, denoiser and the method the registry holds. */
export { ALDM, ALDM_PRESET_NAMES, AUTOENCODER, REFERENCE_CONTRASTS, REFERENCE_SCHEDULE, UNET, parseAldmConfig } from './aldmConfig.js';
export type { AldmConfig, AldmPresetName } from './aldmConfig.js';
export { aldmCodec } from './aldmCodec.js';
export { AldmDenoiser } from './aldmDenoiser.js';
export type { AldmCondition } from './aldmDenoiser.js';
export { aldmImageMultiple, aldmMethod } from './aldmMethod.js';

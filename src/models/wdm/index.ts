/** The cWDM denoiser (spec §4): the reference 3-D U-Net over wavelet bands, its configs and parameter counts. */
export { CwdmUNet, parameterCounts } from './cwdmUNet.js';
export type { CwdmParameterCounts } from './cwdmUNet.js';
export {
  CWDM_UNET_PRESETS, CWDM_UNET_PRESET_NAMES, WAVELET_BANDS, cwdmInChannels, cwdmSpatialMultiple, parseCwdmUNetConfig,
} from './cwdmUNetConfig.js';
export type { CwdmUNetConfig, CwdmUNetPresetName } from './cwdmUNetConfig.js';
export { ResBlock } from './resBlock.js';
export type { ResBlockOptions } from './resBlock.js';
export { EmbedSequential } from './embedSequential.js';
export type { EmbedLayer } from './embedSequential.js';
export { timestepEmbedding } from './timestepEmbedding.js';
export { zeroInit } from './zeroInit.js';

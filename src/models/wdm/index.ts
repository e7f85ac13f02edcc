/** The cWDM denoiser (spec §4): the reference 3-D U-Net over wavelet bands, its configs and parameter counts. */
export { CwdmUNet, parameterCounts } from './cwdmUNet.js';
export type { CwdmParameterCounts } from './cwdmUNet.js';
export {
  CWDM_UNET_PRESETS, CWDM_UNET_PRESET_NAMES, WAVELET_BANDS, cwdmInChannels, cwdmSpatialMultiple, parseCwdmUNetConfig,
} from './cwdmUNetConfig.js';
export type { CwdmUNetConfig, CwdmUNetPresetName } from './cwdmUNetConfig.js';
// The shared blocks, under the names this face has always given them (the package's `cwdm` namespace).
export { EmbedSequential, ResBlock, timestepEmbedding, zeroInit } from '../diffusionBlocks/index.js';
export type { EmbedLayer, ResBlockOptions } from '../diffusionBlocks/index.js';

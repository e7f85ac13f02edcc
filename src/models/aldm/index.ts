/** ALDM's networks (spec §2–3): the VQ-GAN first stage with MS-SPADE and its discriminators, its losses, configs and parameter counts. */
export {
  AUTOENCODER_PRESETS, AUTOENCODER_PRESET_NAMES, DISCRIMINATOR_GROUPS, autoencoderConfigFromReference, autoencoderSpatialMultiple,
  discriminatorWidths, parseAutoencoderConfig,
} from './autoencoderConfig.js';
export type { AutoencoderConfig, AutoencoderPresetName } from './autoencoderConfig.js';

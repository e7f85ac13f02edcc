/**
 * ALDM's networks (spec §2–3): the VQ-GAN first stage with MS-SPADE and its discriminators, the latent denoiser U-Net,
 * their losses, configs and parameter counts.
 */
export {
  AUTOENCODER_PRESETS, AUTOENCODER_PRESET_NAMES, DISCRIMINATOR_GROUPS, autoencoderConfigFromReference, autoencoderSpatialMultiple,
  discriminatorWidths, parseAutoencoderConfig,
} from './autoencoderConfig.js';
export type { AutoencoderConfig, AutoencoderPresetName } from './autoencoderConfig.js';
export { AeDownsample, AeResnetBlock, AeUpsample, Decoder, Encoder } from './autoencoder.js';
export { SEARCH_BLOCK_ELEMENTS, VectorQuantizer } from './vectorQuantizer.js';
export type { Quantized, VectorQuantizerOptions } from './vectorQuantizer.js';
export { SpadeGenerator, SpadeLayer, SpadeMultimodal, SpadeResnetBlock } from './msSpade.js';
export type { SpadeGeneratorOptions } from './msSpade.js';
export { NLayerDiscriminator, imageDiscriminator, latentDiscriminator } from './patchGan.js';
export type { NLayerDiscriminatorOptions } from './patchGan.js';
export { VQModel, vqModelParameterCounts } from './vqModel.js';
export type { VQModelParameterCounts } from './vqModel.js';
export { AldmUNet, aldmUNetParameterCounts } from './aldmUNet.js';
export type { AldmUNetParameterCounts } from './aldmUNet.js';
export {
  ALDM_CONCATS, ALDM_CONDITIONINGS, ALDM_UNET_PRESETS, ALDM_UNET_PRESET_NAMES, UNET_NORM_GROUPS, aldmUNetConfigFromReference,
  aldmUNetSpatialMultiple, parseAldmUNetConfig,
} from './aldmUNetConfig.js';
export type { AldmConcat, AldmConditioning, AldmUNetConfig, AldmUNetPresetName } from './aldmUNetConfig.js';
export {
  FAKE_CLASS_CHOICES, RECONSTRUCTION_LOSSES, adaptiveGeneratorWeight, hingeDiscriminatorLoss, hingeGeneratorLoss, patchClassLoss,
  reconstructionLoss, stage1DiscriminatorLoss, stage1Loss, stage2DiscriminatorLoss, stage2Loss,
} from './losses.js';
export type { FakeClass, GeneratorLossOptions, GeneratorLossTerms, ReconstructionLoss } from './losses.js';

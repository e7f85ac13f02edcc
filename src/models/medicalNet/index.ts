/**
 * MedicalNet's 3-D ResNet-10 as a feature network (layer4's output, as MONAI's PerceptualLoss compares it), its
 * configs, the intensity standardisation its inputs take, and what its checkpoints hold beside it.
 */
export { MEDICALNET_PRESETS, MEDICALNET_PRESET_NAMES, parseMedicalNetConfig } from './medicalNetConfig.js';
export type { MedicalNetConfig, MedicalNetPresetName } from './medicalNetConfig.js';
export { MEDICALNET_SEGMENTATION_HEAD, MedicalNetBasicBlock, MedicalNetResNet10, medicalNetCheckpointExtras } from './medicalNetResNet10.js';
export { standardiseIntensities } from './intensityStandardisation.js';
export { MEDICALNET_RESNET10, PerceptualLoss } from './perceptualLoss.js';

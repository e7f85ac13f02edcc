/**
 * mrsynth's library API. The tensor engine is exported flat (PyTorch users write `tensor`, `F.conv3d`,
 * `noGrad`); every other area is a namespace named after its folder, so names never collide and an import
 * says where a thing lives: `import { nifti, metrics } from 'mrsynth'; await nifti.readNifti(path)`.
 */
export * from './tensor/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as nifti from './io/nifti/index.js';
export * as safetensors from './io/safetensors/index.js';
export * as pytorch from './io/pytorch/index.js';
export * as codecs from './codecs/index.js';
export * as volume from './volume/index.js';
export * as data from './data/index.js';
export * as transforms from './transforms/index.js';
export * as phantom from './phantom/index.js';
export * as metrics from './metrics/index.js';
export { fitAffineBaseline } from './baselines/index.js';
export type { AffineBaseline } from './baselines/index.js';
export { renderSlices } from './viz/index.js';
export type { SlicePanel, RenderSlicesOptions, RenderedSlices } from './viz/index.js';
/** The codecs under their name in 0.1.0 (see the README's list of changes). */
export * as wavelets from './codecs/index.js';
export * as schedulers from './schedulers/index.js';
export * as pipelines from './pipelines/index.js';
export * as methods from './methods/index.js';
export * as training from './training/index.js';
export * as runs from './runs/index.js';
export * as cwdm from './models/wdm/index.js';
export { DiffusionPipeline } from './pipelines/index.js';

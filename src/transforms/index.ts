/** Reversible preprocessing: configs and presets, the pipeline, its inverse and its round-trip error. */
export * from './preprocessConfig.js';
export * from './preprocess.js';
export * from './roundTripError.js';
export * from './modelVoxelSize.js';
export { intensityStep } from './intensityStep.js';

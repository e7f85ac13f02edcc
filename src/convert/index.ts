/** Foreign checkpoints → our weights files: locating a network's state dict in them and converting it. */
export { locateStateDict } from './locateStateDict.js';
export type { LocatedStateDict } from './locateStateDict.js';
export { WEIGHTS_FORMAT, convertTorchCheckpoint } from './convertTorchCheckpoint.js';
export type { ConvertTorchCheckpointOptions, ConvertedWeights } from './convertTorchCheckpoint.js';

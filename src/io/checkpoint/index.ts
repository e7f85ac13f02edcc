/** Tensors, modules and whole training states as safetensors files. */
export { tensorToRaw, rawToTensor } from './tensorRaw.js';
export { moduleToRaw, loadRawIntoModule, saveModule, loadModule } from './moduleFile.js';
export type { LoadModuleOptions, LoadModuleResult } from './moduleFile.js';
export {
  TRAINING_CHECKPOINT_FORMAT, TRAINING_CHECKPOINT_VERSION, encodeTrainingCheckpoint, restoreTrainingCheckpoint,
  saveTrainingCheckpoint, saveTrainingCheckpointSync, loadTrainingCheckpoint,
} from './trainingCheckpoint.js';
export type { TrainingComponents, TrainingProgress } from './trainingCheckpoint.js';

/** The run folder of a training run (config, checkpoint, EMA weights, log), shared by training and completion. */
export {
  RUN_FORMAT, RUN_FORMAT_VERSION, RUN_MODELS, configDifferences, configHash, parseRunConfig,
} from './runConfig.js';
export type { RunConfig, RunData, RunModel, RunSchedule, RunTraining } from './runConfig.js';
export { RUN_FILES, RUN_WEIGHTS_FORMAT, readRun, readRunConfig, runWeightsMetadata, writeRunConfig } from './runFolder.js';
export type { RunFiles } from './runFolder.js';
export { tensorToVolumeData, volumesToTensor } from './volumeTensor.js';

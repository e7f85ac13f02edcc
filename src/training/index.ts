/** Training: `trainCwdm` into a run folder, with its data order, validation, memory estimate and log. */
export { DEFAULT_LEARNING_RATES, TRAIN_PRESETS, trainCwdm } from './trainCwdm.js';
export type { TrainCwdmCallbacks, TrainCwdmOptions, TrainCwdmResult, TrainPreset, TrainStartInfo } from './trainCwdm.js';
export { DataOrder } from './dataOrder.js';
export type { DataOrderState } from './dataOrder.js';
export { FixedValidationSet } from './fixedValidationSet.js';
export { MixedPrecision } from './mixedPrecision.js';
export type { MixedPrecisionStepOptions } from './mixedPrecision.js';
export type { ValidationTriple } from './fixedValidationSet.js';
export { sampledCaseScores } from './sampledCaseScores.js';
export type { SampledCaseScores } from './sampledCaseScores.js';
export { TrainingLog } from './trainingLog.js';
export type { TrainStepEntry, TrainingLogEntry, ValidationEntry } from './trainingLog.js';
export { checkTrainingMemory, estimateTrainingMemory, formatGiB, savedActivationValues } from './trainingMemory.js';
export type { TrainingMemoryEstimate, TrainingMemoryInput } from './trainingMemory.js';
export { trainingPreprocessConfig } from './trainingPreprocess.js';
export type { TrainingPreprocessOptions } from './trainingPreprocess.js';
export { checkCasesHaveRoles, cwdmRoles, disposeTrainingCases, loadTrainingCase } from './trainingCases.js';
export type { CwdmRoles, TrainingCase } from './trainingCases.js';

/**
 * Training for every method: the generic trainer and the recipe a method gives it, and what they are made of — data
 * order, random streams, validation on fixed draws, learning-rate decay, mixed precision, training checkpoints, the
 * log, the memory check and the cases held in memory.
 */
export { train } from './trainer.js';
export type { PreparationProgress, TrainCallbacks, TrainOptions, TrainResult, TrainStartInfo } from './trainer.js';
export { isPresetChanges } from './runSetup.js';
export type { PresetChanges } from './runSetup.js';
export type {
  MethodOption, StepContext, StepResult, TrainingMemoryInput, TrainingPlan, TrainingRecipe, TrainingSession, ValidationContext, ValidationMeasures,
  ValidationOptions,
} from './recipe.js';
export { diffusionSession } from './diffusionSession.js';
export { TrainingStreams, streamSeed } from './randomStreams.js';
export { DataOrder } from './dataOrder.js';
export type { DataOrderState } from './dataOrder.js';
export { describeLearningRate, firstChangedStep, learningRateAt } from './learningRate.js';
export { FixedValidationSet } from './fixedValidationSet.js';
export type { ValidationTriple } from './fixedValidationSet.js';
export { MixedPrecision } from './mixedPrecision.js';
export type { MixedPrecisionStepOptions } from './mixedPrecision.js';
export { sampledCaseScores } from './sampledCaseScores.js';
export type { SampledCaseScores } from './sampledCaseScores.js';
export { TrainingLog } from './trainingLog.js';
export type { TrainStepEntry, TrainingLogEntry, ValidationEntry } from './trainingLog.js';
export { checkTrainingMemory } from './trainingMemory.js';
export type { TrainingMemoryEstimate } from './trainingMemory.js';
export {
  TRAINING_CHECKPOINT_FORMAT, TRAINING_CHECKPOINT_VERSION, encodeTrainingCheckpoint, migrateTrainingCheckpoint, restoreTrainingCheckpoint,
} from './trainingCheckpoint.js';
export type { TrainingComponents, TrainingProgress } from './trainingCheckpoint.js';
export { trainingPreprocessConfig } from './trainingPreprocess.js';
export type { TrainingPreprocessOptions } from './trainingPreprocess.js';
export { checkCasesHaveRoles, disposeTrainingCases, loadTrainingCase } from './trainingCases.js';
export type { ConditionalRoles, TrainingCase } from './trainingCases.js';

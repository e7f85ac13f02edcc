/** The run folder (config, weights and, for a trained run, checkpoint and log), shared by training, import and completion. */
export {
  IMPORT_FORMATS, LR_DECAY_SHAPES, RANDOM_STREAMS, RUN_FORMAT, RUN_FORMAT_VERSION, configDifferences, configHash, describeOrigin,
  parseAnyRunConfig, parseRunConfig,
} from './runConfig.js';
export type {
  AnyRunConfig, ImportFormat, ImportedOrigin, ImportedRunConfig, LearningRateDecay, LearningRateDecayShape, ParentRun, RandomStreams, TrainingCadence, RunConfig, RunData, RunSchedule, RunTraining, SampledValidation, TrainedOrigin, TranslationScore,
} from './runConfig.js';
export {
  RUN_FILES, RUN_WEIGHTS_FORMAT, readAnyRunConfig, readRun, readRunConfig, readRunWeightsFile, runWeightsMetadata, writeRunConfig,
} from './runFolder.js';
export type { RunFiles, RunWeightsFile } from './runFolder.js';
export { checkImportTarget, importedRunConfig, writeImportedRun } from './importedRun.js';
export type { ImportedRunOptions } from './importedRun.js';
export {
  BUILTIN_DTYPES, BUILTIN_MANIFEST, BUILTIN_MANIFEST_FORMAT, BUILTIN_MANIFEST_VERSION, BUILTIN_MODELS_DIR, BUILTIN_PREFIX, builtinModelName,
  findBuiltinModel, parseBuiltinManifest, phantomTrainingNotice, readBuiltinManifest, runFolderOf,
} from './builtinModels.js';
export type { BuiltinCaseFigures, BuiltinManifest, BuiltinModel, BuiltinSampler, BuiltinScores, BuiltinTaskFigures, BuiltinWeightsFile } from './builtinModels.js';

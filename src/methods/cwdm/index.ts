/** cWDM: the method (registered in ../index.ts), its pipeline, training and the reference's conventions. */
export { cwdmMethod } from './cwdmMethod.js';
export { CWDM_OUTPUT_RANGE, CWDM_PREDICTION_TYPE, cwdmPipeline } from './cwdmPipeline.js';
export { CwdmDenoiser } from './cwdmDenoiser.js';
export { REFERENCE_PREPROCESS, REFERENCE_SCHEDULE, referenceConditions } from './reference.js';
export { DEFAULT_LEARNING_RATES, TRAIN_PRESETS, cwdmTraining, trainCwdm } from './cwdmTraining.js';
export type { TrainCwdmOptions, TrainPreset } from './cwdmTraining.js';
export { estimateCwdmTrainingMemory, savedActivationValues } from './trainingMemory.js';

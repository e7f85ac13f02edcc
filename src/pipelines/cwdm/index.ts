/** cWDM end to end: the training objective and the sampling loop over model, wavelet codec and scheduler. */
export { CwdmPipeline } from './cwdmPipeline.js';
export type { CwdmBatch, SampleOptions } from './cwdmPipeline.js';

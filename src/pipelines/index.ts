/**
 * Diffusion models as one object (denoiser + codec + schedule) with the generic training objective and sampling
 * loop, the sampler a completion asks for, and how volumes meet a model's tensors. Every method is built on it.
 */
export { DiffusionPipeline } from './diffusionPipeline.js';
export type { DiffusionBatch, DiffusionPipelineOptions, DiffusionSchedule, EncodedConditions, SampleOptions, TrainingDraws } from './diffusionPipeline.js';
export { drawStepsAndNoise } from './diffusionPipeline.js';
export type { Denoiser } from './denoiser.js';
export { DEFAULT_DDIM_STEPS, SAMPLER_KINDS, TRANSLATION_SAMPLER, buildScheduler, describeSampler, parseSamplerSpec, resolveSampler } from './samplerSpec.js';
export type { SamplerKind, SamplerSchedule, SamplerSpec } from './samplerSpec.js';
export { tensorToVolumeData, volumesToTensor } from './volumeTensor.js';

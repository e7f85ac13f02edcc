/** Diffusion schedulers: pure numerics over tensors (STYLE §3). They import only the tensor engine. */
export { BETA_SCHEDULES, BETA_SCHEDULE_NAMES, betaSchedule } from './betaSchedules.js';
export type { BetaSchedule, BetaScheduleName } from './betaSchedules.js';
export { scheduleTables } from './scheduleTables.js';
export type { ScheduleTables } from './scheduleTables.js';
export { ldmTimesteps, spaceTimesteps, respaceBetas } from './spaceTimesteps.js';
export { PREDICTION_TYPES, Scheduler, TIMESTEP_SPACINGS, parseBaseSchedulerConfig } from './scheduler.js';
export type { PredictionType, SchedulerConfig, TimestepSpacing, SchedulerOptions, SchedulerStepOutput, StepOptions } from './scheduler.js';
export { DDPMScheduler, DDPM_VARIANCES, parseDDPMSchedulerConfig } from './ddpm.js';
export type { DDPMSchedulerConfig, DDPMVariance } from './ddpm.js';
export { DDIMScheduler, parseDDIMSchedulerConfig } from './ddim.js';
export type { DDIMSchedulerConfig } from './ddim.js';

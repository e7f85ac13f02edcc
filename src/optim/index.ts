/** Training: the AdamW optimiser, gradient clipping and the EMA of weights, each checkpointable by parameter name. */
export { AdamW } from './adamW.js';
export type { AdamWOptions, AdamWHyperParameters, AdamWParameterState, AdamWState } from './adamW.js';
export { clipGradNorm_ } from './clipGradNorm.js';
export { EMA } from './ema.js';
export type { EMAOptions, EMAState } from './ema.js';

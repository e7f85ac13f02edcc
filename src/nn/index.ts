/** Layers and the `Module` tree they are built from; state dicts follow PyTorch's key names. */
export { Module } from './module.js';
export type { LoadStateDictOptions, LoadStateDictResult } from './module.js';
export { Sequential } from './sequential.js';
export type { TensorModule } from './sequential.js';
export { ModuleList } from './moduleList.js';
export { Conv } from './conv.js';
export type { ConvOptions } from './conv.js';
export { Linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { GroupNorm } from './groupNorm.js';
export type { GroupNormOptions } from './groupNorm.js';
export { InstanceNorm } from './instanceNorm.js';
export type { InstanceNormOptions } from './instanceNorm.js';
export { Embedding } from './embedding.js';
export { Dropout } from './dropout.js';
export { SiLU } from './silu.js';
export { Identity } from './identity.js';
export { initKaimingUniform } from './init.js';

/**
 * The building blocks of guided-diffusion's 3-D U-Nets that the cWDM and ALDM denoisers share: the residual
 * block, its float32 GroupNorm, the embedding-passing sequence, the sinusoidal time embedding and zero
 * initialisation; and, for ALDM's U-Net, the legacy-QKV attention block and the convolutional up/down sampling.
 * Submodule names are the references', so state-dict keys match theirs.
 */
export { ResBlock } from './resBlock.js';
export type { ResBlockOptions } from './resBlock.js';
export { GroupNorm32 } from './groupNorm32.js';
export { EmbedSequential } from './embedSequential.js';
export { unetPass } from './unetPass.js';
export type { EmbedLayer } from './embedSequential.js';
export { timestepEmbedding } from './timestepEmbedding.js';
export { zeroInit } from './zeroInit.js';
export { AttentionBlock } from './attentionBlock.js';
export type { AttentionBlockOptions } from './attentionBlock.js';
export { Upsample } from './upsample.js';
export { Downsample } from './downsample.js';

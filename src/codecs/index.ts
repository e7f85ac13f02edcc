/** Codecs between images and the latents a denoiser works on: the contract, the one-level Haar transform (2-D/3-D) and cWDM's codec around it. */
export { haarDwt, haarIdwt, haarBandNames } from './haarDwt.js';
export { checkSpatialShape, spatialAxisNames } from './checkSpatialShape.js';
export { WaveletCodec } from './waveletCodec.js';
export type { WaveletCodecOptions } from './waveletCodec.js';
export { clipInImageSpace } from './latentCodec.js';
export type { LatentCodec } from './latentCodec.js';

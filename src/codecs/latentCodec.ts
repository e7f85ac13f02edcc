import type { Module } from '../nn/index.js';
import { tidy, type Tensor } from '../tensor/index.js';
import { assert } from '../util/index.js';

/**
 * The first stage of a latent diffusion model, seen from the sampler (STYLE §4, after MONAI's
 * `LatentDiffusionInferer`): images go in through `encode`, the diffusion model works on what comes out, and
 * `decode` maps its result back. The 3-D Haar transform of cWDM and the VQ-GAN of ALDM both implement it, so one
 * sampler serves both model families without asking which one it holds.
 *
 * `encode` returns latents already in the convention the denoiser was trained on, and `decode` accepts them in
 * that convention; `scaleFactor` records the scalar part of that convention (MONAI's `scale_factor`, 1 when the
 * codec needs none) for configs and reports.
 */
export interface LatentCodec {
  /** One line for logs and run reports, e.g. `3-D Haar DWT, 8 bands per channel, LLL/3`. */
  readonly description: string;
  readonly scaleFactor: number;
  /** The latent shape `encode` gives for an image of `imageShape` (N, C, …spatial), without running it: x_T's shape. */
  latentShape(imageShape: readonly number[]): number[];
  /** Throws, naming the axis, when the denoiser behind this codec cannot take an image of `imageShape`. */
  checkImageShape(imageShape: readonly number[]): void;
  encode(image: Tensor): Tensor;
  decode(latent: Tensor): Tensor;
  /** Learnt weights, if the codec has any (ALDM's VQ-GAN; not the Haar transform), by name: frozen, freed with the pipeline. */
  readonly networks?: Readonly<Record<string, Module>>;
}

/**
 * A latent clipped in image space: decode, clamp to [min, max], encode. With cWDM's codec this is the reference's
 * x̂₀ clipping (spec §7 step 2, `clip_denoised=True`); handed to a scheduler as `clipPredX0`, it keeps schedulers
 * ignorant of codecs.
 */
export function clipInImageSpace(codec: LatentCodec, latent: Tensor, min: number, max: number): Tensor {
  assert(min < max, () => `clipInImageSpace: min (${min}) must be below max (${max})`);
  return tidy(() => codec.encode(codec.decode(latent).clamp(min, max)));
}

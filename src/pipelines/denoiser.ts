import type { LatentCodec } from '../codecs/index.js';
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';

/**
 * A method's conditional denoiser as the generic diffusion loops see it: networks that map a noisy latent x_t, its
 * timestep and a condition to the method's prediction (x̂₀ or ε̂). How the condition enters the networks (channel
 * concatenation for cWDM; source and translated latents plus a class label for ALDM) is the method's business; the
 * loops only compute the condition once per batch and hand it back at every step.
 */
export interface Denoiser<Condition = Tensor> {
  /** The networks the predictions run through, by name: what precision changes, train/eval and weight files act on. */
  readonly networks: Readonly<Record<string, Module>>;
  /** Refuses condition images (N, C, …spatial) the networks cannot take, naming what they expect; `fn` names the caller. */
  checkConditions(fn: string, conditions: Tensor): void;
  /**
   * What stays fixed over every reverse step of a batch, from the condition images as `codec` encodes them (float32)
   * and, for methods whose one model serves several targets, the targets' class labels (int64, (N,)). The result
   * holds none of the caller's tensors (`encoded` may serve several targets): the caller disposes both.
   */
  condition(encoded: Tensor, codec: LatentCodec, classLabels?: Tensor): Condition;
  /**
   * Set where this denoiser cannot predict, saying why and what would make it: a run that holds only what comes
   * before the denoising network (ALDM's first stage, trained by itself). Its pipeline still reconstructs and decodes
   * the condition's estimate where it has one, but refuses to sample.
   */
  readonly cannotPredict?: string;
  /** The prediction for x_t at `timesteps` (int64, (N,)), float32 in and out whatever dtype the networks run in. */
  predict(noisy: Tensor, timesteps: Tensor, condition: Condition): Tensor;
  /**
   * For a method whose condition already holds a latent of the target (ALDM: MS-SPADE's translation of the source's
   * latent, z_st), that latent, float32 and the caller's to dispose: decoded, it is the method's synthesis without the
   * reverse process (the ALDM paper's ablation without diffusion). Absent where the condition holds no such estimate.
   */
  conditionEstimate?(condition: Condition): Tensor;
}

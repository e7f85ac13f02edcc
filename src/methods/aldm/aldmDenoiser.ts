/**
 * ALDM's denoiser (spec §3–4): the source image's latent z_src and its MS-SPADE translation z_st towards the target
 * contrast are computed once per batch; at every step the U-Net sees [x_t ‖ z_src ‖ z_st] (the code's 12 channels) or
 * [x_t ‖ z_st] (the paper's 8, `concat: 'paper'`) with the target's class label added to its time embedding, and
 * predicts ε (the reference's) or x₀, as stage 3 trained it; a U-Net trained on the 'residual' x₀ predicts what z_st
 * misses, and the denoiser adds z_st back.
 *
 * A run of the first stage alone (a stage-1 or stage-2 run, or an imported first stage) has no U-Net: its denoiser
 * cannot predict, so its pipeline reconstructs scans and, once MS-SPADE is trained, decodes MS-SPADE's translation,
 * but refuses to sample.
 */
import type { LatentCodec } from '../../codecs/index.js';
import type { AldmUNet, VQModel } from '../../models/aldm/index.js';
import type { Denoiser } from '../../pipelines/index.js';
import { F, full, tidy, type Tensor } from '../../tensor/index.js';
import { assert, fmtShape } from '../../util/index.js';

export interface AldmCondition {
  /** The latents the U-Net is conditioned on, concatenated on channels. */
  readonly latents: Tensor;
  /** The target contrast of each sample, int64 (N,). */
  readonly classes: Tensor;
}

/** What a first stage without its U-Net can still do, and why it cannot sample. */
export interface AldmFirstStageOnly {
  /** Why the run cannot sample, naming what would make it (see {@link Denoiser.cannotPredict}). */
  readonly cannotPredict: string;
  /** Whether its MS-SPADE is trained, so that its translation means something (not after stage 1 alone). */
  readonly spadeTrained: boolean;
}

export class AldmDenoiser implements Denoiser<AldmCondition> {
  readonly networks: Readonly<{ unet?: AldmUNet; autoencoder: VQModel }>;
  readonly cannotPredict?: string;
  readonly conditionEstimate?: (condition: AldmCondition) => Tensor;
  readonly #zChannels: number;

  readonly #correctsTranslation: boolean;

  /**
   * `defaultClass`: the target when a batch names none (a run made for one target contrast). `unet` is undefined
   * exactly when `firstStageOnly` says what the first stage alone can do. `correctsTranslation`: the U-Net predicts x₀
   * less MS-SPADE's translation (stage 3's 'residual' prediction type).
   */
  constructor(readonly unet: AldmUNet | undefined, readonly vqgan: VQModel, readonly defaultClass: number,
    options: { readonly firstStageOnly?: AldmFirstStageOnly; readonly correctsTranslation?: boolean } = {}) {
    const { firstStageOnly } = options;
    assert((unet === undefined) === (firstStageOnly !== undefined),
      () => 'AldmDenoiser: a first stage without its U-Net must say why it cannot sample, and one with a U-Net must not');
    this.networks = Object.freeze(unet === undefined ? { autoencoder: vqgan } : { unet, autoencoder: vqgan });
    this.#zChannels = vqgan.config.zChannels;
    this.#correctsTranslation = options.correctsTranslation ?? false;
    if (firstStageOnly !== undefined) this.cannotPredict = firstStageOnly.cannotPredict;
    if (firstStageOnly === undefined || firstStageOnly.spadeTrained) this.conditionEstimate = (condition) => this.#translatedLatent(condition);
  }

  checkConditions(fn: string, conditions: Tensor): void {
    assert(conditions.ndim === 5 && conditions.shape[1] === 1, () =>
      `${fn}: ALDM translates one source contrast: conditions must be (N, 1, X, Y, Z), got shape ${fmtShape(conditions.shape)}`);
  }

  /** `encoded`: the source's latent as the codec gives it (quantised, times the latent scale). */
  condition(encoded: Tensor, codec: LatentCodec, classLabels?: Tensor): AldmCondition {
    const n = encoded.shape[0];
    const classes = classLabels === undefined ? full([n], this.defaultClass, { dtype: 'int64' }) : classLabels.clone();
    try {
      const latents = tidy(() => {
        // MS-SPADE works on the first stage's own latents: the codec's scale comes off before and goes on after.
        const scale = codec.scaleFactor;
        const unscaled = scale === 1 ? encoded : encoded.div(scale);
        const translated = this.vqgan.translate(unscaled.to(this.vqgan.dtype), classes).to(encoded.dtype).mul(scale);
        return this.unet === undefined || this.unet.config.concat === 'paper' ? translated : F.cat([encoded, translated], 1);
      });
      return { latents, classes };
    } catch (error) {
      classes.dispose();
      throw error;
    }
  }

  /** z_st, MS-SPADE's translation of the source's latent towards each sample's target: the condition's last latent. */
  #translatedLatent(condition: AldmCondition): Tensor {
    const total = condition.latents.shape[1];
    return tidy(() => condition.latents.narrow(1, total - this.#zChannels, this.#zChannels).clone());
  }

  /** ε̂ or x̂₀ in the input's dtype (float32) whatever dtype the U-Net runs in. */
  predict(noisy: Tensor, timesteps: Tensor, condition: AldmCondition): Tensor {
    const { unet } = this;
    assert(unet !== undefined, () => `AldmDenoiser.predict: ${this.cannotPredict}`);
    const { dtype } = unet;
    return tidy(() => {
      const input = F.cat([noisy, condition.latents], 1);
      const output = input.dtype === dtype ? unet.forward(input, timesteps, condition.classes)
        : unet.forward(input.to(dtype), timesteps, condition.classes).to(input.dtype);
      return this.#correctsTranslation ? output.add(this.#translatedLatent(condition)) : output;
    });
  }
}

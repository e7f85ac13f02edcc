/**
 * cWDM's denoiser (spec §4): the U-Net over Haar bands, conditioned by channel concatenation. The condition images
 * are encoded once per batch (by the pipeline's codec); at every step the network sees [z_t ‖ c_cond] (the noisy target's 8 bands, then each
 * condition's 8 bands in the run's condition order) and predicts the clean bands x̂₀.
 */
import { CwdmUNet } from '../../models/wdm/index.js';
import type { Denoiser } from '../../pipelines/index.js';
import { F, tidy, type Tensor } from '../../tensor/index.js';
import { assert, fmtShape } from '../../util/index.js';

export class CwdmDenoiser implements Denoiser<Tensor> {
  readonly networks: Readonly<{ unet: CwdmUNet }>;

  constructor(readonly unet: CwdmUNet) {
    this.networks = Object.freeze({ unet });
  }

  checkConditions(fn: string, conditions: Tensor): void {
    const expected = this.unet.config.conditions;
    assert(conditions.ndim === 5 && conditions.shape[1] === expected, () =>
      `${fn}: conditions must be (N, ${expected}, D, H, W) for this model, got shape ${fmtShape(conditions.shape)}`);
  }

  /** The conditions' bands as they are: a new handle on the encoded tensor, so the caller's stays its own. */
  condition(encoded: Tensor): Tensor {
    return encoded.detach();
  }

  /**
   * The network's x̂₀ in the input's dtype (float32), whatever dtype the network runs in: the input is cast to the
   * network's dtype on the way in and the output cast back on the way out. Gradients flow through both casts, so a
   * loss on the float32 output trains a bfloat16 network.
   */
  predict(noisy: Tensor, timesteps: Tensor, condition: Tensor): Tensor {
    const { dtype } = this.unet;
    return tidy(() => {
      const input = F.cat([noisy, condition], 1);
      if (input.dtype === dtype) return this.unet.forward(input, timesteps);
      return this.unet.forward(input.to(dtype), timesteps).to(input.dtype);
    });
  }
}

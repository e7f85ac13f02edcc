/** `Downsample`: guided-diffusion's convolutional 2× downsampling of a U-Net level (ALDM spec §3), key `op`. */
import { Tensor } from '../../tensor/index.js';
import { Conv, Module } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';

export class Downsample extends Module {
  readonly #op: Conv;

  constructor(readonly channels: number) {
    super();
    // Stride 2 on all three axes: upstream guided-diffusion keeps D (stride (1, 2, 2)); the ALDM reference does not.
    this.#op = this.registerModule('op',
      new Conv({ spatialDims: 3, inChannels: channels, outChannels: channels, kernelSize: 3, stride: 2, padding: 1 }));
  }

  /** x (N, C, D, H, W) → (N, C, ⌈D/2⌉, ⌈H/2⌉, ⌈W/2⌉): a 3×3×3 conv of stride 2 and padding 1. */
  forward(x: Tensor): Tensor {
    assert(x.ndim === 5 && x.shape[1] === this.channels,
      () => `Downsample.forward: x must be (N, ${this.channels}, D, H, W), got shape ${fmtShape(x.shape)}`);
    return this.#op.forward(x);
  }
}

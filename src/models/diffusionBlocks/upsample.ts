/** `Upsample`: guided-diffusion's convolutional 2× upsampling of a U-Net level (ALDM spec §3), key `conv`. */
import { F, Tensor } from '../../tensor/index.js';
import { Conv, Module } from '../../nn/index.js';
import { assert, fmtShape } from '../../util/index.js';

export class Upsample extends Module {
  readonly #conv: Conv;

  constructor(readonly channels: number) {
    super();
    this.#conv = this.registerModule('conv', new Conv({ spatialDims: 3, inChannels: channels, outChannels: channels, kernelSize: 3, padding: 1 }));
  }

  /**
   * x (N, C, D, H, W) → (N, C, 2D, 2H, 2W): nearest-neighbour doubling of every axis, then a 3×3×3 conv.
   * (Upstream guided-diffusion doubles only H and W of 3-D inputs; the ALDM reference doubles all three.)
   */
  forward(x: Tensor): Tensor {
    assert(x.ndim === 5 && x.shape[1] === this.channels,
      () => `Upsample.forward: x must be (N, ${this.channels}, D, H, W), got shape ${fmtShape(x.shape)}`);
    const doubled = F.interpolate(x, { scaleFactor: 2, mode: 'nearest' });
    try {
      return this.#conv.forward(doubled);
    } finally {
      doubled.dispose();
    }
  }
}

/** `LayerNorm`: torch.nn.LayerNorm over the last axis — normalise each vector, then a per-feature affine map. */
import { F, Tensor, ones, zeros } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { Module } from './module.js';

export class LayerNorm extends Module {
  constructor(readonly features: number, readonly eps = 1e-5) {
    super();
    assert(Number.isInteger(features) && features > 0, () => `LayerNorm: features must be a positive integer, got ${features}`);
    this.registerParameter('weight', ones([features]));
    this.registerParameter('bias', zeros([features]));
  }

  get weight(): Tensor { return this.parameter('weight'); }
  get bias(): Tensor { return this.parameter('bias'); }

  /** (…, features) → same shape. */
  forward(input: Tensor): Tensor {
    assert(input.ndim >= 1 && input.shape[input.ndim - 1] === this.features,
      () => `LayerNorm.forward: input's last axis must have ${this.features} features, got shape ${fmtShape(input.shape)}`);
    return F.layerNorm(input, [this.features], this.weight, this.bias, this.eps);
  }
}

/** `Linear`: y = x Wᵀ + b over the last axis, torch.nn.Linear with the same parameters and initialisation. */
import { F, Tensor, empty } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { initKaimingUniform } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
}

export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [name, value] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      assert(Number.isInteger(value) && value > 0, () => `Linear: ${name} must be a positive integer, got ${value}`);
    }
    const weight = this.registerParameter('weight', empty([outFeatures, inFeatures]));
    const bias = this.registerParameter('bias', options.bias ?? true ? empty([outFeatures]) : null);
    initKaimingUniform(weight, bias, inFeatures);
  }

  get weight(): Tensor { return this.parameter('weight'); }
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  /** (…, inFeatures) → (…, outFeatures). */
  forward(input: Tensor): Tensor {
    assert(input.ndim >= 1 && input.shape[input.ndim - 1] === this.inFeatures,
      () => `Linear.forward: input's last axis must have ${this.inFeatures} features, got shape ${fmtShape(input.shape)}`);
    return F.linear(input, this.weight, this.bias);
  }
}

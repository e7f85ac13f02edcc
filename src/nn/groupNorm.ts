/** `GroupNorm`: torch.nn.GroupNorm — normalise over channel groups and space, then a per-channel affine map. */
import { F, Tensor, ones, zeros } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { Module } from './module.js';

export interface GroupNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-channel scale (init 1) and shift (init 0); default true. */
  affine?: boolean;
}

export class GroupNorm extends Module {
  readonly eps: number;

  constructor(readonly numGroups: number, readonly numChannels: number, options: GroupNormOptions = {}) {
    super();
    assert(Number.isInteger(numGroups) && numGroups > 0, () => `GroupNorm: numGroups must be a positive integer, got ${numGroups}`);
    assert(Number.isInteger(numChannels) && numChannels % numGroups === 0,
      () => `GroupNorm: numChannels (${numChannels}) must divide into numGroups (${numGroups}) groups`);
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.registerParameter('weight', affine ? ones([numChannels]) : null);
    this.registerParameter('bias', affine ? zeros([numChannels]) : null);
  }

  get weight(): Tensor | null { return this.optionalParameter('weight'); }
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  /** (N, numChannels, …) → same shape. */
  forward(input: Tensor): Tensor {
    assert(input.ndim >= 2 && input.shape[1] === this.numChannels,
      () => `GroupNorm.forward: input must be (N, ${this.numChannels}, …), got shape ${fmtShape(input.shape)}`);
    return F.groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }
}

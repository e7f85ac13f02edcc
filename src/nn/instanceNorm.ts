/**
 * `InstanceNorm`: torch.nn.InstanceNorm2d / InstanceNorm3d — normalise each channel of each sample over
 * space, always with the input's own statistics (PyTorch's default track_running_stats=False).
 */
import { F, Tensor, ones, zeros } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { Module } from './module.js';

export interface InstanceNormOptions {
  spatialDims: 2 | 3;
  numFeatures: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-channel scale (init 1) and shift (init 0); default false, as in PyTorch. */
  affine?: boolean;
}

export class InstanceNorm extends Module {
  readonly spatialDims: 2 | 3;
  readonly numFeatures: number;
  readonly eps: number;

  constructor(options: InstanceNormOptions) {
    super();
    const { spatialDims, numFeatures } = options;
    assert(spatialDims === 2 || spatialDims === 3, () => `InstanceNorm: spatialDims must be 2 or 3, got ${spatialDims}`);
    assert(Number.isInteger(numFeatures) && numFeatures > 0, () => `InstanceNorm: numFeatures must be a positive integer, got ${numFeatures}`);
    this.spatialDims = spatialDims;
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? false;
    this.registerParameter('weight', affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', affine ? zeros([numFeatures]) : null);
  }

  get weight(): Tensor | null { return this.optionalParameter('weight'); }
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  /** (N, numFeatures, …spatial) → same shape. */
  forward(input: Tensor): Tensor {
    assert(input.ndim === this.spatialDims + 2 && input.shape[1] === this.numFeatures,
      () => `InstanceNorm.forward: input must be (N, ${this.numFeatures}, ${this.spatialDims === 3 ? 'D, H, W' : 'H, W'}), got shape ${fmtShape(input.shape)}`);
    return F.instanceNorm(input, this.weight, this.bias, this.eps);
  }
}

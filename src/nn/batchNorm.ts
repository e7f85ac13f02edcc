/**
 * `BatchNorm`: torch.nn.BatchNorm1d / 2d / 3d — normalise each channel over the batch and space, then a per-channel
 * affine map. In training mode with the batch's own statistics, folding them into `running_mean` / `running_var`
 * (momentum 0.1, the variance unbiased, as PyTorch does); in eval mode with those running statistics, which is how a
 * pretrained network (MedicalNet's ResNets) computes its features. Buffers under PyTorch's key names, so a BatchNorm
 * state dict loads both ways.
 */
import { Tensor, noGrad, ones, tidy, zeros } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  spatialDims: 1 | 2 | 3;
  numFeatures: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale (init 1) and shift (init 0); default true. */
  affine?: boolean;
  /**
   * Keep `num_batches_tracked`, the int64 count of training batches PyTorch (≥ 0.4.1) saves with every BatchNorm;
   * default true. It is read only by PyTorch's cumulative average (momentum None), which this module does not offer,
   * so a layer that never trains can leave it out — as PyTorch 0.4.0 state dicts do.
   */
  countBatches?: boolean;
}

const LAYOUT = { 1: 'N, C, L', 2: 'N, C, H, W', 3: 'N, C, D, H, W' } as const;

export class BatchNorm extends Module {
  readonly spatialDims: 1 | 2 | 3;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly #countBatches: boolean;

  constructor(options: BatchNormOptions) {
    super();
    const { spatialDims, numFeatures } = options;
    assert(spatialDims === 1 || spatialDims === 2 || spatialDims === 3, () => `BatchNorm: spatialDims must be 1, 2 or 3, got ${spatialDims}`);
    assert(Number.isInteger(numFeatures) && numFeatures > 0, () => `BatchNorm: numFeatures must be a positive integer, got ${numFeatures}`);
    this.spatialDims = spatialDims;
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    assert(this.eps > 0, () => `BatchNorm: eps must be positive, got ${this.eps}`);
    assert(this.momentum >= 0 && this.momentum <= 1, () => `BatchNorm: momentum must be in [0, 1], got ${this.momentum}`);
    const affine = options.affine ?? true;
    this.registerParameter('weight', affine ? ones([numFeatures]) : null);
    this.registerParameter('bias', affine ? zeros([numFeatures]) : null);
    this.registerBuffer('running_mean', zeros([numFeatures]));
    this.registerBuffer('running_var', ones([numFeatures]));
    this.#countBatches = options.countBatches ?? true;
    this.registerBuffer('num_batches_tracked', this.#countBatches ? zeros([], { dtype: 'int64' }) : null);
  }

  get weight(): Tensor | null { return this.optionalParameter('weight'); }
  get bias(): Tensor | null { return this.optionalParameter('bias'); }
  get runningMean(): Tensor { return this.buffer('running_mean'); }
  get runningVar(): Tensor { return this.buffer('running_var'); }

  /** (N, numFeatures, …spatial) → same shape. */
  forward(input: Tensor): Tensor {
    assert(input.ndim === this.spatialDims + 2 && input.shape[1] === this.numFeatures,
      () => `BatchNorm.forward: input must be (${LAYOUT[this.spatialDims].replace('C', String(this.numFeatures))}), got shape ${fmtShape(input.shape)}`);
    return tidy('BatchNorm.forward', () => {
      // Per-channel values broadcast along the batch and spatial axes.
      const channelwise = (t: Tensor) => t.reshape([1, this.numFeatures, ...Array<number>(this.spatialDims).fill(1)]);
      const { mean, variance } = this.training ? this.#batchStatistics(input) : { mean: this.runningMean, variance: this.runningVar };
      // scale = γ / √(σ² + ε), shift = β − μ · scale: the form PyTorch's inference kernel evaluates.
      const invStd = variance.add(this.eps).rsqrt();
      const scale = this.weight === null ? invStd : invStd.mul(this.weight);
      const shift = this.bias === null ? scale.mul(mean).neg() : this.bias.sub(scale.mul(mean));
      return input.mul(channelwise(scale)).add(channelwise(shift));
    });
  }

  /** The batch's mean and biased variance per channel (what it is normalised with); updates the running statistics. */
  #batchStatistics(input: Tensor): { mean: Tensor; variance: Tensor } {
    const axes = [0, ...Array.from({ length: this.spatialDims }, (_, i) => i + 2)];
    const count = input.numel / this.numFeatures;
    assert(count > 1,
      () => `BatchNorm.forward: training needs more than one value per channel to estimate a variance, got input shape ${fmtShape(input.shape)}`);
    const mean = input.mean(axes);
    const variance = input.var(axes, { correction: 0 });
    noGrad(() => {
      // The running variance takes the unbiased estimate, as PyTorch's.
      this.runningMean.mul_(1 - this.momentum).add_(mean.detach().mul(this.momentum));
      this.runningVar.mul_(1 - this.momentum).add_(variance.detach().mul(this.momentum * count / (count - 1)));
      if (this.#countBatches) this.buffer('num_batches_tracked').add_(1);
    });
    return { mean, variance };
  }
}

/**
 * `Conv`: a 1D, 2D or 3D convolution layer, torch.nn.Conv1d / Conv2d / Conv3d with the same parameters and
 * initialisation. 1D serves attention layers, whose per-token projections the reference stores as Conv1d weights.
 */
import { F, Tensor, empty } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { castTuple, product } from '../util/index.js';
import { initKaimingUniform } from './init.js';
import { Module } from './module.js';

export interface ConvOptions {
  spatialDims: 1 | 2 | 3;
  inChannels: number;
  outChannels: number;
  /** One size for every axis or one per axis. */
  kernelSize: number | readonly number[];
  /** Default 1. */
  stride?: number | readonly number[];
  /** Zero padding per side (default 0), or 'same' / 'valid' as in PyTorch ('same' needs stride 1). */
  padding?: number | readonly number[] | 'same' | 'valid';
  /** Default 1. */
  dilation?: number | readonly number[];
  /** Default 1; both channel counts must divide by it. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
}

const SPATIAL_AXES = { 1: 'L', 2: 'H, W', 3: 'D, H, W' } as const;

export class Conv extends Module {
  readonly spatialDims: 1 | 2 | 3;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;

  constructor(options: ConvOptions) {
    super();
    const { spatialDims, inChannels, outChannels, groups = 1 } = options;
    assert(spatialDims === 1 || spatialDims === 2 || spatialDims === 3, () => `Conv: spatialDims must be 1, 2 or 3, got ${spatialDims}`);
    for (const [name, value] of [['inChannels', inChannels], ['outChannels', outChannels], ['groups', groups]] as const) {
      assert(Number.isInteger(value) && value > 0, () => `Conv: ${name} must be a positive integer, got ${value}`);
    }
    assert(inChannels % groups === 0 && outChannels % groups === 0,
      () => `Conv: inChannels (${inChannels}) and outChannels (${outChannels}) must both divide by groups (${groups})`);
    const tuple = (value: number | readonly number[], what: string) => {
      const t = castTuple(value, spatialDims, `Conv: ${what}`);
      assert(t.every((v) => Number.isInteger(v) && v >= (what === 'padding' ? 0 : 1)),
        () => `Conv: ${what} must hold ${what === 'padding' ? 'non-negative' : 'positive'} integers, got ${fmtShape(t)}`);
      return t;
    };
    this.spatialDims = spatialDims;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = tuple(options.kernelSize, 'kernelSize');
    this.stride = tuple(options.stride ?? 1, 'stride');
    this.dilation = tuple(options.dilation ?? 1, 'dilation');
    const padding = options.padding ?? 0;
    this.padding = typeof padding === 'string' ? padding : tuple(padding, 'padding');
    assert(this.padding !== 'same' || this.stride.every((s) => s === 1),
      () => `Conv: padding 'same' needs stride 1, got stride ${fmtShape(this.stride)}`);

    const weight = this.registerParameter('weight', empty([outChannels, inChannels / groups, ...this.kernelSize]));
    const bias = this.registerParameter('bias', options.bias ?? true ? empty([outChannels]) : null);
    initKaimingUniform(weight, bias, (inChannels / groups) * product(this.kernelSize));
  }

  get weight(): Tensor { return this.parameter('weight'); }
  get bias(): Tensor | null { return this.optionalParameter('bias'); }

  /** (N, inChannels, …spatial) → (N, outChannels, …spatial'). */
  forward(input: Tensor): Tensor {
    const rank = this.spatialDims + 2;
    assert(input.ndim === rank && input.shape[1] === this.inChannels,
      () => `Conv.forward: input must be (N, ${this.inChannels}, ${SPATIAL_AXES[this.spatialDims]}), got shape ${fmtShape(input.shape)}`);
    const options = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    switch (this.spatialDims) {
      case 3: return F.conv3d(input, this.weight, this.bias, options as F.ConvOptions<[number, number, number]>);
      case 2: return F.conv2d(input, this.weight, this.bias, options as F.ConvOptions<[number, number]>);
      case 1: return F.conv1d(input, this.weight, this.bias, options as F.ConvOptions<[number]>);
    }
  }
}

/**
 * Neural-network functions over tensors, named after torch.nn.functional. Layers in nn/ are thin
 * parameter holders around these.
 */
import { assert, fmtShape } from '../util/index.js';
import { op } from './dispatch.js';
import { Generator } from './random.js';
import { Tensor, callTensor } from './tensor.js';

type Triple = number | readonly [number, number, number];
type Pair = number | readonly [number, number];
type Single = number | readonly [number];

export interface ConvOptions<T> {
  stride?: T;
  /** Explicit padding, or 'same' / 'valid' (stride 1 only for 'same', as in PyTorch). */
  padding?: T | 'same' | 'valid';
  dilation?: T;
  groups?: number;
}

function checkRank(fn: string, name: string, x: Tensor, rank: number, layout: string): void {
  assert(x.ndim === rank, () => `${fn}: ${name} must be rank ${rank} (${layout}), got rank ${x.ndim} (shape ${fmtShape(x.shape)})`);
}

export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions<Triple> = {}): Tensor {
  return convolution('conv3d', 3, input, weight, bias, options);
}

export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions<Pair> = {}): Tensor {
  return convolution('conv2d', 2, input, weight, bias, options);
}

/** Over (N, C, L): attention layers use a kernel-1 conv1d as a per-token linear map over channels. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions<Single> = {}): Tensor {
  return convolution('conv1d', 1, input, weight, bias, options);
}

const CONV_LAYOUT = {
  1: { input: 'N, C, L', weight: 'Cout, Cin/groups, kL' },
  2: { input: 'N, C, H, W', weight: 'Cout, Cin/groups, kH, kW' },
  3: { input: 'N, C, D, H, W', weight: 'Cout, Cin/groups, kD, kH, kW' },
} as const;

function convolution(fn: string, spatialDims: 1 | 2 | 3, input: Tensor, weight: Tensor, bias: Tensor | null | undefined,
  options: ConvOptions<Triple> | ConvOptions<Pair> | ConvOptions<Single>): Tensor {
  checkRank(fn, 'input', input, spatialDims + 2, CONV_LAYOUT[spatialDims].input);
  checkRank(fn, 'weight', weight, spatialDims + 2, CONV_LAYOUT[spatialDims].weight);
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  // 'same' and 'valid' have their own overload; explicit padding the plain one.
  const { plain, named } = CONV_OPS[spatialDims];
  const operator = typeof padding === 'string' ? named : plain;
  return callTensor(operator, input, weight, bias ?? null, stride, padding, dilation, groups);
}

export function convTranspose3d(input: Tensor, weight: Tensor, bias?: Tensor | null,
  options: { stride?: Triple; padding?: Triple; outputPadding?: Triple; groups?: number; dilation?: Triple } = {}): Tensor {
  checkRank('convTranspose3d', 'input', input, 5, 'N, C, D, H, W');
  const { stride = 1, padding = 0, outputPadding = 0, groups = 1, dilation = 1 } = options;
  return callTensor(OPS.convTranspose3d, input, weight, bias ?? null, stride, padding, outputPadding, groups, dilation);
}

export function avgPool3d(input: Tensor, kernelSize: Triple, options: { stride?: Triple; padding?: Triple; ceilMode?: boolean; countIncludePad?: boolean } = {}): Tensor {
  checkRank('avgPool3d', 'input', input, 5, 'N, C, D, H, W');
  return callTensor(OPS.avgPool3d, input, kernelSize, options.stride ?? kernelSize, options.padding ?? 0, options.ceilMode ?? false,
    options.countIncludePad ?? true, null);
}

export function maxPool3d(input: Tensor, kernelSize: Triple, options: { stride?: Triple; padding?: Triple } = {}): Tensor {
  checkRank('maxPool3d', 'input', input, 5, 'N, C, D, H, W');
  return callTensor(OPS.maxPool3d, input, kernelSize, options.stride ?? kernelSize, options.padding ?? 0, 1, false);
}

export type InterpolationMode = 'nearest' | 'linear';

/**
 * Resizes the spatial axes of an (N, C, …) tensor, like F.interpolate. 'linear' means bilinear in 2D and
 * trilinear in 3D. Give either the output `size` or per-axis `scaleFactor`s.
 */
export function interpolate(input: Tensor, options: { size?: readonly number[]; scaleFactor?: number | readonly number[]; mode?: InterpolationMode; alignCorners?: boolean }): Tensor {
  const spatial = input.ndim - 2;
  assert(spatial === 2 || spatial === 3, () => `interpolate: input must be rank 4 or 5 (N, C, spatial…), got shape ${fmtShape(input.shape)}`);
  assert((options.size === undefined) !== (options.scaleFactor === undefined), () => 'interpolate: give exactly one of size and scaleFactor');
  const mode = options.mode ?? 'nearest';
  const size = options.size ?? null;
  if (size !== null) assert(size.length === spatial, () => `interpolate: size ${fmtShape(size)} must have ${spatial} entries`);
  const scales = options.scaleFactor === undefined ? null
    : typeof options.scaleFactor === 'number' ? Array(spatial).fill(options.scaleFactor) : [...options.scaleFactor];
  if (mode === 'nearest') return callTensor(spatial === 3 ? OPS.nearest3d : OPS.nearest2d, input, size, scales);
  assert(mode === 'linear', () => `interpolate: mode must be 'nearest' or 'linear', got '${mode}'`);
  return callTensor(spatial === 3 ? OPS.trilinear : OPS.bilinear, input, size, options.alignCorners ?? false, scales);
}

export function groupNorm(input: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const channels = input.shape[1];
  assert(channels % numGroups === 0, () => `groupNorm: ${channels} channels are not divisible into ${numGroups} groups`);
  return callTensor(OPS.groupNorm, input, numGroups, weight ?? null, bias ?? null, eps, true);
}

/** Instance normalisation with statistics of each input (no running statistics), like F.instance_norm. */
export function instanceNorm(input: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return callTensor(OPS.instanceNorm, input, weight ?? null, bias ?? null, null, null, true, 0.1, eps, true);
}

export function layerNorm(input: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  return callTensor(OPS.layerNorm, input, normalizedShape, weight ?? null, bias ?? null, eps, true);
}

export function silu(x: Tensor): Tensor { return callTensor(OPS.silu, x); }
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor { return callTensor(OPS.gelu, x, approximate); }
export function relu(x: Tensor): Tensor { return callTensor(OPS.relu, x); }
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor { return callTensor(OPS.leakyRelu, x, negativeSlope); }
export function sigmoid(x: Tensor): Tensor { return callTensor(OPS.sigmoid, x); }
export function tanh(x: Tensor): Tensor { return callTensor(OPS.tanh, x); }
export function softmax(x: Tensor, dim: number): Tensor { return callTensor(OPS.softmax, x, dim, null); }
export function logSoftmax(x: Tensor, dim: number): Tensor { return callTensor(OPS.logSoftmax, x, dim, null); }

export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return callTensor(OPS.linear, input, weight, bias ?? null);
}

export function embedding(weight: Tensor, indices: Tensor): Tensor {
  return callTensor(OPS.embedding, weight, indices);
}

/**
 * Inverted dropout. With a generator the mask is drawn from it (reproducible per stream); otherwise from
 * the global generator, exactly as torch's F.dropout.
 */
export function dropout(x: Tensor, p: number, training: boolean, generator?: Generator): Tensor {
  assert(p >= 0 && p < 1, () => `dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x.clone();
  if (generator === undefined) return callTensor(OPS.dropout, x, p, true);
  const mask = callTensor(OPS.emptyLike, x);
  try {
    callTensor(OPS.bernoulli_, mask, 1 - p, generator.handle).dispose(); // the in-place op returns an alias of mask
    return x.mul(mask).div(1 - p);
  } finally {
    mask.dispose();
  }
}

export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  assert(tensors.length > 0, () => 'cat: needs at least one tensor');
  return callTensor(OPS.cat, tensors, dim);
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  assert(tensors.length > 0, () => 'stack: needs at least one tensor');
  return callTensor(OPS.stack, tensors, dim);
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/** Pads the last axes; `pad` lists (before, after) pairs starting from the last axis, like F.pad. */
export function pad(x: Tensor, padding: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  assert(padding.length % 2 === 0 && padding.length / 2 <= x.ndim,
    () => `pad: padding ${fmtShape(padding)} must hold (before, after) pairs for at most ${x.ndim} axes`);
  return callTensor(OPS.pad, x, padding, mode, mode === 'constant' ? value : null);
}

/** Elementwise choice: `condition ? a : b`. */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return callTensor(OPS.where, condition, a, b);
}

export type Reduction = 'mean' | 'sum' | 'none';
const REDUCTION_CODE: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return callTensor(OPS.mseLoss, input, target, REDUCTION_CODE[reduction]);
}

export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return callTensor(OPS.l1Loss, input, target, REDUCTION_CODE[reduction]);
}

/**
 * −log softmax(logits)[target] per sample, like F.cross_entropy with class indices: logits (N, K) or
 * (N, K, d1, …), target int64 (N) or (N, d1, …) holding classes 0…K−1. No class weights, label smoothing or
 * ignored index (a target of −100 is still skipped, as by torch's default).
 */
export function crossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  assert(logits.ndim >= 2, () => `crossEntropy: logits must be (N, K, …), got shape ${fmtShape(logits.shape)}`);
  assert(target.dtype === 'int64', () => `crossEntropy: target must hold int64 class indices, got ${target.dtype} (shape ${fmtShape(target.shape)})`);
  const expected = [logits.shape[0], ...logits.shape.slice(2)];
  assert(target.ndim === expected.length && target.shape.every((s, i) => s === expected[i]),
    () => `crossEntropy: target must have shape ${fmtShape(expected)} for logits of shape ${fmtShape(logits.shape)}, got ${fmtShape(target.shape)}`);
  return callTensor(OPS.crossEntropy, logits, target, null, REDUCTION_CODE[reduction], -100, 0);
}

/** One-hot rows of int64 class indices: (…) → (…, numClasses) int64, like F.one_hot; an index outside [0, numClasses) is refused by libtorch. */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  assert(indices.dtype === 'int64', () => `oneHot: indices must be int64, got ${indices.dtype} (shape ${fmtShape(indices.shape)})`);
  assert(Number.isInteger(numClasses) && numClasses > 0, () => `oneHot: numClasses must be a positive integer, got ${numClasses}`);
  return callTensor(OPS.oneHot, indices, numClasses);
}

/** Query rows per block: a block's float32 probabilities stay near 64 MiB, whatever the number of tokens. */
const ATTENTION_BLOCK_ELEMENTS = 1 << 24;

export interface AttentionOptions {
  /** Multiplies q kᵀ before the softmax; default 1/√d. Pass 1 when q and k come scaled. */
  scale?: number;
  /** Query rows per block (default: enough for about 2²⁴ scores per block). */
  queryBlock?: number;
}

/**
 * softmax(q kᵀ · scale) v for query (B, Tq, d), key (B, Tk, d), value (B, Tk, dv) → (B, Tq, dv), softmax in float32
 * (float64 for float64 inputs).
 * Computed a block of query rows at a time, and autograd keeps only q, k and v: the backward pass recomputes each
 * block's probabilities (native `mrsynth::blockwise_attention`). Self-attention over a 3D feature map has tokens²
 * scores — a quarter of a gigabyte per head at 7,776 tokens — so neither pass ever holds the whole matrix.
 */
export function attention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}): Tensor {
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) checkRank('attention', name, t, 3, 'B, tokens, channels');
  const [batch, queries, channels] = query.shape;
  const keys = key.shape[1];
  const scale = options.scale ?? 1 / Math.sqrt(channels);
  const queryBlock = options.queryBlock ?? Math.max(1, Math.min(queries, Math.floor(ATTENTION_BLOCK_ELEMENTS / (batch * keys))));
  assert(Number.isInteger(queryBlock) && queryBlock > 0, () => `attention: queryBlock must be a positive integer, got ${queryBlock}`);
  assert(Number.isFinite(scale), () => `attention: scale must be finite, got ${scale}`);
  return callTensor(OPS.blockwiseAttention, query, key, value, scale, queryBlock);
}

const OPS = {
  conv3d: op('aten::conv3d'), conv3dPadding: op('aten::conv3d', 'padding'),
  conv2d: op('aten::conv2d'), conv2dPadding: op('aten::conv2d', 'padding'),
  conv1d: op('aten::conv1d'), conv1dPadding: op('aten::conv1d', 'padding'),
  convTranspose3d: op('aten::conv_transpose3d', 'input'),
  avgPool3d: op('aten::avg_pool3d'), maxPool3d: op('aten::max_pool3d'),
  nearest3d: op('aten::upsample_nearest3d', 'vec'), nearest2d: op('aten::upsample_nearest2d', 'vec'),
  trilinear: op('aten::upsample_trilinear3d', 'vec'), bilinear: op('aten::upsample_bilinear2d', 'vec'),
  groupNorm: op('aten::group_norm'), instanceNorm: op('aten::instance_norm'), layerNorm: op('aten::layer_norm'),
  silu: op('aten::silu'), gelu: op('aten::gelu'), relu: op('aten::relu'), leakyRelu: op('aten::leaky_relu'),
  sigmoid: op('aten::sigmoid'), tanh: op('aten::tanh'), softmax: op('aten::softmax', 'int'), logSoftmax: op('aten::log_softmax', 'int'),
  linear: op('aten::linear'), embedding: op('aten::embedding'), dropout: op('aten::dropout'),
  bernoulli_: op('aten::bernoulli_', 'float'), emptyLike: op('aten::empty_like'), cat: op('aten::cat'), stack: op('aten::stack'), pad: op('aten::pad'),
  where: op('aten::where', 'self'), mseLoss: op('aten::mse_loss'), l1Loss: op('aten::l1_loss'),
  crossEntropy: op('aten::cross_entropy_loss'), oneHot: op('aten::one_hot'),
  blockwiseAttention: op('mrsynth::blockwise_attention'),
} as const;

/** Per spatial rank: the overload with explicit padding and the one with 'same' / 'valid'. */
const CONV_OPS = {
  1: { plain: OPS.conv1d, named: OPS.conv1dPadding },
  2: { plain: OPS.conv2d, named: OPS.conv2dPadding },
  3: { plain: OPS.conv3d, named: OPS.conv3dPadding },
} as const;

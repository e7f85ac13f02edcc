/** Creating tensors: from JS data, constants, ranges and random draws (always from an explicit or the global generator). */
import { assert, fmtShape } from '../util/index.js';
import { AnyTypedArray, DType, SCALAR_TYPE_CODE, dtypeOfTypedArray } from './dtype.js';
import { op } from './dispatch.js';
import { native } from './native.js';
import { Generator } from './random.js';
import { Device, Shape, Tensor, callTensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

function finish(tensor: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) tensor.requiresGrad_(true);
  return tensor;
}

function code(options: TensorOptions, fallback: DType = 'float32'): number {
  return SCALAR_TYPE_CODE[options.dtype ?? fallback];
}

function checkShape(fn: string, shape: Shape): void {
  assert(shape.every((s) => Number.isInteger(s) && s >= 0), () => `${fn}: shape must hold non-negative integers, got ${fmtShape(shape)}`);
}

/**
 * A tensor from JS data: a typed array with a shape, or (nested) number arrays. Float data defaults to
 * float32; half types are converted from float32 values.
 */
export function tensor(data: AnyTypedArray | readonly number[] | readonly (readonly number[])[] | readonly unknown[], options: TensorOptions & { shape?: Shape } = {}): Tensor {
  let values: ArrayBufferView;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    values = data;
    shape = options.shape ? [...options.shape] : [(data as AnyTypedArray).length];
  } else {
    shape = options.shape ? [...options.shape] : inferShape(data);
    const flat = (data as unknown[]).flat(Infinity) as number[];
    values = options.dtype === 'int64' ? BigInt64Array.from(flat, (v) => BigInt(v)) : options.dtype === 'float64' ? Float64Array.from(flat) : Float32Array.from(flat);
  }
  checkShape('tensor', shape);
  const stored = ArrayBuffer.isView(data) ? dtypeOfTypedArray(data) : options.dtype === 'int64' ? 'int64' : options.dtype === 'float64' ? 'float64' : 'float32';
  const count = shape.reduce((a, b) => a * b, 1);
  const length = (values as AnyTypedArray).length;
  assert(length === count, () => `tensor: ${length} values do not fill shape ${fmtShape(shape)} (${count} elements)`);
  let result = new Tensor(native.fromBuffer(values, shape, SCALAR_TYPE_CODE[stored]));
  const wanted = options.dtype ?? stored;
  if (wanted !== stored || (options.device !== undefined && options.device !== 'cpu')) {
    const converted = result.to({ dtype: wanted, device: options.device });
    result.dispose();
    result = converted;
  }
  return finish(result, options);
}

function inferShape(data: readonly unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

/**
 * A CPU tensor of `dtype` and `shape` holding a copy of `bytes`, row-major and little-endian: the inverse of
 * `Tensor.rawBytes()`, for every dtype (bfloat16 and float16 included, which no typed array holds).
 */
export function fromBytes(bytes: Uint8Array, dtype: DType, shape: Shape): Tensor {
  checkShape('fromBytes', shape);
  return new Tensor(native.fromBuffer(bytes, [...shape], SCALAR_TYPE_CODE[dtype]));
}

export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  checkShape('zeros', shape);
  return finish(callTensor(OPS.zeros, shape, code(options), undefined, options.device ?? null), options);
}

export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  checkShape('ones', shape);
  return finish(callTensor(OPS.ones, shape, code(options), undefined, options.device ?? null), options);
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  return finish(callTensor(OPS.full, shape, value, code(options), undefined, options.device ?? null), options);
}

export function empty(shape: Shape, options: TensorOptions = {}): Tensor {
  checkShape('empty', shape);
  return finish(callTensor(OPS.empty, shape, code(options), undefined, options.device ?? null), options);
}

export function zerosLike(like: Tensor): Tensor { return callTensor(OPS.zerosLike, like); }
export function onesLike(like: Tensor): Tensor { return callTensor(OPS.onesLike, like); }
export function fullLike(like: Tensor, value: number): Tensor { return callTensor(OPS.fullLike, like, value); }

/** Values start, start+step, … below end, like torch.arange. Integral arguments give int64. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  assert(step !== 0, () => 'arange: step must not be zero');
  const integral = Number.isInteger(from) && Number.isInteger(to) && Number.isInteger(step);
  const dtype = options.dtype ?? (integral ? 'int64' : 'float32');
  return finish(callTensor(OPS.arange, from, to, step, SCALAR_TYPE_CODE[dtype], undefined, options.device ?? null), options);
}

export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  assert(Number.isInteger(steps) && steps >= 0, () => `linspace: steps must be a non-negative integer, got ${steps}`);
  return finish(callTensor(OPS.linspace, start, end, steps, code(options), undefined, options.device ?? null), options);
}

/** Standard normal draws. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randn', shape);
  return finish(callTensor(OPS.randn, shape, options.generator?.handle ?? null, code(options), undefined, options.device ?? null), options);
}

/**
 * Standard normal draws from one generator, or for a batch whose row i comes from `generators[i]` alone: each row is
 * then what a batch of one would draw from its generator, so a seeded sample is the same whatever batch it is drawn in.
 */
export function randnFrom(shape: Shape, generators: Generator | readonly Generator[], options: TensorOptions = {}): Tensor {
  const like = { dtype: options.dtype, device: options.device };
  if (generators instanceof Generator) return finish(randn(shape, { ...like, generator: generators }), options);
  checkShape('randnFrom', shape);
  assert(shape.length > 0 && generators.length === shape[0],
    () => `randnFrom: ${generators.length} generator(s) for the ${shape[0] ?? 0} row(s) of shape ${fmtShape(shape)}`);
  const rows = generators.map((generator) => randn([1, ...shape.slice(1)], { ...like, generator }));
  try {
    return finish(callTensor(OPS.cat, rows, 0), options);
  } finally {
    for (const row of rows) row.dispose();
  }
}

/** Uniform draws on [0, 1). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('rand', shape);
  return finish(callTensor(OPS.rand, shape, options.generator?.handle ?? null, code(options), undefined, options.device ?? null), options);
}

/** Integers uniform on [low, high). */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  checkShape('randint', shape);
  assert(high > low, () => `randint: high (${high}) must exceed low (${low})`);
  return callTensor(OPS.randint, low, high, shape, options.generator?.handle ?? null, code(options, 'int64'), undefined, options.device ?? null);
}

/** A random permutation of 0..n-1. */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  return callTensor(OPS.randperm, n, options.generator?.handle ?? null, code(options, 'int64'), undefined, options.device ?? null);
}

export function randnLike(like: Tensor, generator?: Generator): Tensor {
  return randn(like.shape, { generator, dtype: like.dtype, device: like.device as Device });
}

export function eye(n: number, options: TensorOptions = {}): Tensor {
  return finish(callTensor(OPS.eye, n, code(options), undefined, options.device ?? null), options);
}

const OPS = {
  zeros: op('aten::zeros'), ones: op('aten::ones'), full: op('aten::full'), empty: op('aten::empty', 'memory_format'),
  zerosLike: op('aten::zeros_like'), onesLike: op('aten::ones_like'), fullLike: op('aten::full_like'),
  arange: op('aten::arange', 'start_step'), linspace: op('aten::linspace'),
  randn: op('aten::randn', 'generator'), cat: op('aten::cat'), rand: op('aten::rand', 'generator'),
  randint: op('aten::randint', 'low_generator'), randperm: op('aten::randperm', 'generator'), eye: op('aten::eye'),
} as const;

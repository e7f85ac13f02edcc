/**
 * `Tensor`: a handle on a libtorch tensor with a PyTorch-like API. Every op goes through the c10 dispatcher
 * by schema name (dispatch.ts), so autograd, dtype promotion and device placement behave exactly as in
 * PyTorch. Tensors are freed by scopes (`tidy`), by `dispose()`, or — as a last resort — when V8 collects
 * the JS object.
 */
import { assert, fmtShape } from '../util/index.js';
import { DType, SCALAR_TYPE_CODE, TypedArrayOf, dtypeFromCode, typedArrayFromBuffer } from './dtype.js';
import { Op, op } from './dispatch.js';
import { Handle, native } from './native.js';
import { Tracked, track } from './scope.js';

export type Device = 'cpu' | `cuda:${number}` | 'cuda';
export type Scalar = number | boolean;
export type Shape = readonly number[];

// A tensor the program dropped without disposing still gets freed once V8 collects it. This is a safety
// net, not the mechanism: Node 20 runs these callbacks only between macrotasks.
const collected = new FinalizationRegistry<Handle>((handle) => {
  try {
    native.release(handle);
  } catch {
    /* finalizers never throw */
  }
});

interface Meta {
  dtype: DType;
  device: string;
  shape: number[];
}

export class Tensor implements Tracked {
  #handle: Handle;
  #meta: Meta | undefined;

  /** Wraps a native handle that nobody else owns. Library code only; users create tensors with creation.ts. */
  constructor(handle: Handle) {
    this.#handle = handle;
    collected.register(this, handle, this);
    track(this);
  }

  /** The native handle; throws if the tensor was disposed. */
  get handle(): Handle {
    if (this.#handle === 0) throw new Error('Tensor: this tensor was disposed and cannot be used any more');
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === 0;
  }

  dispose(): void {
    if (this.#handle === 0) return;
    collected.unregister(this);
    native.release(this.#handle);
    this.#handle = 0;
  }

  // ---------------------------------------------------------------- metadata

  private get meta(): Meta {
    if (this.#meta === undefined) {
      const [code, device, ...shape] = native.meta(this.handle);
      this.#meta = { dtype: dtypeFromCode(code), device, shape };
    }
    return this.#meta;
  }

  get shape(): number[] {
    return [...this.meta.shape];
  }

  get dtype(): DType {
    return this.meta.dtype;
  }

  get device(): string {
    return this.meta.device;
  }

  get ndim(): number {
    return this.meta.shape.length;
  }

  get numel(): number {
    let n = 1;
    for (const s of this.meta.shape) n *= s;
    return n;
  }

  size(dim: number): number {
    const shape = this.meta.shape;
    const d = dim < 0 ? dim + shape.length : dim;
    assert(d >= 0 && d < shape.length, () => `Tensor.size: dim ${dim} out of range for shape ${fmtShape(shape)}`);
    return shape[d];
  }

  toString(): string {
    return this.isDisposed ? 'Tensor(disposed)' : `Tensor(${fmtShape(this.meta.shape)}, ${this.dtype}, ${this.device})`;
  }

  // ---------------------------------------------------------------- data out

  /** A copy of the data as a typed array (float16/bfloat16 are widened to float32; bool as 0/1 bytes). */
  toTypedArray<D extends DType = DType>(): TypedArrayOf[D] {
    const dtype = this.dtype;
    if (dtype === 'bfloat16' || dtype === 'float16') {
      const wide = this.to('float32');
      try {
        return wide.toTypedArray() as TypedArrayOf[D];
      } finally {
        wide.dispose();
      }
    }
    return typedArrayFromBuffer(dtype, native.toBuffer(this.handle)) as TypedArrayOf[D];
  }

  /** Raw little-endian bytes in the tensor's own dtype, contiguous, row-major (for serialisation). */
  rawBytes(): Uint8Array {
    return new Uint8Array(native.toBuffer(this.handle));
  }

  /**
   * A zero-copy view of a contiguous CPU tensor's memory. The view keeps the storage alive on its own, so it
   * stays valid after `dispose()`; writes through it change the tensor (bypassing autograd).
   */
  dataView<D extends DType = DType>(): TypedArrayOf[D] {
    const dtype = this.dtype;
    assert(dtype !== 'bfloat16' && dtype !== 'float16', () => `Tensor.dataView: ${dtype} has no JS typed array`);
    return typedArrayFromBuffer(dtype, native.pinnedView(this.handle)) as TypedArrayOf[D];
  }

  /** The single value of a one-element tensor. */
  item(): number {
    const value = native.item(this.handle);
    return typeof value === 'boolean' ? Number(value) : value;
  }

  // ---------------------------------------------------------------- autograd

  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }

  /** Marks a leaf tensor as needing gradients (in place); returns this. */
  requiresGrad_(requires = true): this {
    native.setRequiresGrad(this.handle, requires);
    return this;
  }

  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }

  /** The accumulated gradient, or null. Each access returns a new handle on the same gradient storage. */
  get grad(): Tensor | null {
    const handle = native.grad(this.handle);
    return handle === null ? null : new Tensor(handle);
  }

  set grad(value: Tensor | null) {
    native.setGrad(this.handle, value === null ? null : value.handle);
  }

  retainGrad(): this {
    native.retainGrad(this.handle);
    return this;
  }

  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    native.backward(this.handle, gradient?.handle ?? null, options.retainGraph ?? null, options.createGraph ?? false);
  }

  detach(): Tensor {
    return callTensor(OPS.detach, this);
  }

  // ---------------------------------------------------------------- conversion

  /** Converts to a dtype and/or device; returns a new handle (possibly on the same data if nothing changes). */
  to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    const { dtype, device } = typeof target === 'string'
      ? (target in SCALAR_TYPE_CODE ? { dtype: target as DType, device: undefined } : { dtype: undefined, device: target as Device })
      : target;
    if (device !== undefined) {
      return callTensor(OPS.toDevice, this, device, SCALAR_TYPE_CODE[dtype ?? this.dtype]);
    }
    return callTensor(OPS.toDtype, this, SCALAR_TYPE_CODE[dtype ?? this.dtype]);
  }

  float(): Tensor {
    return this.to('float32');
  }

  double(): Tensor {
    return this.to('float64');
  }

  clone(): Tensor {
    return callTensor(OPS.clone, this);
  }

  contiguous(): Tensor {
    return callTensor(OPS.contiguous, this);
  }

  // ---------------------------------------------------------------- elementwise arithmetic

  add(other: Tensor | number, alpha?: number): Tensor {
    return other instanceof Tensor ? callTensor(OPS.add, this, other, alpha) : callTensor(OPS.addScalar, this, other, alpha);
  }

  sub(other: Tensor | number, alpha?: number): Tensor {
    return other instanceof Tensor ? callTensor(OPS.sub, this, other, alpha) : callTensor(OPS.subScalar, this, other, alpha);
  }

  mul(other: Tensor | number): Tensor {
    return other instanceof Tensor ? callTensor(OPS.mul, this, other) : callTensor(OPS.mulScalar, this, other);
  }

  div(other: Tensor | number): Tensor {
    return other instanceof Tensor ? callTensor(OPS.div, this, other) : callTensor(OPS.divScalar, this, other);
  }

  pow(exponent: Tensor | number): Tensor {
    return exponent instanceof Tensor ? callTensor(OPS.pow, this, exponent) : callTensor(OPS.powScalar, this, exponent);
  }

  remainder(other: number): Tensor {
    return callTensor(OPS.remainder, this, other);
  }

  maximum(other: Tensor): Tensor {
    return callTensor(OPS.maximum, this, other);
  }

  minimum(other: Tensor): Tensor {
    return callTensor(OPS.minimum, this, other);
  }

  clamp(min?: number | null, max?: number | null): Tensor {
    assert(min != null || max != null, () => 'Tensor.clamp: give at least one of min and max');
    return callTensor(OPS.clamp, this, min ?? null, max ?? null);
  }

  lerp(end: Tensor, weight: number): Tensor {
    return callTensor(OPS.lerp, this, end, weight);
  }

  neg(): Tensor { return callTensor(OPS.neg, this); }
  abs(): Tensor { return callTensor(OPS.abs, this); }
  exp(): Tensor { return callTensor(OPS.exp, this); }
  log(): Tensor { return callTensor(OPS.log, this); }
  log1p(): Tensor { return callTensor(OPS.log1p, this); }
  sqrt(): Tensor { return callTensor(OPS.sqrt, this); }
  rsqrt(): Tensor { return callTensor(OPS.rsqrt, this); }
  square(): Tensor { return callTensor(OPS.square, this); }
  reciprocal(): Tensor { return callTensor(OPS.reciprocal, this); }
  sign(): Tensor { return callTensor(OPS.sign, this); }
  sin(): Tensor { return callTensor(OPS.sin, this); }
  cos(): Tensor { return callTensor(OPS.cos, this); }
  floor(): Tensor { return callTensor(OPS.floor, this); }
  ceil(): Tensor { return callTensor(OPS.ceil, this); }
  round(): Tensor { return callTensor(OPS.round, this); }
  tanh(): Tensor { return callTensor(OPS.tanh, this); }
  sigmoid(): Tensor { return callTensor(OPS.sigmoid, this); }
  relu(): Tensor { return callTensor(OPS.relu, this); }
  isnan(): Tensor { return callTensor(OPS.isnan, this); }
  isfinite(): Tensor { return callTensor(OPS.isfinite, this); }

  // ---------------------------------------------------------------- comparisons (bool results)

  eq(other: Tensor | number): Tensor { return compare(OPS.eq, OPS.eqScalar, this, other); }
  ne(other: Tensor | number): Tensor { return compare(OPS.ne, OPS.neScalar, this, other); }
  lt(other: Tensor | number): Tensor { return compare(OPS.lt, OPS.ltScalar, this, other); }
  le(other: Tensor | number): Tensor { return compare(OPS.le, OPS.leScalar, this, other); }
  gt(other: Tensor | number): Tensor { return compare(OPS.gt, OPS.gtScalar, this, other); }
  ge(other: Tensor | number): Tensor { return compare(OPS.ge, OPS.geScalar, this, other); }
  logicalNot(): Tensor { return callTensor(OPS.logicalNot, this); }
  logicalAnd(other: Tensor): Tensor { return callTensor(OPS.logicalAnd, this, other); }
  logicalOr(other: Tensor): Tensor { return callTensor(OPS.logicalOr, this, other); }

  /** Elementwise choice: where `this` (bool) is true take `a`, else `b`. */
  where(a: Tensor, b: Tensor): Tensor {
    return callTensor(OPS.where, this, a, b);
  }

  maskedFill(mask: Tensor, value: number): Tensor {
    return callTensor(OPS.maskedFill, this, mask, value);
  }

  // ---------------------------------------------------------------- in-place updates (used by optimisers)

  add_(other: Tensor | number, alpha?: number): this {
    return other instanceof Tensor ? inPlace(this, OPS.add_, other, alpha) : inPlace(this, OPS.addScalar_, other, alpha);
  }
  sub_(other: Tensor | number, alpha?: number): this {
    return other instanceof Tensor ? inPlace(this, OPS.sub_, other, alpha) : inPlace(this, OPS.subScalar_, other, alpha);
  }
  mul_(other: Tensor | number): this {
    return other instanceof Tensor ? inPlace(this, OPS.mul_, other) : inPlace(this, OPS.mulScalar_, other);
  }
  div_(other: Tensor | number): this {
    return other instanceof Tensor ? inPlace(this, OPS.div_, other) : inPlace(this, OPS.divScalar_, other);
  }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { return inPlace(this, OPS.addcmul_, a, b, value); }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { return inPlace(this, OPS.addcdiv_, a, b, value); }
  lerp_(end: Tensor, weight: number): this { return inPlace(this, OPS.lerp_, end, weight); }
  sqrt_(): this { return inPlace(this, OPS.sqrt_); }
  clamp_(min?: number | null, max?: number | null): this { return inPlace(this, OPS.clamp_, min ?? null, max ?? null); }
  copy_(source: Tensor): this { return inPlace(this, OPS.copy_, source); }
  /** Writes `source`'s slices along `dim` at the int64 positions `index` (each position once), in place. */
  indexCopy_(dim: number, index: Tensor, source: Tensor): this { return inPlace(this, OPS.indexCopy_, dim, index, source); }
  zero_(): this { return inPlace(this, OPS.zero_); }
  fill_(value: number): this { return inPlace(this, OPS.fill_, value); }

  /** Fills with U(from, to) draws, from `generator` or the global generator (PyTorch's init uses this). */
  uniform_(from = 0, to = 1, generator?: { readonly handle: number } | null): this {
    return inPlace(this, OPS.uniform_, from, to, generator?.handle ?? null);
  }

  normal_(mean = 0, std = 1, generator?: { readonly handle: number } | null): this {
    return inPlace(this, OPS.normal_, mean, std, generator?.handle ?? null);
  }

  // ---------------------------------------------------------------- reductions

  /** Sum over all elements, or over `dims`. */
  sum(dims?: number | readonly number[], keepdim = false): Tensor {
    return dims === undefined ? callTensor(OPS.sum, this) : callTensor(OPS.sumDim, this, dimList(dims), keepdim);
  }

  mean(dims?: number | readonly number[], keepdim = false): Tensor {
    return dims === undefined ? callTensor(OPS.mean, this) : callTensor(OPS.meanDim, this, dimList(dims), keepdim);
  }

  /** Variance with Bessel's correction by default (`correction` 1), as torch.var. */
  var(dims?: number | readonly number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return callTensor(OPS.varCorrection, this, dims === undefined ? null : dimList(dims), options.correction ?? 1, options.keepdim ?? false);
  }

  std(dims?: number | readonly number[], options: { correction?: number; keepdim?: boolean } = {}): Tensor {
    return callTensor(OPS.stdCorrection, this, dims === undefined ? null : dimList(dims), options.correction ?? 1, options.keepdim ?? false);
  }

  /** Largest element overall. */
  max(): Tensor { return callTensor(OPS.max, this); }
  min(): Tensor { return callTensor(OPS.min, this); }

  /** Largest value and its index along one dimension. */
  maxDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callTensors(OPS.maxDim, this, dim, keepdim);
    return { values, indices };
  }

  minDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callTensors(OPS.minDim, this, dim, keepdim);
    return { values, indices };
  }

  amax(dims: number | readonly number[], keepdim = false): Tensor { return callTensor(OPS.amax, this, dimList(dims), keepdim); }
  amin(dims: number | readonly number[], keepdim = false): Tensor { return callTensor(OPS.amin, this, dimList(dims), keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return callTensor(OPS.argmax, this, dim ?? null, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return callTensor(OPS.argmin, this, dim ?? null, keepdim); }

  /** p-norm over all elements or over `dims`. */
  norm(p = 2, dims?: number | readonly number[], keepdim = false): Tensor {
    return callTensor(OPS.norm, this, p, dims === undefined ? [] : dimList(dims), keepdim);
  }

  all(): Tensor { return callTensor(OPS.all, this); }
  any(): Tensor { return callTensor(OPS.any, this); }

  // ---------------------------------------------------------------- shape and indexing

  reshape(shape: Shape): Tensor { return callTensor(OPS.reshape, this, shape); }
  /** A view with another shape; fails (as in PyTorch) when the strides do not allow one. */
  view(shape: Shape): Tensor { return callTensor(OPS.view, this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return callTensor(OPS.flatten, this, startDim, endDim); }
  squeeze(dim?: number): Tensor { return dim === undefined ? callTensor(OPS.squeeze, this) : callTensor(OPS.squeezeDim, this, dim); }
  unsqueeze(dim: number): Tensor { return callTensor(OPS.unsqueeze, this, dim); }
  permute(dims: readonly number[]): Tensor { return callTensor(OPS.permute, this, dims); }
  transpose(dim0: number, dim1: number): Tensor { return callTensor(OPS.transpose, this, dim0, dim1); }
  expand(shape: Shape): Tensor { return callTensor(OPS.expand, this, shape); }
  repeat(repeats: readonly number[]): Tensor { return callTensor(OPS.repeat, this, repeats); }
  flip(dims: number | readonly number[]): Tensor { return callTensor(OPS.flip, this, dimList(dims)); }
  narrow(dim: number, start: number, length: number): Tensor { return callTensor(OPS.narrow, this, dim, start, length); }

  /** Python's `t[..., start:end:step, ...]` on one dimension; a view. `end` defaults to the end. */
  slice(dim: number, start = 0, end?: number | null, step = 1): Tensor {
    return callTensor(OPS.slice, this, dim, start, end ?? null, step);
  }

  /** Python's `t[..., index, ...]`: removes the dimension; a view. */
  select(dim: number, index: number): Tensor { return callTensor(OPS.select, this, dim, index); }

  indexSelect(dim: number, index: Tensor): Tensor { return callTensor(OPS.indexSelect, this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return callTensor(OPS.gather, this, dim, index); }

  /** Advanced indexing, Python's `t[idx0, idx1, ...]` with index tensors; null keeps a dimension whole. */
  index(indices: readonly (Tensor | null)[]): Tensor {
    return callTensor(OPS.index, this, indices.map((t) => t?.handle ?? null));
  }

  chunk(chunks: number, dim = 0): Tensor[] { return callTensors(OPS.chunk, this, chunks, dim); }

  /** Splits into pieces of `size` (or the given sizes) along `dim`. */
  split(size: number | readonly number[], dim = 0): Tensor[] {
    return typeof size === 'number' ? callTensors(OPS.split, this, size, dim) : callTensors(OPS.splitWithSizes, this, size, dim);
  }

  // ---------------------------------------------------------------- linear algebra

  matmul(other: Tensor): Tensor { return callTensor(OPS.matmul, this, other); }
  mm(other: Tensor): Tensor { return callTensor(OPS.mm, this, other); }
  bmm(other: Tensor): Tensor { return callTensor(OPS.bmm, this, other); }
}

// -------------------------------------------------------------------- calling operators

function toNativeArgument(arg: unknown): unknown {
  if (arg instanceof Tensor) return arg.handle;
  if (Array.isArray(arg) && arg.length > 0 && arg.some((a) => a instanceof Tensor)) {
    return arg.map((a) => (a instanceof Tensor ? a.handle : a));
  }
  return arg;
}

function invoke(operator: Op, args: readonly unknown[]): unknown {
  switch (args.length) {
    // The common arities avoid building an intermediate array for the spread.
    case 1: return native.opCall(operator.id, toNativeArgument(args[0]));
    case 2: return native.opCall(operator.id, toNativeArgument(args[0]), toNativeArgument(args[1]));
    case 3: return native.opCall(operator.id, toNativeArgument(args[0]), toNativeArgument(args[1]), toNativeArgument(args[2]));
    default: return native.opCall(operator.id, ...args.map(toNativeArgument));
  }
}

/** Calls an operator that returns one tensor. */
export function callTensor(operator: Op, ...args: unknown[]): Tensor {
  const result = invoke(operator, args);
  assert(typeof result === 'number', () => `${operator.name}: expected a tensor result, got ${String(result)}`);
  return new Tensor(result);
}

/** Calls an operator that returns several tensors (a tuple or a list). */
export function callTensors(operator: Op, ...args: unknown[]): Tensor[] {
  const result = invoke(operator, args);
  assert(Array.isArray(result), () => `${operator.name}: expected a tuple of tensors, got ${String(result)}`);
  return (result as (Handle | null)[]).map((h) => {
    assert(h !== null, () => `${operator.name}: returned an undefined tensor`);
    return new Tensor(h);
  });
}

/** Calls an operator for its non-tensor result (a number, a boolean or nothing). */
export function callValue(operator: Op, ...args: unknown[]): unknown {
  return invoke(operator, args);
}

function inPlace<T extends Tensor>(self: T, operator: Op, ...args: unknown[]): T {
  // The native call returns a fresh handle aliasing `self`; drop it and hand back `self`.
  const result = native.opCall(operator.id, self.handle, ...args.map(toNativeArgument));
  if (typeof result === 'number') native.release(result);
  return self;
}

function compare(tensorOp: Op, scalarOp: Op, self: Tensor, other: Tensor | number): Tensor {
  return other instanceof Tensor ? callTensor(tensorOp, self, other) : callTensor(scalarOp, self, other);
}

function dimList(dims: number | readonly number[]): readonly number[] {
  return typeof dims === 'number' ? [dims] : dims;
}

const OPS = {
  detach: op('aten::detach'),
  toDtype: op('aten::to', 'dtype'),
  toDevice: op('aten::to', 'device'),
  clone: op('aten::clone'),
  contiguous: op('aten::contiguous'),
  add: op('aten::add', 'Tensor'), addScalar: op('aten::add', 'Scalar'),
  sub: op('aten::sub', 'Tensor'), subScalar: op('aten::sub', 'Scalar'),
  mul: op('aten::mul', 'Tensor'), mulScalar: op('aten::mul', 'Scalar'),
  div: op('aten::div', 'Tensor'), divScalar: op('aten::div', 'Scalar'),
  pow: op('aten::pow', 'Tensor_Tensor'), powScalar: op('aten::pow', 'Tensor_Scalar'),
  remainder: op('aten::remainder', 'Scalar'),
  maximum: op('aten::maximum'), minimum: op('aten::minimum'),
  clamp: op('aten::clamp'), lerp: op('aten::lerp', 'Scalar'),
  neg: op('aten::neg'), abs: op('aten::abs'), exp: op('aten::exp'), log: op('aten::log'), log1p: op('aten::log1p'),
  sqrt: op('aten::sqrt'), rsqrt: op('aten::rsqrt'), square: op('aten::square'), reciprocal: op('aten::reciprocal'),
  sign: op('aten::sign'), sin: op('aten::sin'), cos: op('aten::cos'), floor: op('aten::floor'), ceil: op('aten::ceil'),
  round: op('aten::round'), tanh: op('aten::tanh'), sigmoid: op('aten::sigmoid'), relu: op('aten::relu'),
  isnan: op('aten::isnan'), isfinite: op('aten::isfinite'),
  eq: op('aten::eq', 'Tensor'), eqScalar: op('aten::eq', 'Scalar'), ne: op('aten::ne', 'Tensor'), neScalar: op('aten::ne', 'Scalar'),
  lt: op('aten::lt', 'Tensor'), ltScalar: op('aten::lt', 'Scalar'), le: op('aten::le', 'Tensor'), leScalar: op('aten::le', 'Scalar'),
  gt: op('aten::gt', 'Tensor'), gtScalar: op('aten::gt', 'Scalar'), ge: op('aten::ge', 'Tensor'), geScalar: op('aten::ge', 'Scalar'),
  logicalNot: op('aten::logical_not'), logicalAnd: op('aten::logical_and'), logicalOr: op('aten::logical_or'),
  where: op('aten::where', 'self'), maskedFill: op('aten::masked_fill', 'Scalar'),
  add_: op('aten::add_', 'Tensor'), addScalar_: op('aten::add_', 'Scalar'),
  sub_: op('aten::sub_', 'Tensor'), subScalar_: op('aten::sub_', 'Scalar'),
  mul_: op('aten::mul_', 'Tensor'), mulScalar_: op('aten::mul_', 'Scalar'),
  div_: op('aten::div_', 'Tensor'), divScalar_: op('aten::div_', 'Scalar'),
  addcmul_: op('aten::addcmul_'), addcdiv_: op('aten::addcdiv_'), lerp_: op('aten::lerp_', 'Scalar'),
  sqrt_: op('aten::sqrt_'), clamp_: op('aten::clamp_'), copy_: op('aten::copy_'), indexCopy_: op('aten::index_copy_'), zero_: op('aten::zero_'),
  fill_: op('aten::fill_', 'Scalar'), uniform_: op('aten::uniform_'), normal_: op('aten::normal_'),
  sum: op('aten::sum'), sumDim: op('aten::sum', 'dim_IntList'), mean: op('aten::mean'), meanDim: op('aten::mean', 'dim'),
  varCorrection: op('aten::var', 'correction'), stdCorrection: op('aten::std', 'correction'),
  max: op('aten::max'), min: op('aten::min'), maxDim: op('aten::max', 'dim'), minDim: op('aten::min', 'dim'),
  amax: op('aten::amax'), amin: op('aten::amin'), argmax: op('aten::argmax'), argmin: op('aten::argmin'),
  norm: op('aten::norm', 'ScalarOpt_dim'), all: op('aten::all'), any: op('aten::any'),
  reshape: op('aten::reshape'), view: op('aten::view'), flatten: op('aten::flatten', 'using_ints'),
  squeeze: op('aten::squeeze'), squeezeDim: op('aten::squeeze', 'dim'), unsqueeze: op('aten::unsqueeze'),
  permute: op('aten::permute'), transpose: op('aten::transpose', 'int'), expand: op('aten::expand'),
  repeat: op('aten::repeat'), flip: op('aten::flip'), narrow: op('aten::narrow'), slice: op('aten::slice', 'Tensor'),
  select: op('aten::select', 'int'), indexSelect: op('aten::index_select'), gather: op('aten::gather'),
  index: op('aten::index', 'Tensor'), chunk: op('aten::chunk'), split: op('aten::split', 'Tensor'),
  splitWithSizes: op('aten::split_with_sizes'),
  matmul: op('aten::matmul'), mm: op('aten::mm'), bmm: op('aten::bmm'),
} as const;

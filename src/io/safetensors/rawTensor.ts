import { assert, fmtShape } from '../../util/index.js';
import { product } from '../../util/index.js';

/**
 * The element types this project exchanges through tensor files, spelled as the safetensors header spells
 * them. The list is ordered by the reference writer's dtype rank (its `Dtype` enum order), which
 * {@link encodeSafetensors} uses to lay out tensors.
 */
export const SAFETENSORS_DTYPES = ['BOOL', 'U8', 'I8', 'I16', 'F16', 'BF16', 'I32', 'F32', 'F64', 'I64'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/**
 * A tensor as bytes: no engine involved. `data` holds the elements little-endian, row-major (C order), with
 * nothing before the first or after the last element; BOOL is one byte per element (0 or 1).
 */
export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

const ITEM_SIZE: Record<SafetensorsDtype, number> = {
  BOOL: 1, U8: 1, I8: 1, I16: 2, F16: 2, BF16: 2, I32: 4, F32: 4, F64: 8, I64: 8,
};

export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(ITEM_SIZE, value);
}

export function dtypeItemSize(dtype: SafetensorsDtype): number {
  return ITEM_SIZE[dtype];
}

/** Checks that `tensor` is self-consistent (known dtype, integer shape, byte count matching the shape). */
export function checkRawTensor(tensor: RawTensor, where: string): void {
  assert(isSafetensorsDtype(tensor.dtype),
    () => `${where}: unknown dtype ${JSON.stringify(tensor.dtype)}, expected one of ${SAFETENSORS_DTYPES.join(', ')}`);
  assert(Array.isArray(tensor.shape) && tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0),
    () => `${where}: shape must be a list of non-negative integers, got ${JSON.stringify(tensor.shape)}`);
  const expected = product(tensor.shape) * dtypeItemSize(tensor.dtype);
  assert(tensor.data instanceof Uint8Array && tensor.data.byteLength === expected,
    () => `${where}: ${tensor.dtype} ${fmtShape(tensor.shape)} needs ${expected} bytes, got ${tensor.data?.byteLength}`);
}

/** How many elements of a floating-point tensor are NaN or ±Inf, and the index of the first; integer dtypes have none. */
export function nonFiniteElements(tensor: RawTensor): { readonly count: number; readonly first?: number } {
  const { dtype, data } = tensor;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = ITEM_SIZE[dtype];
  // Half-precision formats are non-finite exactly when every exponent bit is set.
  const test: ((offset: number) => boolean) | undefined = dtype === 'F32' ? (o) => !Number.isFinite(view.getFloat32(o, true))
    : dtype === 'F64' ? (o) => !Number.isFinite(view.getFloat64(o, true))
      : dtype === 'F16' ? (o) => (view.getUint16(o, true) & 0x7c00) === 0x7c00
        : dtype === 'BF16' ? (o) => (view.getUint16(o, true) & 0x7f80) === 0x7f80
          : undefined;
  if (test === undefined) return { count: 0 };
  let count = 0;
  let first: number | undefined;
  for (let offset = 0, i = 0; offset < data.byteLength; offset += size, i++) {
    if (test(offset)) {
      count++;
      first ??= i;
    }
  }
  return first === undefined ? { count } : { count, first };
}

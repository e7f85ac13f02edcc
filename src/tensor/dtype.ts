/** Tensor element types, with libtorch's ScalarType codes and the typed arrays that hold them in JS. */

export const DTYPES = ['float32', 'float64', 'bfloat16', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

/** c10::ScalarType enumerators (stable across libtorch 1.x and 2.x for these types). */
export const SCALAR_TYPE_CODE: Readonly<Record<DType, number>> = {
  uint8: 0, int8: 1, int16: 2, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15,
};

const DTYPE_OF_CODE = new Map<number, DType>(Object.entries(SCALAR_TYPE_CODE).map(([k, v]) => [v, k as DType]));

export function dtypeFromCode(code: number): DType {
  const dtype = DTYPE_OF_CODE.get(code);
  if (dtype === undefined) throw new Error(`tensor has libtorch scalar type ${code}, which mrsynth does not expose`);
  return dtype;
}

export function isFloatingPoint(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'bfloat16' || dtype === 'float16';
}

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float32: 4, float64: 8, bfloat16: 2, float16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

/** What `toTypedArray()` returns per dtype: half types are widened to float32, bool is bytes of 0/1. */
export interface TypedArrayOf {
  float32: Float32Array; float64: Float64Array; bfloat16: Float32Array; float16: Float32Array; int64: BigInt64Array;
  int32: Int32Array; int16: Int16Array; int8: Int8Array; uint8: Uint8Array; bool: Uint8Array;
}
export type AnyTypedArray = TypedArrayOf[DType];

/** The dtype a typed array naturally holds, when a caller gives data without naming a dtype. */
export function dtypeOfTypedArray(data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  throw new Error(`tensor: cannot infer a dtype from ${data.constructor.name}; pass { dtype }`);
}

export function typedArrayFromBuffer(dtype: DType, buffer: ArrayBuffer): AnyTypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int8': return new Int8Array(buffer);
    case 'uint8':
    case 'bool': return new Uint8Array(buffer);
    case 'bfloat16':
    case 'float16': throw new Error(`typedArrayFromBuffer: ${dtype} has no JS typed array; convert to float32 first`);
  }
}

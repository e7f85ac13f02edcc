/**
 * The voxel datatypes this project reads and writes, with their nifti1.h codes (DT_* / NIFTI_TYPE_*), their
 * size on disk and, for the integer types, the range a value must fit before it may be stored.
 * Complex, RGB, uint64 and float128 are deliberately absent: no MRI contrast we synthesise uses them.
 */
export type NiftiDatatype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float32' | 'float64';

export const NIFTI_DATATYPES: readonly NiftiDatatype[] =
  ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float32', 'float64'];

export interface DatatypeInfo {
  readonly code: number;
  readonly bytes: number;
  /** Inclusive range of an integer type; `undefined` for the float types, which take any float32 value. */
  readonly range?: { readonly min: number; readonly max: number };
}

export const DATATYPE_INFO: { readonly [K in NiftiDatatype]: DatatypeInfo } = {
  uint8: { code: 2, bytes: 1, range: { min: 0, max: 255 } },
  int16: { code: 4, bytes: 2, range: { min: -32768, max: 32767 } },
  int32: { code: 8, bytes: 4, range: { min: -2147483648, max: 2147483647 } },
  float32: { code: 16, bytes: 4 },
  float64: { code: 64, bytes: 8 },
  int8: { code: 256, bytes: 1, range: { min: -128, max: 127 } },
  uint16: { code: 512, bytes: 2, range: { min: 0, max: 65535 } },
  uint32: { code: 768, bytes: 4, range: { min: 0, max: 4294967295 } },
  // 2^63 itself is not an int64; every float64 below it in magnitude that is an integer is (see writeVoxels).
  int64: { code: 1024, bytes: 8, range: { min: -(2 ** 63), max: 2 ** 63 - 1024 } },
};

const BY_CODE = new Map<number, NiftiDatatype>(NIFTI_DATATYPES.map((name) => [DATATYPE_INFO[name].code, name]));

/** The datatype for a header's `datatype` code, or `undefined` when this project does not support it. */
export function datatypeFromCode(code: number): NiftiDatatype | undefined {
  return BY_CODE.get(code);
}

export function isNiftiDatatype(value: unknown): value is NiftiDatatype {
  return typeof value === 'string' && (NIFTI_DATATYPES as readonly string[]).includes(value);
}

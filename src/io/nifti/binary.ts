import type { FieldSpec } from './layout.js';
import { DATATYPE_INFO, type NiftiDatatype } from './datatype.js';

/**
 * Every DataView access of the NIfTI code: header fields by their layout spec, and voxel runs by datatype.
 * Callers check bounds first (the header parser and the image parser know the sizes they need), so nothing
 * here can read past a buffer on a file's say-so.
 */

const TWO_POW_32 = 2 ** 32;

/** Reads a numeric field as plain numbers (array fields give `count` of them). int64 must be a safe integer. */
export function readNumbers(view: DataView, spec: FieldSpec, littleEndian: boolean): number[] {
  const out: number[] = [];
  const size = scalarBytes(spec);
  for (let k = 0; k < spec.count; k++) out.push(readScalar(view, spec, spec.offset + k * size, littleEndian));
  return out;
}

export function readNumber(view: DataView, spec: FieldSpec, littleEndian: boolean): number {
  return readScalar(view, spec, spec.offset, littleEndian);
}

/** A char[] field up to its first NUL, as latin1 (the spec's fields are plain ASCII; latin1 never fails). */
export function readText(bytes: Uint8Array, spec: FieldSpec): string {
  let end = spec.offset;
  while (end < spec.offset + spec.count && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + spec.offset, end - spec.offset).toString('latin1');
}

/** A char[] field byte for byte, NULs included (for magic strings, whose tail after the NUL matters). */
export function readRawText(bytes: Uint8Array, spec: FieldSpec): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + spec.offset, spec.count).toString('latin1');
}

export function writeNumbers(view: DataView, spec: FieldSpec, values: readonly number[], littleEndian: boolean): void {
  const size = scalarBytes(spec);
  for (let k = 0; k < spec.count; k++) writeScalar(view, spec, spec.offset + k * size, values[k] ?? 0, littleEndian);
}

export function writeNumber(view: DataView, spec: FieldSpec, value: number, littleEndian: boolean): void {
  writeScalar(view, spec, spec.offset, value, littleEndian);
}

/** Writes a char[] field; the caller has checked the length. Shorter text is NUL-padded. */
export function writeText(bytes: Uint8Array, spec: FieldSpec, text: string): void {
  bytes.fill(0, spec.offset, spec.offset + spec.count);
  bytes.set(Buffer.from(text, 'latin1').subarray(0, spec.count), spec.offset);
}

function scalarBytes(spec: FieldSpec): number {
  switch (spec.type) {
    case 'uint8': case 'char': return 1;
    case 'int16': return 2;
    case 'int32': case 'float32': return 4;
    case 'int64': case 'float64': return 8;
  }
}

function readScalar(view: DataView, spec: FieldSpec, at: number, le: boolean): number {
  switch (spec.type) {
    case 'uint8': case 'char': return view.getUint8(at);
    case 'int16': return view.getInt16(at, le);
    case 'int32': return view.getInt32(at, le);
    case 'float32': return view.getFloat32(at, le);
    case 'float64': return view.getFloat64(at, le);
    case 'int64': return readInt64(view, at, le);
  }
}

function writeScalar(view: DataView, spec: FieldSpec, at: number, value: number, le: boolean): void {
  switch (spec.type) {
    case 'uint8': case 'char': view.setUint8(at, value); return;
    case 'int16': view.setInt16(at, value, le); return;
    case 'int32': view.setInt32(at, value, le); return;
    case 'float32': view.setFloat32(at, value, le); return;
    case 'float64': view.setFloat64(at, value, le); return;
    case 'int64': writeInt64(view, at, value, le); return;
  }
}

/**
 * int64 as high * 2^32 + low: exact up to 2^53 and correctly rounded beyond, without a BigInt per voxel.
 * Header fields additionally require a safe integer (see header.ts); voxels end up in float32 anyway.
 */
function readInt64(view: DataView, at: number, le: boolean): number {
  const low = view.getUint32(le ? at : at + 4, le);
  const high = view.getInt32(le ? at + 4 : at, le);
  return high * TWO_POW_32 + low;
}

/** `value` is an integer inside the int64 range; both halves are then exact (division by 2^32 is exact). */
function writeInt64(view: DataView, at: number, value: number, le: boolean): void {
  const high = Math.floor(value / TWO_POW_32);
  const low = value - high * TWO_POW_32;
  view.setUint32(le ? at : at + 4, low, le);
  view.setInt32(le ? at + 4 : at, high, le);
}

/**
 * Decodes `out.length` voxels starting at byte `offset`, applying `value * slope + inter` when `scaled`.
 * One tight loop per datatype: a 240x240x155 int16 volume decodes in a few tens of milliseconds.
 */
export function readVoxels(view: DataView, offset: number, datatype: NiftiDatatype, littleEndian: boolean,
  out: Float32Array, scaling: { slope: number; inter: number } | undefined): void {
  const n = out.length;
  const le = littleEndian;
  switch (datatype) {
    case 'uint8': for (let i = 0; i < n; i++) out[i] = view.getUint8(offset + i); break;
    case 'int8': for (let i = 0; i < n; i++) out[i] = view.getInt8(offset + i); break;
    case 'int16': for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, le); break;
    case 'uint16': for (let i = 0; i < n; i++) out[i] = view.getUint16(offset + 2 * i, le); break;
    case 'int32': for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, le); break;
    case 'uint32': for (let i = 0; i < n; i++) out[i] = view.getUint32(offset + 4 * i, le); break;
    case 'int64': for (let i = 0; i < n; i++) out[i] = readInt64(view, offset + 8 * i, le); break;
    case 'float32': for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, le); break;
    case 'float64': for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, le); break;
  }
  if (scaling === undefined) return;
  // Scaling runs in float64 (the stored value is exact there) and rounds once, to float32.
  const { slope, inter } = scaling;
  switch (datatype) {
    case 'int32': for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, le) * slope + inter; break;
    case 'uint32': for (let i = 0; i < n; i++) out[i] = view.getUint32(offset + 4 * i, le) * slope + inter; break;
    case 'int64': for (let i = 0; i < n; i++) out[i] = readInt64(view, offset + 8 * i, le) * slope + inter; break;
    case 'float64': for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, le) * slope + inter; break;
    default: for (let i = 0; i < n; i++) out[i] = out[i] * slope + inter;
  }
}

/**
 * Encodes already-checked stored values (integers in range for the integer types) at byte `offset`.
 * `stored` is float64 so int32/uint32/int64 values reach the file exactly.
 */
export function writeVoxels(view: DataView, offset: number, datatype: NiftiDatatype, littleEndian: boolean,
  stored: Float64Array | Float32Array): void {
  const n = stored.length;
  const le = littleEndian;
  const step = DATATYPE_INFO[datatype].bytes;
  switch (datatype) {
    case 'uint8': for (let i = 0; i < n; i++) view.setUint8(offset + i, stored[i]); break;
    case 'int8': for (let i = 0; i < n; i++) view.setInt8(offset + i, stored[i]); break;
    case 'int16': for (let i = 0; i < n; i++) view.setInt16(offset + step * i, stored[i], le); break;
    case 'uint16': for (let i = 0; i < n; i++) view.setUint16(offset + step * i, stored[i], le); break;
    case 'int32': for (let i = 0; i < n; i++) view.setInt32(offset + step * i, stored[i], le); break;
    case 'uint32': for (let i = 0; i < n; i++) view.setUint32(offset + step * i, stored[i], le); break;
    case 'int64': for (let i = 0; i < n; i++) writeInt64(view, offset + step * i, stored[i], le); break;
    case 'float32': for (let i = 0; i < n; i++) view.setFloat32(offset + step * i, stored[i], le); break;
    case 'float64': for (let i = 0; i < n; i++) view.setFloat64(offset + step * i, stored[i], le); break;
  }
}

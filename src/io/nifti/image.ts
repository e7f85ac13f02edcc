import { assert, fmtShape } from '../../util/index.js';
import type { Volume } from '../../volume/index.js';
import { overLimit, readerLimits } from '../index.js';
import { affineOf } from './affine.js';
import { readVoxels } from './binary.js';
import { DATATYPE_INFO } from './datatype.js';
import { gunzipExact, isGzip } from './gzip.js';
import { parseHeaderDetailed, type NiftiHeader } from './header.js';

/** A decoded image: `volume.data` holds the stored values with scl_slope/scl_inter applied, as float32. */
export interface NiftiImage {
  header: NiftiHeader;
  volume: Volume;
  /** The file name (or other label) the bytes came from; every error about them quotes it. */
  source: string;
}

const FLOAT32_BYTES = 4;

/**
 * Decodes a whole single-file NIfTI-1/-2 image, gzip-compressed or not. The header is parsed (and every size
 * checked) from the first bytes before the rest is inflated, and inflation is capped at the header-implied
 * size, so corrupt or hostile input ends in an Error naming `source`, never in exhausted memory.
 */
export function parseNifti(bytes: Uint8Array, source: string): NiftiImage {
  const who = `parseNifti: ${source}`;
  const { header, singleFile } = parseHeaderDetailed(bytes, source, 'parseNifti');
  assert(singleFile, () =>
    `${who}: the header is of a .hdr/.img pair (magic ni${header.version}); the voxels are in a separate ` +
    '.img file, and only single-file .nii/.nii.gz images are read');

  const shape = spatialShape(header, who);
  const count = shape[0] * shape[1] * shape[2];
  const bytesPerVoxel = DATATYPE_INFO[header.datatype].bytes;
  const expectedBytes = header.vox_offset + count * bytesPerVoxel;
  // The most bytes one image may occupy, stored or decoded to float32, is checked from the header before anything
  // is allocated or inflated.
  const limit = readerLimits().niftiBytes;
  assert(expectedBytes <= limit && count * FLOAT32_BYTES <= limit, () => overLimit(who, 'niftiBytes',
    `dims ${fmtShape(shape)} of ${header.datatype} need ${expectedBytes} bytes on disk and ${count * FLOAT32_BYTES} as float32`));

  const raw = isGzip(bytes) ? gunzipExact(bytes, expectedBytes, who) : bytes;
  assert(raw.length === expectedBytes, () =>
    `${who}: the file holds ${raw.length} bytes, but vox_offset ${header.vox_offset} + ${count} voxels ` +
    `${fmtShape(shape)} x ${bytesPerVoxel} bytes (${header.datatype}) = ${expectedBytes}; truncated, or dims wrong`);

  const affine = affineOf(header, who);
  const data = new Float32Array(count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const scaling = scalingOf(header, who);
  readVoxels(view, header.vox_offset, header.datatype, header.littleEndian, data, scaling);
  if (scaling !== undefined) {
    const overflowed = data.reduce((n, v) => (v === Infinity || v === -Infinity ? n + 1 : n), 0);
    assert(overflowed === 0, () => `${who}: scl_slope ${scaling.slope} and scl_inter ${scaling.inter} scale ${overflowed} stored value(s) `
      + 'beyond the float32 range (they would be ±Inf); the scale factors are wrong');
  }
  return { header, volume: { data, shape, affine }, source };
}

/**
 * The 3D grid of the image. Ranks below 3 get trailing singleton axes; ranks above 3 are accepted only when
 * every extra axis has length 1 (SRI24 is stored 240x240x155x1), since downstream code handles one volume.
 */
function spatialShape(header: NiftiHeader, who: string): [number, number, number] {
  const { dim } = header;
  const rank = dim[0];
  for (let axis = 4; axis <= rank; axis++) {
    assert(dim[axis] === 1, () =>
      `${who}: dim = ${fmtShape(dim)} has ${dim[axis]} entries along axis ${axis}; only 3D images (or ones whose ` +
      'axes beyond the third have length 1) are supported, so split multi-volume files first');
  }
  return [1, 2, 3].map((axis) => (axis <= rank ? dim[axis] : 1)) as [number, number, number];
}

/**
 * nibabel's rule: a zero or non-finite scl_slope means the stored values are the values (scl_inter is then
 * ignored); with a valid slope, the intercept must be finite. Identity scaling is skipped.
 */
function scalingOf(header: NiftiHeader, who: string): { slope: number; inter: number } | undefined {
  const { scl_slope: slope, scl_inter: inter } = header;
  if (slope === 0 || !Number.isFinite(slope)) return undefined;
  assert(Number.isFinite(inter), () => `${who}: scl_slope is ${slope} but scl_inter = ${inter} is not finite`);
  return slope === 1 && inter === 0 ? undefined : { slope, inter };
}

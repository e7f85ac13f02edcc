import { gzipSync } from 'node:zlib';
import { assert, fmtShape } from '../../util/index.js';
import { affinesClose } from '../../volume/index.js';
import { voxelCount, type Volume } from '../../volume/index.js';
import { affineOf, affineToQform, qformFieldsToAffine } from './affine.js';
import { writeVoxels } from './binary.js';
import { DATATYPE_INFO, isNiftiDatatype, NIFTI_DATATYPES, type NiftiDatatype } from './datatype.js';
import { encodeNiftiHeader, type NiftiHeader } from './header.js';
import { NIFTI1_LAYOUT, NIFTI2_LAYOUT } from './layout.js';

export interface NiftiWriteOptions {
  /**
   * Header of the image this volume was derived from. When the volume's affine is that header's affine,
   * its qform and sform (values and codes) and pixdim are copied verbatim, so the written file has the exact
   * same geometry; otherwise its codes are kept and the new affine is written. Its units and, unless
   * `version` says otherwise, its NIfTI version are kept too.
   */
  like?: NiftiHeader;
  /** Datatype on disk; default float32. Integer types round to nearest and refuse values that do not fit. */
  datatype?: NiftiDatatype;
  /** descrip, at most 80 printable ASCII characters; default `like.descrip`, else empty. */
  description?: string;
  /** NIfTI version; default `like.version`, else 1. */
  version?: 1 | 2;
  /** writeNifti only: replace an existing file. Default false. */
  overwrite?: boolean;
  /** Store (value − inter) / slope and record scl_slope/scl_inter, e.g. to fit floats into int16. Default none. */
  scaling?: { slope: number; inter: number };
  /** Byte order; default little-endian. */
  littleEndian?: boolean;
}

/** nifti1.h NIFTI_XFORM_ALIGNED_ANAT: the code for an affine we computed ourselves. */
const XFORM_ALIGNED_ANAT = 2;
/** nifti1.h NIFTI_UNITS_MM in the spatial bits of xyzt_units; our affines are in millimetres. */
const UNITS_MM = 2;
/** Relative tolerance for "this affine is the `like` header's affine" and "the qform represents it". */
const AFFINE_TOLERANCE = 1e-6;

/**
 * The bytes of a single-file NIfTI image of `volume` (gzip-compressed when `gzip`). Only single volumes are
 * written: dim = [3, nx, ny, nz, 1, 1, 1, 1], voxels at vox_offset 352 (NIfTI-1) or 544 (NIfTI-2).
 */
export function encodeNifti(volume: Volume, options: NiftiWriteOptions & { gzip?: boolean } = {}): Uint8Array {
  const who = 'encodeNifti';
  checkVolume(volume, who);
  const header = headerFor(volume, options, who);
  const stored = storedValues(volume, header.datatype, options.scaling, who);
  const bytesPerVoxel = DATATYPE_INFO[header.datatype].bytes;
  const out = new Uint8Array(header.vox_offset + stored.length * bytesPerVoxel);
  out.set(encodeNiftiHeader(header, who));
  writeVoxels(new DataView(out.buffer), header.vox_offset, header.datatype, header.littleEndian, stored);
  return options.gzip ? gzipSync(out) : out;
}

/** The header written for `volume`: geometry from `like` when it still applies (see NiftiWriteOptions.like). */
function headerFor(volume: Volume, options: NiftiWriteOptions, who: string): NiftiHeader {
  const { like } = options;
  const datatype = options.datatype ?? 'float32';
  assert(isNiftiDatatype(datatype), () => `${who}: datatype ${JSON.stringify(datatype)} is not one of ${NIFTI_DATATYPES.join(', ')}`);
  const version = options.version ?? like?.version ?? 1;
  assert(version === 1 || version === 2, () => `${who}: version must be 1 or 2, got ${String(version)}`);
  const scaling = options.scaling;
  if (scaling !== undefined) {
    assert(Number.isFinite(scaling.slope) && scaling.slope !== 0 && Number.isFinite(scaling.inter), () =>
      `${who}: scaling must have a finite, non-zero slope and a finite inter, got slope ${scaling.slope}, inter ${scaling.inter}`);
  }
  const trailingPixdim = [4, 5, 6, 7].map((k) => like?.pixdim[k] ?? 1);
  return {
    version,
    littleEndian: options.littleEndian ?? true,
    dim: [3, ...volume.shape, 1, 1, 1, 1],
    datatype,
    bitpix: 8 * DATATYPE_INFO[datatype].bytes,
    vox_offset: version === 2 ? NIFTI2_LAYOUT.minVoxOffset : NIFTI1_LAYOUT.minVoxOffset,
    scl_slope: scaling?.slope ?? 1,
    scl_inter: scaling?.inter ?? 0,
    xyzt_units: like?.xyzt_units ?? UNITS_MM,
    ...geometryFor(volume.affine, like, who, trailingPixdim),
    descrip: options.description ?? like?.descrip ?? '',
    intent_code: 0,
    intent_name: '',
    aux_file: '',
    cal_min: 0,
    cal_max: 0,
  };
}

type Geometry = Pick<NiftiHeader, 'pixdim' | 'qform_code' | 'sform_code' | 'quatern_b' | 'quatern_c' | 'quatern_d' |
  'qoffset_x' | 'qoffset_y' | 'qoffset_z' | 'srow_x' | 'srow_y' | 'srow_z'>;

function geometryFor(affine: Float64Array, like: NiftiHeader | undefined, who: string, trailingPixdim: number[]): Geometry {
  // Codes 0/0 mean nibabel's shape-dependent base affine, which a new shape would move: write it explicitly.
  if (like !== undefined && (like.qform_code > 0 || like.sform_code > 0) && affinesClose(affine, affineOf(like, who), AFFINE_TOLERANCE)) {
    return {
      pixdim: [...like.pixdim.slice(0, 4), ...trailingPixdim],
      qform_code: like.qform_code, sform_code: like.sform_code,
      quatern_b: like.quatern_b, quatern_c: like.quatern_c, quatern_d: like.quatern_d,
      qoffset_x: like.qoffset_x, qoffset_y: like.qoffset_y, qoffset_z: like.qoffset_z,
      srow_x: [...like.srow_x], srow_y: [...like.srow_y], srow_z: [...like.srow_z],
    };
  }
  const qform = affineToQform(affine, who);
  // A sheared affine has no exact qform; then the qform is withdrawn so no reader trusts an approximation.
  const exactQform = affinesClose(affine, qformFieldsToAffine(qform), AFFINE_TOLERANCE);
  let qformCode = like === undefined ? XFORM_ALIGNED_ANAT : like.qform_code;
  let sformCode = like === undefined ? XFORM_ALIGNED_ANAT : like.sform_code;
  if (!exactQform) {
    if (sformCode <= 0) sformCode = qformCode > 0 ? qformCode : XFORM_ALIGNED_ANAT;
    qformCode = 0;
  } else if (qformCode <= 0 && sformCode <= 0) {
    sformCode = XFORM_ALIGNED_ANAT;
  }
  const { qfac, zooms, ...quaternion } = qform;
  return {
    pixdim: [qfac, ...zooms, ...trailingPixdim],
    qform_code: qformCode, sform_code: sformCode,
    ...quaternion,
    srow_x: Array.from(affine.subarray(0, 4)), srow_y: Array.from(affine.subarray(4, 8)), srow_z: Array.from(affine.subarray(8, 12)),
  };
}

function checkVolume(volume: Volume, who: string): void {
  const { shape, data, affine } = volume;
  assert(shape.length === 3 && shape.every((n) => Number.isSafeInteger(n) && n >= 1), () =>
    `${who}: volume shape must be 3 positive integers, got ${fmtShape([...shape])}`);
  assert(data.length === voxelCount(shape), () =>
    `${who}: volume data has ${data.length} values but shape ${fmtShape([...shape])} needs ${voxelCount(shape)}`);
  assert(affine.length === 16 && affine.every(Number.isFinite), () =>
    `${who}: volume affine must be 16 finite numbers (row-major 4x4), got ${fmtShape([...affine])}`);
}

/**
 * Values as they go on disk: unscaled, rounded (ties away from zero) for the integer types, and checked to
 * fit. A value that does not fit is refused rather than clamped, because a clamped synthesis looks plausible.
 */
function storedValues(volume: Volume, datatype: NiftiDatatype, scaling: NiftiWriteOptions['scaling'],
  who: string): Float32Array | Float64Array {
  const { range } = DATATYPE_INFO[datatype];
  if (range === undefined && scaling === undefined) return volume.data;
  const { data, shape } = volume;
  const slope = scaling?.slope ?? 1;
  const inter = scaling?.inter ?? 0;
  const stored = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const unscaled = (data[i] - inter) / slope;
    if (range === undefined) { stored[i] = unscaled; continue; }
    const value = Math.sign(unscaled) * Math.round(Math.abs(unscaled));
    if (!(value >= range.min && value <= range.max)) {
      const [nx, ny] = shape;
      const at = [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
      throw new Error(`${who}: voxel ${fmtShape(at)} = ${data[i]}${scaling ? ` (stored ${unscaled})` : ''} does not fit ` +
        `${datatype} [${range.min}, ${range.max}]; choose a wider datatype or a scaling`);
    }
    stored[i] = value;
  }
  return stored;
}

import { assert, fmtShape } from '../../util/index.js';
import { DATATYPE_INFO, datatypeFromCode, type NiftiDatatype } from './datatype.js';
import { isGzip, gunzipHead } from './gzip.js';
import { LAYOUTS, NIFTI1_LAYOUT, NIFTI2_LAYOUT, type HeaderLayout } from './layout.js';
import { readNumber, readNumbers, readRawText, readText, writeNumber, writeNumbers, writeText } from './binary.js';

/** A NIfTI-1 or NIfTI-2 header, field names as in nifti1.h / nifti2.h (both versions read into this shape). */
export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** dim[0] is the rank (1..7); dim[1..dim[0]] the extents. Entries past dim[0] are as stored. */
  dim: number[];
  pixdim: number[];
  datatype: NiftiDatatype;
  bitpix: number;
  vox_offset: number;
  scl_slope: number;
  scl_inter: number;
  xyzt_units: number;
  qform_code: number;
  sform_code: number;
  quatern_b: number;
  quatern_c: number;
  quatern_d: number;
  qoffset_x: number;
  qoffset_y: number;
  qoffset_z: number;
  srow_x: number[];
  srow_y: number[];
  srow_z: number[];
  descrip: string;
  intent_code: number;
  intent_name: string;
  aux_file: string;
  cal_min: number;
  cal_max: number;
}

/** Header of a single-file image (`n+1`/`n+2`) or of a .hdr/.img pair (`ni1`/`ni2`). */
export interface ParsedHeader {
  header: NiftiHeader;
  /** True for `n+1`/`n+2`: the voxels follow the header in the same file, at vox_offset. */
  singleFile: boolean;
}

/** Most bytes any header needs: the NIfTI-2 header and its extension flag. */
export const MAX_HEADER_BYTES = NIFTI2_LAYOUT.minVoxOffset;

export function parseNiftiHeader(bytes: Uint8Array, source: string): NiftiHeader {
  return parseHeaderDetailed(bytes, source, 'parseNiftiHeader').header;
}

/**
 * Parses the header at the start of `bytes` (gzip-compressed or not; only the header part need be there).
 * The version and byte order come from sizeof_hdr read both ways (348 → NIfTI-1, 540 → NIfTI-2) and the
 * magic, never from the file name. Every value later code relies on (datatype, dims, vox_offset) is checked.
 */
export function parseHeaderDetailed(bytes: Uint8Array, source: string, fn: string): ParsedHeader {
  const who = `${fn}: ${source}`;
  const raw = isGzip(bytes) ? gunzipHead(bytes, MAX_HEADER_BYTES, who) : bytes;
  assert(raw.length >= 4, () =>
    `${who}: only ${raw.length} bytes${isGzip(bytes) ? ' after gunzip' : ''}; a NIfTI header needs at least 348`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const { layout, littleEndian } = detectLayout(view, who);
  assert(raw.length >= layout.sizeofHdr, () =>
    `${who}: truncated: ${raw.length} bytes${isGzip(bytes) ? ' after gunzip' : ''}, but the NIfTI-${layout.version} ` +
    `header is ${layout.sizeofHdr} bytes`);

  const magic = readRawText(raw, layout.fields.magic);
  const singleFile = magic === layout.magicSingle;
  assert(singleFile || magic === layout.magicPair, () =>
    `${who}: sizeof_hdr is ${layout.sizeofHdr} (NIfTI-${layout.version}) but the magic is ${JSON.stringify(magic)}; ` +
    `expected ${JSON.stringify(layout.magicSingle)} or ${JSON.stringify(layout.magicPair)}`);

  const fields = layout.fields;
  const num = (name: keyof HeaderLayout['fields']) => readNumber(view, fields[name], littleEndian);
  const nums = (name: keyof HeaderLayout['fields']) => readNumbers(view, fields[name], littleEndian);

  const datatypeCode = num('datatype');
  const datatype = datatypeFromCode(datatypeCode);
  assert(datatype !== undefined, () =>
    `${who}: unsupported datatype code ${datatypeCode}; expected one of ` +
    Object.entries(DATATYPE_INFO).map(([name, info]) => `${info.code} (${name})`).join(', '));

  const dim = nums('dim');
  checkDims(dim, who);
  const voxOffset = num('vox_offset');
  // In a .hdr/.img pair the offset is into the .img file, so 0 is normal there.
  const minOffset = singleFile ? layout.sizeofHdr : 0;
  assert(Number.isSafeInteger(voxOffset) && voxOffset >= minOffset, () =>
    `${who}: vox_offset = ${voxOffset} must be a whole number of bytes, at least ${minOffset}` +
    (singleFile ? ` (the header is ${layout.sizeofHdr} bytes)` : ''));

  const header: NiftiHeader = {
    version: layout.version,
    littleEndian,
    dim,
    pixdim: nums('pixdim'),
    datatype,
    bitpix: num('bitpix'),
    vox_offset: voxOffset,
    scl_slope: num('scl_slope'),
    scl_inter: num('scl_inter'),
    xyzt_units: num('xyzt_units'),
    qform_code: num('qform_code'),
    sform_code: num('sform_code'),
    quatern_b: num('quatern_b'),
    quatern_c: num('quatern_c'),
    quatern_d: num('quatern_d'),
    qoffset_x: num('qoffset_x'),
    qoffset_y: num('qoffset_y'),
    qoffset_z: num('qoffset_z'),
    srow_x: nums('srow_x'),
    srow_y: nums('srow_y'),
    srow_z: nums('srow_z'),
    descrip: readText(raw, fields.descrip),
    intent_code: num('intent_code'),
    intent_name: readText(raw, fields.intent_name),
    aux_file: readText(raw, fields.aux_file),
    cal_min: num('cal_min'),
    cal_max: num('cal_max'),
  };
  return { header, singleFile };
}

function detectLayout(view: DataView, who: string): { layout: HeaderLayout; littleEndian: boolean } {
  const sizeofLE = view.getInt32(0, true);
  const sizeofBE = view.getInt32(0, false);
  for (const layout of LAYOUTS) {
    if (sizeofLE === layout.sizeofHdr) return { layout, littleEndian: true };
    if (sizeofBE === layout.sizeofHdr) return { layout, littleEndian: false };
  }
  throw new Error(`${who}: not a NIfTI file: sizeof_hdr reads ${sizeofLE} (little-endian) / ${sizeofBE} ` +
    `(big-endian); expected ${NIFTI1_LAYOUT.sizeofHdr} (NIfTI-1) or ${NIFTI2_LAYOUT.sizeofHdr} (NIfTI-2)`);
}

function checkDims(dim: number[], who: string): void {
  const rank = dim[0];
  assert(Number.isInteger(rank) && rank >= 1 && rank <= 7, () =>
    `${who}: dim[0] = ${rank} must be the number of dimensions, 1..7 (dim = ${fmtShape(dim)})`);
  for (let axis = 1; axis <= rank; axis++) {
    assert(Number.isSafeInteger(dim[axis]) && dim[axis] >= 1, () =>
      `${who}: dim[${axis}] = ${dim[axis]} must be a positive voxel count (dim = ${fmtShape(dim)})`);
  }
}

/**
 * The header bytes of a single-file image, extension flag included (all zero: no extensions), so voxel
 * data follows at `layout.minVoxOffset` = 352 (NIfTI-1) or 544 (NIfTI-2), which `header.vox_offset` must be.
 */
export function encodeNiftiHeader(header: NiftiHeader, who: string): Uint8Array {
  const layout = header.version === 2 ? NIFTI2_LAYOUT : NIFTI1_LAYOUT;
  assert(header.vox_offset === layout.minVoxOffset, () =>
    `${who}: vox_offset must be ${layout.minVoxOffset} for a NIfTI-${layout.version} file without extensions, got ${header.vox_offset}`);
  for (const name of ['descrip', 'intent_name', 'aux_file'] as const) {
    const limit = layout.fields[name].count;
    assert(Buffer.byteLength(header[name], 'latin1') <= limit && /^[\x20-\x7e]*$/.test(header[name]), () =>
      `${who}: ${name} must be printable ASCII of at most ${limit} characters, got ${header[name].length}: ` +
      JSON.stringify(header[name].slice(0, 100)));
  }
  const bytes = new Uint8Array(layout.minVoxOffset);
  const view = new DataView(bytes.buffer);
  const le = header.littleEndian;
  const { fields } = layout;
  writeNumber(view, fields.sizeof_hdr, layout.sizeofHdr, le);
  writeText(bytes, fields.magic, layout.magicSingle);
  writeNumbers(view, fields.dim, header.dim, le);
  writeNumbers(view, fields.pixdim, header.pixdim, le);
  writeNumber(view, fields.datatype, DATATYPE_INFO[header.datatype].code, le);
  writeNumber(view, fields.bitpix, 8 * DATATYPE_INFO[header.datatype].bytes, le);
  for (const name of ['vox_offset', 'scl_slope', 'scl_inter', 'xyzt_units', 'qform_code', 'sform_code', 'quatern_b',
    'quatern_c', 'quatern_d', 'qoffset_x', 'qoffset_y', 'qoffset_z', 'intent_code', 'cal_min', 'cal_max'] as const) {
    writeNumber(view, fields[name], header[name], le);
  }
  writeNumbers(view, fields.srow_x, header.srow_x, le);
  writeNumbers(view, fields.srow_y, header.srow_y, le);
  writeNumbers(view, fields.srow_z, header.srow_z, le);
  writeText(bytes, fields.descrip, header.descrip);
  writeText(bytes, fields.intent_name, header.intent_name);
  writeText(bytes, fields.aux_file, header.aux_file);
  return bytes;
}

/**
 * Byte layout of the NIfTI-1 (nifti1.h, 348 bytes) and NIfTI-2 (nifti2.h, 540 bytes) headers, by the spec's
 * field names. Every header offset in this folder comes from these tables; nothing else writes one inline.
 * Fields this project does not expose (intent_p*, slice timing, glmax, ...) are listed only where the writer
 * must zero them or the reader must skip them, which a fresh zero-filled buffer already does, so they are absent.
 */
export type FieldType = 'uint8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'char';

export interface FieldSpec {
  readonly offset: number;
  readonly type: FieldType;
  /** Number of elements (array fields such as dim[8]) or bytes (char fields). */
  readonly count: number;
}

export type HeaderFieldName =
  | 'sizeof_hdr' | 'dim' | 'intent_code' | 'datatype' | 'bitpix' | 'pixdim' | 'vox_offset' | 'scl_slope'
  | 'scl_inter' | 'xyzt_units' | 'cal_max' | 'cal_min' | 'descrip' | 'aux_file' | 'qform_code' | 'sform_code'
  | 'quatern_b' | 'quatern_c' | 'quatern_d' | 'qoffset_x' | 'qoffset_y' | 'qoffset_z' | 'srow_x' | 'srow_y'
  | 'srow_z' | 'intent_name' | 'magic';

export interface HeaderLayout {
  readonly version: 1 | 2;
  /** Value of sizeof_hdr, which is also how the byte order is told apart (read it both ways). */
  readonly sizeofHdr: number;
  /** Header plus the 4-byte extension flag: where voxel data starts when there are no extensions. */
  readonly minVoxOffset: number;
  /** Magic of a single-file image (`n+1` / `n+2`) and of a .hdr/.img pair (`ni1` / `ni2`), NUL-padded. */
  readonly magicSingle: string;
  readonly magicPair: string;
  readonly fields: { readonly [K in HeaderFieldName]: FieldSpec };
}

const f = (offset: number, type: FieldType, count = 1): FieldSpec => ({ offset, type, count });

export const NIFTI1_LAYOUT: HeaderLayout = {
  version: 1,
  sizeofHdr: 348,
  minVoxOffset: 352,
  magicSingle: 'n+1\0',
  magicPair: 'ni1\0',
  fields: {
    sizeof_hdr: f(0, 'int32'),
    dim: f(40, 'int16', 8),
    intent_code: f(68, 'int16'),
    datatype: f(70, 'int16'),
    bitpix: f(72, 'int16'),
    pixdim: f(76, 'float32', 8),
    vox_offset: f(108, 'float32'),
    scl_slope: f(112, 'float32'),
    scl_inter: f(116, 'float32'),
    xyzt_units: f(123, 'uint8'),
    cal_max: f(124, 'float32'),
    cal_min: f(128, 'float32'),
    descrip: f(148, 'char', 80),
    aux_file: f(228, 'char', 24),
    qform_code: f(252, 'int16'),
    sform_code: f(254, 'int16'),
    quatern_b: f(256, 'float32'),
    quatern_c: f(260, 'float32'),
    quatern_d: f(264, 'float32'),
    qoffset_x: f(268, 'float32'),
    qoffset_y: f(272, 'float32'),
    qoffset_z: f(276, 'float32'),
    srow_x: f(280, 'float32', 4),
    srow_y: f(296, 'float32', 4),
    srow_z: f(312, 'float32', 4),
    intent_name: f(328, 'char', 16),
    magic: f(344, 'char', 4),
  },
};

export const NIFTI2_LAYOUT: HeaderLayout = {
  version: 2,
  sizeofHdr: 540,
  minVoxOffset: 544,
  // The trailing \r\n\x1a\n catches files mangled by text-mode transfers, as in PNG.
  magicSingle: 'n+2\0\r\n\x1a\n',
  magicPair: 'ni2\0\r\n\x1a\n',
  fields: {
    sizeof_hdr: f(0, 'int32'),
    magic: f(4, 'char', 8),
    datatype: f(12, 'int16'),
    bitpix: f(14, 'int16'),
    dim: f(16, 'int64', 8),
    pixdim: f(104, 'float64', 8),
    vox_offset: f(168, 'int64'),
    scl_slope: f(176, 'float64'),
    scl_inter: f(184, 'float64'),
    cal_max: f(192, 'float64'),
    cal_min: f(200, 'float64'),
    descrip: f(240, 'char', 80),
    aux_file: f(320, 'char', 24),
    qform_code: f(344, 'int32'),
    sform_code: f(348, 'int32'),
    quatern_b: f(352, 'float64'),
    quatern_c: f(360, 'float64'),
    quatern_d: f(368, 'float64'),
    qoffset_x: f(376, 'float64'),
    qoffset_y: f(384, 'float64'),
    qoffset_z: f(392, 'float64'),
    srow_x: f(400, 'float64', 4),
    srow_y: f(432, 'float64', 4),
    srow_z: f(464, 'float64', 4),
    xyzt_units: f(500, 'int32'),
    intent_code: f(504, 'int32'),
    intent_name: f(508, 'char', 16),
  },
};

export const LAYOUTS: readonly HeaderLayout[] = [NIFTI1_LAYOUT, NIFTI2_LAYOUT];


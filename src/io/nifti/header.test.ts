import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Volume } from '../../volume/index.js';
import { encodeNifti } from './encode.js';
import { parseNiftiHeader } from './header.js';

const volume: Volume = {
  data: new Float32Array(24), shape: [4, 3, 2], affine: Float64Array.from([2, 0, 0, -3, 0, 2, 0, 5, 0, 0, 2, 7, 0, 0, 0, 1]),
};

describe('header layout on disk (offsets from nifti1.h / nifti2.h)', () => {
  test('NIfTI-1: sizeof_hdr@0, dim@40, datatype@70, bitpix@72, pixdim@76, vox_offset@108, descrip@148, sform_code@254, srow_x@280, magic@344', () => {
    const bytes = encodeNifti(volume, { datatype: 'int16', description: 'hello', littleEndian: false });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getInt32(0, false), 348);
    assert.deepEqual([0, 1, 2, 3].map((k) => view.getInt16(40 + 2 * k, false)), [3, 4, 3, 2]);
    assert.deepEqual([view.getInt16(70, false), view.getInt16(72, false)], [4, 16]);
    assert.equal(view.getFloat32(76 + 4, false), 2);
    assert.equal(view.getFloat32(108, false), 352);
    assert.equal(Buffer.from(bytes.subarray(148, 153)).toString('latin1'), 'hello');
    assert.equal(view.getInt16(254, false), 2);
    assert.deepEqual([0, 1, 2, 3].map((k) => view.getFloat32(280 + 4 * k, false)), [2, 0, 0, -3]);
    assert.equal(Buffer.from(bytes.subarray(344, 348)).toString('latin1'), 'n+1\0');
  });

  test('NIfTI-2: sizeof_hdr@0, magic@4, datatype@12, dim@16 (int64), vox_offset@168 (int64), sform_code@348, srow_y@432', () => {
    const bytes = encodeNifti(volume, { version: 2, datatype: 'uint8' });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getInt32(0, true), 540);
    assert.equal(Buffer.from(bytes.subarray(4, 12)).toString('latin1'), 'n+2\0\r\n\x1a\n');
    assert.equal(view.getInt16(12, true), 2);
    assert.deepEqual([0, 1, 2, 3].map((k) => Number(view.getBigInt64(16 + 8 * k, true))), [3, 4, 3, 2]);
    assert.equal(view.getBigInt64(168, true), 544n);
    assert.equal(view.getInt32(348, true), 2);
    assert.deepEqual([0, 1, 2, 3].map((k) => view.getFloat64(432 + 8 * k, true)), [0, 2, 0, 5]);
  });
});

describe('parseNiftiHeader errors name the file and the bad value', () => {
  const good = encodeNifti(volume, { datatype: 'int16' });
  const edit = (at: number, write: (view: DataView) => void) => {
    const bytes = new Uint8Array(good);
    write(new DataView(bytes.buffer, at));
    return bytes;
  };

  test('not NIfTI: sizeof_hdr read both ways', () => {
    assert.throws(() => parseNiftiHeader(new TextEncoder().encode('GIF89a, certainly not a brain'), 'cat.gif'),
      /parseNiftiHeader: cat\.gif: not a NIfTI file: sizeof_hdr reads 944130375 \(little-endian\) \/ 1195984440 \(big-endian\); expected 348 \(NIfTI-1\) or 540 \(NIfTI-2\)/);
  });

  test('too short for its header', () => {
    assert.throws(() => parseNiftiHeader(good.subarray(0, 2), 'a.nii'), /a\.nii: only 2 bytes; a NIfTI header needs at least 348/);
    assert.throws(() => parseNiftiHeader(good.subarray(0, 300), 'a.nii'), /a\.nii: truncated: 300 bytes, but the NIfTI-1 header is 348 bytes/);
  });

  test('wrong magic', () => {
    assert.throws(() => parseNiftiHeader(edit(344, (v) => v.setUint8(0, 0x41)), 'm.nii'),
      /m\.nii: sizeof_hdr is 348 \(NIfTI-1\) but the magic is "A\+1\\u0000"; expected "n\+1\\u0000" or "ni1\\u0000"/);
  });

  test('unknown datatype, listing the supported codes', () => {
    assert.throws(() => parseNiftiHeader(edit(70, (v) => v.setInt16(0, 128, true)), 'rgb.nii'),
      /rgb\.nii: unsupported datatype code 128; expected one of 2 \(uint8\), 4 \(int16\)/);
  });

  test('bad dims', () => {
    assert.throws(() => parseNiftiHeader(edit(40, (v) => v.setInt16(0, 9, true)), 'd.nii'), /d\.nii: dim\[0\] = 9 must be the number of dimensions, 1\.\.7/);
    assert.throws(() => parseNiftiHeader(edit(42, (v) => v.setInt16(2, 0, true)), 'd.nii'), /d\.nii: dim\[2\] = 0 must be a positive voxel count \(dim = \[3,4,0,2,1,1,1,1\]\)/);
    assert.throws(() => parseNiftiHeader(edit(42, (v) => v.setInt16(4, -7, true)), 'd.nii'), /dim\[3\] = -7/);
  });

  test('vox_offset inside the header or not a whole number', () => {
    assert.throws(() => parseNiftiHeader(edit(108, (v) => v.setFloat32(0, 100, true)), 'o.nii'), /o\.nii: vox_offset = 100 must be a whole number of bytes, at least 348/);
    assert.throws(() => parseNiftiHeader(edit(108, (v) => v.setFloat32(0, 352.5, true)), 'o.nii'), /vox_offset = 352\.5/);
  });

  test('byte order comes from sizeof_hdr, not from the platform', () => {
    const big = encodeNifti(volume, { littleEndian: false, version: 2 });
    const header = parseNiftiHeader(big, 'big.nii');
    assert.deepEqual([header.littleEndian, header.version, header.dim.slice(0, 4)], [false, 2, [3, 4, 3, 2]]);
  });
});

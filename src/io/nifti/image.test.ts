import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { orientationCodes } from '../../volume/index.js';
import { encodeNifti } from './encode.js';
import { parseNiftiHeader } from './header.js';
import { parseNifti } from './image.js';

const FIXTURES = fileURLToPath(new URL('../../../test-fixtures/nifti/', import.meta.url));

/** What nibabel read from each fixture (test-fixtures/nifti/make_fixtures.py). */
interface Expected {
  version: 1 | 2; little_endian: boolean; shape: number[]; zooms: number[]; affine: number[][]; axcodes: string;
  qform_code: number; sform_code: number; qform: number[][]; quatern: number[]; pixdim: number[]; datatype: string;
  vox_offset: number; xyzt_units: number; descrip: string; scl_slope: number; scl_inter: number; sum: number;
  data?: number[]; samples: [number, number, number, number][];
}
const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as Record<string, Expected>;
const readable = Object.keys(expected).filter((name) => name !== 'multi-volume.nii');

function load(name: string): Uint8Array {
  return readFileSync(`${FIXTURES}${name}`);
}

describe('parseNifti reads what nibabel reads', () => {
  for (const name of readable) {
    const want = expected[name];
    test(name, () => {
      const { header, volume, source } = parseNifti(load(name), name);
      assert.equal(source, name);
      assert.equal(header.version, want.version);
      assert.equal(header.littleEndian, want.little_endian);
      assert.equal(header.datatype, want.datatype);
      assert.deepEqual([...volume.shape], want.shape.slice(0, 3));
      assert.ok(want.shape.slice(3).every((n) => n === 1));
      assert.equal(header.qform_code, want.qform_code);
      assert.equal(header.sform_code, want.sform_code);
      assert.equal(header.vox_offset, want.vox_offset);
      assert.equal(header.xyzt_units, want.xyzt_units);
      assert.equal(header.descrip, want.descrip);
      assert.equal(header.scl_slope, want.scl_slope);
      assert.equal(header.scl_inter, want.scl_inter);
      assert.deepEqual(header.pixdim, want.pixdim);
      assert.deepEqual([header.quatern_b, header.quatern_c, header.quatern_d], want.quatern);
      assert.deepEqual(header.pixdim.slice(1, 4), want.zooms);
      want.affine.flat().forEach((v, k) => assert.ok(Math.abs(volume.affine[k] - v) <= 1e-6,
        `affine[${k}] = ${volume.affine[k]}, nibabel ${v}`));
      assert.equal(orientationCodes(volume.affine), want.axcodes);

      const data = volume.data;
      if (want.data) {
        // nibabel scales in float64; we store float32, so compare with its rounding to float32.
        assert.deepEqual(Array.from(data), want.data.map(Math.fround));
      }
      for (const [i, j, k, v] of want.samples) {
        assert.equal(data[i + volume.shape[0] * (j + volume.shape[1] * k)], Math.fround(v), `voxel [${i},${j},${k}]`);
      }
      // Crops are checked by sum and samples (the synthetic files, whole, above; their int64 extremes make a sum moot).
      if (want.data) return;
      let sum = 0;
      for (const v of data) sum += v;
      assert.ok(Math.abs(sum - want.sum) <= 1e-6 * Math.max(1, Math.abs(want.sum)) + 1e-3, `sum ${sum} vs ${want.sum}`);
    });
  }

  test('parseNiftiHeader needs only the header bytes, compressed or not', () => {
    for (const name of ['TCGA-DU-7294_t1-crop.nii.gz', 'nifti2-big-endian.nii', 'extension.nii']) {
      const full = load(name);
      const expectedHeader = parseNifti(full, name).header;
      const raw = name.endsWith('.gz') ? full.subarray(0, 600) : full.subarray(0, expectedHeader.version === 2 ? 540 : 348);
      assert.deepEqual(parseNiftiHeader(raw, name), expectedHeader);
    }
  });

  test('the real crops keep their original codes: t1 qform 2, t1ce qform 1, SRI24 qform 0; all sform 1', () => {
    assert.equal(parseNifti(load('TCGA-DU-7294_t1-crop.nii.gz'), 't1').header.qform_code, 2);
    assert.equal(parseNifti(load('TCGA-DU-7294_t1ce-crop.nii.gz'), 't1ce').header.qform_code, 1);
    const sri = parseNifti(load('sri24-spgr-crop.nii.gz'), 'sri24').header;
    assert.deepEqual([sri.qform_code, sri.sform_code, sri.dim[0], sri.dim[4]], [0, 1, 4, 1]);
  });

  test('a 4D image with two volumes is refused, naming the file and the axis', () => {
    assert.throws(() => parseNifti(load('multi-volume.nii'), 'multi-volume.nii'),
      /parseNifti: multi-volume\.nii: dim = \[4,5,4,3,2,1,1,1\] has 2 entries along axis 4/);
  });

  test('a .hdr/.img pair header is refused: its voxels are elsewhere', () => {
    const bytes = new Uint8Array(load('dtype-int16.nii'));
    bytes[345] = 'i'.charCodeAt(0); // n+1 → ni1
    assert.throws(() => parseNifti(bytes, 'pair.hdr'), /pair\.hdr: the header is of a \.hdr\/\.img pair \(magic ni1\)/);
    assert.equal(parseNiftiHeader(bytes, 'pair.hdr').datatype, 'int16');
  });

  test('a BraTS-sized int16 .nii.gz (240x240x155) decodes to its exact values (its speed: npm run bench:data)', () => {
    const shape = [240, 240, 155] as const;
    const data = new Float32Array(shape[0] * shape[1] * shape[2]);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 4001 - 2000;
    const affine = Float64Array.from([-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1]);
    const file = gzipSync(encodeNifti({ data, shape, affine }, { datatype: 'int16' }), { level: 1 });
    const image = parseNifti(file, 'big.nii.gz');
    assert.deepEqual(image.volume.shape, [240, 240, 155]);
    for (const i of [0, 123457, data.length - 1]) assert.equal(image.volume.data[i], (i * 7919) % 4001 - 2000);
  });

  describe('headers whose numbers cannot describe an image are refused by the reader, naming the file', () => {
    /** A 2×2×2 int16 image written by encodeNifti, its NIfTI-1 header then edited in place (little-endian offsets of nifti1.h). */
    const edited = (edit: (view: DataView) => void) => {
      const affine = Float64Array.from([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
      const bytes = encodeNifti({ data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 1000]), shape: [2, 2, 2], affine }, { datatype: 'int16' });
      edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return bytes;
    };
    const SCL_SLOPE = 112;
    const QFORM_CODE = 252;
    const SFORM_CODE = 254;
    const SROW_X = 280;
    const PIXDIM = 76;

    test('an sform of zeros', () => {
      const bytes = edited((v) => { for (let k = 0; k < 12; k++) v.setFloat32(SROW_X + 4 * k, 0, true); v.setInt16(SFORM_CODE, 1, true); });
      assert.throws(() => parseNifti(bytes, 'zeros.nii'), /parseNifti: zeros\.nii: the voxel-to-world affine from the sform \(srow_x\/y\/z\) is singular/);
    });

    test('a zero voxel size in the qform', () => {
      const bytes = edited((v) => { v.setInt16(SFORM_CODE, 0, true); v.setInt16(QFORM_CODE, 1, true); v.setFloat32(PIXDIM + 8, 0, true); });
      assert.throws(() => parseNifti(bytes, 'flat.nii'), /flat\.nii: the voxel-to-world affine from the qform \(quaternion and pixdim\) is singular/);
    });

    test('a scale factor that takes stored values past float32', () => {
      const bytes = edited((v) => v.setFloat32(SCL_SLOPE, 1e36, true));
      assert.throws(() => parseNifti(bytes, 'huge.nii'),
        /huge\.nii: scl_slope 9\.99999\d*e\+35 and scl_inter 0 scale 1 stored value\(s\) beyond the float32 range/);
      assert.doesNotThrow(() => parseNifti(edited((v) => v.setFloat32(SCL_SLOPE, 1e30, true)), 'large.nii'), 'a large slope that fits is fine');
    });
  });
});

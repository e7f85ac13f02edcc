import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { Volume } from '../../volume/index.js';
import { effectiveAffine } from './affine.js';
import { NIFTI_DATATYPES, type NiftiDatatype } from './datatype.js';
import { encodeNifti } from './encode.js';
import { parseNifti } from './image.js';

const FIXTURES = fileURLToPath(new URL('../../../test-fixtures/nifti/', import.meta.url));
const SHAPE = [4, 3, 2] as const;
const OBLIQUE = Float64Array.from([0.8, -0.4, -0.6, 10.5, 0.3, 1.1, 0.2, -20.25, -0.2, 0.2, -2.4, 30, 0, 0, 0, 1]);

/** Values that each datatype holds exactly, its float32-representable extremes included. */
const SAMPLE_VALUES: Record<NiftiDatatype, number[]> = {
  uint8: [0, 255, 1, 128],
  int8: [-128, 127, 0, -1],
  int16: [-32768, 32767, 0, -1],
  uint16: [0, 65535, 1, 40000],
  int32: [-(2 ** 31), 2147483520, 0, -123456],
  uint32: [0, 4294967040, 1, 3e9],
  int64: [-(2 ** 63), 2 ** 62, 0, -(2 ** 40)],
  float32: [-3.4e38, 3.4e38, 1e-30, -0.125],
  float64: [-1e30, 1e30, Math.fround(0.1), -7.5],
};

const BYTES: Record<NiftiDatatype, number> = {
  uint8: 1, int8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, float32: 4, float64: 8,
};

function volumeOf(values: number[], affine = OBLIQUE): Volume {
  const data = new Float32Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  for (let i = 0; i < data.length; i++) data[i] = values[i % values.length];
  return { data, shape: SHAPE, affine };
}

function fixture(name: string) {
  return parseNifti(readFileSync(`${FIXTURES}${name}`), name);
}

describe('encodeNifti → parseNifti round trips', () => {
  for (const datatype of NIFTI_DATATYPES) {
    for (const version of [1, 2] as const) {
      for (const littleEndian of [true, false]) {
        for (const gzip of [false, true]) {
          const name = `${datatype} NIfTI-${version} ${littleEndian ? 'LE' : 'BE'}${gzip ? ' gz' : ''}`;
          test(name, () => {
            const volume = volumeOf(SAMPLE_VALUES[datatype]);
            const bytes = encodeNifti(volume, { datatype, version, littleEndian, gzip });
            const raw = gzip ? gunzipSync(bytes) : bytes;
            // The layout itself, read independently of our parser.
            const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
            assert.equal(view.getInt32(0, littleEndian), version === 1 ? 348 : 540);
            assert.equal(raw.length, (version === 1 ? 352 : 544) + volume.data.length * BYTES[datatype]);
            const image = parseNifti(bytes, name);
            assert.equal(image.header.datatype, datatype);
            assert.equal(image.header.littleEndian, littleEndian);
            assert.equal(image.header.version, version);
            assert.deepEqual(Array.from(image.volume.data), Array.from(volume.data));
            assert.deepEqual([...image.volume.shape], [...SHAPE]);
            const tolerance = version === 1 ? 1e-5 : 1e-12; // NIfTI-1 stores the affine as float32
            OBLIQUE.forEach((v, k) => assert.ok(Math.abs(image.volume.affine[k] - v) <= tolerance * Math.max(1, Math.abs(v))));
          });
        }
      }
    }
  }

  test('scaling: stored = (value − inter) / slope, recorded in scl_slope/scl_inter and undone on reading', () => {
    const values = [100, 100.25, -8092, 8291.75, 0];
    const bytes = encodeNifti(volumeOf(values), { datatype: 'int16', scaling: { slope: 0.25, inter: 100 } });
    const image = parseNifti(bytes, 'scaled');
    assert.deepEqual([image.header.scl_slope, image.header.scl_inter], [0.25, 100]);
    assert.deepEqual(Array.from(image.volume.data.subarray(0, 5)), values);
    // The stored integers themselves: (−8092 − 100) / 0.25 = −32768 and (8291.75 − 100) / 0.25 = 32767.
    const view = new DataView(bytes.buffer, bytes.byteOffset + 352);
    assert.deepEqual([0, 1, 2, 3].map((i) => view.getInt16(2 * i, true)), [0, 1, -32768, 32767]);
  });
});

describe('encodeNifti casting', () => {
  test('rounds to nearest, ties away from zero', () => {
    const image = parseNifti(encodeNifti(volumeOf([2.5, -2.5, 0.49, -0.5, 254.6]), { datatype: 'int16' }), 'round');
    assert.deepEqual(Array.from(image.volume.data.subarray(0, 5)), [3, -3, 0, -1, 255]);
  });

  test('refuses a value that does not fit, naming the voxel, the value and the range', () => {
    assert.throws(() => encodeNifti(volumeOf([0, 255.5]), { datatype: 'uint8' }),
      /encodeNifti: voxel \[1,0,0\] = 255\.5 does not fit uint8 \[0, 255\]/);
    assert.throws(() => encodeNifti(volumeOf([0, 0, 0, 0, 0, -1]), { datatype: 'uint16' }), /voxel \[1,1,0\] = -1/);
    assert.throws(() => encodeNifti(volumeOf([NaN]), { datatype: 'int32' }), /voxel \[0,0,0\] = NaN does not fit int32/);
    assert.throws(() => encodeNifti(volumeOf([2 ** 31]), { datatype: 'int32' }), /does not fit int32/);
    assert.throws(() => encodeNifti(volumeOf([1e6]), { datatype: 'int16', scaling: { slope: 2, inter: 0 } }),
      /= 1000000 \(stored 500000\) does not fit int16/);
  });

  test('float types take NaN and infinities as they are', () => {
    const image = parseNifti(encodeNifti(volumeOf([NaN, Infinity, -Infinity])), 'special');
    assert.deepEqual(Array.from(image.volume.data.subarray(0, 3)), [NaN, Infinity, -Infinity]);
  });

  test('bad options and volumes are refused with the value', () => {
    assert.throws(() => encodeNifti(volumeOf([1]), { description: 'x'.repeat(81) }), /descrip must be printable ASCII of at most 80 characters, got 81/);
    assert.throws(() => encodeNifti(volumeOf([1]), { datatype: 'complex64' as NiftiDatatype }), /datatype "complex64" is not one of/);
    assert.throws(() => encodeNifti(volumeOf([1]), { scaling: { slope: 0, inter: 0 } }), /non-zero slope.*got slope 0/);
    assert.throws(() => encodeNifti({ ...volumeOf([1]), data: new Float32Array(5) }), /data has 5 values but shape \[4,3,2\] needs 24/);
    assert.throws(() => encodeNifti(volumeOf([1], new Float64Array(16))), /affine column 0 is zero/);
  });

  test('description (80 characters allowed) goes to descrip', () => {
    const description = 'mrsynth cWDM t2 from t1,t1ce,flair; '.padEnd(80, '.');
    assert.equal(parseNifti(encodeNifti(volumeOf([1]), { description }), 'd').header.descrip, description);
  });
});

describe('encodeNifti geometry', () => {
  for (const name of ['TCGA-DU-7294_t1-crop.nii.gz', 'TCGA-DU-7294_t1ce-crop.nii.gz', 'sri24-spgr-crop.nii.gz', 'qfac-negative.nii.gz', 'nifti2.nii.gz']) {
    test(`a volume written like ${name} keeps its affine, codes and quaternion exactly`, () => {
      const source = fixture(name);
      const synthesised = { ...source.volume, data: source.volume.data.map((v) => v / 2 + 0.25) };
      const written = parseNifti(encodeNifti(synthesised, { like: source.header, gzip: true }), `synth-${name}`);
      assert.deepEqual(Array.from(written.volume.affine), Array.from(source.volume.affine));
      const geometry = (h: typeof source.header) => [h.qform_code, h.sform_code, h.quatern_b, h.quatern_c, h.quatern_d,
        h.qoffset_x, h.qoffset_y, h.qoffset_z, ...h.srow_x, ...h.srow_y, ...h.srow_z, ...h.pixdim.slice(0, 4), h.xyzt_units, h.version];
      assert.deepEqual(geometry(written.header), geometry(source.header));
      assert.equal(written.header.datatype, 'float32');
      assert.deepEqual(written.header.dim, [3, ...source.volume.shape, 1, 1, 1, 1]);
      assert.deepEqual(Array.from(written.volume.data), Array.from(synthesised.data));
    });
  }

  test('a new affine with `like` is written with like\'s codes and read back (float32 precision)', () => {
    const source = fixture('TCGA-DU-7294_t1-crop.nii.gz');
    const moved = Float64Array.from(source.volume.affine);
    moved[3] += 12.5; moved[0] = -1.5;
    const written = parseNifti(encodeNifti({ ...source.volume, affine: moved }, { like: source.header }), 'moved');
    assert.deepEqual(Array.from(written.volume.affine), Array.from(moved));
    assert.deepEqual([written.header.qform_code, written.header.sform_code], [2, 1]);
    assert.deepEqual(written.header.pixdim.slice(0, 4), [1, 1.5, 1, 1]);
  });

  test('without `like`: a rigid affine goes into both qform and sform with code 2 (aligned)', () => {
    // nibabel's affine of an oblique, anisotropic, left-handed grid (test-fixtures/nifti/expected.json).
    const rigid = Float64Array.from(fixture('qfac-negative.nii.gz').volume.affine);
    const written = parseNifti(encodeNifti(volumeOf([1], rigid), { version: 2 }), 'rigid');
    assert.deepEqual([written.header.qform_code, written.header.sform_code, written.header.xyzt_units], [2, 2, 2]);
    assert.equal(written.header.pixdim[0], -1);
    const viaQform = effectiveAffine({ ...written.header, sform_code: 0 });
    rigid.forEach((v, k) => assert.ok(Math.abs(viaQform[k] - v) < 1e-12, `qform affine[${k}] ${viaQform[k]} vs ${v}`));
  });

  test('a sheared affine has no exact qform: qform_code 0, the sform alone carries it', () => {
    const written = parseNifti(encodeNifti(volumeOf([1], OBLIQUE), { version: 2 }), 'sheared');
    assert.deepEqual([written.header.qform_code, written.header.sform_code], [0, 2]);
    assert.deepEqual(Array.from(written.volume.affine), Array.from(OBLIQUE));
  });
});

/** nibabel (Debian's /usr/bin/python3), when installed, as an independent reader of what we write. */
const PYTHON = '/usr/bin/python3';
function nibabelAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import nibabel'], { encoding: 'utf8' }).status === 0;
}
const NIBABEL_SKIP = existsSync(PYTHON) && nibabelAvailable() ? false : `${PYTHON} with nibabel is not installed (apt install python3-nibabel)`;

test('nibabel reads our files: every datatype, both versions and byte orders, gzip, `like` geometry', { skip: NIBABEL_SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsynth-nifti-'));
  try {
    const like = fixture('TCGA-DU-7294_t1ce-crop.nii.gz');
    const cases: { file: string; volume: Volume }[] = [];
    NIFTI_DATATYPES.forEach((datatype, n) => {
      const version = (n % 2 + 1) as 1 | 2;
      const file = join(dir, `${datatype}-v${version}${n % 3 ? '.nii' : '.nii.gz'}`);
      const volume = volumeOf(SAMPLE_VALUES[datatype]);
      writeFileSync(file, encodeNifti(volume, { datatype, version, littleEndian: n % 4 < 2, gzip: file.endsWith('.gz'), description: datatype }));
      cases.push({ file, volume });
    });
    const likeFile = join(dir, 'like.nii.gz');
    writeFileSync(likeFile, encodeNifti(like.volume, { like: like.header, datatype: 'int16', gzip: true }));
    cases.push({ file: likeFile, volume: like.volume });

    const script = [
      'import json, sys, nibabel as nib, numpy as np',
      'out = []',
      'for f in sys.argv[1:]:',
      '    img = nib.load(f)',
      '    out.append({"affine": img.affine.ravel().tolist(), "q": int(img.header["qform_code"]), "s": int(img.header["sform_code"]),',
      '                "data": np.asarray(img.get_fdata()).ravel(order="F").tolist(), "descrip": img.header["descrip"].item().decode()})',
      'print(json.dumps(out))',
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', script, ...cases.map((c) => c.file)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as { affine: number[]; q: number; s: number; data: number[]; descrip: string }[];
    seen.forEach((got, n) => {
      const { file, volume } = cases[n];
      assert.deepEqual(got.data.map(Math.fround), Array.from(volume.data), file);
      volume.affine.forEach((v, k) => assert.ok(Math.abs(got.affine[k] - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${file} affine[${k}]`));
    });
    assert.deepEqual([seen[0].q, seen[0].s, seen[0].descrip], [0, 2, 'uint8']); // OBLIQUE is sheared: sform only
    assert.deepEqual([seen.at(-1)!.q, seen.at(-1)!.s], [1, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNifti, writeNifti } from '../io/nifti/index.js';
import { affineFrom, applyAffine } from '../volume/index.js';
import type { Shape3 } from '../volume/index.js';
import { discoverDataset } from './discover.js';
import { makeResampledCopy, RESAMPLE_RECORD, type ResampledCopyRecord } from './resampledCopy.js';

// A 1 mm grid, rotated about z (0.6/0.8) and shifted, 13×12×9 voxels: the first axis does not divide by 3.
const SHAPE: Shape3 = [13, 12, 9];
const AFFINE = affineFrom([[0.6, -0.8, 0, -20], [0.8, 0.6, 0, 5], [0, 0, 1, 30], [0, 0, 0, 1]]);
const CONTRASTS = ['t1', 't1ce', 't2', 'flair'];
const CASE = 'BraTS2021_00017';
const index = (i: number, j: number, k: number, shape: Shape3) => i + shape[0] * (j + shape[1] * k);

let root: string;
let input: string;
const values: Record<string, Float32Array> = {};

before(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-resampled-'));
  input = join(root, 'in');
  const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) % 1000;
  for (const [c, contrast] of CONTRASTS.entries()) values[contrast] = Float32Array.from({ length: n }, () => next() + 1000 * c);
  values.seg = Float32Array.from({ length: n }, () => [0, 1, 2, 4][next() % 4]);
  await fs.mkdir(join(input, CASE), { recursive: true });
  for (const name of [...CONTRASTS, 'seg']) {
    await writeNifti(join(input, CASE, `${CASE}_${name}.nii.gz`), { data: values[name], shape: SHAPE, affine: AFFINE }, { datatype: 'int16' });
  }
});
after(async () => { await fs.rm(root, { recursive: true, force: true }); });

describe('makeResampledCopy', () => {
  test('3 mm by area: block means, labels by nearest, the covering grid and its affine, the same names', async () => {
    const before = await fs.readFile(join(input, CASE, `${CASE}_t2.nii.gz`));
    const out = join(root, 'area');
    const record = await makeResampledCopy(input, out, { spacing: [3, 3, 3], interpolation: 'area' });
    const expectedShape: Shape3 = [5, 4, 3];

    for (const contrast of CONTRASTS) {
      const image = await readNifti(join(out, CASE, `${CASE}_${contrast}.nii.gz`));
      assert.deepEqual(image.volume.shape, expectedShape);
      assert.equal(image.header.datatype, 'float32');
      for (let k = 0; k < 3; k++) for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) {
        // The block of voxels 3n … 3n+2 per axis, cut by the end of the grid (axis 0: the last block is voxel 12 alone).
        let sum = 0, count = 0;
        for (let c = 3 * k; c < 3 * k + 3; c++) for (let b = 3 * j; b < 3 * j + 3; b++) for (let a = 3 * i; a < Math.min(3 * i + 3, SHAPE[0]); a++) {
          sum += values[contrast][index(a, b, c, SHAPE)];
          count++;
        }
        const got = image.volume.data[index(i, j, k, expectedShape)];
        assert.ok(Math.abs(got - sum / count) < 1e-3, `${contrast} at (${i},${j},${k}): ${got} vs block mean ${sum / count}`);
      }
      // Voxel n of the copy is centred on voxel 3n + 1 of the input, in the same world coordinates.
      for (const n of [[0, 0, 0], [4, 3, 2], [1, 2, 0]]) {
        const world = applyAffine(image.volume.affine, n);
        const expected = applyAffine(AFFINE, n.map((v) => 3 * v + 1));
        world.forEach((w, a) => assert.ok(Math.abs(w - expected[a]) < 1e-4, `voxel ${n} lies at ${world}, expected ${expected}`));
      }
    }

    const seg = await readNifti(join(out, CASE, `${CASE}_seg.nii.gz`));
    assert.equal(seg.header.datatype, 'int16');
    for (let k = 0; k < 3; k++) for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) {
      assert.equal(seg.volume.data[index(i, j, k, expectedShape)], values.seg[index(3 * i + 1, 3 * j + 1, 3 * k + 1, SHAPE)]);
    }

    const copy = await discoverDataset(out);
    assert.deepEqual(copy.cases.map((c) => [c.id, Object.keys(c.contrasts).sort(), c.seg !== undefined]),
      [[CASE, [...CONTRASTS].sort(), true]]);
    const saved = JSON.parse(await fs.readFile(join(out, RESAMPLE_RECORD), 'utf8')) as ResampledCopyRecord;
    assert.deepEqual(saved, JSON.parse(JSON.stringify(record)));
    assert.deepEqual(saved.cases[0].files.find((f) => f.path.endsWith('_seg.nii.gz')),
      { path: join(CASE, `${CASE}_seg.nii.gz`), from: SHAPE, to: expectedShape, interpolation: 'nearest' });
    assert.deepEqual(await fs.readFile(join(input, CASE, `${CASE}_t2.nii.gz`)), before, 'the input is untouched');
  });

  test('refuses a used or nested output, a bad spacing, and area at a fractional factor, naming the file', async () => {
    const used = join(root, 'used');
    await fs.mkdir(used);
    await fs.writeFile(join(used, 'x'), 'x');
    await assert.rejects(makeResampledCopy(input, used, { spacing: [3, 3, 3] }),
      /makeResampledCopy: output .*used exists and is not empty \(1 entries\); give a new folder/);
    await assert.rejects(makeResampledCopy(input, join(input, 'copy'), { spacing: [3, 3, 3] }),
      /makeResampledCopy: output .*in\/copy is inside input .*in; the input is never written/);
    await assert.rejects(makeResampledCopy(input, join(root, 'zero'), { spacing: [3, 0, 3] }),
      /makeResampledCopy: spacing must be three positive sizes in mm, got \[3,0,3\]/);
    await assert.rejects(makeResampledCopy(input, join(root, 'fraction'), { spacing: [2.5, 2.5, 2.5], interpolation: 'area' }),
      /makeResampledCopy: .*BraTS2021_00017_(t1|t1ce|t2|flair)\.nii\.gz has voxels of \[1,1,1\] mm, so \[2\.5,2\.5,2\.5\] mm means factors \[2\.5,2\.5,2\.5\]; 'area' averages whole blocks and needs integer factors, use 'linear'/);
    assert.equal(await fs.stat(join(root, 'fraction')).then(() => true, () => false), false, 'nothing written');
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseNifti } from '../io/nifti/index.js';
import { identityAffine } from '../volume/index.js';
import type { Shape3 } from '../volume/index.js';
import { anatomyFromVolume, brainVoxelsInBox, SRI24_TISSUES_PATH, stripExtracerebralCsf } from './anatomy.js';
import { Random } from './random.js';

function labelVolume(shape: Shape3, label: (i: number, j: number, k: number) => number) {
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let k = 0; k < shape[2]; k++) for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) {
    data[i + shape[0] * (j + shape[1] * k)] = label(i, j, k);
  }
  return { data, shape, affine: identityAffine() };
}

describe('the shipped SRI24 tissue map', () => {
  test('is the 240 x 240 x 155 LAS atlas grid with CSF, GM and WM', () => {
    const anatomy = anatomyFromVolume(parseNifti(readFileSync(SRI24_TISSUES_PATH), SRI24_TISSUES_PATH).volume, SRI24_TISSUES_PATH);
    assert.deepEqual(anatomy.shape, [240, 240, 155]);
    assert.deepEqual(anatomy.centre, [-119.5, 119.5, 77]);
    const counts = [0, 0, 0, 0];
    for (const label of anatomy.labels) counts[label]++;
    // About 1.45 litres of brain, a fifth of it CSF, and more GM than WM.
    const brain = counts[1] + counts[2] + counts[3];
    assert.ok(brain > 1.3e6 && brain < 1.6e6 && counts[1] / brain > 0.1 && counts[2] > counts[3], `counts ${counts}`);
  });
});

describe('anatomyFromVolume', () => {
  test('counts brain voxels in any box like a brute-force count', () => {
    const rng = new Random(3);
    const shape: Shape3 = [7, 5, 6];
    const anatomy = anatomyFromVolume(labelVolume(shape, () => (rng.next() < 0.4 ? 0 : 1 + rng.int(3))), 'random');
    for (let trial = 0; trial < 200; trial++) {
      const lo = [rng.int(9) - 1, rng.int(7) - 1, rng.int(8) - 1];
      const hi = [lo[0] + rng.int(6), lo[1] + rng.int(5), lo[2] + rng.int(5)];
      let expected = 0;
      for (let k = Math.max(0, lo[2]); k <= Math.min(5, hi[2]); k++) {
        for (let j = Math.max(0, lo[1]); j <= Math.min(4, hi[1]); j++) {
          for (let i = Math.max(0, lo[0]); i <= Math.min(6, hi[0]); i++) if (anatomy.labels[i + 7 * (j + 5 * k)] > 0) expected++;
        }
      }
      assert.equal(brainVoxelsInBox(anatomy, lo, hi), expected, `box ${lo} – ${hi}`);
    }
  });

  test('knows its centre in world space', () => {
    const anatomy = anatomyFromVolume(labelVolume([5, 3, 9], () => 0), 'empty');
    assert.deepEqual(anatomy.centre, [2, 1, 4]);
  });

  test('rejects labels that are not tissue classes, naming the voxel and the value', () => {
    assert.throws(() => anatomyFromVolume(labelVolume([2, 2, 2], (i, j, k) => (i + j + k === 3 ? 5 : 1)), 'bad.nii'),
      /anatomyFromVolume: bad.nii: voxel 7 has label 5; expected 0 background, 1 CSF, 2 GM or 3 WM/);
  });
});

describe('stripExtracerebralCsf', () => {
  // A cube of WM (x 8–21) with a CSF "ventricle" inside (x 12–17), wrapped in CSF out to x 3–26.
  const shape: Shape3 = [30, 30, 30];
  const inside = (i: number, j: number, k: number, lo: number, hi: number) =>
    i >= lo && i <= hi && j >= lo && j <= hi && k >= lo && k <= hi;
  const anatomy = anatomyFromVolume(labelVolume(shape, (i, j, k) =>
    inside(i, j, k, 12, 17) ? 1 : inside(i, j, k, 8, 21) ? 3 : inside(i, j, k, 3, 26) ? 1 : 0), 'cube');
  const at = (labels: Uint8Array, i: number, j: number, k: number) => labels[i + 30 * (j + 30 * k)];

  test('keeps a CSF rim of `margin` voxels and enclosed CSF, removes the rest of the outer CSF', () => {
    const stripped = stripExtracerebralCsf(anatomy, 2);
    assert.equal(at(stripped.labels, 15, 15, 15), 1, 'the ventricle stays, though far from tissue');
    assert.equal(at(stripped.labels, 6, 15, 15), 1, 'CSF 2 voxels from WM stays');
    assert.equal(at(stripped.labels, 5, 15, 15), 0, 'CSF 3 voxels from WM goes');
    assert.equal(at(stripped.labels, 3, 15, 15), 0);
    assert.equal(at(stripped.labels, 10, 15, 15), 3, 'tissue is untouched');
    assert.equal(brainVoxelsInBox(stripped, [0, 0, 0], [4, 29, 29]), 0, 'the summed-area table follows the new labels');
    assert.equal(at(anatomy.labels, 5, 15, 15), 1, 'the input is not modified');
  });
});

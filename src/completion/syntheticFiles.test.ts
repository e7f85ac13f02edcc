import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDescription, syntheticFiles } from './syntheticFiles.js';

test('syntheticFiles: std map and sidecar beside the image, same stem', () => {
  assert.deepEqual(syntheticFiles('/d/C_t1ce.nii.gz'), { image: '/d/C_t1ce.nii.gz', std: '/d/C_t1ce_std.nii.gz', sidecar: '/d/C_t1ce.json' });
  assert.deepEqual(syntheticFiles('x.nii'), { image: 'x.nii', std: 'x_std.nii', sidecar: 'x.json' });
  assert.throws(() => syntheticFiles('x.mgz'), /an output image must end in \.nii or \.nii\.gz, got x\.mgz/);
});

test('syntheticDescription says what the voxels are and fits, whole, in the 80 characters of descrip', () => {
  const longest = syntheticDescription({ method: 'aldm', contrast: 'flair', source: 't1ce', units: '[-1,1]', samples: 1000 }, { kind: 'sample', index: 1000 });
  assert.equal(longest, 'mrsynth aldm synthetic flair from t1ce, sample 1000 of 1000, [-1,1] units');
  assert.ok(longest.length <= 80);
  assert.equal(syntheticDescription({ method: 'cwdm', contrast: 't1ce', units: '[0,1]', samples: 1 }, { kind: 'image' }),
    'mrsynth cwdm synthetic t1ce, [0,1] units');
  assert.equal(syntheticDescription({ method: 'cwdm', contrast: 't1ce', units: '[0,1]', samples: 3 }, { kind: 'std' }),
    'mrsynth cwdm synthetic t1ce, std of 3 samples, [0,1] units');
});

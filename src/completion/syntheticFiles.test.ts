import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticDescription, syntheticFiles } from './syntheticFiles.js';

test('syntheticFiles: std map and sidecar beside the image, same stem', () => {
  assert.deepEqual(syntheticFiles('/d/C_t1ce.nii.gz'), { image: '/d/C_t1ce.nii.gz', std: '/d/C_t1ce_std.nii.gz', sidecar: '/d/C_t1ce.json' });
  assert.deepEqual(syntheticFiles('x.nii'), { image: 'x.nii', std: 'x_std.nii', sidecar: 'x.json' });
  assert.throws(() => syntheticFiles('x.mgz'), /an output image must end in \.nii or \.nii\.gz, got x\.mgz/);
});

test('syntheticDescription fits the 80 characters of descrip', () => {
  assert.ok(syntheticDescription('flair', 'std', 1000).length <= 80);
});

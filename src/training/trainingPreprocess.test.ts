import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePreprocessConfig } from '../transforms/index.js';
import { trainingPreprocessConfig } from './trainingPreprocess.js';

describe('trainingPreprocessConfig', () => {
  test('the cwdm and reference presets already fit every network and stay as they are', () => {
    assert.deepEqual(trainingPreprocessConfig(undefined, { imageMultiple: 32 }), parsePreprocessConfig('cwdm'));
    assert.deepEqual(trainingPreprocessConfig('reference', { imageMultiple: 32 }), parsePreprocessConfig('reference'));
  });

  test('a spacing resamples after reorienting and pads to the network instead of the 1 mm box', () => {
    const config = trainingPreprocessConfig('cwdm', { spacing: 2, imageMultiple: 16 });
    assert.equal(config.preset, 'custom');
    assert.deepEqual(config.steps.map((s) => s.kind), ['reorient', 'resample', 'intensity', 'crop', 'pad']);
    assert.deepEqual(config.steps[1], { kind: 'resample', spacing: [2, 2, 2], interpolation: 'linear' });
    assert.deepEqual(config.steps[4], { kind: 'pad', multiple: [16, 16, 16] });
  });

  test('a config that may end off the network\'s multiple gets a pad appended', () => {
    const config = trainingPreprocessConfig({ steps: [{ kind: 'intensity', preset: 'cwdm' }, { kind: 'pad', multiple: [4, 4, 4] }] }, { imageMultiple: 8 });
    assert.deepEqual(config.steps.map((s) => s.kind), ['intensity', 'pad', 'pad']);
    assert.deepEqual(config.steps[2], { kind: 'pad', multiple: [8, 8, 8] });
  });

  test('the reference\'s fixed voxel window cannot be resampled', () => {
    assert.throws(() => trainingPreprocessConfig('reference', { spacing: 2, imageMultiple: 16 }),
      /trainingPreprocessConfig: preset 'reference' cuts a fixed voxel window of the stored grid, which cannot be combined with a spacing of 2 mm/);
  });
});

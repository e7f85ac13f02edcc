import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceConditions } from './reference.js';

describe('referenceConditions', () => {
  test('the reference\'s fixed condition order for each target (spec §6), in BraTS 2023 names t1n t1c t2w t2f', () => {
    assert.deepEqual(referenceConditions('t1'), ['t1ce', 't2', 'flair']);
    assert.deepEqual(referenceConditions('t1ce'), ['t1', 't2', 'flair']);
    assert.deepEqual(referenceConditions('t2'), ['t1', 't1ce', 'flair']);
    assert.deepEqual(referenceConditions('flair'), ['t1', 't1ce', 't2']);
    assert.throws(() => referenceConditions('pd'), /referenceConditions: the reference trains one model per BraTS contrast \(t1, t1ce, t2, flair\), not 'pd'/);
  });
});

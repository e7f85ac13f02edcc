import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalOrder, contrastFromAlias, parseContrast } from './contrast.js';

describe('contrast vocabulary', () => {
  test('maps BraTS 2023/24 and IXI aliases onto the canonical names', () => {
    assert.deepEqual(['t1n', 't1c', 't2w', 't2f', 'T1', 'T2', 'PD', 'FLAIR'].map(contrastFromAlias),
      ['t1', 't1ce', 't2', 'flair', 't1', 't2', 'pd', 'flair']);
    assert.equal(contrastFromAlias('mra'), undefined);
  });
  test('parseContrast names the context and the bad name', () => {
    assert.throws(() => parseContrast('dwi', 'dropout --drop'), /dropout --drop: unknown contrast 'dwi', expected one of t1, t1ce/);
  });
  test('canonicalOrder ignores input order and duplicates', () => {
    assert.deepEqual(canonicalOrder(['pd', 'flair', 't1', 'pd']), ['t1', 'flair', 'pd']);
  });
});

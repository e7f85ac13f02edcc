import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parsePredictionName, translationFileName } from './predictionName.js';

describe('translationFileName', () => {
  test('BraTS 2021, BraTS 2023 and IXI conventions', () => {
    assert.equal(translationFileName({ id: 'TCGA-DU-7294', format: 'brats2021' }, 't2', 't1'), 'TCGA-DU-7294_t2_from-t1.nii.gz');
    assert.equal(translationFileName({ id: 'BraTS-GLI-00000-000', format: 'brats2023' }, 't2', 't1'), 'BraTS-GLI-00000-000-t2w-from-t1n.nii.gz');
    assert.equal(translationFileName({ id: 'IXI002-Guys-0828', format: 'ixi' }, 't2', 'pd'), 'IXI002-Guys-0828-T2-from-PD.nii.gz');
    assert.equal(translationFileName({ id: 'sub_01', format: 'manifest' }, 'flair', 't1ce'), 'sub_01_flair_from-t1ce.nii.gz');
    assert.throws(() => translationFileName({ id: 'c', format: 'brats2021' }, 't1', 't1'), /case c: source and target are both 't1'/);
  });
});

describe('parsePredictionName', () => {
  test('translations in every convention round-trip', () => {
    assert.deepEqual(parsePredictionName('TCGA-DU-7294_t2_from-t1.nii.gz'), { caseId: 'TCGA-DU-7294', target: 't2', source: 't1' });
    assert.deepEqual(parsePredictionName('BraTS-GLI-00000-000-t2w-from-t1n.nii.gz'), { caseId: 'BraTS-GLI-00000-000', target: 't2', source: 't1' });
    assert.deepEqual(parsePredictionName('IXI002-Guys-0828-T2-from-PD.nii'), { caseId: 'IXI002-Guys-0828', target: 't2', source: 'pd' });
  });
  test('plain syntheses named like the contrast', () => {
    assert.deepEqual(parsePredictionName('TCGA-DU-7294_t1ce.nii.gz'), { caseId: 'TCGA-DU-7294', target: 't1ce' });
    assert.deepEqual(parsePredictionName('BraTS-GLI-00001-000-t2f.nii.gz'), { caseId: 'BraTS-GLI-00001-000', target: 'flair' });
  });
  test('anything else is not a prediction', () => {
    assert.equal(parsePredictionName('TCGA-DU-7294_seg.nii.gz'), undefined);
    assert.equal(parsePredictionName('notes.txt'), undefined);
    assert.equal(parsePredictionName('case_t2_from-xyz.nii.gz'), undefined);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { contrastFileName, parseCaseFileName, subjectOf } from './naming.js';

describe('parseCaseFileName', () => {
  test('BraTS 2021 keeps underscores and hyphens inside the case id', () => {
    assert.deepEqual(parseCaseFileName('TCGA-DU-7294_t1ce.nii.gz', 'brats2021'), { caseId: 'TCGA-DU-7294', role: 't1ce' });
    assert.deepEqual(parseCaseFileName('BraTS2021_00000_seg.nii', 'brats2021'), { caseId: 'BraTS2021_00000', role: 'seg' });
    assert.equal(parseCaseFileName('BraTS2021_00000_t1c.nii.gz', 'brats2021'), undefined);
  });
  test('BraTS 2023 maps t1n/t1c/t2w/t2f', () => {
    assert.deepEqual(parseCaseFileName('BraTS-GLI-00000-000-t2f.nii.gz', 'brats2023'), { caseId: 'BraTS-GLI-00000-000', role: 'flair' });
    assert.deepEqual(parseCaseFileName('BraTS-MEN-00004-001-seg.nii.gz', 'brats2023'), { caseId: 'BraTS-MEN-00004-001', role: 'seg' });
    assert.equal(parseCaseFileName('BraTS-GLI-00000-000_t1.nii.gz', 'brats2023'), undefined);
  });
  test('IXI accepts T1/T2/PD and rejects other IXI modalities and other extensions', () => {
    assert.deepEqual(parseCaseFileName('IXI002-Guys-0828-PD.nii.gz', 'ixi'), { caseId: 'IXI002-Guys-0828', role: 'pd' });
    assert.equal(parseCaseFileName('IXI002-Guys-0828-MRA.nii.gz', 'ixi'), undefined);
    assert.equal(parseCaseFileName('IXI002-Guys-0828-T1.img', 'ixi'), undefined);
  });
});

describe('subjectOf', () => {
  test('BraTS 2023 time points of one patient share a subject', () => {
    assert.equal(subjectOf('BraTS-GLI-00000-000', 'brats2023'), 'BraTS-GLI-00000');
    assert.equal(subjectOf('BraTS-GLI-00000-001', 'brats2023'), 'BraTS-GLI-00000');
  });
  test('other formats use the case id', () => {
    assert.equal(subjectOf('BraTS2021_00000', 'brats2021'), 'BraTS2021_00000');
    assert.equal(subjectOf('IXI002-Guys-0828', 'ixi'), 'IXI002-Guys-0828');
  });
});

describe('contrastFileName', () => {
  test('follows the convention of the case format', () => {
    assert.equal(contrastFileName({ id: 'BraTS2021_00000', format: 'brats2021' }, 't1ce'), 'BraTS2021_00000_t1ce.nii.gz');
    assert.equal(contrastFileName({ id: 'BraTS-GLI-00000-000', format: 'brats2023' }, 't1ce'), 'BraTS-GLI-00000-000-t1c.nii.gz');
    assert.equal(contrastFileName({ id: 'BraTS-GLI-00000-000', format: 'brats2023' }, 'flair'), 'BraTS-GLI-00000-000-t2f.nii.gz');
    assert.equal(contrastFileName({ id: 'IXI002-Guys-0828', format: 'ixi' }, 't1'), 'IXI002-Guys-0828-T1.nii.gz');
    assert.equal(contrastFileName({ id: 'sub-01', format: 'manifest' }, 'pd'), 'sub-01_pd.nii.gz');
  });
  test('round-trips through parseCaseFileName for every name a format has', () => {
    const cases = [
      { id: 'TCGA-DU-7294', format: 'brats2021', roles: ['t1', 't1ce', 't2', 'flair', 'seg'] },
      { id: 'BraTS-SSA-00126-000', format: 'brats2023', roles: ['t1', 't1ce', 't2', 'flair', 'seg'] },
      { id: 'IXI650-Guys-1106', format: 'ixi', roles: ['t1', 't2', 'pd'] },
    ] as const;
    for (const c of cases) {
      for (const role of c.roles) {
        assert.deepEqual(parseCaseFileName(contrastFileName(c, role), c.format), { caseId: c.id, role });
      }
    }
  });
  test('refuses a contrast the format cannot name', () => {
    assert.throws(() => contrastFileName({ id: 'IXI002-Guys-0828', format: 'ixi' }, 'flair'),
      /contrastFileName: the ixi naming has no name for 'flair' \(case IXI002-Guys-0828\); it names t1, t2, pd/);
  });
});

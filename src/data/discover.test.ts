import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discoverDataset, relativeToRoot } from './discover.js';

// Discovery reads names only, so empty files stand in for images here.
let root: string;
async function tree(name: string, files: readonly string[]): Promise<string> {
  const dir = join(root, name);
  for (const f of files) {
    await fs.mkdir(dirname(join(dir, f)), { recursive: true });
    await fs.writeFile(join(dir, f), '');
  }
  return dir;
}

before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-discover-')); });
after(async () => { await fs.rm(root, { recursive: true, force: true }); });

describe('discoverDataset', () => {
  test('BraTS 2021: case folders, seg, an incomplete case and an unknown file', async () => {
    const dir = await tree('b21', [
      'TCGA-DU-7294/TCGA-DU-7294_t1.nii.gz', 'TCGA-DU-7294/TCGA-DU-7294_t1ce.nii.gz', 'TCGA-DU-7294/TCGA-DU-7294_t2.nii.gz',
      'TCGA-DU-7294/TCGA-DU-7294_flair.nii.gz', 'TCGA-DU-7294/TCGA-DU-7294_seg.nii.gz',
      'BraTS2021_00002/BraTS2021_00002_t1.nii', 'BraTS2021_00002/BraTS2021_00002_t2.nii', 'BraTS2021_00002/notes.txt',
      'BraTS2021_00002/BraTS2021_00002_t1_old.nii.gz',
    ]);
    const d = await discoverDataset(dir);
    assert.equal(d.format, 'brats2021');
    assert.deepEqual(d.contrasts, ['t1', 't1ce', 't2', 'flair']);
    assert.deepEqual(d.cases.map((c) => c.id), ['BraTS2021_00002', 'TCGA-DU-7294']);
    assert.deepEqual(d.cases[1].contrasts.t1ce, join(dir, 'TCGA-DU-7294/TCGA-DU-7294_t1ce.nii.gz'));
    assert.equal(d.cases[1].seg, join(dir, 'TCGA-DU-7294/TCGA-DU-7294_seg.nii.gz'));
    assert.equal(d.cases[0].seg, undefined);
    assert.deepEqual(d.problems, [
      { kind: 'unknown-file', path: join(dir, 'BraTS2021_00002/BraTS2021_00002_t1_old.nii.gz'),
        reason: 'does not follow the brats2021 naming <case>_{t1,t1ce,t2,flair,seg}.nii[.gz]' },
      { kind: 'incomplete', case: 'BraTS2021_00002', missing: ['t1ce', 'flair'] },
    ]);
  });

  test('BraTS 2023: time points share a subject; aliases become canonical', async () => {
    const ids = ['BraTS-GLI-00000-000', 'BraTS-GLI-00000-001', 'BraTS-GLI-00002-000'];
    const dir = await tree('b23', ids.flatMap((id) => ['t1n', 't1c', 't2w', 't2f', 'seg'].map((t) => `${id}/${id}-${t}.nii.gz`)));
    const d = await discoverDataset(dir);
    assert.equal(d.format, 'brats2023');
    assert.deepEqual(d.cases.map((c) => [c.id, c.subject]), [
      ['BraTS-GLI-00000-000', 'BraTS-GLI-00000'], ['BraTS-GLI-00000-001', 'BraTS-GLI-00000'], ['BraTS-GLI-00002-000', 'BraTS-GLI-00002'],
    ]);
    assert.equal(d.cases[2].contrasts.flair, join(dir, 'BraTS-GLI-00002-000/BraTS-GLI-00002-000-t2f.nii.gz'));
    assert.deepEqual(d.problems, []);
  });

  test('IXI in per-contrast folders and flat give the same cases', async () => {
    const names = (c: string) => ['IXI002-Guys-0828', 'IXI012-HH-1211'].map((id) => `${id}-${c}.nii.gz`);
    const nested = await tree('ixi-nested', [...names('T1').map((n) => `IXI-T1/${n}`), ...names('T2').map((n) => `IXI-T2/${n}`),
      ...names('PD').map((n) => `IXI-PD/${n}`), 'IXI-MRA/IXI002-Guys-0828-MRA.nii.gz']);
    const flat = await tree('ixi-flat', [...names('T1'), ...names('T2'), ...names('PD')]);
    const a = await discoverDataset(nested);
    const b = await discoverDataset(flat);
    assert.equal(a.format, 'ixi');
    assert.deepEqual(a.contrasts, ['t1', 't2', 'pd']);
    assert.deepEqual(a.cases.map((c) => Object.keys(c.contrasts)), [['t1', 't2', 'pd'], ['t1', 't2', 'pd']]);
    assert.deepEqual(a.cases.map((c) => c.id), b.cases.map((c) => c.id));
    assert.equal(a.cases[0].contrasts.pd, join(nested, 'IXI-PD/IXI002-Guys-0828-PD.nii.gz'));
    assert.deepEqual(a.problems.map((p) => p.kind), ['unknown-file']);
  });

  test('two files for one contrast are reported as ambiguous and neither is used', async () => {
    const dir = await tree('dup', ['IXI002-Guys-0828-T1.nii', 'IXI002-Guys-0828-T1.nii.gz', 'IXI002-Guys-0828-T2.nii', 'IXI002-Guys-0828-PD.nii']);
    const d = await discoverDataset(dir);
    assert.equal(d.cases[0].contrasts.t1, undefined);
    assert.deepEqual(d.problems, [
      { kind: 'ambiguous', case: 'IXI002-Guys-0828', role: 't1', paths: [join(dir, 'IXI002-Guys-0828-T1.nii'), join(dir, 'IXI002-Guys-0828-T1.nii.gz')] },
      { kind: 'incomplete', case: 'IXI002-Guys-0828', missing: ['t1'] },
    ]);
  });

  test('a forced format reports the other files as unknown', async () => {
    const dir = await tree('forced', ['a/a_t1.nii', 'a/a_t2.nii', 'b/b-t1n.nii']);
    const d = await discoverDataset(dir, { format: 'brats2023' });
    assert.deepEqual(d.cases.map((c) => c.id), ['b']);
    assert.deepEqual(d.problems.filter((p) => p.kind === 'unknown-file').length, 2);
  });

  test('refuses a tie between formats and a folder with no known names', async () => {
    const tie = await tree('tie', ['a/a_t1.nii', 'b/b-t1n.nii']);
    await assert.rejects(discoverDataset(tie), /is ambiguous: 1 files follow brats2021 and 1 follow brats2023; force the format/);
    const none = await tree('none', ['scan1.nii.gz', 'readme.md']);
    await assert.rejects(discoverDataset(none), /none of the 1 NIfTI files under .*none follows a known naming/);
    await assert.rejects(discoverDataset(join(root, 'missing')), /discoverDataset: cannot read .*missing/);
  });

  test('a manifest file, or a folder holding manifest.csv, reports incomplete cases', async () => {
    const dir = await tree('man', ['s1/a.nii', 's1/b.nii', 's2/a.nii']);
    await fs.writeFile(join(dir, 'manifest.csv'), 'case,t1,t2\ns1,s1/a.nii,s1/b.nii\ns2,s2/a.nii,\n');
    for (const path of [dir, join(dir, 'manifest.csv')]) {
      const d = await discoverDataset(path);
      assert.equal(d.format, 'manifest');
      assert.equal(d.root, join(dir, 'manifest.csv'));
      assert.equal(d.cases[0].contrasts.t2, join(dir, 's1/b.nii'));
      assert.deepEqual(d.problems, [{ kind: 'incomplete', case: 's2', missing: ['t2'] }]);
    }
    await assert.rejects(discoverDataset(join(dir, 'manifest.csv'), { format: 'ixi' }), /is a file, so it must be a manifest, but format 'ixi' was forced/);
    await assert.rejects(discoverDataset(join(root, 'b21'), { format: 'manifest' }), /format 'manifest' forced, but .* has no manifest\.csv or manifest\.json/);
  });
});

describe('relativeToRoot', () => {
  test('shortens paths under the root and keeps the others absolute', () => {
    assert.equal(relativeToRoot({ root: '/d/set', format: 'ixi' }, '/d/set/IXI-T1/a.nii'), join('IXI-T1', 'a.nii'));
    assert.equal(relativeToRoot({ root: '/d/m.csv', format: 'manifest' }, '/d/c/a.nii'), join('c', 'a.nii'));
    assert.equal(relativeToRoot({ root: '/d/set', format: 'ixi' }, '/elsewhere/a.nii'), '/elsewhere/a.nii');
  });
});

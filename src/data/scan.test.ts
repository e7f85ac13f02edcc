import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeNifti } from '../io/nifti/index.js';
import type { Shape3 } from '../volume/index.js';
import { discoverDataset } from './discover.js';
import { describeScanProblem, scanDataset } from './scan.js';

const LPS = [-1, 0, 0, 120, 0, -1, 0, 120, 0, 0, 1, -60, 0, 0, 0, 1];
const RAS_2MM = [2, 0, 0, -90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1];

let root: string;
async function image(path: string, shape: Shape3, affine: readonly number[]): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  await writeNifti(path, { data: new Float32Array(shape[0] * shape[1] * shape[2]), shape, affine: Float64Array.from(affine) });
}

before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-scan-')); });
after(async () => { await fs.rm(root, { recursive: true, force: true }); });

describe('scanDataset', () => {
  test('reports grids per file and no problem for a consistent BraTS 2021 case', async () => {
    const dir = join(root, 'b21');
    for (const t of ['t1', 't1ce', 't2', 'flair', 'seg']) await image(join(dir, 'C1', `C1_${t}.nii.gz`), [4, 4, 3], LPS);
    const report = await scanDataset(await discoverDataset(dir));
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.cases[0].files.map((f) => f.role), ['t1', 't1ce', 't2', 'flair', 'seg']);
    const t1 = report.cases[0].files[0];
    assert.deepEqual([t1.shape, t1.spacing, t1.orientation, t1.affine], [[4, 4, 3], [1, 1, 1], 'LPS', LPS]);
  });

  test('names the contrast on another grid, both shapes and the affine differences (IXI-like T1)', async () => {
    const dir = join(root, 'ixi');
    await image(join(dir, 'IXI-T1', 'IXI002-Guys-0828-T1.nii.gz'), [4, 5, 3], LPS);
    await image(join(dir, 'IXI-T2', 'IXI002-Guys-0828-T2.nii.gz'), [4, 4, 4], RAS_2MM);
    await image(join(dir, 'IXI-PD', 'IXI002-Guys-0828-PD.nii.gz'), [4, 4, 4], RAS_2MM.map((v, i) => (i === 11 ? v + 0.5 : v)));
    const report = await scanDataset(await discoverDataset(dir));
    assert.deepEqual(report.problems, [
      { kind: 'grid-mismatch', case: 'IXI002-Guys-0828', role: 't2', shape: [4, 4, 4], reference: 't1', referenceShape: [4, 5, 3],
        maxLinearDifference: 3, maxTranslationDifference: 246 },
      { kind: 'grid-mismatch', case: 'IXI002-Guys-0828', role: 'pd', shape: [4, 4, 4], reference: 't1', referenceShape: [4, 5, 3],
        maxLinearDifference: 3, maxTranslationDifference: 246 },
    ]);
    assert.equal(describeScanProblem(report.problems[0]),
      'case IXI002-Guys-0828: t2 is on another grid than t1: shape [4,4,4] vs [4,5,3], affine 3x3 part differs by up to 3.00, translation by up to 246 mm');
    assert.equal(report.cases[0].files[1].orientation, 'RAS');
    assert.deepEqual(report.cases[0].files[1].spacing, [2, 2, 2]);
  });

  test('a half-millimetre shift of one contrast is a mismatch; an unreadable file is reported with its error', async () => {
    const dir = join(root, 'b23');
    const id = 'BraTS-GLI-00000-000';
    for (const t of ['t1n', 't2w', 't2f']) await image(join(dir, id, `${id}-${t}.nii.gz`), [4, 4, 4], LPS);
    await image(join(dir, id, `${id}-seg.nii.gz`), [4, 4, 4], LPS.map((v, i) => (i === 3 ? v + 0.5 : v)));
    await fs.writeFile(join(dir, id, `${id}-t1c.nii.gz`), 'not an image');
    const report = await scanDataset(await discoverDataset(dir));
    assert.deepEqual(report.problems.map((p) => [p.kind, 'role' in p ? p.role : '']), [['unreadable', 't1ce'], ['grid-mismatch', 'seg']]);
    const unreadable = report.problems[0];
    assert.ok(unreadable.kind === 'unreadable');
    assert.equal(unreadable.path, join(dir, id, `${id}-t1c.nii.gz`));
    assert.match(unreadable.error, /readNiftiHeader/);
    assert.match(describeScanProblem(report.problems[1]), /seg is on another grid than t1: shape \[4,4,4\] vs \[4,4,4\], .*translation by up to 0.500 mm/);
    assert.deepEqual(report.cases[0].files.map((f) => f.role), ['t1', 't2', 'flair', 'seg']);
  });

  test('a file cut short, or claiming far more voxels than it holds, is reported unless only headers are read', async () => {
    const dir = join(root, 'truncated');
    for (const t of ['t1', 't1ce', 't2', 'flair']) await image(join(dir, 'C1', `C1_${t}.nii${t === 't2' ? '' : '.gz'}`), [16, 16, 12], LPS);
    // A gzip file missing its last bytes, an uncompressed one missing its last voxels, and a small file whose header claims 512×512×400.
    const t1 = join(dir, 'C1', 'C1_t1.nii.gz');
    const gz = await fs.readFile(t1);
    await fs.writeFile(t1, gz.subarray(0, gz.length - 20));
    const t2 = join(dir, 'C1', 'C1_t2.nii');
    const raw = await fs.readFile(t2);
    await fs.writeFile(t2, raw.subarray(0, raw.length - 100));
    const flair = join(dir, 'C1', 'C1_flair.nii.gz');
    await image(join(root, 'big', 'x.nii'), [4, 4, 4], LPS);
    const header = await fs.readFile(join(root, 'big', 'x.nii'));
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    [512, 512, 400].forEach((n, k) => view.setInt16(42 + 2 * k, n, true));
    const { gzipSync } = await import('node:zlib');
    await fs.writeFile(flair, gzipSync(header));

    const report = await scanDataset(await discoverDataset(dir));
    const unreadable = report.problems.filter((p) => p.kind === 'unreadable').map((p) => describeScanProblem(p));
    assert.equal(unreadable.length, 3, unreadable.join('\n'));
    assert.match(unreadable.find((m) => m.includes('C1_t1.nii.gz'))!, /the gzip stream is damaged or cut short after \d+ of 12640 bytes/);
    assert.match(unreadable.find((m) => m.includes('C1_t2.nii'))!, /holds 12540 bytes, but the header \(dims \[16,16,12\] of float32 at vox_offset 352\) needs 12640: the voxel data are truncated/);
    assert.match(unreadable.find((m) => m.includes('C1_flair.nii.gz'))!, /holds 608 bytes, but the header \(dims \[512,512,400\] of float32 .*needs 419430752/);
    const fast = await scanDataset(await discoverDataset(dir), { headersOnly: true });
    assert.deepEqual(fast.problems.filter((p) => p.kind === 'unreadable'), [], 'the headers alone look fine');
  });

  test('keeps the discovery problems and counts progress per case', async () => {
    const dir = join(root, 'incomplete');
    await image(join(dir, 'A', 'A_t1.nii'), [2, 2, 2], LPS);
    await image(join(dir, 'B', 'B_t2.nii'), [2, 2, 2], LPS);
    const seen: string[] = [];
    const report = await scanDataset(await discoverDataset(dir), { onProgress: (done, total) => seen.push(`${done}/${total}`) });
    assert.deepEqual(seen, ['1/2', '2/2']);
    assert.deepEqual(report.problems.map(describeScanProblem), [
      'case A is incomplete: missing t1ce, t2, flair', 'case B is incomplete: missing t1, t1ce, flair',
    ]);
  });
});

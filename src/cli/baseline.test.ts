import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { readNifti, writeNifti } from '../io/nifti/index.js';
import type { Shape3, Volume } from '../volume/index.js';
import { patternVolume } from '../../test-fixtures/metrics/pattern.js';
import { toModelUnits, toRunUnits } from '../metrics/index.js';
import { TEST_PREPROCESS, writeRun } from '../completion/completionFixtures.testSupport.js';
import { registerBaselineCommand } from './baseline.js';

const SHAPE: Shape3 = [9, 10, 11];
const AFFINE = new Float64Array([-1, 0, 0, 90, 0, -1, 0, 120, 0, 0, 1, -70, 0, 0, 0, 1]);
const vol = (data: Float32Array): Volume => ({ data, shape: SHAPE, affine: AFFINE });

async function baselineCli(...args: string[]): Promise<void> {
  const program = new Command('mrsynth').exitOverride();
  registerBaselineCommand(program);
  await program.parseAsync(['baseline', 'affine', ...args], { from: 'user' });
}

describe('mrsynth baseline affine', () => {
  let root: string;
  // Multiples of 1/1024 with a zero background, so 3·t1 + 2 is exact in float32.
  const t1 = patternVolume(SHAPE, 5, [4, 5, 5]).map((v) => (v > 0.8 ? Math.round(v * 1024) / 1024 : 0));
  const t2 = t1.map((v) => (v === 0 ? 0 : 3 * v + 2));
  const flair = patternVolume(SHAPE, 6, [2, 2, 2]).map((v, i) => (t1[i] === 0 ? 0 : v));

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-baseline-'));
    await fs.mkdir(join(root, 'data', 'P1'), { recursive: true });
    for (const [c, data] of Object.entries({ t1, t2, flair })) await writeNifti(join(root, 'data', 'P1', `P1_${c}.nii.gz`), vol(data));
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('--case: recovers t2 = 3·t1 + 2 from the best source, same grid, float32, translation naming', async () => {
    const out = join(root, 'out');
    await baselineCli('--case', join(root, 'data', 'P1'), '--target', 't2', '--out', out);
    assert.deepEqual(await fs.readdir(out), ['P1_t2_from-t1.nii.gz']);
    const written = await readNifti(join(out, 'P1_t2_from-t1.nii.gz'));
    assert.equal(written.header.datatype, 'float32');
    assert.deepEqual([...written.volume.shape], [...SHAPE]);
    assert.deepEqual([...written.volume.affine], [...AFFINE]);
    let worst = 0;
    for (let v = 0; v < t2.length; v++) worst = Math.max(worst, Math.abs(written.volume.data[v] - t2[v]));
    assert.ok(worst < 1e-5, `largest error ${worst}`);
  });

  test('--normalise cwdm: fitted in [0, 1] units, where t2 = 3·t1 + 2 is still affine, so it is the normalised t2', async () => {
    // The cWDM map takes 0 (background, the 0.1 percentile) to 0 and each scan's 99.9 percentile to 1, clipping
    // above: t2's percentile is 3·t1's + 2, so normalised t2 = (3·p·t1n + 2) / (3·p + 2), affine in normalised t1.
    const out = join(root, 'units');
    await baselineCli('--case', join(root, 'data', 'P1'), '--target', 't2', '--out', out, '--normalise', 'cwdm');
    const written = await readNifti(join(out, 'P1_t2_from-t1.nii.gz'));
    const reference = toModelUnits(vol(t2), 'cwdm').data;
    let worst = 0;
    for (let v = 0; v < t2.length; v++) worst = Math.max(worst, Math.abs(written.volume.data[v] - reference[v]));
    assert.ok(worst < 1e-5, `largest error ${worst}`);
    assert.ok(written.volume.data.every((v) => v >= 0 && v <= 1));
    assert.match(written.header.descrip, /^mrsynth affine baseline t2=[\d.]+\*t1\+[\d.e-]+ cwdm units$/);
  });

  test("--normalise-as RUN: fitted in the run's units (its preprocessing and back), clipped as it clips", async () => {
    const run = await writeRun(join(root, 'run'), 't2', ['t1', 't1ce', 'flair']);
    const out = join(root, 'run-units');
    await baselineCli('--case', join(root, 'data', 'P1'), '--target', 't2', '--out', out, '--normalise-as', run);
    const written = await readNifti(join(out, 'P1_t2_from-t1.nii.gz'));
    // The run's preprocessing (TEST_PREPROCESS: cWDM's intensity map, clipped to [0, 1]) keeps t2 affine in t1, so the
    // fit reproduces t2 in those units.
    const reference = toRunUnits(vol(t2), { preprocess: TEST_PREPROCESS, source: run }).data;
    let worst = 0;
    for (let v = 0; v < t2.length; v++) worst = Math.max(worst, Math.abs(written.volume.data[v] - reference[v]));
    assert.ok(worst < 1e-5, `largest error ${worst}`);
    assert.ok(written.volume.data.every((v) => v >= 0 && v <= 1));
    assert.match(written.header.descrip, / run units$/);
    await assert.rejects(baselineCli('--case', join(root, 'data', 'P1'), '--target', 't2', '--out', out, '--normalise-as', run,
      '--normalise', 'aldm'), /not both/);
  });

  test('--source: the map from that contrast only, named by it', async () => {
    const out = join(root, 'from-flair');
    await baselineCli('--case', join(root, 'data', 'P1'), '--target', 't2', '--source', 'flair', '--out', out);
    assert.deepEqual(await fs.readdir(out), ['P1_t2_from-flair.nii.gz']);
    await assert.rejects(baselineCli('--case', join(root, 'data', 'P1'), '--target', 't2', '--source', 't2', '--out', out), /--source t2 is the target itself/);
    await assert.rejects(baselineCli('--case', join(root, 'data', 'P1'), '--target', 't2', '--source', 'pd', '--out', out), /has no pd to map from/);
  });

  test('--fit-on: one map fitted on another data set\'s pooled brains, applied to cases without reading their targets', async () => {
    // The training set: two other cases where t2 = 3·t1 + 2 too; the map applied to P1 gives P1's t2, and to a case
    // that has no t2 at all, its t1 mapped so.
    const other = (seed: number) => patternVolume(SHAPE, seed, [3, 4, 5]).map((v) => (v > 0.7 ? Math.round(v * 1024) / 1024 : 0));
    for (const [id, seed] of [['Q1', 8], ['Q2', 9]] as const) {
      await fs.mkdir(join(root, 'train', id), { recursive: true });
      const q1 = other(seed);
      await writeNifti(join(root, 'train', id, `${id}_t1.nii.gz`), vol(q1));
      await writeNifti(join(root, 'train', id, `${id}_t2.nii.gz`), vol(q1.map((v) => (v === 0 ? 0 : 3 * v + 2))));
    }
    await fs.mkdir(join(root, 'apply', 'P1'), { recursive: true });
    await fs.mkdir(join(root, 'apply', 'P2'), { recursive: true });
    await writeNifti(join(root, 'apply', 'P1', 'P1_t1.nii.gz'), vol(t1));
    await writeNifti(join(root, 'apply', 'P1', 'P1_t2.nii.gz'), vol(t2));
    await writeNifti(join(root, 'apply', 'P2', 'P2_t1.nii.gz'), vol(flair.map((v) => Math.abs(v))));
    const out = join(root, 'trained');
    await baselineCli('--data', join(root, 'apply'), '--target', 't2', '--fit-on', join(root, 'train'), '--out', out);
    assert.deepEqual((await fs.readdir(out)).sort(), ['P1_t2_from-t1.nii.gz', 'P2_t2_from-t1.nii.gz']);
    const p1 = await readNifti(join(out, 'P1_t2_from-t1.nii.gz'));
    let worst = 0;
    for (let v = 0; v < t2.length; v++) worst = Math.max(worst, Math.abs(p1.volume.data[v] - t2[v]));
    assert.ok(worst < 1e-4, `largest error ${worst}`);
    assert.match(p1.header.descrip, /^mrsynth affine trained map t2=3\.0+\d*\*t1\+2\.0+/);
    const p2 = (await readNifti(join(out, 'P2_t2_from-t1.nii.gz'))).volume.data;
    const p2t1 = flair.map((v) => Math.abs(v));
    for (let v = 0; v < p2.length; v++) assert.ok(Math.abs(p2[v] - (p2t1[v] === 0 ? 0 : 3 * p2t1[v] + 2)) < 1e-4, `P2 voxel ${v}`);
  });

  test('--out FILE for one case and target; an existing output is kept unless --force', async () => {
    const file = join(root, 'mine.nii.gz');
    await baselineCli('--case', join(root, 'data', 'P1'), '--target', 'flair', '--out', file);
    await assert.rejects(baselineCli('--case', join(root, 'data', 'P1'), '--target', 'flair', '--out', file), /the file exists/);
    await baselineCli('--case', join(root, 'data', 'P1'), '--target', 'flair', '--out', file, '--force');
  });

  test('--data without --target: every contrast of every case', async () => {
    const out = join(root, 'all');
    await baselineCli('--data', join(root, 'data'), '--out', out);
    const names = (await fs.readdir(out)).sort();
    assert.equal(names.length, 3);
    assert.ok(names.includes('P1_t2_from-t1.nii.gz') && names.includes('P1_t1_from-t2.nii.gz'), names.join(' '));
  });

  test('refusals: a target the case lacks, both or neither of --case/--data', async () => {
    await assert.rejects(baselineCli('--case', join(root, 'data', 'P1'), '--target', 't1ce'),
      /case P1: has no t1ce \(it has t1, t2, flair\); the affine baseline is fitted to the target on the same case/);
    await assert.rejects(baselineCli('--target', 't2'), /give exactly one of --case DIR and --data DIR, got neither/);
  });
});

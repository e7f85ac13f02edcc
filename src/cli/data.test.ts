import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeNifti } from '../io/nifti/index.js';
import type { DropoutRecord } from '../data/index.js';
import type { ScanReport } from '../data/index.js';
import { commandRunner } from './commandRunner.testSupport.js';

const mrsynth = commandRunner(new URL('./data.ts', import.meta.url), 'registerDataCommand');

const LPS = Float64Array.from([-1, 0, 0, 120, 0, -1, 0, 120, 0, 0, 1, -60, 0, 0, 0, 1]);
let root: string;
const ids = ['BraTS-GLI-00000-000', 'BraTS-GLI-00000-001', 'BraTS-GLI-00002-000'];

before(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-cli-data-'));
  for (const id of ids) {
    for (const t of ['t1n', 't1c', 't2w', 't2f', 'seg']) {
      const path = join(root, 'val', id, `${id}-${t}.nii.gz`);
      await fs.mkdir(dirname(path), { recursive: true });
      await writeNifti(path, { data: new Float32Array(8), shape: [2, 2, 2], affine: LPS });
    }
  }
});
after(async () => { await fs.rm(root, { recursive: true, force: true }); });

describe('mrsynth data', () => {
  test('scan prints cases with grids, and --json gives the full report', () => {
    const text = mrsynth('data', 'scan', join(root, 'val'));
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /brats2023, contrasts t1, t1ce, t2, flair; 3 case\(s\), 0 problem\(s\)/);
    assert.match(text.stdout, /BraTS-GLI-00000-001 \(subject BraTS-GLI-00000\)\n {2}t1 {5}\[2,2,2\] {2}1x1x1 mm {2}LPS {2}BraTS-GLI-00000-001\/BraTS-GLI-00000-001-t1n\.nii\.gz\n/);
    const json = mrsynth('data', 'scan', '--json', join(root, 'val'));
    const report = JSON.parse(json.stdout) as ScanReport;
    assert.deepEqual(report.cases.map((c) => c.files.length), [5, 5, 5]);
    assert.deepEqual(report.problems, []);
  });

  test('dropout --compat brasyn writes the copy and its record; bad flags are refused', async () => {
    const out = join(root, 'pseudo');
    const run = mrsynth('data', 'dropout', '--in', join(root, 'val'), '--out', out, '--compat', 'brasyn');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /wrote 3 cases to .*pseudo \(seed 123456, compat brasyn\)/);
    const record = JSON.parse(await fs.readFile(join(out, 'dropout.json'), 'utf8')) as DropoutRecord;
    // NumPy's RandomState(123456).randint(0, 4) starts 1, 2, 2 -> t1n, t2f, t2f in the organisers' list.
    assert.deepEqual(record.cases.map((c) => c.dropped), ['t1', 'flair', 'flair']);
    const rescan = JSON.parse(mrsynth('data', 'scan', '--json', out).stdout) as ScanReport;
    assert.deepEqual(rescan.problems.map((p) => p.kind), ['incomplete', 'incomplete', 'incomplete']);

    const again = mrsynth('data', 'dropout', '--in', join(root, 'val'), '--out', out);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists and is not empty/);
    assert.match(mrsynth('data', 'dropout', '--in', 'x', '--out', 'y', '--seed', '-3').stderr, /--seed must be an integer in \[0, 4294967295\], got '-3'/);
    assert.match(mrsynth('data', 'dropout', '--in', 'x', '--out', 'y', '--compat', 'brats').stderr, /Allowed choices are none, brasyn/);
  });

  test('resample writes a copy on the new grid that scans as the same cases; bad spacings are refused', async () => {
    const out = join(root, 'coarse');
    const run = mrsynth('data', 'resample', '--in', join(root, 'val'), '--out', out, '--spacing', '2', '--interpolation', 'area');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /wrote 3 case\(s\) to .*coarse at 2x2x2 mm \(area\): \[2,2,2\] → \[1,1,1\]\n/);
    const rescan = JSON.parse(mrsynth('data', 'scan', '--json', out).stdout) as ScanReport;
    assert.deepEqual(rescan.cases.map((c) => c.case), ids);
    assert.deepEqual(rescan.cases[0].files.map((f) => [f.shape, f.spacing]), Array(5).fill([[1, 1, 1], [2, 2, 2]]));
    assert.deepEqual(rescan.problems, []);
    for (const bad of ['0', '2,2', '-1,2,2', 'x']) {
      const refused = mrsynth('data', 'resample', '--in', join(root, 'val'), '--out', join(root, 'never'), '--spacing', bad);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, new RegExp(`--spacing must be one positive size in mm or three \\(x,y,z\\), got '${bad}'`));
    }
  });
});

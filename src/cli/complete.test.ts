import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAldmRun, writeCase, writeRun } from '../completion/completionFixtures.testSupport.js';
import { registerCompleteCommand } from './complete.js';
import { capturedCommand } from './commandRunner.testSupport.js';

/** Runs `mrsynth complete …` in-process; returns what it printed on stdout and the exit code it set. */
const completeCli = capturedCommand(registerCompleteCommand, 'complete');

describe('mrsynth complete', () => {
  let root: string;
  let data: string;
  let run: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'mrsynth-complete-cli-'));
    data = join(root, 'data');
    await writeCase(data, 'brats2021', 'Ph_010', 0, ['t1', 't2', 'flair']);
    await writeCase(data, 'brats2021', 'Ph_011', 1, ['t1']);
    run = await writeRun(join(root, 'run'), 't1ce', ['t1', 't2', 'flair']);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('with an ALDM run, names the source each missing contrast was translated from, and why that one', async () => {
    const aldm = await writeAldmRun(join(root, 'aldm'), { validationPsnr: { t1ce: { t1: 21.5, t2: 20 }, t2: { t1: 23 }, flair: { t1: 22 } } });
    const out = join(root, 'aldm-out');
    const { stdout, exitCode } = await completeCli(join(data, 'Ph_011'), '--models', aldm, '--steps', '2', '--out', out);
    assert.equal(exitCode, 0);
    assert.match(stdout, /^Ph_011: synthesised in this order: t1ce \(translated from t1, its best on the run's validation, 21\.5 dB\) → .*Ph_011_t1ce\.nii\.gz; then t2 \(translated from t1/m);
    const asked = await completeCli(join(data, 'Ph_011'), '--models', aldm, '--steps', '2', '--out', out, '--source', 't1', '--force');
    assert.match(asked.stdout, /t1ce \(translated from t1, as asked\)/);
    // Ph_010 has T1, T2 and FLAIR: its T1ce comes from T1 (the best on the validation); from T2 it would be another.
    const fromBest = await completeCli(join(data, 'Ph_010'), '--models', aldm, '--steps', '2', '--out', out);
    assert.match(fromBest.stdout, /^Ph_010: synthesised t1ce \(translated from t1, its best/m);
    const fromT2 = await completeCli(join(data, 'Ph_010'), '--models', aldm, '--steps', '2', '--out', out, '--source', 't2');
    assert.match(fromT2.stdout, /^Ph_010: refused: it has .*Ph_010_t1ce\.nii\.gz from an earlier completion made otherwise: source "t1" \(now "t2"\)/m);
    assert.equal(fromT2.exitCode, 1);
  });

  test('completes a data set, says per case what it did, and fails for the refused case', async () => {
    const { stdout, exitCode } = await completeCli(data, '--models', run, '--steps', '2', '--seed', '4');
    assert.match(stdout, /^sampler: DDIM, 2 steps, η 0, fp32, seed 4, 1 sample\(s\) per contrast$/m);
    const caseSeconds = Number(/^Ph_010: synthesised t1ce → .*Ph_010_t1ce\.nii\.gz \((\d+\.\d) s\)$/m.exec(stdout)?.[1]);
    // The line gives the case's time in seconds (how long a full-size case takes: npm run bench:cwdm-completion).
    assert.ok(Number.isFinite(caseSeconds), `no 'synthesised t1ce → … (n.n s)' line for Ph_010 in:\n${stdout}`);
    assert.match(stdout, /^Ph_011: refused: it has only one real contrast \(t1\)/m);
    assert.match(stdout, /^2 case\(s\): 1 completed, 0 already done, 0 with nothing to do, 1 refused, 0 failed$/m);
    // One completed case: its time is the mean, the least and the most.
    const t = caseSeconds.toFixed(1);
    assert.match(stdout, new RegExp(`^${t} s per completed case on average \\(${t}–${t} s\\)$`, 'm'));
    assert.equal(exitCode, 1);
    const sidecar = JSON.parse(readFileSync(join(data, 'Ph_010', 'Ph_010_t1ce.json'), 'utf8')) as { seed: { base: number } };
    assert.equal(sidecar.seed.base, 4);
    const again = await completeCli(join(data, 'Ph_010'), '--models', run, '--steps', '2', '--seed', '4');
    assert.match(again.stdout, /^Ph_010: already done \(.*Ph_010_t1ce\.nii\.gz\); pass --force to redo it$/m);
    assert.equal(again.exitCode, 0);
    // Another seed would make another output: the earlier one is not taken for it.
    const otherSeed = await completeCli(join(data, 'Ph_010'), '--models', run, '--steps', '2');
    assert.match(otherSeed.stdout, /^Ph_010: refused: it has .*Ph_010_t1ce\.nii\.gz from an earlier completion made otherwise: seed 4 \(now 0\); pass --force/m);
    assert.equal(otherSeed.exitCode, 1);
  });

  test('explicit files write the one given output, here in bf16', async () => {
    const dir = join(data, 'Ph_010');
    const out = join(root, 'explicit', 'Ph_010_t1ce.nii.gz');
    const { stdout, exitCode } = await completeCli('--t1', join(dir, 'Ph_010_t1.nii.gz'), '--t2', join(dir, 'Ph_010_t2.nii.gz'),
      '--flair', join(dir, 'Ph_010_flair.nii.gz'), '--out', out, '--models', run, '--steps', '2', '--precision', 'bf16');
    assert.equal(exitCode, 0);
    assert.match(stdout, /^sampler: DDIM, 2 steps, η 0, bf16, seed 0/m);
    assert.deepEqual(readdirSync(join(root, 'explicit')).sort(), ['Ph_010_t1ce.json', 'Ph_010_t1ce.nii.gz']);
    const sidecar = JSON.parse(readFileSync(join(root, 'explicit', 'Ph_010_t1ce.json'), 'utf8')) as { precision: string };
    assert.equal(sidecar.precision, 'bf16');
  });

  test('a run trained at another resolution is refused for the case, and --allow-voxel-size-mismatch overrides it', async () => {
    const coarse = await writeRun(join(root, 'run-2mm'), 't1ce', ['t1', 't2', 'flair'], 1, undefined, [2, 2, 2]);
    const out = join(root, 'mismatch');
    const refused = await completeCli(join(data, 'Ph_010'), '--models', coarse, '--steps', '2', '--out', out);
    assert.match(refused.stdout, /^Ph_010: refused: it comes at 9×9×9 mm on the model grid, but run .*run-2mm \(→ t1ce\) was trained on 2×2×2 mm/m);
    assert.equal(refused.exitCode, 1);
    const allowed = await completeCli(join(data, 'Ph_010'), '--models', coarse, '--steps', '2', '--out', out, '--allow-voxel-size-mismatch');
    assert.match(allowed.stdout, /^Ph_010: synthesised t1ce/m);
    assert.equal(allowed.exitCode, 0);
  });

  test('refuses a path together with explicit files, options of the other sampler, and an unknown precision', async () => {
    await assert.rejects(completeCli(data, '--t1', 'x.nii.gz', '--models', run), /give either a case or data set path, or explicit files .* got both/);
    await assert.rejects(completeCli(data, '--models', run, '--sampler', 'ddpm', '--eta', '1'), /eta 1 is a DDIM option/);
    await assert.rejects(completeCli(data, '--models', run, '--precision', 'fp16'),
      /option '--precision <p>' argument 'fp16' is invalid\. Allowed choices are fp32, bf16\./);
  });
});

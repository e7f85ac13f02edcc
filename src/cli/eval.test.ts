import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '../io/nifti/index.js';
import type { Shape3, Volume } from '../volume/index.js';
import { patternVolume } from '../../test-fixtures/metrics/pattern.js';
import { parseResultsJson, toRunUnits } from '../metrics/index.js';
import { TEST_PREPROCESS, writeRun } from '../completion/completionFixtures.testSupport.js';
import { registerEvalCommand } from './eval.js';
import { inProcessCommand } from './commandRunner.testSupport.js';

const SHAPE: Shape3 = [12, 13, 14];
const affine = (shift = 0) => new Float64Array([1, 0, 0, shift, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const vol = (data: Float32Array, shift = 0): Volume => ({ data, shape: SHAPE, affine: affine(shift) });

/** Runs `mrsynth eval …` in-process and returns the exit code it set. */
const evalCli = inProcessCommand(registerEvalCommand, 'eval');

describe('mrsynth eval', () => {
  let root: string;
  let ref: string;
  let pred: string;
  // Two cases; references in [0, 1] with a zero background (the brain is where the bowl is positive).
  const t2 = (seed: number) => patternVolume(SHAPE, seed, [6, 6, 7]).map((v) => (v > 0.75 ? v : 0));
  const refs = { A: t2(1), B: t2(2) };
  const predA = refs.A.map((v, i) => (v === 0 ? 0 : Math.min(1, v + 0.05 * (i % 3)))); // a near miss
  const predB = refs.B; // perfect

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-eval-'));
    ref = join(root, 'ref');
    pred = join(root, 'pred');
    for (const [id, data] of Object.entries(refs)) {
      await fs.mkdir(join(ref, id), { recursive: true });
      await writeNifti(join(ref, id, `${id}_t2.nii.gz`), vol(data));
      await writeNifti(join(ref, id, `${id}_t1.nii.gz`), vol(data.map((v) => v / 2)));
    }
    // Case A has a tumour label in one corner of the brain.
    await writeNifti(join(ref, 'A', 'A_seg.nii.gz'), vol(refs.A.map((v, i) => (v !== 0 && i % 12 < 6 ? 2 : 0))));
    await fs.mkdir(pred);
    await writeNifti(join(pred, 'A_t2_from-t1.nii.gz'), vol(predA));
    await writeNifti(join(pred, 'B_t2_from-t1.nii.gz'), vol(predB));
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('scores a folder against a dataset: per-case CSV/JSON, perfect case B, exit 0', async () => {
    const out = join(root, 'run1');
    assert.equal(await evalCli('--pred', pred, '--ref', ref, '--out', out, '--resamples', '200', '--matrix'), 0);
    const { rows } = parseResultsJson(await fs.readFile(join(out, 'scores.json'), 'utf8'), 'run1');
    assert.deepEqual(rows.map((r) => `${r.caseId} ${r.target} ${r.source} ${r.region}`),
      ['A t2 t1 whole', 'A t2 t1 brain', 'B t2 t1 whole', 'B t2 t1 brain']);
    const b = rows[2].scores;
    assert.deepEqual([b.mse, b.psnr, b.ssim], [0, Infinity, 1]);
    assert.ok(rows[0].scores.mse > 0 && rows[0].scores.ssim < 1);
    const csv = await fs.readFile(join(out, 'scores.csv'), 'utf8');
    assert.match(csv, /^case,target,source,region,mse,mae,psnr,nmse,ssim\nA,t2,t1,whole,/);
    assert.match(await fs.readFile(join(out, 'matrix.md'), 'utf8'), /\| t1 \| – \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \|\n\| t2 \| – \| – \|/);
  });

  test('each row records the files it scored (resolved paths, SHA-256 of their bytes) and what made the prediction', async () => {
    const made = join(root, 'made');
    await fs.mkdir(made);
    // A synthesis with its sidecar (the run it names is what made it), and a baseline whose header describes it.
    await fs.copyFile(join(pred, 'A_t2_from-t1.nii.gz'), join(made, 'A_t2.nii.gz'));
    await fs.writeFile(join(made, 'A_t2.json'), JSON.stringify({ format: 'mrsynth-synthesis', model: { run: 'builtin:example' } }));
    await writeNifti(join(made, 'B_t2_from-t1.nii.gz'), vol(predB), { description: 'mrsynth affine baseline t2=1*t1+0' });
    const out = join(root, 'provenance');
    assert.equal(await evalCli('--pred', made, '--ref', ref, '--mask', 'brain', '--out', out, '--resamples', '10'), 0);
    const { rows } = parseResultsJson(await fs.readFile(join(out, 'scores.json'), 'utf8'), 'provenance');
    const sha = async (path: string) => createHash('sha256').update(await fs.readFile(path)).digest('hex');
    const a = rows.find((r) => r.caseId === 'A')!.files!;
    assert.deepEqual(a.pred, { path: join(made, 'A_t2.nii.gz'), sha256: await sha(join(made, 'A_t2.nii.gz')) });
    assert.deepEqual(a.ref, { path: join(ref, 'A', 'A_t2.nii.gz'), sha256: await sha(join(ref, 'A', 'A_t2.nii.gz')) });
    assert.equal(a.seg, undefined, 'no tumour region was asked for, so no segmentation was read');
    assert.equal(a.producedBy, 'builtin:example');
    const b = rows.find((r) => r.caseId === 'B')!.files!;
    assert.equal(b.producedBy, 'mrsynth affine baseline t2=1*t1+0');
    const tumour = join(root, 'provenance-tumour');
    assert.equal(await evalCli('--pred', join(made, 'A_t2.nii.gz'), '--ref', join(ref, 'A', 'A_t2.nii.gz'), '--seg', join(ref, 'A', 'A_seg.nii.gz'),
      '--mask', 'tumour', '--out', tumour, '--resamples', '10'), 0);
    const single = parseResultsJson(await fs.readFile(join(tumour, 'scores.json'), 'utf8'), 'single').rows[0].files!;
    assert.deepEqual(single.seg, { path: join(ref, 'A', 'A_seg.nii.gz'), sha256: await sha(join(ref, 'A', 'A_seg.nii.gz')) });
    assert.equal(single.producedBy, 'builtin:example');
    await assert.rejects(async () => parseResultsJson(JSON.stringify({ rows: [{ ...rows[0], files: { ...a, pred: { path: 'x', sha256: 'abc' } } }] }), 'bad'),
      /rows\[0\]\.files\.pred: must be \{"path": string, "sha256": 64 hex digits\}/);
  });

  test('tumour regions use the case segmentation, and a case without one is a clear error', async () => {
    await assert.rejects(evalCli('--pred', pred, '--ref', ref, '--mask', 'tumour,nontumour'),
      /B_t2_from-t1.nii.gz vs .*B_t2.nii.gz: region 'tumour' needs a tumour segmentation/);
    const single = await evalCli('--pred', join(pred, 'A_t2_from-t1.nii.gz'), '--ref', join(ref, 'A', 'A_t2.nii.gz'),
      '--seg', join(ref, 'A', 'A_seg.nii.gz'), '--mask', 'tumour,nontumour', '--out', join(root, 'single'));
    assert.equal(single, 0);
    const { rows } = parseResultsJson(await fs.readFile(join(root, 'single', 'scores.json'), 'utf8'), 'single');
    assert.deepEqual(rows.map((r) => r.region), ['tumour', 'nontumour']);
  });

  test('the samples and std --save-samples writes beside a mean are left out; a sample without its mean is unmatched', async () => {
    const saved = join(root, 'pred-saved');
    await fs.cp(pred, saved, { recursive: true });
    for (const suffix of ['_sample-1', '_sample-2', '_std']) await writeNifti(join(saved, `A_t2_from-t1${suffix}.nii.gz`), vol(refs.B));
    const out = join(root, 'saved');
    assert.equal(await evalCli('--pred', saved, '--ref', ref, '--out', out, '--resamples', '10'), 0);
    const { rows } = parseResultsJson(await fs.readFile(join(out, 'scores.json'), 'utf8'), 'saved');
    assert.deepEqual(rows.map((r) => `${r.caseId} ${r.region} ${r.files?.pred.path.split('/').pop()}`),
      ['A whole A_t2_from-t1.nii.gz', 'A brain A_t2_from-t1.nii.gz', 'B whole B_t2_from-t1.nii.gz', 'B brain B_t2_from-t1.nii.gz']);
    await fs.rm(join(saved, 'A_t2_from-t1.nii.gz'));
    assert.equal(await evalCli('--pred', saved, '--ref', ref, '--resamples', '10'), 1);
  });

  test('unmatched predictions and cases are listed and make the exit code non-zero', async () => {
    const extra = join(root, 'pred-extra');
    await fs.cp(pred, extra, { recursive: true });
    await fs.rm(join(extra, 'B_t2_from-t1.nii.gz'));
    await writeNifti(join(extra, 'C_t2.nii.gz'), vol(predB));
    assert.equal(await evalCli('--pred', extra, '--ref', ref, '--resamples', '10'), 1);
  });

  test('a [0, 1] prediction against a reference in other units is refused, naming both ranges', async () => {
    const raw = join(root, 'raw');
    await fs.mkdir(join(raw, 'A'), { recursive: true });
    await writeNifti(join(raw, 'A', 'A_t2.nii.gz'), vol(refs.A.map((v) => Math.round(v * 800))), { datatype: 'int16' });
    await assert.rejects(evalCli('--pred', join(pred, 'A_t2_from-t1.nii.gz'), '--ref', join(raw, 'A', 'A_t2.nii.gz')),
      /cannot choose a data range: the prediction lies in \[0, 1\] and the reference in \[0, \d+\]/);
    assert.equal(await evalCli('--pred', join(pred, 'A_t2_from-t1.nii.gz'), '--ref', join(raw, 'A', 'A_t2.nii.gz'), '--normalise', 'cwdm'), 0);
  });

  test("--normalise-as RUN maps the reference through the run's preprocessing and back: the scores of a reference mapped so beforehand", async () => {
    const raw = join(root, 'raw-run');
    await fs.mkdir(join(raw, 'A'), { recursive: true });
    const scanner = vol(refs.A.map((v) => Math.round(v * 800)));
    await writeNifti(join(raw, 'A', 'A_t2.nii.gz'), scanner, { datatype: 'int16' });
    const run = await writeRun(join(root, 'run-units'), 't2', ['t1', 't1ce', 'flair']);
    const premapped = join(root, 'premapped_t2.nii.gz');
    await writeNifti(premapped, toRunUnits(scanner, { preprocess: TEST_PREPROCESS, source: run }));
    const predFile = join(pred, 'A_t2_from-t1.nii.gz');
    const asRun = join(root, 'as-run');
    const direct = join(root, 'direct');
    assert.equal(await evalCli('--pred', predFile, '--ref', join(raw, 'A', 'A_t2.nii.gz'), '--normalise-as', run, '--out', asRun, '--resamples', '10'), 0);
    assert.equal(await evalCli('--pred', predFile, '--ref', premapped, '--data-range', '1', '--out', direct, '--resamples', '10'), 0);
    const results = async (dir: string) => parseResultsJson(await fs.readFile(join(dir, 'scores.json'), 'utf8'), dir);
    const [viaRun, viaFile] = await Promise.all([results(asRun), results(direct)]);
    assert.equal(viaRun.settings.normaliseAs, run);
    assert.deepEqual(viaRun.rows.map((r) => r.scores), viaFile.rows.map((r) => r.scores));
    await assert.rejects(evalCli('--pred', predFile, '--ref', premapped, '--normalise-as', run, '--normalise', 'cwdm'), /not both/);
  });

  test('volumes on different grids are refused', async () => {
    const shifted = join(root, 'shifted_t2.nii.gz');
    await writeNifti(shifted, vol(predA, 0.5));
    await assert.rejects(evalCli('--pred', shifted, '--ref', join(ref, 'A', 'A_t2.nii.gz')),
      /are not on one grid: affines differ by up to 0 \(3x3 part\) and 0.5 mm \(translation\)/);
  });

  test('--compare: paired differences of two runs', async () => {
    const out = join(root, 'run2');
    assert.equal(await evalCli('--pred', pred, '--ref', ref, '--out', out, '--window', 'uniform', '--resamples', '200'), 0);
    const cmp = join(root, 'cmp');
    assert.equal(await evalCli('--compare', join(root, 'run1'), out, '--out', cmp, '--resamples', '200'), 0);
    const written = JSON.parse(await fs.readFile(join(cmp, 'compare.json'), 'utf8'));
    assert.equal(written.summaries.length, 2);
    assert.equal(written.summaries[0].metrics.mse.mean, 0); // the window changes SSIM only
    assert.notEqual(written.summaries[0].metrics.ssim.mean, 0);
    await assert.rejects(evalCli('--compare', out), /takes exactly two runs RUN_A RUN_B, got 1/);
  });
});

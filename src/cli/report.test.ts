import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '../io/nifti/index.js';
import type { Shape3, Volume } from '../volume/index.js';
import { patternVolume } from '../../test-fixtures/metrics/pattern.js';
import { packageRoot } from '../util/index.js';
import { inProcessCommand } from './commandRunner.testSupport.js';
import { registerEvalCommand } from './eval.js';
import { registerReportCommand } from './report.js';

const SHAPE: Shape3 = [12, 13, 14];
const affine = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const vol = (data: Float32Array): Volume => ({ data, shape: SHAPE, affine });
const evaluate = inProcessCommand(registerEvalCommand, 'eval');
const report = inProcessCommand(registerReportCommand, 'report');

/** The JSON a case page hands its viewers. */
async function caseConfig(page: string): Promise<{ viewers: { label: string; role: string; calMin: number; calMax: number; ownMin: number }[]; label: unknown }> {
  const html = await fs.readFile(page, 'utf8');
  return JSON.parse(/<script type="application\/json" id="case-config">([^<]*)<\/script>/.exec(html)![1]);
}

describe('mrsynth report', () => {
  let root: string, ref: string;
  const evals: string[] = [];

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-report-cli-'));
    ref = join(root, 'ref');
    const t2 = (seed: number) => patternVolume(SHAPE, seed, [6, 6, 7]).map((v) => (v > 0.75 ? v : 0));
    for (const id of ['A', 'B']) {
      const data = t2(id === 'A' ? 1 : 2);
      await fs.mkdir(join(ref, id), { recursive: true });
      await writeNifti(join(ref, id, `${id}_t2.nii.gz`), vol(data));
      await writeNifti(join(ref, id, `${id}_t1.nii.gz`), vol(data.map((v) => 300 * v)));
      // Two methods: one close to the reference with an offset (which the shared window must keep visible), one far.
      for (const [method, shift] of [['model', 0.05], ['baseline', 0.2]] as const) {
        await fs.mkdir(join(root, method), { recursive: true });
        await writeNifti(join(root, method, `${id}_t2.nii.gz`), vol(data.map((v, i) => Math.min(1, v + shift * ((i % 5) / 4)))));
      }
    }
    for (const method of ['model', 'baseline']) {
      const out = join(root, `eval-${method}`);
      assert.equal(await evaluate('--pred', join(root, method), '--ref', ref, '--mask', 'brain', '--resamples', '50', '--out', out), 0);
      evals.push(out);
    }
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('writes the index, a page per case with the sources, both predictions, the reference and the error, and the run page', async () => {
    const out = join(root, 'report');
    assert.equal(await report('--eval', ...evals, '--runs', join(packageRoot(), 'test-fixtures', 'pinned', 'run'), '--resamples', '50', '--out', out), 0);
    const index = await fs.readFile(join(out, 'index.html'), 'utf8');
    assert.match(index, /Synthetic images — not for diagnosis/);
    assert.equal([...index.matchAll(/<tr data-method=/g)].length, 2 * 2, 'two cases × two methods (brain)');
    assert.match(index, /<a href="cases\/A_t2\.html">A<\/a>/);
    assert.match(index, /href="runs\/pinned-run\.html"/);
    const config = await caseConfig(join(out, 'cases', 'A_t2.html'));
    assert.deepEqual(config.viewers.map((v) => `${v.label}:${v.role}`),
      ['t1 (source):source', 'eval-model:prediction', 'eval-baseline:prediction', 't2 (reference):reference', '|eval-model − reference|:error']);
    const [source, model, baseline, reference, error] = config.viewers;
    // Predictions share the reference's window, so an offset between them shows; the source keeps its own units.
    assert.deepEqual([model.calMin, model.calMax], [reference.calMin, reference.calMax]);
    assert.deepEqual([baseline.calMin, baseline.calMax], [reference.calMin, reference.calMax]);
    assert.notEqual(model.calMin, model.ownMin);
    assert.ok(source.calMax > 100, 'the t1 source is windowed in its own units');
    assert.equal(error.calMin, 0);
    for (const file of ['assets/niivue.umd.js', 'assets/NIIVUE-LICENSE.txt', 'assets/favicon.svg', 'data/A_t2/v0.js', 'files/A_t2/v1-A_t2.nii.gz', 'files/A_t2/v3-A_t2.nii.gz']) {
      await fs.access(join(out, file));
    }
    assert.match(await fs.readFile(join(out, 'assets', 'NIIVUE-LICENSE.txt'), 'utf8'), /BSD 2-Clause License[\s\S]*Copyright \(c\) 2021, Niivue/);
    // The prediction and the reference share a file name; each has its own copy, and neither file was touched.
    const bytes = async (path: string) => fs.readFile(path);
    assert.deepEqual(await bytes(join(out, 'files', 'A_t2', 'v1-A_t2.nii.gz')), await bytes(join(root, 'model', 'A_t2.nii.gz')));
    assert.deepEqual(await bytes(join(out, 'files', 'A_t2', 'v3-A_t2.nii.gz')), await bytes(join(ref, 'A', 'A_t2.nii.gz')));
    assert.notDeepEqual(await bytes(join(root, 'model', 'A_t2.nii.gz')), await bytes(join(ref, 'A', 'A_t2.nii.gz')));
  });

  test('--max-cases bounds the case pages, not the tables', async () => {
    const out = join(root, 'one-page');
    assert.equal(await report('--eval', ...evals, '--max-cases', '1', '--out', out), 0);
    assert.deepEqual(await fs.readdir(join(out, 'cases')), ['A_t2.html']);
    const index = await fs.readFile(join(out, 'index.html'), 'utf8');
    assert.equal([...index.matchAll(/<tr data-method=/g)].length, 4);
    assert.match(index, /<td>B<\/td>/, 'case B is listed, without a link');
  });

  test('refuses an existing report without --force, and leaves it whole when a rewrite fails', async () => {
    const out = join(root, 'kept');
    assert.equal(await report('--eval', evals[0], '--out', out), 0);
    await assert.rejects(report('--eval', evals[0], '--out', out), /report: .*kept exists; pass --force/);
    const before = await fs.readFile(join(out, 'index.html'), 'utf8');
    await assert.rejects(report('--eval', evals[0], join(root, 'missing'), '--out', out, '--force'), /cannot read --eval .*missing/);
    assert.equal(await fs.readFile(join(out, 'index.html'), 'utf8'), before);
    assert.deepEqual((await fs.readdir(root)).filter((n) => n.includes('.partial-')), []);
    // --force replaces a report, not any folder named as --out.
    const data = join(root, 'not-a-report');
    await fs.mkdir(data);
    await fs.writeFile(join(data, 'precious.nii.gz'), 'data');
    await assert.rejects(report('--eval', evals[0], '--out', data, '--force'), /not-a-report exists and is not an mrsynth report \(it has no mrsynth-report\.json\); not replacing it, even with --force/);
    assert.equal(await fs.readFile(join(data, 'precious.nii.gz'), 'utf8'), 'data');
  });

  test('refuses labels that do not match the evaluations, a file changed since it was scored, and results without provenance', async () => {
    await assert.rejects(report('--eval', ...evals, '--label', 'only-one', '--out', join(root, 'r1')), /--label names 1 evaluation\(s\) but --eval gives 2/);
    await assert.rejects(report('--eval', evals[0], evals[0], '--out', join(root, 'r2')), /two evaluations are both named 'eval-model'/);
    const changed = join(root, 'changed');
    await fs.cp(join(root, 'model'), join(changed, 'pred'), { recursive: true });
    assert.equal(await evaluate('--pred', join(changed, 'pred'), '--ref', ref, '--resamples', '10', '--out', join(changed, 'eval')), 0);
    await writeNifti(join(changed, 'pred', 'A_t2.nii.gz'), vol(new Float32Array(12 * 13 * 14)), { overwrite: true });
    await assert.rejects(report('--eval', join(changed, 'eval'), '--out', join(root, 'r3')),
      /A t2: .*changed[/\\]pred[/\\]A_t2\.nii\.gz changed since it was scored \(SHA-256 [0-9a-f]{12}…, the evaluation recorded [0-9a-f]{12}…\)/);
    const old = join(root, 'old-eval');
    const results = JSON.parse(await fs.readFile(join(evals[0], 'scores.json'), 'utf8')) as { rows: Record<string, unknown>[] };
    for (const row of results.rows) delete row.files;
    await fs.mkdir(old);
    await fs.writeFile(join(old, 'scores.json'), JSON.stringify(results));
    await assert.rejects(report('--eval', old, '--out', join(root, 'r4')), /does not record which files it scored .*run mrsynth eval again/);
    const brokenRun = join(root, 'broken-run');
    await fs.mkdir(brokenRun);
    await fs.writeFile(join(brokenRun, 'run.json'), '{"format": ');
    await assert.rejects(report('--eval', evals[0], '--runs', brokenRun, '--out', join(root, 'r5')), /--runs .*broken-run: its run\.json is not JSON/);
    await assert.rejects(report('--eval', evals[0], '--runs', join(root, 'model'), '--out', join(root, 'r6')), /--runs .*model: not a run folder/);
  });

  test('mrsynth serve, as a second process, prints its loopback URL and serves the report until interrupted', async () => {
    const out = join(root, 'served');
    assert.equal(await report('--eval', evals[0], '--out', out), 0);
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src', 'cli', 'main.ts'), 'serve', out, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (chunk) => {
          text += chunk;
          const match = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
          if (match) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`serve exited (${code}) before printing a URL: ${text}`)));
      });
      const index = await fetch(url);
      assert.equal(index.status, 200);
      assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(await index.text(), /mrsynth evaluation report/);
      const range = await fetch(`${url}files/A_t2/v1-A_t2.nii.gz`, { headers: { Range: 'bytes=0-1' } });
      assert.equal(range.status, 206);
      assert.deepEqual([...new Uint8Array(await range.arrayBuffer())], [0x1f, 0x8b], 'the gzip magic of the full file');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    }
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';
import { TrainingLog } from '../training/index.js';
import { RUN_FILES, readBuiltinManifest } from '../runs/index.js';

/** The demo shows FLAIR first, then T2, T1, T1ce. */
const order = (name: string) => ['flair', 't2', 't1', 't1ce'].findIndex((t) => name.endsWith(`-${t}`));

/**
 * The demo runs each stage as a child `mrsynth` process started like itself, so it is tested through the real
 * entry point, not a one-command runner. The run is tiny: three 32³ phantoms at 6 mm, two training steps.
 */
function demo(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src', 'cli', 'main.ts'), 'demo', ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, MRSYNTH_THREADS: '1' } });
  return { status: result.status, output: result.stdout + result.stderr };
}

const SMALL = ['--no-builtin', '--config', 'tiny', '--target', 't2', '--train-cases', '3', '--test-cases', '1', '--sampler-steps', '2',
  '--shape', '32,32,32', '--spacing', '6'];

async function trainedSteps(run: string): Promise<number[]> {
  return (await TrainingLog.read(join(run, RUN_FILES.log))).filter((e) => e.kind === 'train').map((e) => e.step);
}

describe('mrsynth demo', () => {
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-demo-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('--resume trains the earlier run on and evaluates its held-out cases again with it', async () => {
    const out = join(root, 'demo');
    // The report is left to the resumed demo, which writes it from scratch (it is the slow part at this size).
    const first = demo(...SMALL, '--steps', '2', '--no-report', '--out', out);
    assert.equal(first.status, 0, first.output);
    assert.deepEqual(await trainedSteps(join(out, 'run')), [1, 2]);
    const before = JSON.parse(await fs.readFile(join(out, 'demo-scores.json'), 'utf8'));

    const again = demo('--resume', '--steps', '4', '--sampler-steps', '2', '--out', out);
    assert.equal(again.status, 0, again.output);
    assert.match(again.output, /kept from the earlier demo/);
    await fs.access(join(out, 'report', 'index.html'));
    // The target comes from the run (t2), not from the option's default (flair).
    assert.match(again.output, /completing the held-out cases with t2 removed/);
    assert.deepEqual(await trainedSteps(join(out, 'run')), [1, 2, 3, 4], 'steps 3 and 4 appended once, after the first two');
    const after = JSON.parse(await fs.readFile(join(out, 'demo-scores.json'), 'utf8'));
    assert.equal(after.length, 1);
    assert.equal(after[0].case, before[0].case);
    // The baseline does not depend on the model; the synthesis does, and two more steps change it.
    assert.equal(after[0].baseline.brain.psnr, before[0].baseline.brain.psnr);
    assert.notEqual(after[0].model.brain.psnr, before[0].model.brain.psnr);
    await fs.access(join(out, 'pictures', `${after[0].case}.png`));
    // The report is written again from the longer-trained run's scores.
    const scores = JSON.parse(await fs.readFile(join(out, 'eval', 'run', 'scores.json'), 'utf8')) as { rows: { region: string; scores: { psnr: number } }[] };
    assert.equal(scores.rows.find((r) => r.region === 'brain')!.scores.psnr, after[0].model.brain.psnr);
    assert.match(await fs.readFile(join(out, 'report', 'index.html'), 'utf8'), new RegExp(after[0].model.brain.psnr.toFixed(2)));
  });

  test('--model aldm trains its three stages, completes the held-out cases from the source its validation chose, and resumes stage 3', async () => {
    const out = join(root, 'aldm');
    const first = demo('--model', 'aldm', '--config', 'tiny', '--target', 't1ce', '--train-cases', '3', '--test-cases', '1', '--sampler-steps', '2',
      '--stage-steps', '2,2', '--steps', '2', '--no-report', '--out', out);
    assert.equal(first.status, 0, first.output);
    assert.match(first.output, /\$ mrsynth train aldm .*--stage autoencoder .*\n[\s\S]*\$ mrsynth train aldm .*--stage spade .*\n[\s\S]*\$ mrsynth train aldm .*--stage diffusion/);
    assert.match(first.output, /synthesised t1ce \(translated from (t1|t2|flair), its best on the run's validation, -?\d+\.\d dB\)/);
    assert.match(first.output, /ALDM PSNR {2}SSIM \| baseline PSNR/);
    assert.match(first.output, /data range 2\)/);
    assert.deepEqual(await trainedSteps(join(out, 'run')), [1, 2]);
    const again = demo('--resume', '--steps', '3', '--sampler-steps', '2', '--out', out);
    assert.equal(again.status, 0, again.output);
    assert.match(again.output, /training the run's ALDM \(its stage 3\) on to step 3/);
    assert.match(again.output, /completing the held-out cases with t1ce removed/);
    assert.deepEqual(await trainedSteps(join(out, 'run')), [1, 2, 3]);
    assert.deepEqual((await fs.readdir(join(out, 'report', 'runs'))).sort(), ['aldm-run.html', 'run-stage1.html', 'run-stage2.html']);
  });

  test('the built-in models come first: their figures beside both baselines, equal to the manifest\'s for the same cases', async (t) => {
    const { models } = await readBuiltinManifest();
    if (models.length === 0) return t.skip('this checkout ships no built-in models');
    const out = join(root, 'builtin');
    const run = demo('--builtin-cases', '1', '--config', 'tiny', '--train-cases', '3', '--test-cases', '1', '--sampler-steps', '2', '--steps', '1',
      '--shape', '32,32,32', '--spacing', '6', '--out', out);
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /== 1\/7 the built-in models/);
    const rows = JSON.parse(await fs.readFile(join(out, 'builtin', 'builtin-scores.json'), 'utf8')) as
      { model: string; case: string; scores: { model: { psnr: number } }; manifest: { psnr: number } }[];
    const shown = [...models].sort((a, b) => order(a.name) - order(b.name));
    assert.deepEqual(rows.map((r) => r.model), shown.flatMap((m) => m.targets.map(() => m.name)), 'one row per model and target, FLAIR first');
    for (const row of rows) {
      assert.equal(row.case, models[0].heldout.tasks[0].cases[0].case);
      assert.ok(Math.abs(row.scores.model.psnr - row.manifest.psnr) <= 0.01, `${row.model}: ${row.scores.model.psnr} against the manifest's ${row.manifest.psnr}`);
    }
    assert.match(run.output, /its PSNR is the manifest's for every case to 0\.0[01]\d dB/);
    assert.match(run.output, /== 2\/7 the training path/);
    // The report holds both parts: the built-in models beside their baselines, and the short run with its curves.
    assert.match(run.output, /== 7\/7 the browser report/);
    assert.match(run.output, /open it: .* serve \S+report/);
    const index = await fs.readFile(join(out, 'report', 'index.html'), 'utf8');
    for (const m of models) assert.match(index, new RegExp(`builtin:${m.name}`));
    assert.match(index, /trained affine \(flair\)/);
    assert.match(index, /demo cWDM run \(flair\)/);
    const pages = await fs.readdir(join(out, 'report', 'cases'));
    assert.ok(pages.some((p) => /_flair\.html$/.test(p)) && pages.some((p) => /_units-\d\.html$/.test(p)), pages.join(' '));
    await fs.access(join(out, 'report', 'runs', 'builtin-run.html'));
  });

  test('refuses a folder it would overwrite, --resume without an earlier demo, and --resume with --force', async () => {
    const taken = join(root, 'taken');
    await fs.mkdir(taken);
    const overwrite = demo(...SMALL, '--steps', '1', '--out', taken);
    assert.equal(overwrite.status, 1);
    assert.match(overwrite.output, new RegExp(`demo: ${taken} exists already; pass --force to replace it, --resume to continue it`));

    const nothing = demo('--resume', '--steps', '2', '--out', taken);
    assert.equal(nothing.status, 1);
    assert.match(nothing.output, new RegExp(`demo: --resume needs an earlier demo in ${taken}, but .*run\\.json`));

    const both = demo('--resume', '--force', '--steps', '2', '--out', taken);
    assert.equal(both.status, 1);
    assert.match(both.output, /demo: --force starts afresh and --resume continues; give one of them/);
    assert.deepEqual(await fs.readdir(taken), [], 'nothing written into the folder');
  });
});

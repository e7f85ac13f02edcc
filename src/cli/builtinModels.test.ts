import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverDataset, type Contrast } from '../data/index.js';
import { readBuiltinManifest, type BuiltinModel } from '../runs/index.js';
import { packageRoot } from '../util/index.js';
import { capturedCommand, inProcessCommand } from './commandRunner.testSupport.js';
import { registerCompleteCommand } from './complete.js';
import { copyWithout } from './demoSteps.js';
import { registerEvalCommand } from './eval.js';
import { registerModelsCommand } from './models.js';
import { registerPhantomCommand } from './phantom.js';

const phantom = inProcessCommand(registerPhantomCommand, 'phantom');
const complete = inProcessCommand(registerCompleteCommand, 'complete');
const evaluate = inProcessCommand(registerEvalCommand, 'eval');
const modelsList = capturedCommand(registerModelsCommand, 'models', 'list');
const completeCaptured = capturedCommand(registerCompleteCommand, 'complete');

/** The five fixed held-out phantoms (cases 0–4 of the manifest's held-out seed) every built-in model is checked on. */
const CASES = 5;
/** The targets whose built-in model must beat the trained affine baseline on each of those cases (T1ce cannot: its note says why). */
const MUST_BEAT_BASELINE = ['flair', 't2', 't1'];

describe('the built-in models (issue 20)', async () => {
  const { models } = await readBuiltinManifest();
  let root: string;
  let heldout: string;
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-builtin-'));
    heldout = join(root, 'heldout');
    if (models.length === 0) return;
    const { data, heldout: figures } = models[0];
    assert.equal(await phantom('--out', heldout, '--cases', String(CASES), '--seed', String(figures.phantomSeed),
      '--shape', data.shape.join(','), '--spacing', String(data.spacing)), 0);
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  /** Per model and target, the PSNR of each of cases 0–4 as completed here: the two tests below share one completion. */
  const scored = new Map<string, Promise<Map<string, { psnr: number; ssim: number }>>>();
  const scoresOf = (model: BuiltinModel, target: Contrast) => {
    const key = `${model.name}/${target}`;
    if (!scored.has(key)) scored.set(key, completeAndScore(model, target, root, heldout));
    return scored.get(key)!;
  };

  for (const model of models) {
    for (const task of model.heldout.tasks) {
      const what = `builtin:${model.name}'s ${task.target}`;
      test(`${what} completes held-out phantoms 0–4 to the manifest's brain PSNR (0.01 dB)`, async () => {
        const scores = await scoresOf(model, task.target);
        assert.equal(scores.size, CASES);
        for (const expected of task.cases.slice(0, CASES)) {
          const got = scores.get(expected.case);
          assert.ok(got !== undefined, `${expected.case} scored`);
          assert.ok(Math.abs(got.psnr - expected.model.psnr) <= 0.01, `${what} ${expected.case}: PSNR ${got.psnr} against the manifest's ${expected.model.psnr}`);
        }
      });

      if (!MUST_BEAT_BASELINE.includes(task.target)) continue;
      test(`${what} beats the trained affine baseline on each of held-out phantoms 0–4`, async () => {
        const scores = await scoresOf(model, task.target);
        for (const expected of task.cases.slice(0, CASES)) {
          const got = scores.get(expected.case)!;
          assert.ok(got.psnr > expected.trainedAffine.psnr, `${what} ${expected.case}: ${got.psnr} dB, trained affine baseline ${expected.trainedAffine.psnr} dB`);
        }
      });
    }
  }

  test('the rebuild command, run for 5 steps, trains each model to the losses its manifest recorded', { skip: models.length === 0 }, () => {
    // The recorded runs trained with one intra-op thread; the same here keeps the sums in the same order.
    const result = spawnSync('bash', [join(packageRoot(), 'scripts', 'quality', 'builtin-models.sh')],
      { encoding: 'utf8', env: { ...process.env, STAGES: 'verify', MRSYNTH_THREADS: '1' }, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`the first 5 training losses of ${models.length} built-in model\\(s\\) match the manifest`));
  });

  test('a case on another voxel size than the phantoms a built-in model was trained on is refused, naming both', { skip: models.length === 0 }, async () => {
    const coarse = join(root, 'coarse');
    assert.equal(await phantom('--out', coarse, '--cases', '1', '--seed', '3', '--shape', '32,32,24', '--spacing', '6'), 0);
    const model = models[0];
    const c = (await discoverDataset(coarse)).cases[0];
    await fs.rm(c.contrasts[model.targets[0]]!);
    const { stdout, exitCode } = await completeCaptured(join(coarse, c.id), '--models', `builtin:${model.name}`, '--steps', '2');
    assert.equal(exitCode, 1);
    assert.match(stdout, new RegExp(`note: builtin:${model.name} was trained on ${model.data.cases} synthetic phantoms`));
    assert.match(stdout, /refused: it comes at 6×6×6 mm on the model grid, but run .* was trained on 3×3×3 mm/);
  });

  test('models list shows every built-in model with its held-out figures beside both baselines', async () => {
    const { stdout, exitCode } = await modelsList();
    assert.equal(exitCode, 0);
    for (const model of models) {
      assert.match(stdout, new RegExp(`builtin:${model.name} {2}${model.description}`));
      for (const { sources, target, cases } of model.heldout.tasks) {
        const mean = cases.reduce((s, c) => s + c.model.psnr, 0) / cases.length;
        const wins = cases.filter((c) => c.model.psnr > c.trainedAffine.psnr).length;
        assert.match(stdout, new RegExp(`\\n  ${target} from ${sources.join(', ')} +${mean.toFixed(2)} dB .* ${wins} of ${cases.length}\\n`),
          `${model.name}: ${target}'s mean ${mean.toFixed(2)} dB and cases won listed`);
      }
    }
    assert.match(stdout, new RegExp(`${models.length} built-in model\\(s\\), [\\d.]+ MiB of weights\\. .*CC BY-SA 3\\.0`));
  });
});

/** Completes the held-out cases with the model (`target` removed first) as the manifest did, and scores them with eval. */
async function completeAndScore(model: BuiltinModel, target: Contrast, root: string, heldout: string): Promise<Map<string, { psnr: number; ssim: number }>> {
  const [input, synth, scores] = ['input', 'synth', 'eval'].map((part) => join(root, model.name, target, part));
  await copyWithout((await discoverDataset(heldout)).cases, target, input);
  const { kind, steps, eta, seed } = model.heldout.sampler;
  assert.equal(await complete(input, '--models', `builtin:${model.name}`, '--sampler', kind, '--steps', String(steps), '--eta', String(eta),
    '--seed', String(seed), '--out', synth), 0);
  assert.equal(await evaluate('--pred', synth, '--ref', heldout, '--normalise-as', `builtin:${model.name}`, '--mask', 'brain', '--out', scores), 0);
  const { rows } = JSON.parse(await fs.readFile(join(scores, 'scores.json'), 'utf8')) as { rows: { caseId: string; region: string; scores: { psnr: number; ssim: number } }[] };
  return new Map(rows.filter((r) => r.region === 'brain').map((r) => [r.caseId, r.scores]));
}

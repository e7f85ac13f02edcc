import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAldmConfig } from '../methods/aldm/index.js';
import { loadSafetensors } from '../io/safetensors/index.js';
import { RUN_FILES, readRunConfig } from '../runs/index.js';
import { setNumThreads } from '../tensor/index.js';
import { writePhantomDataset } from '../training/phantomDataset.testSupport.js';
import { TrainingLog } from '../training/index.js';
import { registerTrainCommand } from './train.js';
import { commandRunner, inProcessCommand } from './commandRunner.testSupport.js';

setNumThreads(1);

const PREPROCESS = JSON.stringify({ preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'aldm' }, { kind: 'pad', multiple: [16, 16, 16] }] });

const trainAldm = inProcessCommand(registerTrainCommand, 'train', 'aldm');
const trainProcess = commandRunner(new URL('./train.ts', import.meta.url), 'registerTrainCommand');

describe('mrsynth train aldm', () => {
  let root: string;
  let data: string;
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-train-aldm-cli-'));
    data = join(root, 'data');
    await writePhantomDataset(data, { cases: 3, shape: [16, 16, 16], spacing: 10, seed: 5 });
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('its own flags reach the run: stage, codebook weight, the GAN and its weight, re-seeding', async () => {
    const run = join(root, 'run');
    assert.equal(await trainAldm('--data', data, '--config', 'tiny', '--steps', '2', '--out', run, '--preprocess', PREPROCESS,
      '--stage', 'autoencoder', '--codebook-weight', '0.5', '--gan-start', '1', '--gan-weight', '0.25', '--reseed-every', '7', '--val-sample-steps', '0'), 0);
    const config = await readRunConfig(run);
    assert.deepEqual(parseAldmConfig(config.methodConfig).training, { stage: 'autoencoder', codebookWeight: 0.5, gan: { start: 1, weight: 0.25 }, reseedEvery: 7 });
    const steps = (await TrainingLog.read(join(run, RUN_FILES.log))).filter((e) => e.kind === 'train');
    assert.deepEqual(steps.map((e) => e.kind === 'train' && e.losses?.discriminator !== undefined), [false, true]);
  });

  test('--config changes to a preset: a part changed by its own preset keeps the rest of it and takes the data set\'s classes', async () => {
    const run = join(root, 'run-changed');
    const changes = { preset: 'tiny', autoencoder: { preset: 'reference-tiny', ch: 8, numGroups: 4, nEmbed: 128 } };
    assert.equal(await trainAldm('--data', data, '--config', JSON.stringify(changes), '--steps', '1', '--out', run, '--preprocess', PREPROCESS,
      '--val-sample-steps', '0'), 0);
    const { autoencoder, unet } = parseAldmConfig((await readRunConfig(run)).methodConfig);
    assert.deepEqual([autoencoder.ch, autoencoder.numGroups, autoencoder.nEmbed, autoencoder.spadeNf, autoencoder.numClasses], [8, 4, 128, 8, 4]);
    assert.deepEqual(unet, parseAldmConfig('tiny').unet);
    const { tensors } = await loadSafetensors(join(run, 'autoencoder.safetensors'));
    assert.deepEqual(tensors['quantize.embedding.weight'].shape, [128, 4]);
    await assert.rejects(trainAldm('--data', data, '--config', JSON.stringify({ preset: 'tiny', training: { stage: 'spade' } }), '--steps', '1',
      '--out', join(root, 'refused-training')), /a config's changes give the networks only .*the stage's training is set by its flags, got preset, training/);
  });

  test('--reconstruction-loss mse trains stage 1 on the squared error of the same reconstruction, recorded and kept on resume', async () => {
    const common = ['--data', data, '--config', 'tiny', '--preprocess', PREPROCESS, '--val-sample-steps', '0'];
    const [l1, mse] = [join(root, 'run-l1'), join(root, 'run-mse')];
    assert.equal(await trainAldm(...common, '--steps', '1', '--out', l1), 0);
    assert.equal(await trainAldm(...common, '--steps', '1', '--out', mse, '--reconstruction-loss', 'mse'), 0);
    assert.equal(parseAldmConfig((await readRunConfig(l1)).methodConfig).training?.stage, 'autoencoder');
    assert.deepEqual(parseAldmConfig((await readRunConfig(mse)).methodConfig).training,
      { stage: 'autoencoder', codebookWeight: 1, gan: null, reseedEvery: 100, reconstructionLoss: 'mse' });
    // The same seed draws the same contrast for the same initial network: one error e, scored as mean|e| and mean e².
    const firstRec = async (run: string) => (await TrainingLog.read(join(run, RUN_FILES.log))).flatMap((e) => (e.kind === 'train' ? [e.losses!.rec] : []))[0];
    const [absolute, squared] = [await firstRec(l1), await firstRec(mse)];
    assert.notEqual(squared, absolute);
    // Jensen: mean e² ≥ (mean|e|)², with equality only for an error of one size everywhere.
    assert.ok(squared > absolute ** 2 * (1 + 1e-6), `mean e² ${squared} against mean|e| ${absolute}`);
    assert.equal(await trainAldm('--resume', mse, '--steps', '2'), 0);
    await assert.rejects(trainAldm('--resume', mse, '--steps', '3', '--reconstruction-loss', 'l1'), /differs in methodConfig.training.reconstructionLoss: "mse" → \(absent\)/);
  });

  test('stage 1 with --parent starts from that run\'s autoencoder and trains it further: its first validation is the parent\'s last', async () => {
    const parent = join(root, 'run-parent');
    assert.equal(await trainAldm('--data', data, '--config', 'tiny', '--steps', '2', '--out', parent, '--preprocess', PREPROCESS,
      '--val-sample-steps', '0'), 0);
    const tuned = join(root, 'run-tuned');
    assert.equal(await trainAldm('--data', data, '--config', 'tiny', '--steps', '1', '--out', tuned, '--parent', parent, '--lr', '0.0005',
      '--val-sample-steps', '0'), 0);
    const validations = async (run: string) => (await TrainingLog.read(join(run, RUN_FILES.log))).flatMap((e) => (e.kind === 'validation' ? [e] : []));
    const [first] = await validations(tuned);
    const last = (await validations(parent)).at(-1)!;
    assert.deepEqual([first.step, first.loss, first.measures], [0, last.loss, last.measures], 'the same weights, cases and units');
    const config = await readRunConfig(tuned);
    assert.equal(config.parent?.path, parent);
    assert.deepEqual(config.preprocess, (await readRunConfig(parent)).preprocess, "the parent's preprocessing");
    const weights = async (run: string) => (await loadSafetensors(join(run, 'autoencoder.safetensors'))).tensors['decoder.conv_out.weight'].data;
    assert.notDeepEqual(await weights(tuned), await weights(parent), 'trained further, not frozen');
    await assert.rejects(trainAldm('--data', data, '--config', JSON.stringify({ preset: 'tiny', autoencoder: { preset: 'reference-tiny', ch: 8, numGroups: 4, nEmbed: 128 } }),
      '--steps', '1', '--out', join(root, 'run-mismatched'), '--parent', parent), /the parent run has another autoencoder than --config asks for \(8 wide, 256 codes against 8 and 128\)/);
  });

  test('a bad value names the flag, the value and what was expected; a later stage needs its parent', () => {
    const common = ['train', 'aldm', '--data', data, '--steps', '1', '--out', join(root, 'refused')];
    const negative = trainProcess(...common, '--gan-start', '-1');
    assert.equal(negative.status, 1);
    assert.match(negative.stderr, /--gan-start must be a step ≥ 0, got '-1'/);
    const stage = trainProcess(...common, '--stage', 'cycle');
    assert.equal(stage.status, 1);
    assert.match(stage.stderr, /--stage <value>' argument 'cycle' is invalid\. Allowed choices are autoencoder, spade, diffusion/);
    const orphan = trainProcess(...common, '--stage', 'diffusion');
    assert.equal(orphan.status, 1);
    assert.match(orphan.stderr, /takes autoencoder from the run it is trained on top of; name that run \(parent\)/);
    const target = trainProcess(...common, '--target', 't2');
    assert.equal(target.status, 1);
    assert.match(target.stderr, /learns every target among t1, t1ce, t2, flair; it takes no target \(got t2\)/);
  });
});

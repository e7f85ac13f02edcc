import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, type RawTensor } from '../io/safetensors/index.js';
import { packageRoot } from '../util/index.js';
import { RUN_FILES, configHash, readBuiltinManifest, readRunConfig } from '../runs/index.js';
import { setNumThreads } from '../tensor/index.js';
import { writePhantomDataset } from '../training/phantomDataset.testSupport.js';
import { TrainingLog, type ValidationEntry } from '../training/index.js';
import { registerTrainCommand } from './train.js';
import { inProcessCommand } from './commandRunner.testSupport.js';

setNumThreads(1);

const PREPROCESS = JSON.stringify({ preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'pad', multiple: [8, 8, 8] }] });

/** Runs `mrsynth train cwdm …` in-process and returns the exit code it set. */
const trainCli = inProcessCommand(registerTrainCommand, 'train', 'cwdm');

async function validations(run: string): Promise<ValidationEntry[]> {
  return (await TrainingLog.read(join(run, RUN_FILES.log))).flatMap((e) => (e.kind === 'validation' ? [e] : []));
}

async function unetWeights(run: string): Promise<RawTensor['data']> {
  return (await loadSafetensors(join(run, RUN_FILES.weights))).tensors['out.2.weight'].data;
}

async function trainSteps(run: string): Promise<number[]> {
  return (await TrainingLog.read(join(run, RUN_FILES.log))).filter((e) => e.kind === 'train').map((e) => e.step);
}

describe('mrsynth train cwdm', () => {
  let root: string;
  let data: string;
  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-train-cli-'));
    data = join(root, 'data');
    await writePhantomDataset(data, { cases: 4, shape: [16, 16, 16], spacing: 10, seed: 2 });
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('trains a new run in bf16, then --resume extends it in the run\'s precision', async () => {
    const run = join(root, 'run');
    assert.equal(await trainCli('--data', data, '--target', 'T2', '--config', 'tiny', '--steps', '3', '--out', run,
      '--preprocess', PREPROCESS, '--val-every', '2', '--val-sample-steps', '2', '--lr', '0.002', '--precision', 'bf16'), 0);
    const config = await readRunConfig(run);
    assert.deepEqual({ target: config.target, conditions: config.conditions, lr: config.training.lr, precision: config.training.precision },
      { target: 't2', conditions: ['t1', 't1ce', 'flair'], lr: 0.002, precision: 'bf16' });
    assert.deepEqual(await trainSteps(run), [1, 2, 3]);
    assert.equal(await trainCli('--resume', run, '--steps', '5', '--val-sample-steps', '0', '--lr-decay', 'linear', '--lr-decay-from', '3'), 0);
    assert.deepEqual(await trainSteps(run), [1, 2, 3, 4, 5]);
    // The decay's end defaults to --steps and its final rate to 0: the fifth step runs at 0.002 · (1 − 1/2).
    assert.deepEqual((await readRunConfig(run)).training.lrDecay, { shape: 'linear', from: 3, to: 5, final: 0 });
    const rates = (await TrainingLog.read(join(run, RUN_FILES.log))).flatMap((e) => (e.kind === 'train' ? [e.lr] : []));
    assert.deepEqual(rates, [0.002, 0.002, 0.002, 0.002, 0.001]);
    await assert.rejects(trainCli('--resume', run, '--steps', '6', '--precision', 'fp32'), /differs in training.precision: "bf16" → "fp32"/);
    await assert.rejects(trainCli('--resume', run, '--steps', '6', '--batch-size', '2'), /differs in training.batchSize: 1 → 2/);
  });

  test('--config takes changes to a preset as JSON, inline or in a file: recorded in full, kept on resume, each bad field named', async () => {
    const run = join(root, 'run-changed');
    const file = join(root, 'wider.json');
    await fs.writeFile(file, JSON.stringify({ preset: 'tiny', modelChannels: 8, numGroups: 4 }));
    assert.equal(await trainCli('--data', data, '--target', 't2', '--config', file, '--steps', '1', '--out', run, '--preprocess', PREPROCESS,
      '--val-sample-steps', '0'), 0);
    const config = await readRunConfig(run);
    // tiny's other fields, the changes, and the condition count the roles give (three: t1, t1ce, flair).
    assert.deepEqual(config.methodConfig, { conditions: 3, modelChannels: 8, channelMult: [1, 2, 2], numResBlocks: 1, numGroups: 4, dropout: 0 });
    const { tensors } = await loadSafetensors(join(run, 'weights.safetensors'));
    assert.equal(tensors['input_blocks.0.0.weight'].shape[0], 8, 'the first convolution is 8 wide');
    assert.equal(await trainCli('--resume', run, '--steps', '2', '--config', '{"preset": "tiny", "modelChannels": 8, "numGroups": 4}', '--val-sample-steps', '0'), 0);
    await assert.rejects(trainCli('--resume', run, '--steps', '3', '--config', 'tiny'), /differs in methodConfig.modelChannels: 8 → 4/);
    const fresh = ['--data', data, '--target', 't2', '--steps', '1', '--out', join(root, 'refused-config')];
    await assert.rejects(trainCli(...fresh, '--config', '{"preset": "tiny", "modelChanels": 8}'), /unknown key 'modelChanels'/);
    await assert.rejects(trainCli(...fresh, '--config', '{"preset": "huge"}'), /"preset" must name the preset the changes start from \(tiny, cpu, paper\), got "huge"/);
    await assert.rejects(trainCli(...fresh, '--config', '{"preset": "tiny",'), /the JSON given is not JSON/);
    await assert.rejects(trainCli(...fresh, '--config', join(root, 'absent.json')), /cannot read the config file .*absent\.json/);
    await assert.rejects(trainCli(...fresh, '--config', 'large'), /expected a preset \(tiny, cpu, paper\), changes to one as JSON, or a \.json file of them, got 'large'/);
  });

  test('--parent starts the U-Net from that run\'s weights and trains it further; another task or another U-Net is refused', async () => {
    const parent = join(root, 'run-parent');
    assert.equal(await trainCli('--data', data, '--target', 't2', '--config', 'tiny', '--steps', '2', '--out', parent, '--preprocess', PREPROCESS,
      '--lr', '0.002', '--val-sample-steps', '0'), 0);
    const tuned = join(root, 'run-tuned');
    assert.equal(await trainCli('--data', data, '--target', 't2', '--config', 'tiny', '--steps', '1', '--out', tuned, '--parent', parent,
      '--val-sample-steps', '0'), 0);
    const [first] = await validations(tuned);
    const last = (await validations(parent)).at(-1)!;
    // The parent's weights file holds its EMA weights; the new run's network and its EMA both start from them.
    assert.deepEqual([first.step, first.loss, first.lossEma, first.baselineLoss], [0, last.lossEma, last.lossEma, last.baselineLoss]);
    const config = await readRunConfig(tuned);
    assert.equal(config.parent?.path, parent);
    assert.deepEqual(config.preprocess, (await readRunConfig(parent)).preprocess, "the parent's preprocessing");
    assert.notDeepEqual(await unetWeights(tuned), await unetWeights(parent), 'trained further, not frozen');
    const fresh = (name: string) => ['--data', data, '--steps', '1', '--out', join(root, name), '--parent', parent];
    await assert.rejects(trainCli(...fresh('run-other-task'), '--target', 't1', '--config', 'tiny'),
      /the parent run synthesises t2 from t1, t1ce, flair, and this run t1 from t1ce, t2, flair; fine-tuning keeps the parent's task: give --target t2/);
    await assert.rejects(trainCli(...fresh('run-other-unet'), '--target', 't2', '--config', '{"preset": "tiny", "modelChannels": 8, "numGroups": 4}'),
      /the parent run has another U-Net than --config asks for \(modelChannels 4 against 8; numGroups 2 against 4\); give the parent's --config/);
  });

  test('--parent builtin:<name> fine-tunes a built-in model on new data, recording which one', async () => {
    const { models } = await readBuiltinManifest();
    const builtin = models.find((model) => model.name === 'cwdm-phantom-t2')!;
    const run = join(root, 'run-from-builtin');
    assert.equal(await trainCli('--data', data, '--target', 't2', '--config', 'cpu', '--steps', '1', '--out', run, '--parent', 'builtin:cwdm-phantom-t2',
      '--val-sample-steps', '0'), 0);
    const config = await readRunConfig(run);
    assert.deepEqual(config.parent, { path: 'builtin:cwdm-phantom-t2', configHash: configHash(await readRunConfig(builtin.folder)),
      weights: Object.fromEntries(builtin.weights.files.map(({ file, sha256 }) => [file, sha256])) });
    assert.deepEqual(config.preprocess, (await readRunConfig(builtin.folder)).preprocess, "the built-in model's preprocessing");
    // Its first validation ran on the built-in's weights (stored in bf16, trained in fp32 here): their prediction beats
    // the input-blind one clearly (about half its loss on these phantoms); a new cpu network's is at or above it.
    const [first] = await validations(run);
    assert.ok(first.loss < 0.75 * first.baselineLoss, `loss ${first.loss} against the input-blind ${first.baselineLoss}`);
  });

  test('flags that name no run, or two, are refused', async () => {
    await assert.rejects(trainCli('--data', data, '--target', 't2', '--steps', '1'), /mrsynth train cwdm: give --out RUN for a new run or --resume RUN/);
    await assert.rejects(trainCli('--resume', join(root, 'a'), '--out', join(root, 'b'), '--steps', '1'), /--resume .*a continues that run in place; --out .*b names another folder/);
    await assert.rejects(trainCli('--data', data, '--target', 't2', '--steps', '0', '--out', join(root, 'c')), /--steps must be a positive integer, got '0'/);
    await assert.rejects(trainCli('--data', data, '--target', 't2', '--steps', '1', '--out', join(root, 'd'), '--precision', 'fp16'),
      /option '--precision <p>' argument 'fp16' is invalid\. Allowed choices are fp32, bf16\./);
  });

  test('Ctrl-C finishes the step, checkpoints it and exits with 130', async () => {
    const run = join(root, 'interrupted');
    const entry = JSON.stringify(fileURLToPath(new URL('train.ts', import.meta.url)));
    const script = `import { Command } from 'commander'; import { registerTrainCommand } from ${entry};
      const program = new Command('mrsynth'); registerTrainCommand(program); await program.parseAsync(process.argv.slice(1), { from: 'user' });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'train', 'cwdm', '--data', data,
      '--target', 't2', '--steps', '100000', '--checkpoint-every', '100000', '--val-sample-steps', '0', '--out', run, '--preprocess', PREPROCESS],
    { cwd: packageRoot(), env: { ...process.env, MRSYNTH_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    let running = true;
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => { running = false; done(code); }));
    // Interrupt once a few steps are logged.
    for (let waited = 0; (await trainSteps(run).catch(() => [])).length < 3; waited += 100) {
      assert.ok(running && waited < 60_000, `no training steps after ${waited / 1000} s: ${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130, output);
    const steps = await trainSteps(run);
    const { metadata } = await loadSafetensors(join(run, RUN_FILES.checkpoint));
    assert.equal(metadata.step, String(steps.at(-1)));
    assert.match(output, /stopping after this step and writing a checkpoint/);
    assert.match(output, new RegExp(`stopped at step ${steps.at(-1)} of 100000`));
  });
});

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { TEST_PREPROCESS, writeCase } from '../completion/completionFixtures.testSupport.js';
import type { SynthesisSidecar } from '../completion/index.js';
import { loadModule } from '../nn/index.js';
import { loadSafetensors } from '../io/safetensors/index.js';
import { readAldmFixture } from '../models/aldm/aldmFixture.testSupport.js';
import { openRun } from '../methods/index.js';
import { packageRoot } from '../util/index.js';
import { readNifti } from '../io/nifti/index.js';
import { CwdmUNet, parseCwdmUNetConfig } from '../models/wdm/index.js';
import { MedicalNetResNet10, parseMedicalNetConfig } from '../models/medicalNet/index.js';
import {
  MEDICALNET_CHECKPOINT, differences, readMedicalNetFeatures, readMedicalNetStateDict,
} from '../models/medicalNet/medicalNetFixture.testSupport.js';
import { RUN_FILES, readAnyRunConfig } from '../runs/index.js';
import { parsePreprocessConfig } from '../transforms/index.js';
import { getNumThreads, setNumThreads, tidy } from '../tensor/index.js';
import { TINY_KEYS, fixturePath, fixtureValues } from '../../test-fixtures/convert/fixtureValues.js';
import { commandRunner } from './commandRunner.testSupport.js';
import { registerConvertCommand } from './convert.js';
import { registerTrainCommand } from './train.js';

const mrsynth = commandRunner(new URL('./convert.ts', import.meta.url), 'registerConvertCommand');
const complete = commandRunner(new URL('./complete.ts', import.meta.url), 'registerCompleteCommand');
const sha256 = async (path: string) => createHash('sha256').update(await fs.readFile(path)).digest('hex');

/** Runs one command in this process (libtorch is loaded here already); resolves to what it logged, rejects with its error. */
async function inProcess(register: (program: Command) => void, ...args: string[]): Promise<string> {
  const program = new Command('mrsynth').exitOverride();
  register(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...items: unknown[]) => { lines.push(items.join(' ')); };
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

describe('mrsynth convert --from pytorch', () => {
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-convert-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('a DataParallel checkpoint wrapped in a dict → weights that load strictly into CwdmUNet with exactly its values', async () => {
    const out = join(root, 'tiny.safetensors');
    const run = mrsynth('convert', '--from', 'pytorch', fixturePath('tiny-wrapped.pt'), '--model', 'cwdm', '--config', 'tiny', '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^read .*tiny-wrapped\.pt \(sha256 [0-9a-f]{64}\): weights under 'state_dict\.module\.'\n/);
    assert.match(run.stdout, /\n {2}left out 3 non-tensor value\(s\): epoch, args\.lr, args\.name\n/);
    assert.match(run.stdout, /\nwrote .*tiny\.safetensors: 174 tensors, 55,748 parameters, float32, cwdm tiny\n$/);

    const model = new CwdmUNet(parseCwdmUNetConfig('tiny'));
    const { metadata } = await loadModule(out, model);
    assert.equal(metadata.source, 'tiny-wrapped.pt');
    assert.deepEqual(JSON.parse(metadata.config), parseCwdmUNetConfig('tiny'));
    const parameters = new Map(model.namedParameters());
    TINY_KEYS.forEach(({ key }, i) => {
      assert.deepEqual(tidy(() => parameters.get(key)!.toTypedArray()), fixtureValues(i), key);
    });
    model.dispose();
  });

  test('an existing output is kept unless --force', async () => {
    const out = join(root, 'kept.safetensors');
    await fs.writeFile(out, 'mine');
    const args = ['convert', '--from', 'pytorch', fixturePath('tiny-state-dict.pt'), '--model', 'cwdm', '--config', 'tiny', '--out', out];
    const refused = mrsynth(...args);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /convert: .*kept\.safetensors exists; pass --force to replace it/);
    assert.equal(await fs.readFile(out, 'utf8'), 'mine');
    const forced = mrsynth(...args, '--force');
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /a bare state dict/);
    assert.deepEqual((await fs.readdir(root)).filter((name) => name.includes('.tmp-')), []);
  });

  test('weights of another config are refused, naming the key and both shapes; nothing is written', async () => {
    const out = join(root, 'ixi.safetensors');
    const run = mrsynth('convert', '--from', 'pytorch', fixturePath('tiny-state-dict.pt'), '--model', 'cwdm', '--config', 'tiny',
      '--conditions', '2', '--out', out);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /shape mismatches \(1\): input_blocks\.0\.0\.weight: checkpoint \[4,32,3,3,3\], network \[4,24,3,3,3\]/);
    await assert.rejects(fs.access(out));
  });
});

describe('mrsynth convert --run-dir: a checkpoint as a run folder that mrsynth complete samples with', () => {
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-convert-run-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });
  const convert = (...args: string[]) => inProcess(registerConvertCommand, 'convert', '--from', 'pytorch', ...args);

  test('converts into an imported run; complete writes on the case grid and the sidecar names the imported origin', async () => {
    const run = join(root, 'imported-t1ce');
    const converted = mrsynth('convert', '--from', 'pytorch', fixturePath('tiny-wrapped.pt'), '--model', 'cwdm', '--config', 'tiny',
      '--run-dir', run, '--target', 't1ce', '--preprocess', JSON.stringify(TEST_PREPROCESS));
    assert.equal(converted.status, 0, converted.stderr);
    assert.match(converted.stdout, /\nwrote run folder .*imported-t1ce: 174 tensors, 55,748 parameters, float32, cwdm tiny; synthesises t1ce from t1, t2, flair /);
    assert.match(converted.stdout, /\nsynthesise with: mrsynth complete CASE --models .*imported-t1ce\n$/);
    assert.deepEqual((await fs.readdir(run)).sort(), [RUN_FILES.config, RUN_FILES.weights], 'no training checkpoint or log');
    const config = await readAnyRunConfig(run);
    assert.deepEqual(config.origin, {
      kind: 'imported', from: 'pytorch', source: fixturePath('tiny-wrapped.pt'), sourceSha256: await sha256(fixturePath('tiny-wrapped.pt')),
      sourcePrefix: 'state_dict.module.',
    });
    assert.deepEqual([config.target, config.conditions, config.preprocess], ['t1ce', ['t1', 't2', 'flair'], TEST_PREPROCESS]);

    const data = join(root, 'data');
    const dir = await writeCase(data, 'brats2021', 'Ph_030', 0, ['t1', 't2', 'flair']);
    const completed = complete('complete', data, '--models', run, '--steps', '2');
    assert.equal(completed.status, 0, completed.stderr);
    assert.match(completed.stdout, /^Ph_030: synthesised t1ce → .*Ph_030_t1ce\.nii\.gz \(\d+\.\d s\)$/m);
    const input = await readNifti(join(dir, 'Ph_030_t1.nii.gz'));
    const output = await readNifti(join(dir, 'Ph_030_t1ce.nii.gz'));
    assert.deepEqual(output.volume.shape, input.volume.shape);
    assert.deepEqual(Array.from(output.volume.affine), Array.from(input.volume.affine));
    assert.ok(output.volume.data.every((v) => v >= 0 && v <= 1), 'the synthesis is in [0, 1]');
    const sidecar = JSON.parse(await fs.readFile(join(dir, 'Ph_030_t1ce.json'), 'utf8')) as SynthesisSidecar;
    assert.deepEqual(sidecar.model.config.origin, config.origin);
    assert.equal(sidecar.model.weightsSha256, await sha256(join(run, RUN_FILES.weights)));
  });

  test('defaults to the reference\'s conditions and preprocessing; an existing run is replaced only with --force', async () => {
    const run = join(root, 'imported-flair');
    const args = [fixturePath('tiny-state-dict.pt'), '--model', 'cwdm', '--config', 'tiny', '--run-dir', run, '--target', 'flair'];
    await convert(...args);
    const first = await readAnyRunConfig(run);
    assert.deepEqual(first.conditions, ['t1', 't1ce', 't2']);
    assert.deepEqual(first.preprocess, parsePreprocessConfig('reference'));
    await assert.rejects(convert(...args), /writeImportedRun: .*imported-flair already holds an imported run .*; pass --force to replace it/);
    const log = await convert(...args, '--conditions', 't1n,t2w,t1c', '--force');
    assert.match(log, /synthesises flair from t1, t2, t1ce \(in input-channel order\)/);
    assert.deepEqual((await readAnyRunConfig(run)).conditions, ['t1', 't2', 't1ce']);
  });

  test('refuses --out with --run-dir, neither, a run folder without --target or with a number of conditions, run flags with --out', async () => {
    const base = [fixturePath('tiny-state-dict.pt'), '--model', 'cwdm', '--config', 'tiny'];
    const out = join(root, 'w.safetensors');
    const run = join(root, 'refused');
    await assert.rejects(convert(...base, '--out', out, '--run-dir', run), /^Error: convert: give exactly one of --out FILE \(a weights file\) and --run-dir DIR .* got both$/);
    await assert.rejects(convert(...base), /convert: give exactly one of --out FILE .* got neither$/);
    await assert.rejects(convert(...base, '--run-dir', run), /convert: --run-dir needs --target, the contrast the weights synthesise/);
    await assert.rejects(convert(...base, '--run-dir', run, '--target', 't1ce', '--conditions', '3'),
      /convert: with --run-dir, --conditions names the contrasts in input-channel order \(e\.g\. t1,t2,flair\), got the number 3/);
    await assert.rejects(convert(...base, '--run-dir', run, '--target', 'pd'), /referenceConditions: .* not 'pd'; name the conditions/);
    await assert.rejects(convert(...base, '--out', out, '--target', 't1ce', '--conditions', 't1,t2,flair'),
      /convert: --target, --conditions t1,t2,flair describe a run folder and need --run-dir/);
    await assert.rejects(fs.access(out));
    await assert.rejects(fs.access(run));
  });

  test('mrsynth train --resume refuses an imported run: it has no training state', async () => {
    const run = join(root, 'to-resume');
    await convert(fixturePath('tiny-state-dict.pt'), '--model', 'cwdm', '--config', 'tiny', '--run-dir', run, '--target', 't1ce');
    await assert.rejects(inProcess(registerTrainCommand, 'train', 'cwdm', '--resume', run, '--steps', '2'),
      /readRunConfig: .*to-resume is an imported run \(weights converted from the pytorch checkpoint .*tiny-state-dict\.pt .*\), not one trained by mrsynth train: it has no training state \(checkpoint\.safetensors\) to resume or continue/);
    assert.deepEqual((await fs.readdir(run)).sort(), [RUN_FILES.config, RUN_FILES.weights]);
  });
});


describe("mrsynth convert --model aldm --part autoencoder: the reference's Lightning checkpoints of its first stage", () => {
  // test-fixtures/aldm/lightning-stage2.ckpt: the fixture's VQ-GAN (and stage-2 discriminator) as Lightning 1.x saves a
  // stage-2 VQModel, with optimizer states, callbacks and an omegaconf object among its hyper-parameters
  // (make_lightning_checkpoint.py, run with python3-torch).
  const checkpoint = join(packageRoot(), 'test-fixtures', 'aldm', 'lightning-stage2.ckpt');
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-convert-aldm-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('imports the VQ-GAN as a run holding exactly the reference\'s weights; loss.* and what Lightning adds are set aside and named', async () => {
    const dir = join(root, 'stage2');
    const log = await inProcess(registerConvertCommand, 'convert', checkpoint, '--from', 'pytorch', '--model', 'aldm', '--config', 'reference-tiny',
      '--part', 'autoencoder', '--run-dir', dir, '--target', 't2');
    assert.match(log, /weights under 'state_dict\.' for the autoencoder/);
    assert.match(log, /left out 15 other tensor\(s\): state_dict\.loss\.discriminator\.main\.0\.bias/);
    assert.match(log, /left out 1 object\(s\) it cannot build without running their code: hyper_parameters\.ddconfig \(omegaconf\.dictconfig\.DictConfig\)/);
    assert.match(log, /the autoencoder of aldm reference-tiny only; a parent run for training the method's later stage on it/);
    const config = await readAnyRunConfig(dir);
    assert.deepEqual(config.weights, { autoencoder: 'autoencoder.safetensors' });
    assert.deepEqual(config.conditions, ['t1']);
    assert.equal(config.schedule.timestepSpacing, 'ldm');
    const fixture = await readAldmFixture();
    const expected = fixture.stateDict('vqgan');
    const { tensors } = await loadSafetensors(join(dir, 'autoencoder.safetensors'));
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(expected).sort());
    for (const [key, t] of Object.entries(expected)) assert.deepEqual(tensors[key].data, t.rawBytes(), key);
    // The imported first stage is what the reference's own stage 2 computes: MS-SPADE's translation, decoded, is the
    // reference's (outputs.spade_decoded: sample 0 into class 1, t1ce); it reconstructs, but does not sample.
    const { pipeline } = await openRun(dir);
    try {
      assert.match(pipeline.cannotSample ?? '', /the run holds ALDM's first stage only .* it samples once a diffusion stage is trained on it/);
      assert.throws(() => pipeline.scheduler({ kind: 'ddim', steps: 2, eta: 0 }), /this model cannot sample: the run holds ALDM's first stage only/);
      const previous = getNumThreads();
      setNumThreads(1);
      try {
        const worst = tidy(() => {
          const encoded = pipeline.encodeConditions(fixture.read('inputs.source').narrow(0, 0, 1));
          const decoded = pipeline.decodeConditionEstimate(encoded, { target: 't1ce' });
          encoded.dispose();
          return decoded.sub(fixture.read('outputs.spade_decoded').narrow(0, 0, 1)).abs().max().item();
        });
        assert.ok(worst < 1e-4, `largest difference from the reference's decoded translation: ${worst}`);
      } finally {
        setNumThreads(previous);
      }
    } finally {
      pipeline.dispose();
    }
  });

  test('a part the method does not have is refused, naming its networks', async () => {
    await assert.rejects(inProcess(registerConvertCommand, 'convert', checkpoint, '--from', 'pytorch', '--model', 'aldm', '--config', 'reference-tiny',
      '--part', 'discriminator', '--out', join(root, 'x.safetensors')), /--part discriminator is not a network of aldm; it has unet, autoencoder/);
  });
});

describe('mrsynth convert --feature-network medicalnet-resnet10: MedicalNet\'s ResNet-10 for the perceptual loss', () => {
  // test-fixtures/medicalNet/resnet10-tiny.pth: a width-8 ResNet-10 saved as MedicalNet saves a DataParallel model, with
  // its segmentation head and PyTorch's batch counters (make_checkpoint.py, run with python3-torch).
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-convert-medicalnet-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });
  const convert = (...args: string[]) => inProcess(registerConvertCommand, 'convert', '--from', 'pytorch', ...args);

  test('imports the weights exactly, sets the head and the batch counters aside by name, and the file computes PyTorch\'s features', async () => {
    const out = join(root, 'medicalnet.safetensors');
    const log = await convert(MEDICALNET_CHECKPOINT, '--feature-network', 'medicalnet-resnet10', '--config', 'tiny', '--out', out);
    assert.match(log, /^read .*resnet10-tiny\.pth \(sha256 [0-9a-f]{64}\): weights under 'state_dict\.module\.'\n/);
    assert.match(log, /\n {2}left out 26 other tensor\(s\): state_dict\.module\.bn1\.num_batches_tracked, state_dict\.module\.layer1\.0\.bn1\.num_batches_tracked, /);
    assert.match(log, /\n {2}left out 2 non-tensor value\(s\): ecpoch, batch_id\n/);
    assert.match(log, /\n {2}\(set aside because MedicalNet's segmentation head \(conv_seg\) is not part of the feature network, and the BatchNorms' batch counters/);
    assert.match(log, /\nwrote .*medicalnet\.safetensors: 60 tensors, 228,056 parameters, float32, medicalnet-resnet10 tiny$/);

    const { tensors, metadata } = await loadSafetensors(out);
    assert.equal(metadata.model, 'medicalnet-resnet10');
    assert.equal(metadata.source, 'resnet10-tiny.pth');
    assert.equal(metadata.source_prefix, 'state_dict.module.');
    const checkpoint = await readMedicalNetStateDict();
    for (const [key, raw] of Object.entries(tensors)) assert.deepEqual(raw.data, checkpoint[key].data, key);

    // What the perceptual loss of part 2 does with the file: rebuild the network from the metadata, load strictly, compare features.
    const model = new MedicalNetResNet10(parseMedicalNetConfig(JSON.parse(metadata.config)));
    await loadModule(out, model);
    const fixture = await readMedicalNetFeatures();
    const threads = getNumThreads();
    setNumThreads(1); // as the fixture was computed
    try {
      tidy(() => {
        const { abs, within } = differences(model.eval().forward(fixture.standardised), fixture.features);
        assert.ok(within, `features: largest difference ${abs}`);
      });
    } finally {
      setNumThreads(threads);
      for (const t of Object.values(fixture)) t.dispose();
      model.dispose();
    }
  });

  test('the default preset is the published weights\' (width 64): the tiny checkpoint is refused, naming key and shapes; nothing is written', async () => {
    const out = join(root, 'wrong-width.safetensors');
    await assert.rejects(convert(MEDICALNET_CHECKPOINT, '--feature-network', 'medicalnet-resnet10', '--out', out),
      /shape mismatches \(\d+\): conv1\.weight: checkpoint \[8,1,7,7,7\], network \[64,1,7,7,7\]/);
    await assert.rejects(fs.access(out));
  });

  test('refuses --model with --feature-network, neither, method and run-folder flags, a missing --out, an existing file; --model needs --config', async () => {
    const out = join(root, 'refused.safetensors');
    const feature = [MEDICALNET_CHECKPOINT, '--feature-network', 'medicalnet-resnet10', '--config', 'tiny'];
    await assert.rejects(convert(...feature, '--model', 'cwdm', '--out', out),
      /^Error: convert: give exactly one of --model METHOD \(a synthesis method's network\) and --feature-network NAME .* got both \(--model cwdm, --feature-network medicalnet-resnet10\)$/);
    await assert.rejects(convert(MEDICALNET_CHECKPOINT, '--config', 'tiny', '--out', out), /convert: give exactly one of --model METHOD .* got neither$/);
    await assert.rejects(convert(...feature, '--run-dir', join(root, 'run'), '--target', 't1ce', '--part', 'unet'),
      /convert: --run-dir, --target, --part describe a synthesis method's networks or run folder and need --model; --feature-network medicalnet-resnet10 writes a weights file \(--out FILE\) only/);
    await assert.rejects(convert(...feature), /convert: --feature-network medicalnet-resnet10 needs --out FILE, the weights file \(\.safetensors\) to write/);
    await assert.rejects(convert(MEDICALNET_CHECKPOINT, '--feature-network', 'medicalnet-resnet10', '--config', 'resnet50', '--out', out),
      /parseMedicalNetConfig: preset must be one of pretrained, tiny, got "resnet50"/);
    await assert.rejects(convert(MEDICALNET_CHECKPOINT, '--model', 'cwdm', '--out', out), /convert: --model cwdm needs --config PRESET, the network's config \(paper, /);
    await assert.rejects(fs.access(out));
    await fs.writeFile(out, 'mine');
    await assert.rejects(convert(...feature, '--out', out), /convert: .*refused\.safetensors exists; pass --force to replace it/);
    assert.equal(await fs.readFile(out, 'utf8'), 'mine');
  });
});

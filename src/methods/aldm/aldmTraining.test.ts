import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadSafetensors, saveSafetensors } from '../../io/safetensors/index.js';
import { MEDICALNET_RESNET10, MedicalNetResNet10, parseMedicalNetConfig } from '../../models/medicalNet/index.js';
import { moduleToRaw } from '../../nn/index.js';
import { parseSamplerSpec } from '../../pipelines/index.js';
import { RUN_FILES, readRun, readRunConfig, readRunWeightsFile } from '../../runs/index.js';
import { Generator, manualSeed, memory, randn, setNumThreads, tidy } from '../../tensor/index.js';
import { writePhantomDataset } from '../../training/phantomDataset.testSupport.js';
import { TrainingLog, train, type PreparationProgress, type TrainOptions, type ValidationEntry } from '../../training/index.js';
import { AUTOENCODER, DISCRIMINATOR, parseAldmConfig } from './aldmConfig.js';
import { aldmMethod } from './aldmMethod.js';
import { aldmTraining } from './aldmTraining.js';

// One thread: the resumed run must match the uninterrupted one bit for bit.
setNumThreads(1);

/** The phantoms as they are (no crop), normalised to ALDM's [−1, 1] and padded to the networks' multiple: 16³ (10 mm voxels). */
const PREPROCESS = { preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'aldm' }, { kind: 'pad', multiple: [16, 16, 16] }] };

describe('ALDM stage 1 (autoencoder) training', () => {
  let root: string;
  let brats: string;
  let ixi: string;
  const options = (out: string, extra: Partial<TrainOptions> = {}): TrainOptions => ({
    out: join(root, out), data: brats, config: 'tiny', steps: 6, preprocess: PREPROCESS, valSampleSteps: 0, ...extra,
  });

  /**
   * Trains `run('whole', steps)` in one go and `run('halves', …)` to half the steps and then resumed to all of them, and
   * asserts that both end with the same checkpoint and weights file, byte for byte. Returns the uninterrupted run's result.
   */
  async function trainWholeAndInHalves(run: (name: string, steps: number) => TrainOptions, steps: number, weightsFile: string) {
    const whole = await train(aldmTraining, run('whole', steps));
    const halves = run('halves', steps / 2);
    await train(aldmTraining, halves);
    await train(aldmTraining, { out: halves.out, resume: true, steps });
    for (const file of [RUN_FILES.checkpoint, weightsFile]) {
      const [a, b] = await Promise.all([fs.readFile(join(run('whole', steps).out, file)), fs.readFile(join(halves.out, file))]);
      assert.ok(a.equals(b), `${file} differs between the uninterrupted and the resumed run (${halves.out})`);
    }
    return whole;
  }

  /** The run samples with nothing but its own files: a t1 → t2 translation of a 16³ image, finite throughout. */
  async function assertSamplesByItself(out: string) {
    const { config, weightPaths } = await readRun(out);
    const weights = Object.fromEntries(await Promise.all(Object.entries(weightPaths).map(async ([name, path]) =>
      [name, (await readRunWeightsFile(path, name)).tensors] as const)));
    const pipeline = aldmMethod.pipeline({ ...config, conditions: ['t1'], target: 't2' }, weights, out);
    const generator = new Generator(1);
    try {
      const synthesised = tidy(() => pipeline.sample(randn([1, 1, 16, 16, 16], { generator }), pipeline.scheduler(parseSamplerSpec({ kind: 'ddim', steps: 4 })),
        { generator }).toTypedArray<'float32'>());
      assert.equal(synthesised.length, 16 ** 3);
      assert.ok(synthesised.every(Number.isFinite));
    } finally {
      generator.dispose();
      pipeline.dispose?.();
    }
  }

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-aldm-train-'));
    brats = join(root, 'brats');
    ixi = join(root, 'ixi');
    await writePhantomDataset(brats, { cases: 6, shape: [16, 16, 16], spacing: 10, seed: 3 });
    await writePhantomDataset(ixi, { cases: 4, shape: [16, 16, 16], spacing: 10, seed: 4, style: 'ixi' });
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('the tiny autoencoder learns every BraTS contrast: validation L1 falls well below the input-blind baseline, more codes in use', async () => {
    const before = memory().numTensors;
    const validations: ValidationEntry[] = [];
    await train(aldmTraining, options('brats-run', { steps: 120, valEvery: 60 }), { onValidation: (v) => validations.push(v) });
    assert.equal(memory().numTensors, before, 'training leaves no tensors behind');
    const [first, , last] = validations;
    assert.ok(last.loss < 0.3 * first.loss, `validation L1 ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)} should fall by 70 %`);
    assert.ok(last.loss < 0.8 * last.baselineLoss, `L1 ${last.loss.toFixed(4)} should be well below the input-blind ${last.baselineLoss.toFixed(4)}`);
    assert.ok(last.measures!.codesUsed > first.measures!.codesUsed, `codes in use ${first.measures!.codesUsed} → ${last.measures!.codesUsed}`);
    // Brain-masked PSNR per contrast is logged (at 10 mm voxels and a 4³ latent it says little about the anatomy).
    for (const contrast of ['t1', 't1ce', 't2', 'flair']) assert.ok(Number.isFinite(last.measures![`psnr.${contrast}`]), contrast);
    // The run: one model of all four contrasts, the stage recorded, the autoencoder's weights as its one weights file.
    const config = await readRunConfig(join(root, 'brats-run'));
    const methodConfig = parseAldmConfig(config.methodConfig);
    assert.deepEqual(methodConfig.contrasts, ['t1', 't1ce', 't2', 'flair']);
    assert.deepEqual(methodConfig.training, { stage: 'autoencoder', codebookWeight: 1, gan: null, reseedEvery: 100 });
    assert.deepEqual([config.target, config.conditions], ['flair', ['t1', 't1ce', 't2']]);
    assert.deepEqual(config.weights, { [AUTOENCODER]: 'autoencoder.safetensors' });
    const steps = (await TrainingLog.read(join(root, 'brats-run', RUN_FILES.log))).filter((e) => e.kind === 'train');
    assert.ok(steps.every((e) => e.kind === 'train' && e.losses?.rec !== undefined && e.measures?.perplexity !== undefined));
  });

  test('re-seeding dead codes keeps more of the codebook in use than the reference\'s training without it', async () => {
    const codesUsed = async (out: string, reseedEvery: number) => {
      const validations: ValidationEntry[] = [];
      await train(aldmTraining, options(out, { steps: 40, valEvery: 40, methodOptions: { 'reseed-every': reseedEvery } }), { onValidation: (v) => validations.push(v) });
      return validations[validations.length - 1].measures!.codesUsed;
    };
    const [without, withReseeding] = [await codesUsed('no-reseed', 0), await codesUsed('reseed', 10)];
    assert.ok(withReseeding > without, `codes in use after 40 steps: ${without} without re-seeding, ${withReseeding} with it every 10 steps`);
  });

  test('the perceptual loss on a feature network file: logged, recorded with its SHA-256, a changed file refused on resume', async () => {
    // A seeded random width-8 MedicalNet, written as convert --feature-network writes one (weights, name and config).
    manualSeed(21);
    const network = new MedicalNetResNet10(parseMedicalNetConfig('tiny'));
    const features = join(root, 'features.safetensors');
    await saveSafetensors(features, moduleToRaw(network), { model: MEDICALNET_RESNET10, config: JSON.stringify(network.config) });
    network.dispose();
    const result = await train(aldmTraining, options('perceptual', { steps: 2, methodOptions: { perceptual: features, 'perceptual-weight': 0.5 } }));
    const { perceptual } = parseAldmConfig(result.config.methodConfig).training as { perceptual?: { weight: number; network: string; sha256: string } };
    assert.deepEqual(perceptual, { weight: 0.5, network: features, sha256: createHash('sha256').update(await fs.readFile(features)).digest('hex') });
    const steps = (await TrainingLog.read(join(root, 'perceptual', RUN_FILES.log))).filter((e) => e.kind === 'train');
    assert.ok(steps.every((e) => e.kind === 'train' && e.losses!.perceptual > 0 && e.loss > e.losses!.rec + e.losses!.perceptual - 1e-6), JSON.stringify(steps));
    await fs.appendFile(features, ' ');
    await assert.rejects(train(aldmTraining, { out: join(root, 'perceptual'), resume: true, steps: 3 }),
      /feature network .*features\.safetensors changed since the run started/);
    await assert.rejects(train(aldmTraining, options('refused', { methodOptions: { 'perceptual-weight': 2 } })), /--perceptual-weight weighs the perceptual loss, which --perceptual FILE turns on/);
  });

  test('an IXI-style data set gives a three-class model of t1, t2, pd', async () => {
    const result = await train(aldmTraining, options('ixi-run', { data: ixi, steps: 2 }));
    const config = parseAldmConfig(result.config.methodConfig);
    assert.deepEqual(config.contrasts, ['t1', 't2', 'pd']);
    assert.deepEqual([config.autoencoder.numClasses, config.unet.numClasses], [3, 3]);
  });

  test('stage 1 fine-tunes an autoencoder of other contrasts: it starts from the parent\'s, its MS-SPADE afresh for the new contrasts', async () => {
    // The BraTS run's autoencoder (four contrasts) trained 2 steps further on IXI's three, beside the IXI run from scratch.
    const out = join(root, 'ixi-from-brats');
    await train(aldmTraining, { out, data: ixi, config: 'tiny', steps: 2, parent: join(root, 'brats-run'), valSampleSteps: 0 });
    const [parent, tuned, scratch] = await Promise.all([join(root, 'brats-run'), out, join(root, 'ixi-run')]
      .map(async (dir) => (await loadSafetensors(join(dir, 'autoencoder.safetensors'))).tensors));
    const values = (t: (typeof tuned)[string]) => new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4);
    const farthest = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    const shared = Object.keys(tuned).filter((k) => !k.startsWith('spade.') && tuned[k].dtype === 'F32');
    assert.ok(shared.length > 10, `${shared.length} float32 tensors outside MS-SPADE`);
    for (const key of shared) {
      // Two AdamW steps at the `tiny` rate 1e-3 move a weight by at most about 2e-3 (the step's size is bounded by the rate).
      const moved = farthest(values(tuned[key]), values(parent[key]));
      assert.ok(moved <= 2.5e-3, `${key} moved ${moved} from the parent's`);
    }
    // The IXI run from scratch, as far from the parent as two initialisations are: the bound above tells them apart.
    assert.ok(Math.max(...shared.map((key) => farthest(values(scratch[key]), values(parent[key])))) > 0.05, 'a run from scratch is not near the parent');
    // MS-SPADE has the new contrasts' three branches, initialised as the IXI run from scratch (same seed) has them.
    const spadeKeys = Object.keys(tuned).filter((k) => k.startsWith('spade.'));
    assert.deepEqual(spadeKeys.sort(), Object.keys(scratch).filter((k) => k.startsWith('spade.')).sort());
    assert.ok(spadeKeys.length > 0 && !Object.keys(parent).filter((k) => k.startsWith('spade.')).every((k) => spadeKeys.includes(k)),
      'the parent\'s four-branch MS-SPADE has keys the three-branch one lacks');
    for (const key of spadeKeys) assert.deepEqual(values(tuned[key]), values(scratch[key]), `${key}`);
    // A later stage needs its parent's contrasts: MS-SPADE is trained for them.
    await assert.rejects(train(aldmTraining, { out: join(root, 'ixi-spade-on-brats'), data: ixi, config: 'tiny', steps: 1,
      parent: join(root, 'brats-run'), valSampleSteps: 0, methodOptions: { stage: 'spade' } }),
    /the parent run models t1, t1ce, t2, flair, but the data set has t1, t2, pd/);
  });

  test('with the GAN on, a run resumed midway ends bit for bit like the uninterrupted one (both optimisers, draws, data order)', async () => {
    // Re-seeding every 4 steps puts a window across the checkpoint at step 3.
    const gan = { 'gan-start': 2, 'gan-weight': 0.5, 'reseed-every': 4 };
    const whole = await trainWholeAndInHalves((name, steps) => options(name, { steps, checkpointEvery: 3, methodOptions: gan }), 6, 'autoencoder.safetensors');
    assert.deepEqual(parseAldmConfig(whole.config.methodConfig).training, { stage: 'autoencoder', codebookWeight: 1, gan: { start: 2, weight: 0.5 }, reseedEvery: 4 });
    // The steps as logged (the first half's run also validated at its last step, the uninterrupted one did not).
    const log = (dir: string) => TrainingLog.read(join(root, dir, RUN_FILES.log))
      .then((entries) => entries.filter((e) => e.kind === 'train').map(({ seconds: _s, ...rest }) => rest));
    assert.deepEqual(await log('halves'), await log('whole'));
    const steps = await log('whole');
    assert.ok(steps.slice(2).every((e) => e.kind === 'train' && e.losses?.[DISCRIMINATOR] !== undefined && e.measures?.ganWeight !== undefined),
      'from step 2 on each step has a discriminator loss and an adaptive weight');
    assert.equal(steps[0].kind === 'train' && steps[0].losses?.[DISCRIMINATOR], undefined);
    const reseeded = steps.map((e) => (e.kind === 'train' ? e.measures?.reseeded : undefined));
    assert.ok(reseeded[3]! > 0 && reseeded.every((n, i) => i === 3 || n === 0), `codes re-seeded at step 4 only: ${reseeded}`);
  });

  test('stage 2 trains MS-SPADE on the stage-1 run: the translation L1 falls, the rest of the autoencoder stays the parent\'s', async () => {
    const parent = join(root, 'brats-run');
    const validations: ValidationEntry[] = [];
    const result = await train(aldmTraining, { out: join(root, 'spade-run'), data: brats, config: 'tiny', steps: 60, valEvery: 30, parent,
      valSampleSteps: 0, methodOptions: { stage: 'spade' } }, { onValidation: (v) => validations.push(v) });
    const [first, , last] = validations;
    // (Beating no translation at all, the baseline, takes a first stage whose contrasts' latents differ more than a
    // tiny one's after 120 steps; the quality runs measure it.)
    assert.ok(last.loss < 0.2 * first.loss, `latent L1 ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)} should fall by 80 %`);
    assert.ok(Number.isFinite(last.baselineLoss) && ['t1', 't1ce', 't2', 'flair'].every((c) => Number.isFinite(last.measures![`l1.${c}`])));
    assert.deepEqual(parseAldmConfig(result.config.methodConfig).training, { stage: 'spade' });
    const parentConfig = await readRunConfig(parent);
    assert.deepEqual(result.config.preprocess, parentConfig.preprocess, 'a stage sees its cases as its parent did');
    assert.equal(result.config.parent?.path, parent);
    const [theirs, ours] = await Promise.all([parent, join(root, 'spade-run')].map((dir) => loadSafetensors(join(dir, 'autoencoder.safetensors'))));
    const bytes = (file: typeof ours, key: string) => Buffer.from(file.tensors[key].data.buffer, file.tensors[key].data.byteOffset, file.tensors[key].data.byteLength);
    const keys = Object.keys(ours.tensors);
    assert.deepEqual(keys.sort(), Object.keys(theirs.tensors).sort());
    for (const key of keys) {
      const same = bytes(ours, key).equals(bytes(theirs, key));
      assert.equal(same, !key.startsWith('spade.'), `${key} should ${key.startsWith('spade.') ? 'be trained' : 'stay the parent\'s'}`);
    }
  });

  test('stage 2 with --spade-loss decoded fits the decoded translation to the target image: its squared error falls below no translation\'s, resumed bit for bit', async () => {
    const parent = join(root, 'brats-run');
    const validations: ValidationEntry[] = [];
    const result = await train(aldmTraining, { out: join(root, 'spade-decoded'), data: brats, config: 'tiny', steps: 60, valEvery: 30, parent,
      valSampleSteps: 0, methodOptions: { stage: 'spade', 'spade-loss': 'decoded' } }, { onValidation: (v) => validations.push(v) });
    const [first, , last] = validations;
    // Decoded as it is, a source's latent is the source image: another contrast's intensities, far from the target's.
    assert.ok(last.loss < first.loss && last.loss < last.baselineLoss,
      `image squared error ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)}; no translation ${last.baselineLoss.toFixed(4)}`);
    for (const contrast of ['t1', 't1ce', 't2', 'flair']) {
      const psnr = last.measures![`psnr.${contrast}`];
      assert.ok(Number.isFinite(psnr) && psnr > 0 && Number.isFinite(last.measures![`l1.${contrast}`]), `into ${contrast}: ${psnr} dB`);
    }
    assert.deepEqual(parseAldmConfig(result.config.methodConfig).training, { stage: 'spade', loss: 'decoded' });
    await trainWholeAndInHalves((name, steps) => ({ out: join(root, `spade-decoded-${name}`), data: brats, config: 'tiny', steps,
      checkpointEvery: 2, parent, valSampleSteps: 0, methodOptions: { stage: 'spade', 'spade-loss': 'decoded' } }), 4, 'autoencoder.safetensors');
  });

  test('stage 2 with the latent GAN and the cycle term, resumed midway, ends bit for bit like the uninterrupted run', async () => {
    // The tiny latent PatchGAN needs latents of 12 voxels per axis: images of 48³, with a stage-1 parent of their own.
    const big = join(root, 'brats48');
    await writePhantomDataset(big, { cases: 3, shape: [48, 48, 48], spacing: 4, seed: 6 });
    const parent = join(root, 'big-stage1');
    await train(aldmTraining, { out: parent, data: big, config: 'tiny', steps: 1, preprocess: PREPROCESS, valSampleSteps: 0 });
    const methodOptions = { stage: 'spade', 'gan-start': 2, 'cycle-weight': 0.5 };
    const whole = await trainWholeAndInHalves((name, steps) => ({ out: join(root, `spade-${name}`), data: big, config: 'tiny', steps,
      checkpointEvery: 2, parent, valSampleSteps: 0, methodOptions }), 4, 'autoencoder.safetensors');
    assert.deepEqual(parseAldmConfig(whole.config.methodConfig).training,
      { stage: 'spade', gan: { start: 2, weight: 0.1, fakeClass: 'extra' }, cycleWeight: 0.5 });
    const steps = (await TrainingLog.read(join(root, 'spade-whole', RUN_FILES.log))).filter((e) => e.kind === 'train');
    assert.deepEqual(steps.map((e) => (e.kind === 'train' ? Object.keys(e.losses ?? {}).sort().join() : '')),
      ['cycle,l1', 'cycle,l1', 'cycle,discriminator,generator,l1', 'cycle,discriminator,generator,l1']);
  });

  test('stage 3 trains the U-Net on the stage-2 run: ε-loss below the no-noise baseline, EMA, every pair scored, a run that samples by itself', async () => {
    const parent = join(root, 'spade-run');
    const validations: ValidationEntry[] = [];
    const out = join(root, 'ldm-run');
    const result = await train(aldmTraining, { out, data: brats, config: 'tiny', steps: 40, valEvery: 20, parent, valSampleSteps: 2,
      methodOptions: { stage: 'diffusion', 'latent-scale': 4 } }, { onValidation: (v) => validations.push(v) });
    const [first, , last] = validations;
    assert.ok(last.loss < 0.5 * last.baselineLoss && last.lossEma !== undefined && last.lossEma < first.lossEma!,
      `ε-loss ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)} (EMA ${last.lossEma?.toFixed(4)}); predicting no noise ${last.baselineLoss.toFixed(4)}`);
    assert.ok(last.measures!.latentStd > 0);
    const methodConfig = parseAldmConfig(result.config.methodConfig);
    assert.deepEqual([methodConfig.training, methodConfig.latentScale], [{ stage: 'diffusion' }, 4]);
    assert.deepEqual(result.config.weights, { unet: 'unet.safetensors', autoencoder: 'autoencoder.safetensors' });
    // Each validation translated one validation case from every contrast into every other; run.json keeps the latest.
    const recorded = (await readRunConfig(out)).sampledValidation;
    assert.deepEqual(recorded, { step: 40, ...last.translations });
    assert.equal(recorded.sampleSteps, 2);
    const contrasts = ['t1', 't1ce', 't2', 'flair'];
    assert.deepEqual(Object.keys(recorded.scores).sort(), [...contrasts].sort());
    for (const target of contrasts) {
      assert.deepEqual(Object.keys(recorded.scores[target]).sort(), contrasts.filter((c) => c !== target).sort());
      for (const { psnr, ssim } of Object.values(recorded.scores[target])) assert.ok(Number.isFinite(psnr) && psnr > 0 && ssim <= 1, `${target}: ${psnr} dB, SSIM ${ssim}`);
    }
    await assertSamplesByItself(out);
  });

  test('stage 3 with --prediction-type sample regresses the clean latent: at the start its loss is that of predicting zeros, recorded in the schedule, a change refused on resume', async () => {
    const parent = join(root, 'spade-run');
    const validations: ValidationEntry[] = [];
    const out = join(root, 'ldm-x0');
    const result = await train(aldmTraining, { out, data: brats, config: 'tiny', steps: 40, valEvery: 20, parent, valSampleSteps: 0,
      methodOptions: { stage: 'diffusion', 'latent-scale': 4, 'prediction-type': 'sample' } }, { onValidation: (v) => validations.push(v) });
    const [first, , last] = validations;
    // The U-Net's head starts at zero, so before training it predicts zeros: its loss is the baseline's, whatever it regresses.
    assert.ok(Math.abs(first.loss - first.baselineLoss) <= 1e-6 * first.baselineLoss, `step 0: ${first.loss} against predicting zeros ${first.baselineLoss}`);
    // What it regresses is the clean latent (times the scale 4), not the unit-variance noise the ε-run's baseline measures on the same draws.
    const epsilonBaseline = (await TrainingLog.read(join(root, 'ldm-run', RUN_FILES.log))).find((e) => e.kind === 'validation');
    assert.ok(epsilonBaseline?.kind === 'validation' && Math.abs(epsilonBaseline.baselineLoss - 1) < 0.3
      && Math.abs(first.baselineLoss - epsilonBaseline.baselineLoss) > 0.5, `predicting zeros: ${first.baselineLoss} here, `
      + `${epsilonBaseline?.kind === 'validation' ? epsilonBaseline.baselineLoss : '?'} for ε`);
    assert.ok(last.loss < 0.5 * last.baselineLoss, `x₀-loss ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)}; predicting zeros ${last.baselineLoss.toFixed(4)}`);
    assert.deepEqual(parseAldmConfig(result.config.methodConfig).training, { stage: 'diffusion', predictionType: 'sample' });
    assert.equal((await readRunConfig(out)).schedule.predictionType, 'sample');
    await assertSamplesByItself(out);
    await assert.rejects(train(aldmTraining, { out, resume: true, steps: 60, methodOptions: { 'prediction-type': 'epsilon' } }),
      /trained with another configuration[\s\S]*predictionType/);
  });

  test("stage 3 with --prediction-type residual learns what MS-SPADE's translation misses: it starts from the translation's own loss and goes below it", async () => {
    const parent = join(root, 'spade-run');
    const validations: ValidationEntry[] = [];
    const out = join(root, 'ldm-residual');
    const result = await train(aldmTraining, { out, data: brats, config: 'tiny', steps: 40, valEvery: 20, parent, valSampleSteps: 0,
      methodOptions: { stage: 'diffusion', 'latent-scale': 4, 'prediction-type': 'residual' } }, { onValidation: (v) => validations.push(v) });
    const [first, , last] = validations;
    // The baseline is the translation taken for x₀; the zero-initialised head adds nothing to it at step 0.
    assert.ok(Math.abs(first.loss - first.baselineLoss) <= 1e-6 * first.baselineLoss, `step 0: ${first.loss} against the translation's ${first.baselineLoss}`);
    // On the same draws, that is not the loss of a latent of zeros (the x₀-run's baseline): the translation is taken away.
    const zeros = (await TrainingLog.read(join(root, 'ldm-x0', RUN_FILES.log))).find((e) => e.kind === 'validation');
    assert.ok(zeros?.kind === 'validation' && Math.abs(first.baselineLoss - zeros.baselineLoss) > 0.01 * zeros.baselineLoss,
      `the translation's loss ${first.baselineLoss} against zeros' ${zeros?.kind === 'validation' ? zeros.baselineLoss : '?'}`);
    assert.ok(last.loss < last.baselineLoss, `residual loss ${first.loss.toFixed(4)} → ${last.loss.toFixed(4)}; the translation's ${last.baselineLoss.toFixed(4)}`);
    assert.deepEqual(parseAldmConfig(result.config.methodConfig).training, { stage: 'diffusion', predictionType: 'residual' });
    assert.equal((await readRunConfig(out)).schedule.predictionType, 'sample');
    await assertSamplesByItself(out);
    await assert.rejects(train(aldmTraining, { out, resume: true, steps: 60, methodOptions: { 'prediction-type': 'sample' } }),
      /trained with another configuration[\s\S]*predictionType/);
  });

  test('a stop while the cases are read or encoded returns after that case, writing nothing: no new run, a resumed one as it was', async () => {
    const parent = join(root, 'spade-run');
    const progress: PreparationProgress[] = [];
    const stopAt = (phase: PreparationProgress['phase'], done: number) => {
      const controller = new AbortController();
      return {
        signal: controller.signal,
        callbacks: { onPreparing: (p: PreparationProgress) => { progress.push(p); if (p.phase === phase && p.done === done) controller.abort(); } },
      };
    };
    // A new stage-3 run stopped while its frozen first stage encodes the third case: all 6 cases were read first.
    const fresh = stopAt('preparing', 3);
    const out = join(root, 'ldm-stopped');
    const stopped = await train(aldmTraining, { out, data: brats, config: 'tiny', steps: 4, parent, valSampleSteps: 0, methodOptions: { stage: 'diffusion' },
      signal: fresh.signal }, fresh.callbacks);
    assert.deepEqual([stopped.interrupted, stopped.stoppedBeforeTraining, stopped.step], [true, true, 0]);
    assert.deepEqual(progress.map((p) => `${p.phase} ${p.done}/${p.total}`),
      [...[0, 1, 2, 3, 4, 5, 6].map((n) => `reading ${n}/6`), ...[0, 1, 2, 3].map((n) => `preparing ${n}/6`)]);
    assert.equal(existsSync(out), false, 'the new run left its folder behind');
    // A resumed run stopped while reading: its files are untouched.
    const resumedRun = join(root, 'ldm-run');
    const before = await Promise.all([RUN_FILES.checkpoint, RUN_FILES.config, RUN_FILES.log].map((f) => fs.readFile(join(resumedRun, f))));
    const again = stopAt('reading', 2);
    const resumed = await train(aldmTraining, { out: resumedRun, resume: true, steps: 80, signal: again.signal }, again.callbacks);
    assert.deepEqual([resumed.interrupted, resumed.stoppedBeforeTraining], [true, true]);
    const after = await Promise.all([RUN_FILES.checkpoint, RUN_FILES.config, RUN_FILES.log].map((f) => fs.readFile(join(resumedRun, f))));
    after.forEach((bytes, i) => assert.ok(bytes.equals(before[i]), `file ${i} of the resumed run changed`));
  });

  test('stage 3 measures its latent scale, and resumed midway ends bit for bit like the uninterrupted run (U-Net, its EMA, AdamW, draws)', async () => {
    const parent = join(root, 'spade-run');
    const run = (name: string, steps: number): TrainOptions => ({ out: join(root, `ldm-${name}`), data: brats, config: 'tiny', steps, checkpointEvery: 2,
      parent, valSampleSteps: 0, methodOptions: { stage: 'diffusion' } });
    await trainWholeAndInHalves(run, 4, 'unet.safetensors');
    // Without --latent-scale the run measured its own: 1 / the training latents' standard deviation, recorded; the
    // validation latents come out near unit variance with it.
    const { latentScale } = parseAldmConfig((await readRunConfig(join(root, 'ldm-whole'))).methodConfig);
    assert.ok(typeof latentScale === 'number' && latentScale > 1, `measured latent scale ${latentScale}`);
    const validation = (await TrainingLog.read(join(root, 'ldm-whole', RUN_FILES.log))).find((e) => e.kind === 'validation');
    const std = validation?.kind === 'validation' ? validation.measures!.latentStd : Number.NaN;
    assert.ok(std > 0.5 && std < 2, `validation latents' standard deviation after scaling: ${std}`);
    await assert.rejects(train(aldmTraining, { ...run('refused', 2), parent: join(root, 'brats-run') }),
      /the parent run trained stage autoencoder; stage diffusion is trained on a stage-spade run/);
  });

  test('stage 2 refuses a missing or unfit parent and stage-1 options', async () => {
    const spade = { stage: 'spade' };
    await assert.rejects(train(aldmTraining, options('refused', { methodOptions: spade })), /takes autoencoder from the run it is trained on top of; name that run/);
    await assert.rejects(train(aldmTraining, options('refused', { config: 'cpu', parent: join(root, 'brats-run'), methodOptions: spade })),
      /the parent run has another autoencoder than --config asks for \(8 wide, 256 codes against 32 and 8192\)/);
    await assert.rejects(train(aldmTraining, options('refused', { parent: join(root, 'ixi-run'), methodOptions: spade })),
      /the parent run models t1, t2, pd, but the data set has t1, t1ce, t2, flair/);
    await assert.rejects(train(aldmTraining, options('refused', { parent: join(root, 'brats-run'), methodOptions: { ...spade, 'reseed-every': 5 } })),
      /--reseed-every is not an option of stage spade \(its options: --gan-start, --gan-weight, --fake-class, --cycle-weight, --spade-loss\)/);
    await assert.rejects(train(aldmTraining, options('refused', { parent: join(root, 'brats-run'), methodOptions: { ...spade, 'fake-class': 'zero' } })),
      /--fake-class belongs to the latent GAN, which --gan-start turns on/);
    await assert.rejects(train(aldmTraining, options('refused', { parent: join(root, 'brats-run'), methodOptions: { ...spade, 'gan-start': 0 } })),
      /the latent PatchGAN needs latents of at least 12 voxels per axis \(2 halvings and two shortenings\), but this data set's latents are 4×4×4 \(images of 16×16×16\)/);
  });

  test('refuses what does not fit: a target, a GAN weight without the GAN, a changed option on resume', async () => {
    await assert.rejects(train(aldmTraining, { ...options('refused'), target: 't1ce' }), /learns every target among t1, t1ce, t2, flair; it takes no target \(got t1ce\)/);
    await assert.rejects(train(aldmTraining, options('refused', { methodOptions: { 'gan-weight': 0.5 } })), /--gan-weight weighs the GAN, which --gan-start turns on/);
    await train(aldmTraining, options('changed', { steps: 1 }));
    await assert.rejects(train(aldmTraining, { out: join(root, 'changed'), resume: true, steps: 2, methodOptions: { 'codebook-weight': 0.25 } }),
      /trained with another configuration[\s\S]*codebookWeight/);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverDataset, splitCases } from '../../data/index.js';
import { loadModule } from '../../nn/index.js';
import { LOCK_FILE, processIdentity } from '../../io/index.js';
import { readNifti, writeNifti } from '../../io/nifti/index.js';
import { loadSafetensors } from '../../io/safetensors/index.js';
import { CwdmUNet, parseCwdmUNetConfig } from '../../models/wdm/index.js';
import { PRECISIONS } from '../../nn/index.js';
import { RUN_FILES, configHash, readRun, readRunConfig } from '../../runs/index.js';
import { memory, setNumThreads } from '../../tensor/index.js';
import { writePhantomDataset } from '../../training/phantomDataset.testSupport.js';
import { trainCwdm, type TrainCwdmOptions } from './cwdmTraining.js';
import { TrainingLog, type TrainingLogEntry, type ValidationEntry } from '../../training/index.js';

// One thread: bit-exact comparisons need a fixed thread count, and on a loaded 2-core machine it is also the fastest.
setNumThreads(1);

/** Model grid of the phantoms as they are: reoriented, normalised, no crop, so every case is 24³ (8 mm voxels). */
const PREPROCESS = { preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'pad', multiple: [8, 8, 8] }] };

describe('trainCwdm', () => {
  let root: string;
  let data: string;
  const options = (out: string, extra: Partial<TrainCwdmOptions> = {}): TrainCwdmOptions => ({
    out: join(root, out), data, target: 't1ce', config: 'tiny', steps: 8, preprocess: PREPROCESS, valSampleSteps: 0, ...extra,
  });
  const withoutTimes = (entries: TrainingLogEntry[]) => entries.map(({ seconds: _time, ...rest }) => rest);

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-train-'));
    data = join(root, 'data');
    await writePhantomDataset(data, { cases: 6, shape: [24, 24, 24], spacing: 8, seed: 1 });
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('a tiny model more than halves the fixed validation loss and ends below the mean-coefficient baseline', async () => {
    const before = memory().numTensors;
    const validations: ValidationEntry[] = [];
    const result = await trainCwdm(options('learn', { steps: 120, valEvery: 60, valSampleSteps: 4 }), {
      onValidation: (entry) => validations.push(entry),
    });
    assert.equal(memory().numTensors, before, 'trainCwdm leaves no tensors behind');
    assert.deepEqual(validations.map((v) => v.step), [0, 60, 120]);
    const [first, , last] = validations;
    assert.ok(last.loss <= 0.5 * first.loss, `validation loss ${first.loss.toFixed(5)} → ${last.loss.toFixed(5)} should at least halve`);
    assert.ok(last.lossEma !== undefined && last.lossEma < last.baselineLoss && last.loss < last.baselineLoss,
      `final loss ${last.loss.toFixed(5)} (EMA ${last.lossEma?.toFixed(5)}) should be below the mean-coefficient baseline ${last.baselineLoss.toFixed(5)}`);
    assert.ok(last.sample !== undefined && last.sample.psnr > first.sample!.psnr && last.sample.ssim > first.sample!.ssim,
      `sampled case should improve: ${JSON.stringify(first.sample)} → ${JSON.stringify(last.sample)}`);

    // The run folder: config, EMA weights that load into the network it describes, one log line per step.
    const run = await readRun(join(root, 'learn'));
    assert.deepEqual(run.config, result.config);
    assert.deepEqual(run.config.conditions, ['t1', 't2', 'flair']);
    assert.deepEqual(run.config.data.voxelSize, [8, 8, 8], 'the voxel size every case shares, for completion to check scans against');
    const model = new CwdmUNet(parseCwdmUNetConfig(run.config.methodConfig));
    const { metadata } = await loadModule(run.weightPaths.unet, model);
    model.dispose();
    assert.equal(metadata.step, '120');
    assert.equal(metadata.config_hash, configHash(run.config));
    const log = await TrainingLog.read(join(root, 'learn', RUN_FILES.log));
    assert.equal(log.filter((e) => e.kind === 'train').length, 120);
  });

  test('bf16: float32 masters; the loss at least halves, close to the fp32 run\'s but not equal; checkpoints hold float32', async () => {
    const losses: Record<string, ValidationEntry[]> = {};
    for (const precision of PRECISIONS) {
      losses[precision] = [];
      await trainCwdm(options(`learn-${precision}`, { steps: 60, valEvery: 60, precision }), {
        onValidation: (entry) => losses[precision].push(entry),
      });
    }
    const [first, last] = losses.bf16;
    assert.ok(last.loss <= 0.5 * first.loss && last.loss < last.baselineLoss,
      `bf16 validation loss ${first.loss.toFixed(5)} → ${last.loss.toFixed(5)} should at least halve and end below the baseline ${last.baselineLoss.toFixed(5)}`);
    // bfloat16 rounds the network's arithmetic to 8 significant bits; the float32 masters keep the trajectory
    // near fp32's (measured 0.05 % apart after 60 steps), but not on it.
    const fp32 = losses.fp32[1].loss;
    assert.ok(Math.abs(last.loss - fp32) <= 0.05 * fp32 && last.loss !== fp32, `bf16 ${last.loss} vs fp32 ${fp32} at step 60`);

    assert.equal((await readRunConfig(join(root, 'learn-bf16'))).training.precision, 'bf16');
    for (const file of [RUN_FILES.checkpoint, RUN_FILES.weights]) {
      const { tensors } = await loadSafetensors(join(root, 'learn-bf16', file));
      const floats = new Set(Object.values(tensors).map((t) => t.dtype).filter((d) => d !== 'U8'));
      assert.deepEqual([...floats], ['F32'], `${file} holds float32 weights (and byte-encoded generator states)`);
    }
  });

  for (const precision of PRECISIONS) test(`${precision}: stopping at step k and resuming to 2k matches the uninterrupted run bit for bit`, async () => {
    const schedule = { valEvery: 3, checkpointEvery: 100, valSampleSteps: 0 };
    const common = { steps: 8, batchSize: 2, gradClip: 0.5, precision, ...schedule };
    const [straight, resumedRun] = [`straight-${precision}`, `resumed-${precision}`];
    await trainCwdm(options(straight, common));

    const controller = new AbortController();
    const stopped = await trainCwdm(options(resumedRun, { ...common, signal: controller.signal }), {
      onStep: (entry) => { if (entry.step === 4) controller.abort(); },
    });
    assert.deepEqual({ step: stopped.step, interrupted: stopped.interrupted }, { step: 4, interrupted: true });
    // Steps past the checkpoint that reached the log before a crash are dropped on resume.
    await fs.appendFile(join(root, resumedRun, RUN_FILES.log), `${JSON.stringify({ kind: 'train', step: 5, loss: 1 })}\n`);
    // Only the step count and the (unrecorded) validation and checkpoint schedule are given; the rest, the
    // precision included, comes from run.json.
    const resumed = await trainCwdm({ out: join(root, resumedRun), resume: true, steps: 8, ...schedule });
    assert.deepEqual({ step: resumed.step, interrupted: resumed.interrupted, precision: resumed.config.training.precision },
      { step: 8, interrupted: false, precision });

    for (const file of [RUN_FILES.checkpoint, RUN_FILES.weights, RUN_FILES.config]) {
      assert.ok(readFileSync(join(root, straight, file)).equals(readFileSync(join(root, resumedRun, file))), `${file} differs`);
    }
    const straightLog = await TrainingLog.read(join(root, straight, RUN_FILES.log));
    assert.deepEqual(withoutTimes(await TrainingLog.read(join(root, resumedRun, RUN_FILES.log))), withoutTimes(straightLog));
    assert.deepEqual(straightLog.filter((e) => e.kind === 'validation').map((e) => e.step), [0, 3, 6, 8]);
  });

  test('a learning-rate decay added when resuming gives the run that had it from the start; one that rewrites the past is refused', async () => {
    const schedule = { valEvery: 100, checkpointEvery: 100, valSampleSteps: 0 };
    const lrDecay = { shape: 'cosine' as const, from: 4, to: 7, final: 1e-4 };
    await trainCwdm(options('decay-straight', { ...schedule, steps: 8, lrDecay }));
    await trainCwdm(options('decay-added', { ...schedule, steps: 4 }));
    await assert.rejects(trainCwdm({ out: join(root, 'decay-added'), resume: true, steps: 8, ...schedule, lrDecay: { ...lrDecay, from: 2 } }),
      /train cwdm: the learning rate asked for \(0\.001, cosine decay to 0\.0001 over steps 2–7\) would change step 3 of the 4 the run in .*decay-added has taken \(0\.001 then, 0\.000\d+ now\); a decay added to a run must start at step 4 or later/);
    await assert.rejects(trainCwdm({ out: join(root, 'decay-added'), resume: true, steps: 8, lrDecay: { to: 7 } }),
      /train cwdm: the decay's steps or final rate were given, but not its shape \(linear or cosine\), and the run has no decay to change/);
    const notices: string[] = [];
    await trainCwdm({ out: join(root, 'decay-added'), resume: true, steps: 8, ...schedule, lrDecay }, { onNotice: (m) => notices.push(m) });
    assert.deepEqual(notices, ['the learning-rate decay ends at step 7; the 1 step(s) after it train at its final rate, 0.0001']);

    for (const file of [RUN_FILES.checkpoint, RUN_FILES.weights, RUN_FILES.config]) {
      assert.ok(readFileSync(join(root, 'decay-straight', file)).equals(readFileSync(join(root, 'decay-added', file))), `${file} differs`);
    }
    const rates = (await TrainingLog.read(join(root, 'decay-added', RUN_FILES.log))).flatMap((e) => (e.kind === 'train' ? [e.lr] : []));
    // Steps 0–4 at lr; then 1e-4 + 9e-4·(1 + cos(π·k/3))/2 for k = 1, 2; the final rate from step 7 (the log counts from 1).
    const expected = [1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-4 + 9e-4 * 0.75, 1e-4 + 9e-4 * 0.25, 1e-4];
    rates.forEach((rate, i) => assert.ok(Math.abs(rate - expected[i]) < 1e-15, `step ${i + 1}: lr ${rate}, expected ${expected[i]}`));
    assert.equal(rates.length, 8);
  });

  test('a run records when it checkpoints and validates; a plain resume keeps it, a flag changes it with a notice', async () => {
    const run = join(root, 'cadence');
    await trainCwdm(options('cadence', { steps: 2, checkpointEvery: 2, valEvery: 3, valTriples: 2 }));
    assert.deepEqual((await readRunConfig(run)).training.cadence, { checkpointEvery: 2, valEvery: 3, valTriples: 2, valSampleSteps: 0 });
    const checkpoints: number[] = [];
    const validations: number[] = [];
    await trainCwdm({ out: run, resume: true, steps: 7 }, { onCheckpoint: (s) => checkpoints.push(s), onValidation: (v) => validations.push(v.step) });
    assert.deepEqual(checkpoints, [4, 6, 7], 'every 2 steps as recorded, and at the end');
    assert.deepEqual(validations, [3, 6, 7]);
    const notices: string[] = [];
    const more = await trainCwdm({ out: run, resume: true, steps: 8, checkpointEvery: 5 }, { onNotice: (m) => notices.push(m) });
    assert.match(notices.join('\n'), /changing what the run recorded: checkpointEvery 2 → 5/);
    assert.equal(more.config.training.cadence!.checkpointEvery, 5);
  });

  test('a run folder is locked: a second process resuming it is refused; leftovers of a killed checkpoint write are removed', async () => {
    const run = join(root, 'locked');
    await trainCwdm(options('locked', { steps: 2 }));
    const log = readFileSync(join(run, RUN_FILES.log), 'utf8');
    // Another live process holds the lock, as a concurrent `train --resume` would.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      await new Promise((done) => other.once('spawn', done));
      writeFileSync(join(run, LOCK_FILE), JSON.stringify({ ...processIdentity(other.pid!), command: 'mrsynth train cwdm --resume', since: 'now' }));
      await assert.rejects(trainCwdm({ out: run, resume: true, steps: 4 }),
        new RegExp(`train cwdm: .*locked is in use by process ${other.pid} \\(mrsynth train cwdm --resume, since now\\)`));
      assert.equal(readFileSync(join(run, RUN_FILES.log), 'utf8'), log, 'the refused resume changed nothing');
    } finally {
      other.kill('SIGKILL');
    }
    await new Promise((done) => other.once('exit', done));
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const leftover = `.checkpoint.safetensors.tmp-${gone}-0123abcd`;
    writeFileSync(join(run, leftover), new Uint8Array(1000));
    const notices: string[] = [];
    const resumed = await trainCwdm({ out: run, resume: true, steps: 3 }, { onNotice: (m) => notices.push(m) });
    assert.equal(resumed.step, 3);
    assert.match(notices.join('\n'), new RegExp(`removing the lock of process ${other.pid} .*which is gone`));
    assert.match(notices.join('\n'), new RegExp(`removed 1 temporary file\\(s\\) .* that an interrupted write left: \\${leftover}`));
    assert.ok(!existsSync(join(run, leftover)) && !existsSync(join(run, LOCK_FILE)));
  });

  test('resuming with a changed configuration is refused, naming what differs', async () => {
    await trainCwdm(options('changed', { steps: 2 }));
    const notices: string[] = [];
    const idle = await trainCwdm({ out: join(root, 'changed'), resume: true, steps: 2 }, { onNotice: (m) => notices.push(m) });
    assert.deepEqual({ step: idle.step, steps: idle.config.training.steps }, { step: 2, steps: 2 });
    assert.match(notices.join('\n'), /the run is at step 2 already, not below the 2 asked for; nothing to train/);
    await assert.rejects(trainCwdm({ out: join(root, 'changed'), resume: true, steps: 4, lr: 2e-4, seed: 5 }),
      /train cwdm: the run in .*changed was trained with another configuration \(hash [0-9a-f]{16}, now [0-9a-f]{16}\); it differs in training.lr: 0.001 → 0.0002; training.seed: 0 → 5/);
    await assert.rejects(trainCwdm(options('changed', { steps: 4 })), /train cwdm: .*changed already holds a run \(run.json\); resume it/);

    // A run.json written before `precision` existed is an fp32 run, with the hash it had then.
    const path = join(root, 'changed', RUN_FILES.config);
    const { training: { precision, ...training }, ...rest } = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(precision, 'fp32');
    await fs.writeFile(path, JSON.stringify({ ...rest, training }));
    const old = await trainCwdm({ out: join(root, 'changed'), resume: true, steps: 3 });
    assert.deepEqual({ step: old.step, precision: old.config.training.precision }, { step: 3, precision: 'fp32' });
    await assert.rejects(trainCwdm({ out: join(root, 'changed'), resume: true, steps: 4, precision: 'bf16' }),
      /it differs in training.precision: "fp32" → "bf16"/);
  });

  test('--flip-lr 1 trains exactly what the mirrored data set trains without flips; 0.5 resumes bit for bit; a grid not reoriented is refused', async () => {
    // The phantoms are stored LPS: their first stored axis is left–right, so flipping it mirrors each brain, as
    // flipLr mirrors the (RAS) model grid's first axis.
    const mirroredData = join(root, 'mirrored');
    for (const c of (await discoverDataset(data)).cases) {
      for (const path of Object.values(c.contrasts)) {
        const image = await readNifti(path);
        const { shape, data: voxels } = image.volume;
        const flipped = new Float32Array(voxels.length);
        for (let i = 0; i < voxels.length; i++) {
          const x = i % shape[0];
          flipped[i - x + (shape[0] - 1 - x)] = voxels[i];
        }
        const out = join(mirroredData, path.slice(data.length));
        await fs.mkdir(join(out, '..'), { recursive: true });
        await writeNifti(out, { ...image.volume, data: flipped }, { like: image.header, datatype: 'float32' });
      }
    }
    const flipped = await trainCwdm(options('flip-always', { steps: 4, flipLr: 1 }));
    assert.equal(flipped.config.training.flipLr, 1);
    await trainCwdm({ ...options('mirrored-data', { steps: 4 }), data: mirroredData });
    // The files' metadata name their configs (data path, flips), so their tensors are compared, byte for byte.
    const weights = async (name: string) => {
      const { tensors } = await loadSafetensors(join(root, name, RUN_FILES.weights));
      return Buffer.concat(Object.keys(tensors).sort().map((key) => Buffer.from(tensors[key].data)));
    };
    assert.ok((await weights('flip-always')).equals(await weights('mirrored-data')), 'trained on mirrored samples, the weights equal those trained on mirrored data');
    const unflipped = await trainCwdm(options('flip-never', { steps: 4 }));
    assert.notEqual(configHash(unflipped.config), configHash(flipped.config));
    assert.ok(!(await weights('flip-never')).equals(await weights('flip-always')));

    await trainCwdm(options('flip-half-whole', { steps: 6, checkpointEvery: 3, flipLr: 0.5 }));
    await trainCwdm(options('flip-half-halves', { steps: 3, checkpointEvery: 3, flipLr: 0.5 }));
    await trainCwdm({ out: join(root, 'flip-half-halves'), resume: true, steps: 6 });
    assert.ok((await weights('flip-half-whole')).equals(await weights('flip-half-halves')), 'a resumed run draws the same flips');
    await assert.rejects(trainCwdm(options('flip-refused', { steps: 1, flipLr: 0.5,
      preprocess: { preset: 'custom', steps: [{ kind: 'intensity', preset: 'cwdm' }, { kind: 'pad', multiple: [8, 8, 8] }] } })),
    /flip-lr mirrors the model grid's first axis, which is left–right only after reorientation to RAS/);
  });

  test('a case without a needed contrast is refused by name', async () => {
    const gappy = join(root, 'gappy');
    await fs.cp(data, gappy, { recursive: true });
    const dataset = await discoverDataset(gappy);
    const victim = splitCases(dataset.cases, { seed: 0 }).train[1];
    await fs.rm(victim.contrasts.t2!);
    await assert.rejects(trainCwdm(options('gappy-run', { data: gappy })),
      new RegExp(`checkCasesHaveRoles: every case needs the target t1ce and the conditions t1, t2, flair, but 1 do not: ${victim.id} lacks t2`));
    await assert.rejects(trainCwdm(options('pd-run', { target: 'pd' })),
      /cwdmRoles: target 'pd' is not a contrast of .*data \(it has t1, t1ce, t2, flair\)/);
  });

  test('cases at different voxel sizes train, with a notice, and record none', async () => {
    const mixed = join(root, 'mixed');
    await fs.cp(data, mixed, { recursive: true });
    const coarse = splitCases((await discoverDataset(mixed)).cases, { seed: 0 }).train[1];
    for (const path of Object.values(coarse.contrasts)) {
      const { volume } = await readNifti(path);
      const affine = Float64Array.from(volume.affine);
      for (const i of [0, 1, 2, 4, 5, 6, 8, 9, 10]) affine[i] *= 1.5;
      await writeNifti(path, { ...volume, affine }, { overwrite: true });
    }
    const notices: string[] = [];
    const result = await trainCwdm(options('mixed-run', { data: mixed, steps: 1 }), { onNotice: (m) => notices.push(m) });
    assert.match(notices.join('\n'), new RegExp(`the cases come at different voxel sizes \\(.*: 8×8×8 mm, ${coarse.id}: 12×12×12 mm on the model grid\\)`));
    assert.equal(result.config.data.voxelSize, undefined);
  });

  test('a run that would not fit in memory is refused with both numbers', async () => {
    await assert.rejects(trainCwdm(options('huge', { memoryLimit: 2 ** 28 })),
      /checkTrainingMemory: training 4-channel cWDM on a \[24,24,24\] grid with batch 1 and \d+ cached cases would need about 0\.\d\d GiB \(weights .*\), but only 0\.25 GiB is available/);
  });
});

/**
 * A second method, shaped like ALDM (src/methods/latentToy.testSupport.ts), registered from outside the package's
 * code and run end to end through the same command line, registry, generic trainer, run folder and completion as
 * cWDM: a codec stage that steps two networks with two optimisers one after the other, a diffusion stage trained on
 * top of it (ε-prediction) that keeps the inherited codec in a second weights file, and completion with that.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCase } from '../completion/completionFixtures.testSupport.js';
import { readNifti } from '../io/nifti/index.js';
import { loadSafetensors } from '../io/safetensors/index.js';
import { registerMethod } from '../methods/index.js';
import { LATENT_TOY, latentToyMethod } from '../methods/latentToy.testSupport.js';
import { configHash, readRunConfig } from '../runs/index.js';
import { setNumThreads } from '../tensor/index.js';
import { writePhantomDataset } from '../training/phantomDataset.testSupport.js';
import { inProcessCommand } from './commandRunner.testSupport.js';
import { registerCompleteCommand } from './complete.js';
import { registerTrainCommand } from './train.js';

// One thread: the resumed run is compared bit for bit with the straight one.
setNumThreads(1);
registerMethod(latentToyMethod);

const PREPROCESS = JSON.stringify({ preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'pad', multiple: [8, 8, 8] }] });

describe('a second, ALDM-shaped method through the same registry, trainer, run folder and completion', () => {
  let root: string;
  let data: string;
  const train = inProcessCommand(registerTrainCommand, 'train', LATENT_TOY);
  const complete = inProcessCommand(registerCompleteCommand, 'complete');
  const common = () => ['--data', data, '--target', 't1ce', '--preprocess', PREPROCESS, '--val-every', '3', '--checkpoint-every', '3'];
  const sha256 = async (path: string) => createHash('sha256').update(await fs.readFile(path)).digest('hex');

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-second-method-'));
    data = join(root, 'data');
    await writePhantomDataset(data, { cases: 5, shape: [24, 24, 24], spacing: 8, seed: 1 });
    await writeCase(join(root, 'cases'), 'brats2021', 'held-out', 3, ['t1', 't2', 'flair']);
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('the codec stage steps two networks with their own optimisers, one after the other, and resumes exactly', async () => {
    const codec = join(root, 'codec');
    assert.equal(await train(...common(), '--config', 'codec', '--steps', '6', '--out', codec), 0);
    const config = await readRunConfig(codec);
    assert.equal(config.method, LATENT_TOY);
    assert.deepEqual(config.weights, { codec: 'codec.safetensors' });
    assert.deepEqual((await fs.readdir(codec)).sort(), ['checkpoint.safetensors', 'codec.safetensors', 'log.jsonl', 'run.json']);

    const { tensors, metadata } = await loadSafetensors(join(codec, 'checkpoint.safetensors'));
    const optimizers = JSON.parse(metadata.optimizers) as Record<string, { steps: Record<string, number> }>;
    assert.deepEqual(Object.keys(optimizers).sort(), ['codec', 'critic']);
    for (const [name, { steps }] of Object.entries(optimizers)) {
      assert.ok(Object.values(steps).length > 0 && Object.values(steps).every((n) => n === 6), `${name} stepped once per step: ${JSON.stringify(steps)}`);
    }
    assert.deepEqual(Object.keys(JSON.parse(metadata.emas)), ['codec'], 'the codec is averaged, the critic is not');
    assert.ok('network.critic.0.weight' in tensors && 'ema.codec.encoder.weight' in tensors && !('ema.critic.0.weight' in tensors));

    const log = (await fs.readFile(join(codec, 'log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    const steps = log.filter((entry) => entry.kind === 'train');
    assert.equal(steps.length, 6);
    for (const entry of steps) assert.ok(Number.isFinite(entry.losses.codec) && Number.isFinite(entry.losses.critic), JSON.stringify(entry));
    const validations = log.filter((entry) => entry.kind === 'validation');
    assert.deepEqual(validations.map((v) => v.step), [0, 3, 6]);
    assert.ok(validations[2].loss < validations[0].loss, `reconstruction improves: ${validations[0].loss} → ${validations[2].loss}`);

    // Stopped at 3 and resumed to 6, the run holds what the straight run holds, bit for bit, both networks and both optimisers.
    const resumed = join(root, 'codec-resumed');
    assert.equal(await train(...common(), '--config', 'codec', '--steps', '3', '--out', resumed), 0);
    assert.equal(await train(...common(), '--steps', '6', '--resume', resumed), 0);
    const again = await loadSafetensors(join(resumed, 'checkpoint.safetensors'));
    assert.deepEqual(Object.keys(again.tensors).sort(), Object.keys(tensors).sort());
    for (const [name, raw] of Object.entries(tensors)) {
      assert.ok(Buffer.from(again.tensors[name].data).equals(Buffer.from(raw.data)), `${name} differs after resuming`);
    }
  });

  test('the diffusion stage inherits the codec from its parent, keeps it in a second weights file, and completes a case', async () => {
    const codec = join(root, 'codec');
    const diffusion = join(root, 'diffusion');
    assert.equal(await train(...common(), '--config', 'diffusion', '--parent', codec, '--steps', '4', '--val-sample-steps', '2', '--out', diffusion), 0);
    const config = await readRunConfig(diffusion);
    assert.equal(config.schedule.predictionType, 'epsilon');
    assert.deepEqual(config.weights, { denoiser: 'weights.safetensors', codec: 'codec.safetensors' });
    assert.deepEqual(config.parent, {
      path: codec, configHash: configHash(await readRunConfig(codec)), weights: { 'codec.safetensors': await sha256(join(codec, 'codec.safetensors')) },
    });
    // The codec was frozen: the child's copy holds the parent's tensors unchanged after training.
    const [theirs, ours] = await Promise.all([join(codec, 'codec.safetensors'), join(diffusion, 'codec.safetensors')].map((path) => loadSafetensors(path)));
    assert.deepEqual(Object.keys(ours.tensors).sort(), Object.keys(theirs.tensors).sort());
    for (const [name, raw] of Object.entries(theirs.tensors)) assert.ok(Buffer.from(ours.tensors[name].data).equals(Buffer.from(raw.data)), name);
    const { metadata } = await loadSafetensors(join(diffusion, 'checkpoint.safetensors'));
    assert.deepEqual(Object.keys(JSON.parse(metadata.optimizers)), ['denoiser']);

    const out = join(root, 'completed');
    assert.equal(await complete(join(root, 'cases', 'held-out'), '--models', diffusion, '--out', out, '--sampler', 'ddim', '--steps', '3', '--seed', '2'), 0);
    const [synthesised, input] = await Promise.all([join(out, 'held-out_t1ce.nii.gz'), join(root, 'cases', 'held-out', 'held-out_t1.nii.gz')].map(readNifti));
    assert.deepEqual([...synthesised.volume.affine], [...input.volume.affine], 'the output carries the geometry of its inputs');
    assert.deepEqual(synthesised.volume.shape, input.volume.shape);
    assert.ok((synthesised.volume.data as Float32Array).every(Number.isFinite));
    const sidecar = JSON.parse(await fs.readFile(join(out, 'held-out_t1ce.json'), 'utf8'));
    assert.equal(sidecar.model.weightsSha256, await sha256(join(diffusion, 'weights.safetensors')));
  });

  test('a stage without the parent it needs, a wrong parent, and completion with a codec run are refused, naming why', async () => {
    await assert.rejects(train(...common(), '--config', 'diffusion', '--steps', '2', '--out', join(root, 'orphan')),
      /train latent-toy: this config takes codec from the run it is trained on top of; name that run \(parent\)/);
    await assert.rejects(train(...common(), '--config', 'diffusion', '--steps', '2', '--parent', join(root, 'diffusion'), '--out', join(root, 'wrong-parent')),
      /a latent-toy diffusion stage needs a codec-stage parent with 2 latent channels/);
    await assert.rejects(complete(join(root, 'cases', 'held-out'), '--models', join(root, 'codec'), '--out', join(root, 'no')),
      /a latent-toy codec-stage run has no denoiser to synthesise with/);
  });
});

/**
 * Pinned behaviour: the outputs of a fixed-seed `tiny` cWDM training run and of a DDIM completion, as the code
 * computed them before the method seam was built (issue 16), committed under test-fixtures/pinned/. Every later
 * change to the layers between the CLI and the networks must leave them as they are.
 *
 * The run folder committed there (`run/`, trained to step 10 in run.json format 1) doubles as the old run folder
 * that must keep working: this test resumes it to step 20 and completes a case with it.
 *
 * The comparison is bit for bit where the machine's CPU/BLAS fingerprint is the recorded one (same libtorch, BLAS,
 * CPU model and kernel capability: the same floating-point operations in the same order); elsewhere kernels may
 * round differently, so weights must agree to 1e-6 and voxels to 1e-5, and the test says which it checked.
 *
 * `MRSYNTH_RECORD_PIN=1 npm test -- pinnedBehaviour` writes the fixture anew (only ever on purpose: it redefines
 * what "unchanged" means).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNifti } from '../io/nifti/index.js';
import { loadSafetensors, type RawTensor } from '../io/safetensors/index.js';
import { writeCase } from '../completion/completionFixtures.testSupport.js';
import { writePhantomDataset } from '../training/phantomDataset.testSupport.js';
import { migrateTrainingCheckpoint } from '../training/index.js';
import { runtimeInfo, setNumThreads } from '../tensor/index.js';
import { packageRoot } from '../util/index.js';
import { inProcessCommand } from './commandRunner.testSupport.js';
import { registerCompleteCommand } from './complete.js';
import { registerTrainCommand } from './train.js';

// The pin is MRSYNTH_THREADS=1: a reduction split over threads sums in another order.
setNumThreads(1);

const FIXTURE = join(packageRoot(import.meta.url), 'test-fixtures', 'pinned');
const RECORD = process.env.MRSYNTH_RECORD_PIN === '1';
const PREPROCESS = JSON.stringify({ preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'pad', multiple: [8, 8, 8] }] });
/**
 * Runs before run.json format 2 drew their noise from one sequential stream; new runs key it per sample unless told
 * otherwise, so the new run asks for the old streams (the committed run, format 1, has them recorded by migration).
 */
const TRAIN_FLAGS = ['--target', 't1ce', '--config', 'tiny', '--seed', '3', '--preprocess', PREPROCESS, '--val-every', '5', '--val-sample-steps', '2',
  '--checkpoint-every', '5', '--random-streams', 'sequential'];
const COMPLETE_FLAGS = ['--sampler', 'ddim', '--steps', '5', '--seed', '11'];
const COMPLETED = 'pin-case_t1ce.nii.gz';
/**
 * run.json records the data folder, and resuming refuses another one (it is part of the run's hash), so the phantom
 * data lives at one fixed path; its contents are the same bytes on every machine (the phantom is seeded).
 */
const DATA = '/tmp/mrsynth-pinned-data';

/**
 * The CPU's vector extensions, which OpenBLAS and oneDNN choose their kernels by whatever libtorch's own capability
 * says: two machines both named "AMD EPYC", one with AVX-512, rounded the pinned run differently (by 4e-7).
 */
function vectorExtensions(): string {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? [];
  const vector = flags.filter((flag) => /^(avx|fma|amx|f16c)/.test(flag)).sort();
  return vector.length > 0 ? vector.join(' ') : 'unknown';
}

/**
 * What decides whether two machines compute the same bits: libtorch, the BLAS loaded, the CPU, the kernels libtorch
 * picked for it and the vector extensions the libraries below it pick theirs by.
 */
function fingerprint(): Record<string, string> {
  const info = runtimeInfo();
  return {
    libtorch: info.torchVersion,
    blas: info.blas,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpuCapability: info.buildConfig.match(/CPU capability usage: (\S+)/)?.[1] ?? 'unknown',
    vectorExtensions: vectorExtensions(),
  };
}

function floats(raw: RawTensor): Float32Array {
  assert.equal(raw.dtype, 'F32');
  return new Float32Array(raw.data.slice().buffer);
}

function compareArrays(what: string, actual: Float32Array, expected: Float32Array, tolerance: number): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(Number.isFinite(worst) && worst <= tolerance, `${what}: differs by up to ${worst} (allowed ${tolerance})`);
}

describe('pinned behaviour (test-fixtures/pinned)', () => {
  let root: string;
  let exact: boolean;
  const train = inProcessCommand(registerTrainCommand, 'train', 'cwdm');
  const complete = inProcessCommand(registerCompleteCommand, 'complete');

  /**
   * Training checkpoints are compared as format 2 (named networks): the pinned ones were written in format 1, whose
   * one network format 2 calls 'unet'; the migration renames tensors and touches none (trainingCheckpoint.test.ts).
   */
  async function compareWeights(actualPath: string, expectedPath: string): Promise<void> {
    const [actual, expected] = [await loadSafetensors(actualPath), await loadSafetensors(expectedPath)]
      .map((contents) => migrateTrainingCheckpoint(contents, 'unet'));
    assert.deepEqual(Object.keys(actual.tensors).sort(), Object.keys(expected.tensors).sort(), `${actualPath}: tensor names`);
    if (exact) {
      for (const [name, raw] of Object.entries(expected.tensors)) {
        assert.ok(Buffer.from(actual.tensors[name].data).equals(Buffer.from(raw.data)), `${actualPath}: ${name} is not bit-identical`);
      }
    } else {
      for (const [name, raw] of Object.entries(expected.tensors)) {
        if (raw.dtype === 'F32') compareArrays(`${actualPath}: ${name}`, floats(actual.tensors[name]), floats(raw), 1e-6);
      }
    }
  }

  async function compareVoxels(actualPath: string, expectedPath: string): Promise<void> {
    const [actual, expected] = [await readNifti(actualPath), await readNifti(expectedPath)];
    assert.deepEqual([...actual.volume.affine], [...expected.volume.affine], `${actualPath}: affine`);
    compareArrays(actualPath, actual.volume.data as Float32Array, expected.volume.data as Float32Array, exact ? 0 : 1e-5);
  }

  before(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-pin-'));
    await fs.rm(DATA, { recursive: true, force: true });
    await writePhantomDataset(DATA, { cases: 5, shape: [24, 24, 24], spacing: 8, seed: 1 });
    await writeCase(join(root, 'cases'), 'brats2021', 'pin-case', 3, ['t1', 't2', 'flair']);
    if (RECORD) {
      await fs.rm(FIXTURE, { recursive: true, force: true });
      await fs.mkdir(FIXTURE, { recursive: true });
      const run = join(FIXTURE, 'run');
      assert.equal(await train('--data', DATA, '--steps', '10', '--out', run, ...TRAIN_FLAGS), 0);
      const resumed = join(root, 'record-20');
      await fs.cp(run, resumed, { recursive: true });
      assert.equal(await train('--resume', resumed, '--data', DATA, '--steps', '20', ...TRAIN_FLAGS), 0);
      await fs.copyFile(join(resumed, 'weights.safetensors'), join(FIXTURE, 'weights-step20.safetensors'));
      await fs.copyFile(join(resumed, 'checkpoint.safetensors'), join(FIXTURE, 'checkpoint-step20.safetensors'));
      assert.equal(await complete(join(root, 'cases', 'pin-case'), '--models', run, '--out', join(FIXTURE, 'completion'), ...COMPLETE_FLAGS), 0);
      await fs.rm(join(FIXTURE, 'completion', 'pin-case_t1ce.json')); // the sidecar: paths and times, not behaviour
      await fs.writeFile(join(FIXTURE, 'fingerprint.json'), `${JSON.stringify(fingerprint(), null, 2)}\n`);
    }
    const recorded = JSON.parse(readFileSync(join(FIXTURE, 'fingerprint.json'), 'utf8')) as Record<string, string>;
    exact = JSON.stringify(recorded) === JSON.stringify(fingerprint());
    console.log(`# pinned behaviour: ${exact ? 'bit-for-bit comparison (fingerprint matches)'
      : `tolerances 1e-6 (weights) and 1e-5 (voxels): this machine is ${JSON.stringify(fingerprint())}, the pin ${JSON.stringify(recorded)}`}`);
  });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('a new tiny run trained to step 10 has the pinned weights and training state', async () => {
    const out = join(root, 'new');
    assert.equal(await train('--data', DATA, '--steps', '10', '--out', out, ...TRAIN_FLAGS), 0);
    await compareWeights(join(out, 'weights.safetensors'), join(FIXTURE, 'run', 'weights.safetensors'));
    await compareWeights(join(out, 'checkpoint.safetensors'), join(FIXTURE, 'run', 'checkpoint.safetensors'));
  });

  test('the committed run folder resumes from step 10 to the pinned step-20 weights and training state', async () => {
    const run = join(root, 'resumed');
    await fs.cp(join(FIXTURE, 'run'), run, { recursive: true });
    assert.equal(await train('--resume', run, '--data', DATA, '--steps', '20', ...TRAIN_FLAGS), 0);
    await compareWeights(join(run, 'weights.safetensors'), join(FIXTURE, 'weights-step20.safetensors'));
    await compareWeights(join(run, 'checkpoint.safetensors'), join(FIXTURE, 'checkpoint-step20.safetensors'));
  });

  test('the committed run folder completes a held-out case to the pinned voxels', async () => {
    const out = join(root, 'completed');
    assert.equal(await complete(join(root, 'cases', 'pin-case'), '--models', join(FIXTURE, 'run'), '--out', out, ...COMPLETE_FLAGS), 0);
    await compareVoxels(join(out, COMPLETED), join(FIXTURE, 'completion', COMPLETED));
  });
});

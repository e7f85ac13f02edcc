import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSafetensors } from '../io/safetensors/index.js';
import type { RawTensor } from '../io/safetensors/index.js';
import { parseCwdmUNetConfig } from '../models/wdm/index.js';
import { parsePreprocessConfig } from '../transforms/index.js';
import { importedRunConfig, writeImportedRun } from './importedRun.js';
import { configHash } from './runConfig.js';
import { exampleRunConfig } from './runConfig.testSupport.js';
import { RUN_FILES, RUN_WEIGHTS_FORMAT, readAnyRunConfig, readRun, readRunConfig, writeRunConfig } from './runFolder.js';

const SHA = '0123456789abcdef'.repeat(4);
const config = (source = '/ckpt/brats_1200000.pt') => importedRunConfig({
  origin: { from: 'pytorch', source, sourceSha256: SHA, sourcePrefix: 'module.' },
  method: 'cwdm', target: 't1ce', methodConfig: parseCwdmUNetConfig('tiny'), weights: { unet: 'weights.safetensors' }, conditions: ['t1', 't2', 'flair'], preprocess: 'reference',
  schedule: REFERENCE_SCHEDULE,
});
const REFERENCE_SCHEDULE = { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' } as const;
const tensors = (value: number): Record<string, RawTensor> => ({ w: { dtype: 'F32', shape: [1], data: new Uint8Array(Float32Array.of(value).buffer) } });

describe('imported run folder', () => {
  let root: string;
  before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-imported-')); });
  after(async () => { await fs.rm(root, { recursive: true, force: true }); });

  test('the conditions, preprocessing and schedule given; the imported origin', () => {
    const c = config();
    assert.deepEqual(c.conditions, ['t1', 't2', 'flair']);
    assert.deepEqual(c.preprocess, parsePreprocessConfig('reference'));
    assert.deepEqual(c.schedule, REFERENCE_SCHEDULE);
    assert.deepEqual(c.origin, { kind: 'imported', from: 'pytorch', source: '/ckpt/brats_1200000.pt', sourceSha256: SHA, sourcePrefix: 'module.' });
  });

  test('writes run.json and weights only; readRun takes it, readRunConfig (training) refuses it', async () => {
    const dir = join(root, 'run');
    await writeImportedRun(dir, config(), tensors(1));
    assert.deepEqual((await fs.readdir(dir)).sort(), [RUN_FILES.config, RUN_FILES.weights]);
    assert.deepEqual((await fs.readdir(root)).filter((name) => name.startsWith('.')), [], 'no staging folder is left');
    const { metadata } = await loadSafetensors(join(dir, RUN_FILES.weights));
    assert.deepEqual(metadata, { format: RUN_WEIGHTS_FORMAT, config_hash: configHash(config()), source_sha256: SHA, source_prefix: 'module.' });
    assert.deepEqual((await readRun(dir)).config, config());
    assert.deepEqual(await readAnyRunConfig(dir), config());
    await assert.rejects(readRunConfig(dir), new RegExp(`readRunConfig: ${dir} is an imported run \\(weights converted from the pytorch `
      + 'checkpoint /ckpt/brats_1200000.pt .*\\), not one trained by mrsynth train: it has no training state \\(checkpoint.safetensors\\) to resume'));
  });

  test('an earlier import is replaced only with force; a trained run or another folder never', async () => {
    const dir = join(root, 'again');
    await writeImportedRun(dir, config('/ckpt/first.pt'), tensors(1));
    await assert.rejects(writeImportedRun(dir, config('/ckpt/second.pt'), tensors(2)),
      /writeImportedRun: .*again already holds an imported run \(weights converted from the pytorch checkpoint \/ckpt\/first\.pt .*\); pass --force to replace it/);
    await writeImportedRun(dir, config('/ckpt/second.pt'), tensors(2), { force: true });
    const origin = (await readAnyRunConfig(dir)).origin;
    assert.equal(origin.kind === 'imported' && origin.source, '/ckpt/second.pt');
    const { tensors: written } = await loadSafetensors(join(dir, RUN_FILES.weights));
    assert.deepEqual(new Float32Array(written.w.data.slice().buffer), Float32Array.of(2));
    assert.deepEqual((await fs.readdir(root)).filter((name) => name.startsWith('.')), []);

    const trained = join(root, 'trained');
    await writeRunConfig(trained, exampleRunConfig());
    await assert.rejects(writeImportedRun(trained, config(), tensors(1), { force: true }),
      /writeImportedRun: .*trained holds a run trained by mrsynth train; an import never replaces it, even with --force/);
    const other = join(root, 'other');
    await fs.mkdir(other);
    await fs.writeFile(join(other, 'notes.txt'), 'mine');
    await assert.rejects(writeImportedRun(other, config(), tensors(1), { force: true }),
      /writeImportedRun: .*other is neither empty nor a run folder \(it holds notes\.txt\); choose another folder/);
    assert.equal(await fs.readFile(join(other, 'notes.txt'), 'utf8'), 'mine');

    const empty = join(root, 'empty');
    await fs.mkdir(empty);
    await writeImportedRun(empty, config(), tensors(1));
    assert.deepEqual((await fs.readdir(empty)).sort(), [RUN_FILES.config, RUN_FILES.weights]);
  });
});

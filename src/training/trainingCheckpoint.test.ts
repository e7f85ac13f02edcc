import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conv } from '../nn/index.js';
import { Dropout } from '../nn/index.js';
import { GroupNorm } from '../nn/index.js';
import { Sequential } from '../nn/index.js';
import { SiLU } from '../nn/index.js';
import { AdamW } from '../optim/index.js';
import { clipGradNorm_ } from '../optim/index.js';
import { EMA } from '../optim/index.js';
import { F, Generator, manualSeed, memory, rand, randn, tidy } from '../tensor/index.js';
import { loadSafetensors, saveSafetensors, type SafetensorsContents } from '../io/safetensors/index.js';
import {
  TRAINING_CHECKPOINT_FORMAT, encodeTrainingCheckpoint, migrateTrainingCheckpoint, restoreTrainingCheckpoint, type TrainingComponents,
} from './trainingCheckpoint.js';

interface Run extends TrainingComponents {
  model: Sequential;
  optimizer: AdamW;
  ema?: EMA;
  noise: Generator;
}

/** A small run whose every random draw (init, inputs, dropout masks) comes from a seeded generator; its one network is 'net'. */
function setUp(seed: number): Run {
  manualSeed(seed);
  const model = new Sequential(
    new Conv({ spatialDims: 2, inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
    new GroupNorm(2, 4), new SiLU(), new Dropout(0.2),
    new Conv({ spatialDims: 2, inChannels: 4, outChannels: 1, kernelSize: 3, padding: 1 }),
  );
  const noise = new Generator(seed + 1);
  const optimizer = new AdamW(model.namedParameters(), { lr: 0.01, weightDecay: 0.05 });
  const ema = new EMA(model, { decay: 0.9 });
  return {
    model, noise, optimizer, ema,
    networks: { net: model }, optimizers: { net: optimizer }, emas: { net: ema }, generators: { noise, global: Generator.global() },
  };
}

async function saveTrainingCheckpoint(path: string, run: TrainingComponents, progress: { step: number; config: unknown }): Promise<void> {
  const { tensors, metadata } = encodeTrainingCheckpoint(run, progress);
  await saveSafetensors(path, tensors, metadata);
}

async function loadTrainingCheckpoint(path: string, run: TrainingComponents) {
  return restoreTrainingCheckpoint(await loadSafetensors(path), run, path);
}

function train(run: ReturnType<typeof setUp>, steps: number): void {
  for (let i = 0; i < steps; i++) {
    tidy(() => {
      const x = randn([2, 1, 8, 8], { generator: run.noise });
      F.mseLoss(run.model.forward(x), x.mul(0.5)).backward();
      clipGradNorm_(run.model.parameters(), 0.5);
      run.optimizer.step();
      run.optimizer.zeroGrad();
      run.ema!.update();
    });
  }
}

function snapshot(run: ReturnType<typeof setUp>): Record<string, Uint8Array> {
  return tidy(() => {
    const out: Record<string, Uint8Array> = {};
    for (const [k, t] of Object.entries(run.model.stateDict())) out[`model.${k}`] = t.rawBytes();
    for (const [k, t] of Object.entries(run.ema!.state().shadow)) out[`ema.${k}`] = t.rawBytes();
    return out;
  });
}

function tearDown(run: ReturnType<typeof setUp>): void {
  run.ema!.dispose();
  run.optimizer.dispose();
  run.model.dispose();
  run.noise.dispose();
}

describe('training checkpoints', () => {
  test('a run resumed from a checkpoint continues bit for bit like the uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-ckpt-'));
    try {
      const path = join(dir, 'step-3.safetensors');
      const before = memory().numTensors;
      const first = setUp(10);
      train(first, 3);
      await saveTrainingCheckpoint(path, first, { step: 3, config: { lr: 0.01, tag: 'tiny' } });
      train(first, 4);
      const uninterrupted = snapshot(first);
      tearDown(first);

      const second = setUp(99);
      tidy(() => { rand([5]); }); // moves the global generator, which the checkpoint must put back
      const progress = await loadTrainingCheckpoint(path, second);
      assert.deepEqual(progress, { step: 3, config: { lr: 0.01, tag: 'tiny' } });
      assert.equal(second.ema!.numUpdates, 3);
      train(second, 4);
      assert.deepEqual(snapshot(second), uninterrupted);
      tearDown(second);
      assert.equal(memory().numTensors, before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the file lays out sections by key prefix and network name and describes itself in __metadata__', () => {
    const run = setUp(1);
    manualSeed(5);
    const frozen = new Conv({ spatialDims: 2, inChannels: 1, outChannels: 1, kernelSize: 1 });
    train(run, 1);
    const { tensors, metadata } = encodeTrainingCheckpoint({ ...run, networks: { net: run.model, frozen } }, { step: 1, config: null }, { mine: 'x' });
    const keys = ['0.bias', '0.weight', '1.bias', '1.weight', '4.bias', '4.weight'];
    assert.deepEqual(Object.keys(tensors).sort(), [
      ...keys.map((k) => `ema.net.${k}`), 'generator.global', 'generator.noise', 'network.frozen.bias', 'network.frozen.weight',
      ...keys.map((k) => `network.net.${k}`),
      ...['exp_avg', 'exp_avg_sq'].flatMap((m) => keys.map((k) => `optimizer.net.${m}.${k}`)),
    ].sort());
    assert.equal(tensors['generator.noise'].dtype, 'U8');
    assert.deepEqual({ ...metadata, optimizers: JSON.parse(metadata.optimizers) }, {
      format: TRAINING_CHECKPOINT_FORMAT, format_version: '2', step: '1', config: 'null', emas: '{"net":{"numUpdates":1}}', mine: 'x',
      optimizers: {
        net: {
          hyper: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 },
          steps: { '0.weight': 1, '0.bias': 1, '1.weight': 1, '1.bias': 1, '4.weight': 1, '4.bias': 1 },
        },
      },
    });
    assert.throws(() => encodeTrainingCheckpoint(run, { step: 1, config: null }, { step: '2' }), /the caller's metadata reuses step/);
    assert.throws(() => encodeTrainingCheckpoint({ ...run, networks: { 'a.b': run.model }, optimizers: {}, emas: {} }, { step: 1, config: null }),
      /the name "a\.b" must match/);
    frozen.dispose();
    tearDown(run);
  });

  test('a format-1 checkpoint (one unnamed network) is read as format 2 with its parts under the given name', () => {
    const run = setUp(3);
    train(run, 2);
    const current = encodeTrainingCheckpoint(run, { step: 2, config: { a: 1 } });
    // Format 1 as it was written: the same tensors under unnamed prefixes, the optimiser and EMA as single objects.
    const formerPrefix: [RegExp, string][] = [[/^network\.net\./, 'model.'], [/^ema\.net\./, 'ema.'], [/^optimizer\.net\./, 'optimizer.']];
    const old: SafetensorsContents = {
      tensors: Object.fromEntries(Object.entries(current.tensors).map(([k, v]) => [formerPrefix.reduce((key, [from, to]) => key.replace(from, to), k), v])),
      metadata: {
        format: TRAINING_CHECKPOINT_FORMAT, format_version: '1', step: '2', config: '{"a":1}',
        optimizer: JSON.stringify(JSON.parse(current.metadata.optimizers).net), ema: JSON.stringify(JSON.parse(current.metadata.emas).net),
      },
    };
    assert.ok('optimizer.exp_avg_sq.0.bias' in old.tensors && 'model.4.weight' in old.tensors);
    const migrated = migrateTrainingCheckpoint(old, 'net');
    assert.deepEqual(Object.keys(migrated.tensors).sort(), Object.keys(current.tensors).sort());
    for (const [k, raw] of Object.entries(current.tensors)) assert.equal(migrated.tensors[k], raw, `${k} is the same tensor, renamed`);
    assert.deepEqual(JSON.parse(migrated.metadata.optimizers), JSON.parse(current.metadata.optimizers));
    assert.deepEqual(JSON.parse(migrated.metadata.emas), JSON.parse(current.metadata.emas));
    assert.equal(migrateTrainingCheckpoint(current, 'net'), current, 'format 2 is returned as it is');
    assert.deepEqual(restoreTrainingCheckpoint(migrated, run), { step: 2, config: { a: 1 } });
    assert.throws(() => restoreTrainingCheckpoint(old, run), /format_version "1" is not supported .*migrateTrainingCheckpoint/);
    tearDown(run);
  });

  test('a checkpoint that does not match what is restored is refused with the reason', () => {
    const run = setUp(2);
    train(run, 1);
    const contents = encodeTrainingCheckpoint(run, { step: 1, config: {} });
    const restore = (change: (c: typeof contents) => void, components: TrainingComponents = run) => {
      const copy = { tensors: { ...contents.tensors }, metadata: { ...contents.metadata } };
      change(copy);
      return () => restoreTrainingCheckpoint(copy, components, 'x.safetensors');
    };
    assert.throws(restore((c) => { c.metadata.format = 'other'; }),
      /restoreTrainingCheckpoint\(x\.safetensors\): __metadata__\.format is "other", expected "mrsynth-training-checkpoint"/);
    assert.throws(restore((c) => { c.metadata.format_version = '3'; }), /format_version "3" is not supported \(this build reads 2/);
    assert.throws(restore((c) => { c.tensors.stray = c.tensors['network.net.0.bias']; }), /tensors outside every section to restore: stray/);
    assert.throws(restore((c) => { delete c.tensors['generator.global']; }), /generators in the file \[noise\] differ from those to restore \[noise, global\]/);
    assert.throws(restore(() => undefined, { ...run, emas: {} }), /EMAs in the file \[net\] differ from those to restore \[\]/);
    assert.throws(restore(() => undefined, { ...run, networks: { other: run.model }, optimizers: {}, emas: {} }),
      /optimisers in the file \[net\] differ from those to restore \[\]/);
    assert.throws(restore((c) => { delete c.tensors['network.net.1.bias']; }), /missing keys \(1\): 1\.bias/);
    tearDown(run);
  });
});

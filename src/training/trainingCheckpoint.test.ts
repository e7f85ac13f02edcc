import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conv } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { GroupNorm } from '../nn/groupNorm.js';
import { Sequential } from '../nn/sequential.js';
import { SiLU } from '../nn/silu.js';
import { AdamW } from '../optim/adamW.js';
import { clipGradNorm_ } from '../optim/clipGradNorm.js';
import { EMA } from '../optim/ema.js';
import { F, Generator, manualSeed, memory, rand, randn, tidy } from '../tensor/index.js';
import {
  TRAINING_CHECKPOINT_FORMAT, TrainingComponents, encodeTrainingCheckpoint, loadTrainingCheckpoint, restoreTrainingCheckpoint,
  saveTrainingCheckpoint,
} from './trainingCheckpoint.js';

/** A small run whose every random draw (init, inputs, dropout masks) comes from a seeded generator. */
function setUp(seed: number): TrainingComponents & { model: Sequential; noise: Generator } {
  manualSeed(seed);
  const model = new Sequential(
    new Conv({ spatialDims: 2, inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1 }),
    new GroupNorm(2, 4), new SiLU(), new Dropout(0.2),
    new Conv({ spatialDims: 2, inChannels: 4, outChannels: 1, kernelSize: 3, padding: 1 }),
  );
  const noise = new Generator(seed + 1);
  return {
    model, noise, optimizer: new AdamW(model.namedParameters(), { lr: 0.01, weightDecay: 0.05 }),
    ema: new EMA(model, { decay: 0.9 }), generators: { noise, global: Generator.global() },
  };
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

  test('the file lays out sections by key prefix and describes itself in __metadata__', () => {
    const run = setUp(1);
    train(run, 1);
    const { tensors, metadata } = encodeTrainingCheckpoint(run, { step: 1, config: null });
    assert.deepEqual(Object.keys(tensors).sort(), [
      'ema.0.bias', 'ema.0.weight', 'ema.1.bias', 'ema.1.weight', 'ema.4.bias', 'ema.4.weight',
      'generator.global', 'generator.noise',
      'model.0.bias', 'model.0.weight', 'model.1.bias', 'model.1.weight', 'model.4.bias', 'model.4.weight',
      ...['exp_avg', 'exp_avg_sq'].flatMap((m) => ['0.bias', '0.weight', '1.bias', '1.weight', '4.bias', '4.weight'].map((k) => `optimizer.${m}.${k}`)),
    ].sort());
    assert.equal(tensors['generator.noise'].dtype, 'U8');
    assert.deepEqual({ ...metadata, optimizer: JSON.parse(metadata.optimizer) }, {
      format: TRAINING_CHECKPOINT_FORMAT, format_version: '1', step: '1', config: 'null', ema: '{"numUpdates":1}',
      optimizer: {
        hyper: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 },
        steps: { '0.weight': 1, '0.bias': 1, '1.weight': 1, '1.bias': 1, '4.weight': 1, '4.bias': 1 },
      },
    });
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
    assert.throws(restore((c) => { c.metadata.format_version = '2'; }), /format_version "2" is not supported \(this build reads 1\)/);
    assert.throws(restore((c) => { c.tensors.stray = c.tensors['model.0.bias']; }), /tensors outside every section: stray/);
    assert.throws(restore((c) => { delete c.tensors['generator.global']; }), /generators in the file \[noise\] differ from those to restore \[noise, global\]/);
    assert.throws(restore(() => undefined, { model: run.model, optimizer: run.optimizer, generators: run.generators }),
      /the checkpoint has an EMA but none was given to restore it into/);
    assert.throws(restore((c) => { delete c.tensors['model.1.bias']; }), /missing keys \(1\): 1\.bias/);
    tearDown(run);
  });
});

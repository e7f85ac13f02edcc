import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, keep, manualSeed, memory, noGrad, tensor, tidy } from '../../tensor/index.js';
import { CwdmUNet, cwdmSpatialMultiple, parseCwdmUNetConfig } from '../../models/wdm/index.js';
import { DDIMScheduler, DDPMScheduler, parseDDIMSchedulerConfig, parseDDPMSchedulerConfig } from '../../schedulers/index.js';
import { WaveletCodec } from '../../wavelets/index.js';
import { AdamW } from '../../optim/index.js';
import { CwdmPipeline } from './cwdmPipeline.js';

const side = 16;

function setup() {
  manualSeed(5);
  const config = parseCwdmUNetConfig('tiny');
  const model = new CwdmUNet(config);
  const codec = new WaveletCodec({ latentMultiple: cwdmSpatialMultiple(config) });
  return { pipeline: new CwdmPipeline(model, codec), model, codec };
}

/** A batch where the target is a fixed function of the conditions (so it is learnable): a smooth blob scaled per condition. */
function batch() {
  const voxels = side ** 3;
  const conditions = new Float32Array(3 * voxels);
  const target = new Float32Array(voxels);
  for (let z = 0; z < side; z++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
    const v = (z * side + y) * side + x;
    const r2 = ((x - 8) ** 2 + (y - 7) ** 2 + (z - 9) ** 2) / 30;
    const blob = Math.exp(-r2);
    conditions[v] = blob; conditions[voxels + v] = 0.5 * blob; conditions[2 * voxels + v] = 1 - blob;
    target[v] = 0.8 * blob + 0.1;
  }
  return {
    conditions: keep(tensor(conditions, { shape: [1, 3, side, side, side] })),
    target: keep(tensor(target, { shape: [1, 1, side, side, side] })),
  };
}

describe('CwdmPipeline', () => {
  test('training on one case lowers the coefficient MSE on a fixed (t, noise) set', () => {
    const { pipeline, model } = setup();
    const data = batch();
    const scheduler = new DDPMScheduler(parseDDPMSchedulerConfig({}));
    const optimiser = new AdamW(model.namedParameters(), { lr: 3e-3, weightDecay: 0 });
    // The evaluation loss uses a generator re-seeded each time, so it always sees the same (t, noise) draws.
    const evaluate = () => noGrad(() => tidy(() => {
      let total = 0;
      for (let k = 0; k < 4; k++) total += pipeline.trainingLoss(data, scheduler, new Generator(100 + k)).item();
      return total / 4;
    }));
    const before = evaluate();
    const generator = new Generator(1);
    for (let step = 0; step < 60; step++) {
      tidy(() => {
        optimiser.zeroGrad();
        pipeline.trainingLoss(data, scheduler, generator).backward();
        optimiser.step();
      });
    }
    const after = evaluate();
    assert.ok(after < 0.5 * before, `loss ${before.toFixed(4)} → ${after.toFixed(4)} should at least halve`);
  });

  test('sampling returns a [0, 1] volume, is reproducible from its seed and leaks no tensors', () => {
    const { pipeline, codec } = setup();
    const data = batch();
    const scheduler = new DDIMScheduler(parseDDIMSchedulerConfig({}), { clipPredX0: (x) => codec.clipInImageSpace(x) });
    scheduler.setTimesteps(5);
    const before = memory().numTensors;
    let calls = 0;
    const a = pipeline.sample(data.conditions, scheduler, { generator: new Generator(9), onStep: () => { calls += 1; } });
    const b = pipeline.sample(data.conditions, scheduler, { generator: new Generator(9) });
    assert.equal(memory().numTensors, before + 2);
    assert.equal(calls, 5);
    assert.deepEqual(a.shape, [1, 1, side, side, side]);
    const values = a.toTypedArray<'float32'>();
    assert.ok(values.every((v) => v >= 0 && v <= 1));
    assert.deepEqual(values, b.toTypedArray());
    a.dispose();
    b.dispose();
  });

  test('conditions that do not match the model are refused with their shape', () => tidy(() => {
    const { pipeline } = setup();
    const scheduler = new DDIMScheduler(parseDDIMSchedulerConfig({}));
    scheduler.setTimesteps(2);
    assert.throws(() => pipeline.sample(F.cat([batch().conditions, batch().conditions], 1), scheduler, { generator: new Generator(1) }),
      /CwdmPipeline.sample: conditions must be \(N, 3, D, H, W\) for this model, got shape \[1,6,16,16,16\]/);
  }));
});

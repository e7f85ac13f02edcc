import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Linear } from '../nn/index.js';
import { AdamW, EMA, clipGradNorm_ } from '../optim/index.js';
import { F, Generator, type Tensor, manualSeed, memory, randn, tidy } from '../tensor/index.js';
import { MixedPrecision } from './mixedPrecision.js';

const values = (t: Tensor) => tidy(() => Array.from(t.float().toTypedArray<'float32'>()));
const weightsOf = (module: Linear) => module.parameters().map(values);
/** The masters rounded to bfloat16: what the working copy should hold. */
const roundedWeightsOf = (module: Linear) => module.parameters().map((p) => tidy(() => values(p.to('bfloat16'))));

/** Forward and backward on a fixed batch, the loss in float32 on the output cast back (as CwdmPipeline.predict does). */
function backward(network: Linear, seed: number): void {
  tidy(() => {
    const generator = new Generator(seed);
    const x = randn([8, 4], { generator });
    const y = randn([8, 3], { generator });
    generator.dispose();
    F.mseLoss(network.forward(x.to(network.weight.dtype)).float(), y).backward();
  });
}

describe('MixedPrecision', () => {
  test('fp32: the network is the master, and a step is clipping, AdamW and zeroGrad by hand, bit for bit', () => {
    manualSeed(1);
    const model = new Linear(4, 3);
    manualSeed(1);
    const byHand = new Linear(4, 3);
    const weights = new MixedPrecision(model, 'fp32', () => new Linear(4, 3));
    assert.equal(weights.network, model);
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2 });
    const optimizerByHand = new AdamW(byHand.namedParameters(), { lr: 1e-2 });
    for (let step = 0; step < 3; step++) {
      backward(model, step);
      const norm = weights.step(optimizer, { gradClip: 0.1 });
      backward(byHand, step);
      assert.equal(norm, clipGradNorm_(byHand.parameters(), 0.1));
      optimizerByHand.step();
      optimizerByHand.zeroGrad();
      assert.ok(model.parameters().every((p) => p.grad === null), 'gradients are dropped after the step');
    }
    assert.deepEqual(weightsOf(model), weightsOf(byHand));
  });

  test('bf16: a bfloat16 working copy, float32 masters that keep updates too small for bfloat16, the global generator untouched', () => {
    manualSeed(2);
    const model = new Linear(4, 3);
    const global = Generator.global();
    const state = global.getState();
    const before = memory().numTensors;
    const weights = new MixedPrecision(model, 'bf16', () => new Linear(4, 3));
    assert.deepEqual(global.getState(), state, 'building the working copy must not move the global generator (dropout draws)');
    assert.deepEqual(weights.network.parameters().map((p) => p.dtype), ['bfloat16', 'bfloat16']);
    assert.deepEqual(model.parameters().map((p) => p.dtype), ['float32', 'float32']);
    assert.deepEqual(weightsOf(weights.network), roundedWeightsOf(model));

    // On one batch the gradients keep their signs and Adam moves each weight by lr per step whatever the
    // gradient's size. 1e-4 is below half of bfloat16's spacing for weights above 0.05 (2^-8 relative), so
    // most updates applied to bfloat16 weights would round away; the float32 masters keep every one.
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-4, weightDecay: 0 });
    const initial = weightsOf(model);
    for (let step = 0; step < 5; step++) {
      backward(weights.network, 0);
      assert.ok(tidy(() => weights.network.parameters().every((p) => p.grad?.dtype === 'bfloat16')), 'bfloat16 gradients');
      weights.step(optimizer);
      assert.ok([...model.parameters(), ...weights.network.parameters()].every((p) => p.grad === null), 'every gradient is dropped');
      assert.deepEqual(weightsOf(weights.network), roundedWeightsOf(model), `after step ${step + 1} the network holds the rounded masters`);
    }
    const moved = weightsOf(model).flat().map((w, i) => Math.abs(w - initial.flat()[i]));
    assert.ok(moved.every((m) => Math.abs(m - 5e-4) < 1e-5), `five steps of lr 1e-4 should move every master by 5e-4: ${moved}`);

    weights.dispose();
    optimizer.dispose();
    assert.equal(memory().numTensors, before, 'dispose frees the working copy, gradients included');
    model.dispose();
  });

  test('bf16: validation with EMA weights puts the averages into the network and the trained weights back', () => {
    manualSeed(3);
    const model = new Linear(4, 3);
    const weights = new MixedPrecision(model, 'bf16', () => new Linear(4, 3));
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-1 });
    const ema = new EMA(model, { decay: 0.5, warmup: false });
    backward(weights.network, 0);
    weights.step(optimizer);
    ema.update();
    const averaged = new Linear(4, 3);
    ema.copyTo(averaged);
    const seen = weights.withAveragedWeights(ema, () => weightsOf(weights.network));
    assert.deepEqual(seen, roundedWeightsOf(averaged));
    assert.notDeepEqual(seen, roundedWeightsOf(model));
    assert.deepEqual(weightsOf(weights.network), roundedWeightsOf(model));
    for (const disposable of [weights, optimizer, ema, model, averaged]) disposable.dispose();
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, keep, manualSeed, memory, noGrad, randint, randn, tensor, tidy } from '../../tensor/index.js';
import { CwdmUNet, parseCwdmUNetConfig } from '../../models/wdm/index.js';
import { parseSamplerSpec, type DiffusionPipeline } from '../../pipelines/index.js';
import { AdamW } from '../../optim/index.js';
import type { Tensor } from '../../tensor/index.js';
import { CwdmDenoiser } from './cwdmDenoiser.js';
import { cwdmPipeline } from './cwdmPipeline.js';

const side = 16;

function setup() {
  manualSeed(5);
  const config = parseCwdmUNetConfig('tiny');
  const model = new CwdmUNet(config);
  return { pipeline: pipelineOf(model), model };
}

const SCHEDULE = { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' } as const;
const pipelineOf = (model: CwdmUNet): DiffusionPipeline<Tensor> => cwdmPipeline(model, SCHEDULE);

/**
 * Gives the zero-initialised convolutions (every ResBlock's last one and the head) random weights, so that the
 * output depends on every layer: an untrained network outputs exactly zero in any precision.
 */
function randomiseZeroLayers(model: CwdmUNet, seed: number): void {
  const generator = new Generator(seed);
  tidy(() => noGrad(() => {
    for (const p of model.parameters()) if (p.abs().max().item() === 0) p.copy_(randn(p.shape, { generator }).mul(0.1));
  }));
  generator.dispose();
}

/** A bfloat16 copy of a float32 model (same weights, rounded). */
function bf16Copy(model: CwdmUNet): CwdmUNet {
  const copy = new CwdmUNet(model.config).to('bfloat16');
  tidy(() => copy.loadStateDict(model.stateDict()));
  return copy;
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

describe('the cWDM pipeline', () => {
  test('training on one case lowers the coefficient MSE on a fixed (t, noise) set', () => {
    const { pipeline, model } = setup();
    const data = batch();
    const optimiser = new AdamW(model.namedParameters(), { lr: 3e-3, weightDecay: 0 });
    // The evaluation loss uses a generator re-seeded each time, so it always sees the same (t, noise) draws.
    const evaluate = () => noGrad(() => tidy(() => {
      let total = 0;
      for (let k = 0; k < 4; k++) total += pipeline.trainingLoss(data, new Generator(100 + k)).item();
      return total / 4;
    }));
    const before = evaluate();
    const generator = new Generator(1);
    for (let step = 0; step < 60; step++) {
      tidy(() => {
        optimiser.zeroGrad();
        pipeline.trainingLoss(data, generator).backward();
        optimiser.step();
      });
    }
    const after = evaluate();
    assert.ok(after < 0.5 * before, `loss ${before.toFixed(4)} → ${after.toFixed(4)} should at least halve`);
  });

  test('sampling returns a [0, 1] volume, is reproducible from its seed and leaks no tensors', () => {
    const { pipeline } = setup();
    const data = batch();
    const scheduler = pipeline.scheduler(parseSamplerSpec({ kind: 'ddim', steps: 5 }));
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

  test('predict runs a bfloat16 network on float32 input: float32 out, within 4 % of the float32 network, gradients reach the weights', () => {
    const { model } = setup();
    randomiseZeroLayers(model, 11);
    const fp32 = new CwdmDenoiser(model);
    const bf16Model = bf16Copy(model);
    const bf16 = new CwdmDenoiser(bf16Model);
    assert.equal(bf16Model.dtype, 'bfloat16');
    tidy(() => {
      const generator = new Generator(3);
      const input = randn([2, model.inChannels, 8, 8, 8], { generator });
      const t = randint(0, 1000, [2], { generator });
      generator.dispose();
      // The noisy target's 8 bands, then the conditions' bands: the network's input split as predict takes it.
      const [noisy, condition] = [input.narrow(1, 0, 8), input.narrow(1, 8, model.inChannels - 8)];
      const before = memory().numTensors;
      const expected = noGrad(() => fp32.predict(noisy, t, condition));
      const out = noGrad(() => bf16.predict(noisy, t, condition));
      assert.equal(memory().numTensors, before + 2, 'predict leaves only its result');
      assert.equal(out.dtype, 'float32');
      // bfloat16 keeps 8 significant bits, so each rounding (of a weight, an input, a layer's output) is off by up
      // to u = 2^-9 ≈ 0.2 % relative. The tiny network's longest path has 32 convolutions, each adding about three
      // roundings; of random sign, they add in quadrature to about √(3·32)·u ≈ 1.9 % (measured 1.6 %, relative L2).
      // 4 % ≈ 20u leaves room for other seeds and CPUs and still fails a network that lost more than bfloat16 does.
      const error = tidy(() => out.sub(expected).norm(2).item() / expected.norm(2).item());
      assert.ok(error <= 0.04, `‖bf16 − fp32‖ / ‖fp32‖ = ${error}`);
      assert.ok(error > 0, 'bfloat16 cannot be exact here; the network must not have run in float32');

      // A float32 loss on the float32 output trains the bfloat16 weights: the casts pass the gradient through.
      F.mseLoss(bf16.predict(noisy, t, condition), expected.mul(0)).backward();
      const grads = bf16Model.parameters().map((p) => p.grad);
      assert.ok(grads.every((g) => g !== null && g.dtype === 'bfloat16'), 'every bfloat16 weight gets a bfloat16 gradient');
    });
  });

  test('sampling in bf16 draws exactly the float32 noise: byte-identical for an untrained network, close for a random one', () => {
    const { pipeline, model } = setup();
    const data = batch();
    const scheduler = pipeline.scheduler(parseSamplerSpec({ kind: 'ddpm', steps: 8 }));
    const sample = (p: DiffusionPipeline<Tensor>) => tidy(() => p.sample(data.conditions, scheduler, { generator: new Generator(9) }).toTypedArray<'float32'>());
    // Untrained, x̂₀ is exactly 0 in both precisions, so every ancestral step is decided by the noise alone:
    // equal bytes mean equal draws, in number, order, dtype and value.
    assert.deepEqual(sample(pipelineOf(bf16Copy(model))), sample(pipeline));

    randomiseZeroLayers(model, 12);
    const fp32 = sample(pipeline);
    const bf16 = sample(pipelineOf(bf16Copy(model)));
    let squares = 0;
    for (let v = 0; v < fp32.length; v++) squares += (fp32[v] - bf16[v]) ** 2;
    const rms = Math.sqrt(squares / fp32.length);
    // Same noise; x̂₀ off by the network's ~2 % at each of the 8 steps (the last step returns it nearly as it
    // is). Measured RMS 0.011 in [0, 1] units, the fp32 image's standard deviation being 0.29; single voxels
    // differ more (max 0.09) where the [0, 1] clipping in image space cuts one precision's value and not the other's.
    assert.ok(rms <= 0.025, `RMS |bf16 − fp32| = ${rms} in [0, 1] image units`);
    assert.ok(rms > 0, 'with random weights the network must matter');
  });

  test('conditions that do not match the model are refused with their shape', () => tidy(() => {
    const { pipeline } = setup();
    const scheduler = pipeline.scheduler(parseSamplerSpec({ kind: 'ddim', steps: 2 }));
    assert.throws(() => pipeline.sample(F.cat([batch().conditions, batch().conditions], 1), scheduler, { generator: new Generator(1) }),
      /DiffusionPipeline.sample: conditions must be \(N, 3, D, H, W\) for this model, got shape \[1,6,16,16,16\]/);
  }));

  test('with a generator per sample, a batch of two draws and scores what two batches of one would', () => tidy(() => {
    const { pipeline, model } = setup();
    randomiseZeroLayers(model, 4);
    const one = batch();
    const other = { conditions: one.conditions.flip(2), target: one.target.flip(3) };
    const pair = { conditions: F.cat([one.conditions, other.conditions], 0), target: F.cat([one.target, other.target], 0) };
    const seeds = [11n, 12n];
    const loss = (b: typeof one, s: bigint[]) => noGrad(() => pipeline.trainingLoss(b, s.map((seed) => new Generator(seed))).item());
    const together = loss(pair, seeds);
    const apart = (loss(one, [seeds[0]]) + loss(other, [seeds[1]])) / 2;
    assert.ok(Math.abs(together - apart) <= 1e-6 * Math.abs(apart), `batch of 2: ${together}, mean of two batches of 1: ${apart}`);
    // One generator for the batch draws all timesteps first, then all noise: other draws than per sample.
    const batched = noGrad(() => pipeline.trainingLoss(pair, new Generator(seeds[0])).item());
    assert.notEqual(batched, together);
    assert.throws(() => pipeline.trainingLoss(pair, [new Generator(1)]), /1 generators for a batch of 2/);
  }));

  test('sampling with a generator per sample: each sample of a batch is its own draw, bit for bit whatever its batch-mates, '
    + 'and what it would be alone to the kernels\' rounding', () => tidy(() => {
    const { pipeline, model } = setup();
    randomiseZeroLayers(model, 4);
    // DDIM with η = 1 draws noise at every step, from each sample's own generator.
    const scheduler = pipeline.scheduler(parseSamplerSpec({ kind: 'ddim', steps: 4, eta: 1 }));
    const one = batch().conditions;
    const pair = F.cat([one, one], 0);
    const draw = (conditions: Tensor, seeds: bigint[]) => pipeline.sample(conditions, scheduler, { generator: seeds.map((seed) => new Generator(seed)) });
    const together = draw(pair, [21n, 22n]);
    assert.deepEqual(together.shape, [2, 1, side, side, side]);
    assert.deepEqual(draw(pair, [21n, 23n]).narrow(0, 0, 1).toTypedArray(), together.narrow(0, 0, 1).toTypedArray());
    for (const [i, seed] of [21n, 22n].entries()) {
      const alone = draw(one, [seed]);
      const worst = together.narrow(0, i, 1).sub(alone).abs().max().item();
      assert.ok(worst < 1e-4, `sample ${i} in a batch of two differs from the same sample alone by ${worst}`);
    }
    assert.ok(together.narrow(0, 0, 1).sub(together.narrow(0, 1, 1)).abs().max().item() > 0.01, 'two seeds draw two samples');
    assert.throws(() => draw(pair, [21n]), /DiffusionPipeline.sample: 1 generator\(s\) for a batch of 2; give one per sample or one for all/);
  }));
});

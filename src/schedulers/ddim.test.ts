import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, dispose, randn, tidy, zeros, zerosLike } from '../tensor/index.js';
import { DDIMScheduler, parseDDIMSchedulerConfig } from './ddim.js';

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

describe('DDIMScheduler', () => {
  test('50 steps by default, the first at t = 999 and the last at t = 0', () => {
    const scheduler = new DDIMScheduler();
    scheduler.setTimesteps();
    assert.equal(scheduler.timesteps.length, 50);
    assert.deepEqual([scheduler.timesteps[0], scheduler.timesteps[1], scheduler.timesteps[49]], [999, 979, 0]);
  });

  test('η = 0 with a perfect x₀ predictor: every x_prev is √ᾱ_prev x₀ + √(1 − ᾱ_prev) ε, and the end is x₀ exactly', () => {
    const scheduler = new DDIMScheduler();
    scheduler.setTimesteps(20);
    const generator = new Generator(4);
    const x0 = randn([1, 8, 2, 2, 2], { dtype: 'float64', generator });
    const eps = randn([1, 8, 2, 2, 2], { dtype: 'float64', generator });
    generator.dispose();
    let sample = scheduler.addNoise(x0, eps, scheduler.timesteps[0]);
    const ascending = [...scheduler.timesteps].reverse();
    for (const t of scheduler.timesteps) {
      const { prevSample, predX0 } = scheduler.step(x0, t, sample);
      dispose([sample, predX0]);
      sample = prevSample;
      const k = ascending.indexOf(t);
      if (k > 0) {
        const tPrev = ascending[k - 1];
        const expected = scheduler.addNoise(x0, eps, tPrev);
        assert.ok(maxAbsDiff(sample, expected) < 1e-12, `t = ${t} → ${tPrev}`);
        expected.dispose();
      }
    }
    assert.equal(maxAbsDiff(sample, x0), 0);
    dispose([sample, x0, eps]);
  });

  test('ε̂ is recomputed from the clipped x̂₀, and the last step returns the clipped x̂₀', () => tidy(() => {
    const scheduler = new DDIMScheduler(parseDDIMSchedulerConfig(), { clipPredX0: (x0) => x0.clamp(0, 1) });
    scheduler.setTimesteps(10);
    const generator = new Generator(8);
    const xt = randn([1, 1, 4, 4], { dtype: 'float64', generator });
    const prediction = randn([1, 1, 4, 4], { dtype: 'float64', generator }).mul(3);
    generator.dispose();
    const last = scheduler.step(prediction, 0, xt);
    assert.equal(maxAbsDiff(last.prevSample, prediction.clamp(0, 1)), 0);
    // A clip to zero leaves ε̂ = x_t / √(1 − ᾱ), so x_prev = √(1 − ᾱ_prev) x_t / √(1 − ᾱ).
    const zeroing = new DDIMScheduler(parseDDIMSchedulerConfig(), { clipPredX0: (x0) => zerosLike(x0) });
    zeroing.setTimesteps(10);
    const { alphasCumprod } = zeroing.trainTables;
    const { prevSample } = zeroing.step(prediction, 555, xt);
    assert.ok(maxAbsDiff(prevSample, xt.mul(Math.sqrt(1 - alphasCumprod[444]) / Math.sqrt(1 - alphasCumprod[555]))) < 1e-12);
  }));

  test('η = 1 adds σ z with σ² the respaced posterior variance β̃′ (Song et al. Eq. 16)', () => tidy(() => {
    const scheduler = new DDIMScheduler(parseDDIMSchedulerConfig({ eta: 1 }));
    scheduler.setTimesteps(10);
    const x = zeros([1, 1, 2, 2], { dtype: 'float64' }).add(0.3);
    const quiet = scheduler.step(x, 444, x, { noise: zerosLike(x) }).prevSample;
    const noisy = scheduler.step(x, 444, x, { noise: zerosLike(x).add(1) }).prevSample;
    const k = 4;
    assert.ok(Math.abs(noisy.sub(quiet).mean().item() - Math.sqrt(scheduler.stepTables.posteriorVariance[k])) < 1e-12);
    assert.throws(() => scheduler.step(x, 444, x), /DDIMScheduler.step: this step adds noise; give options.noise or options.generator/);
  }));

  test("ε-prediction: x̂₀ = √(1/ᾱ) x_t − √(1/ᾱ − 1) ε̂ recovers x₀ from the true noise", () => tidy(() => {
    const scheduler = new DDIMScheduler(parseDDIMSchedulerConfig({ predictionType: 'epsilon', betaSchedule: 'scaledLinear' }));
    scheduler.setTimesteps(25);
    const generator = new Generator(6);
    const x0 = randn([2, 4, 3, 3, 3], { dtype: 'float64', generator });
    const eps = randn([2, 4, 3, 3, 3], { dtype: 'float64', generator });
    generator.dispose();
    const t = scheduler.timesteps[3];
    const { predX0 } = scheduler.step(eps, t, scheduler.addNoise(x0, eps, t));
    assert.ok(maxAbsDiff(predX0, x0) < 1e-12);
  }));

  test('config: eta must be a non-negative number', () => {
    assert.throws(() => parseDDIMSchedulerConfig({ eta: -1 }), /parseDDIMSchedulerConfig: eta must be a finite number ≥ 0, got -1/);
    assert.deepEqual(parseDDIMSchedulerConfig(), { numTrainTimesteps: 1000, betaSchedule: 'linear', predictionType: 'sample', timestepSpacing: 'guided', eta: 0 });
  });
});

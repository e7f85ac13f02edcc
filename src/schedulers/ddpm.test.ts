import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, randn, tensor, tidy, zeros } from '../tensor/index.js';
import { DDPMScheduler, parseDDPMSchedulerConfig } from './ddpm.js';
import { readCwdmTensors } from './cwdmFixture.testSupport.js';

function maxAbsDiff(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

describe('DDPMScheduler', () => {
  test('one reference step at t = 437: clipped x̂₀, posterior mean and σ² = β_t of the cWDM fixture', async () => {
    const fixture = await readCwdmTensors(['inputs.x_t', 'outputs.model_out', 'outputs.pred_xstart_clipped', 'outputs.posterior_mean', 'outputs.variance']);
    assert.equal(fixture.timestep, 437);
    tidy(() => {
      const modelOut = fixture.read('outputs.model_out');
      const clipped = fixture.read('outputs.pred_xstart_clipped');
      // The image-space clipping is the wavelet codec's (tested against the same fixture there); schedulers may
      // not import wavelets, so the reference's own clipped x̂₀ stands in for it.
      const clipPredX0 = (x0: Tensor) => {
        assert.equal(maxAbsDiff(x0, modelOut), 0, 'the clip receives the model output');
        return clipped.clone();
      };
      const scheduler = new DDPMScheduler(parseDDPMSchedulerConfig({}), { clipPredX0 });
      scheduler.setTimesteps();
      assert.equal(scheduler.timesteps.length, 1000);
      const xT = fixture.read('inputs.x_t');
      const { prevSample, predX0 } = scheduler.step(modelOut, 437, xT, { noise: zeros(xT.shape) });
      assert.equal(maxAbsDiff(predX0, clipped), 0);
      const meanDiff = maxAbsDiff(prevSample, fixture.read('outputs.posterior_mean'));
      assert.ok(meanDiff < 1e-5, `posterior mean differs by ${meanDiff}`);
      const variance = fixture.read('outputs.variance');
      assert.ok(maxAbsDiff(variance, zeros(xT.shape).add(scheduler.variance(437))) < 1e-9);
      const withNoise = scheduler.step(modelOut, 437, xT, { noise: zeros(xT.shape).add(1) }).prevSample;
      assert.ok(Math.abs(withNoise.sub(prevSample).mean().item() - Math.sqrt(scheduler.variance(437))) < 1e-6);
    });
  });

  test('the last step (t = 0) returns x̂₀ with no noise; a perfect x̂₀ gives the closed-form posterior mean', () => tidy(() => {
    const scheduler = new DDPMScheduler();
    scheduler.setTimesteps();
    const generator = new Generator(2);
    const x0 = randn([1, 2, 3, 3], { dtype: 'float64', generator });
    const eps = randn([1, 2, 3, 3], { dtype: 'float64', generator });
    const last = scheduler.step(x0, 0, randn([1, 2, 3, 3], { dtype: 'float64', generator }), { noise: eps });
    assert.ok(maxAbsDiff(last.prevSample, x0) < 1e-15);
    const t = 600;
    const { sqrtAlphasCumprod: a, sqrtOneMinusAlphasCumprod: s, alphasCumprod, betas } = scheduler.trainTables;
    const xt = x0.mul(a[t]).add(eps.mul(s[t]));
    const { prevSample } = scheduler.step(x0, t, xt, { noise: zeros(xt.shape, { dtype: 'float64' }) });
    // μ̃ = (√ᾱ_{t−1} β_t x₀ + √α_t (1 − ᾱ_{t−1}) x_t) / (1 − ᾱ_t), written out.
    const expected = x0.mul(Math.sqrt(alphasCumprod[t - 1]) * betas[t]).add(xt.mul(Math.sqrt(1 - betas[t]) * (1 - alphasCumprod[t - 1]))).div(1 - alphasCumprod[t]);
    assert.ok(maxAbsDiff(prevSample, expected) < 1e-12);
    generator.dispose();
  }));

  test("variance 'beta' is β_t (β̃_1 at t = 0, as the reference), 'posterior' is β̃_t", () => {
    const large = new DDPMScheduler();
    const small = new DDPMScheduler(parseDDPMSchedulerConfig({ variance: 'posterior' }));
    large.setTimesteps();
    small.setTimesteps();
    const { betas, posteriorVariance } = large.trainTables;
    assert.ok(Math.abs(large.variance(437) - betas[437]) < 1e-15);
    assert.equal(large.variance(0), large.stepTables.posteriorVariance[1]);
    assert.ok(Math.abs(small.variance(437) / posteriorVariance[437] - 1) < 1e-12);
    assert.ok(Math.abs(small.variance(0) / posteriorVariance[1] - 1) < 1e-12);
  });

  test('K = 10 steps: original timesteps 999 … 0 for the network, σ² = β′ of the respaced process', () => {
    const scheduler = new DDPMScheduler();
    scheduler.setTimesteps(10);
    assert.deepEqual(scheduler.timesteps, [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    const { alphasCumprod } = scheduler.trainTables;
    assert.ok(Math.abs(scheduler.variance(444) - (1 - alphasCumprod[444] / alphasCumprod[333])) < 1e-15);
    assert.ok(Math.abs(scheduler.stepTables.alphasCumprodPrev[5] / alphasCumprod[444] - 1) < 1e-14);
  });

  test('addNoise: √ᾱ_t x₀ + √(1 − ᾱ_t) ε for one t or one t per sample', () => tidy(() => {
    const scheduler = new DDPMScheduler();
    const x0 = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
    const eps = tensor([[0.5, -1], [2, 0]], { dtype: 'float64' });
    const { sqrtAlphasCumprod: a, sqrtOneMinusAlphasCumprod: s } = scheduler.trainTables;
    const one = scheduler.addNoise(x0, eps, 10).toTypedArray() as Float64Array;
    assert.ok(Math.abs(one[1] - (2 * a[10] - s[10])) < 1e-15);
    const each = scheduler.addNoise(x0, eps, [10, 900]).toTypedArray() as Float64Array;
    assert.ok(Math.abs(each[1] - (2 * a[10] - s[10])) < 1e-15);
    assert.ok(Math.abs(each[2] - (3 * a[900] + 2 * s[900])) < 1e-15);
    assert.throws(() => scheduler.addNoise(x0, eps, 1000), /DDPMScheduler.addNoise: t must be an integer in \[0, 1000\), got 1000/);
    assert.throws(() => scheduler.addNoise(x0, eps, [1]), /DDPMScheduler.addNoise: give one t per sample \(2\), got 1/);
  }));

  test('errors name the call, the value and what was expected', () => tidy(() => {
    const scheduler = new DDPMScheduler();
    const x = zeros([1, 8, 2, 2, 2]);
    assert.throws(() => scheduler.step(x, 999, x, { noise: x }), /DDPMScheduler.step: call setTimesteps\(count\) before step/);
    assert.throws(() => scheduler.timesteps, /DDPMScheduler.timesteps: call setTimesteps\(count\) first/);
    scheduler.setTimesteps(10);
    assert.throws(() => scheduler.step(x, 500, x, { noise: x }), /DDPMScheduler.step: timestep 500 is not one of the 10 timesteps chosen by setTimesteps \(999, 888, 777, … 0\)/);
    assert.throws(() => scheduler.step(x, 999, x), /DDPMScheduler.step: this step adds noise; give options.noise or options.generator/);
    assert.throws(() => scheduler.step(zeros([1, 8, 2, 2]), 999, x, { noise: x }), /DDPMScheduler.step: modelOutput shape \[1,8,2,2\] must equal sample shape \[1,8,2,2,2\]/);
    assert.throws(() => scheduler.setTimesteps(1001), /DDPMScheduler.setTimesteps: count must be an integer in \[1, 1000\] \(numTrainTimesteps\), got 1001/);
    assert.throws(() => parseDDPMSchedulerConfig({ variance: 'learned' }), /parseDDPMSchedulerConfig: variance must be one of 'beta', 'posterior', got "learned"/);
    assert.throws(() => parseDDPMSchedulerConfig({ steps: 5 }), /parseDDPMSchedulerConfig: unknown config key "steps", expected some of numTrainTimesteps, betaSchedule, predictionType, timestepSpacing, variance/);
    assert.deepEqual(parseDDPMSchedulerConfig(), { numTrainTimesteps: 1000, betaSchedule: 'linear', predictionType: 'sample', timestepSpacing: 'guided', variance: 'beta' });
    const config = parseDDPMSchedulerConfig({ betaSchedule: 'cosine', numTrainTimesteps: 50 });
    assert.deepEqual(parseDDPMSchedulerConfig(JSON.parse(JSON.stringify(config))), config);
  }));
});

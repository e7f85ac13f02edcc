import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { betaSchedule } from './betaSchedules.js';
import { scheduleTables } from './scheduleTables.js';
import { readCwdmSchedule } from './cwdmFixture.testSupport.js';

function maxAbsDiff(a: readonly number[], b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('scheduleTables (linear, T = 1000)', () => {
  const tables = scheduleTables(betaSchedule('linear', 1000));

  test('match the reference tables in the cWDM fixture to 1e-12', async () => {
    const pairs = [
      ['betas', tables.betas], ['alphas_cumprod', tables.alphasCumprod], ['posterior_mean_coef1', tables.posteriorMeanCoef1],
      ['posterior_mean_coef2', tables.posteriorMeanCoef2], ['posterior_variance', tables.posteriorVariance],
    ] as const;
    for (const [name, ours] of pairs) {
      const diff = maxAbsDiff(ours, await readCwdmSchedule(name));
      assert.ok(diff < 1e-12, `${name} differs by ${diff}`);
    }
  });

  test('follow their definitions: ᾱ as a running product, ᾱ_{t−1} with ᾱ_{−1} = 1, ᾱ_999 ≈ 4.0e-5 (spec §5)', () => {
    let product = 1;
    for (let t = 0; t < 1000; t++) {
      assert.equal(tables.alphasCumprodPrev[t], product);
      product *= 1 - tables.betas[t];
      assert.equal(tables.alphasCumprod[t], product);
      assert.ok(Math.abs(tables.sqrtAlphasCumprod[t] ** 2 + tables.sqrtOneMinusAlphasCumprod[t] ** 2 - 1) < 1e-15, `t = ${t}`);
    }
    assert.ok(Math.abs(tables.alphasCumprod[999] - 4.0e-5) < 0.1e-5);
  });

  test('the posterior of a noise-free x_t = √ᾱ_t x₀ has mean √ᾱ_{t−1} x₀: c1 + c2 √ᾱ_t = √ᾱ_{t−1}', () => {
    for (let t = 0; t < 1000; t++) {
      const mean = tables.posteriorMeanCoef1[t] + tables.posteriorMeanCoef2[t] * tables.sqrtAlphasCumprod[t];
      assert.ok(Math.abs(mean - Math.sqrt(tables.alphasCumprodPrev[t])) < 1e-12, `t = ${t}`);
    }
  });

  test('β̃_0 = 0 and the clipped log-variance repeats β̃_1 there', () => {
    assert.equal(tables.posteriorVariance[0], 0);
    assert.equal(tables.posteriorLogVarianceClipped[0], Math.log(tables.posteriorVariance[1]));
    assert.equal(tables.posteriorLogVarianceClipped[500], Math.log(tables.posteriorVariance[500]));
    const t = 437;
    const expected = (tables.betas[t] * (1 - tables.alphasCumprod[t - 1])) / (1 - tables.alphasCumprod[t]);
    assert.equal(tables.posteriorVariance[t], expected);
    assert.ok(Math.abs(tables.sqrtRecipm1AlphasCumprod[t] ** 2 - (1 / tables.alphasCumprod[t] - 1)) < 1e-12);
  });

  test('tables are frozen and bad betas are refused', () => {
    assert.ok(Object.isFrozen(tables) && Object.isFrozen(tables.betas));
    assert.throws(() => scheduleTables([0.1, 1.5]), /scheduleTables: every beta must lie in \(0, 1\], got betas\[1\] = 1.5/);
    assert.throws(() => scheduleTables([0.1]), /scheduleTables: need at least 2 betas, got 1/);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BETA_SCHEDULES, BETA_SCHEDULE_NAMES, betaSchedule } from './betaSchedules.js';
import { readCwdmSchedule } from './cwdmFixture.testSupport.js';

function maxAbsDiff(a: readonly number[], b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('beta schedules', () => {
  test('the registry lists each schedule with a description', () => {
    assert.deepEqual(BETA_SCHEDULE_NAMES, ['linear', 'scaledLinear', 'cosine']);
    for (const name of BETA_SCHEDULE_NAMES) assert.ok(BETA_SCHEDULES[name].description.length > 20, name);
  });

  test('linear: 1e-4 … 0.02 in equal increments over T = 1000, and scaled by 1000/T otherwise', () => {
    const betas = betaSchedule('linear', 1000);
    assert.equal(betas.length, 1000);
    assert.equal(betas[0], 1e-4);
    assert.equal(betas[999], 0.02);
    for (let i = 1; i < 1000; i++) assert.ok(Math.abs(betas[i] - betas[i - 1] - 0.0199 / 999) < 1e-17, `increment ${i}`);
    const half = betaSchedule('linear', 500);
    assert.equal(half[0], 2e-4);
    assert.equal(half[499], 0.04);
  });

  test('linear equals the reference schedule in the cWDM fixture to 1e-12 (float64)', async () => {
    const reference = await readCwdmSchedule('betas');
    assert.ok(maxAbsDiff(betaSchedule('linear', 1000), reference) < 1e-12);
  });

  test('scaledLinear: √β runs linearly from √0.0015 to √0.0195', () => {
    const roots = betaSchedule('scaledLinear', 1000).map(Math.sqrt);
    assert.ok(Math.abs(roots[0] ** 2 - 0.0015) < 1e-15 && Math.abs(roots[999] ** 2 - 0.0195) < 1e-15);
    const step = (Math.sqrt(0.0195) - Math.sqrt(0.0015)) / 999;
    for (let i = 1; i < 1000; i++) assert.ok(Math.abs(roots[i] - roots[i - 1] - step) < 1e-15, `increment ${i}`);
  });

  test('cosine: ∏(1 − β) telescopes to ᾱ(t/T)/ᾱ(0) until the 0.999 cap', () => {
    const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    const betas = betaSchedule('cosine', 1000);
    let product = 1;
    for (let t = 0; t < 990; t++) {
      product *= 1 - betas[t];
      assert.ok(Math.abs(product - alphaBar((t + 1) / 1000) / alphaBar(0)) < 1e-12, `t = ${t}`);
    }
    assert.equal(betas[999], 0.999);
  });

  test('refuses unknown names and too few timesteps', () => {
    assert.throws(() => betaSchedule('quadratic' as never, 1000), /betaSchedule: unknown schedule "quadratic", expected one of linear, scaledLinear, cosine/);
    assert.throws(() => betaSchedule('linear', 1), /betaSchedule: numTimesteps must be an integer ≥ 2, got 1/);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { betaSchedule } from './betaSchedules.js';
import { scheduleTables } from './scheduleTables.js';
import { respaceBetas, spaceTimesteps } from './spaceTimesteps.js';
import { readCwdmSchedule } from './cwdmFixture.testSupport.js';

describe('spaceTimesteps / respaceBetas (respace.py)', () => {
  const { alphasCumprod } = scheduleTables(betaSchedule('linear', 1000));

  test('hand-checked spacings: stride (T−1)/(K−1) accumulated, rounded half to even like Python', () => {
    assert.deepEqual(spaceTimesteps(1000, 4), [0, 333, 666, 999]);
    assert.deepEqual(spaceTimesteps(1000, 3), [0, 500, 999]); // 499.5 → 500 (even)
    assert.deepEqual(spaceTimesteps(1000, 5), [0, 250, 500, 749, 999]); // 249.75, 499.5, 749.25
    assert.deepEqual(spaceTimesteps(6, 3), [0, 2, 5]); // 2.5 → 2 (even)
    assert.deepEqual(spaceTimesteps(1000, 1), [0]);
  });

  test('K = 50 runs from 0 to 999; K = T keeps every step', () => {
    const fifty = spaceTimesteps(1000, 50);
    assert.equal(fifty.length, 50);
    assert.deepEqual([fifty[0], fifty[1], fifty[2], fifty[48], fifty[49]], [0, 20, 41, 979, 999]);
    assert.deepEqual(spaceTimesteps(1000, 1000), Array.from({ length: 1000 }, (_, i) => i));
  });

  test('β′ for K = 4: 1 − ᾱ_τk / ᾱ_τk−1, whose running product gives back ᾱ at the kept steps', () => {
    const tau = [0, 333, 666, 999];
    const betas = respaceBetas(alphasCumprod, tau);
    assert.equal(betas[0], 1 - alphasCumprod[0]);
    assert.equal(betas[1], 1 - alphasCumprod[333] / alphasCumprod[0]);
    assert.equal(betas[3], 1 - alphasCumprod[999] / alphasCumprod[666]);
    const respaced = scheduleTables(betas);
    tau.forEach((t, k) => assert.ok(Math.abs(respaced.alphasCumprod[k] / alphasCumprod[t] - 1) < 1e-14, `k = ${k}`));
  });

  test('K = T respacing reproduces the reference sampler betas bit for bit (its SpacedDiffusion does the same)', async () => {
    const reference = await readCwdmSchedule('betas');
    assert.deepEqual(respaceBetas(alphasCumprod, spaceTimesteps(1000, 1000)), [...reference]);
  });

  test('refuses counts outside [1, T] and unordered timesteps', () => {
    assert.throws(() => spaceTimesteps(1000, 0), /spaceTimesteps: count must be an integer in \[1, 1000\] \(the training timesteps\), got 0/);
    assert.throws(() => spaceTimesteps(1000, 1001), /got 1001/);
    assert.throws(() => respaceBetas(alphasCumprod, [5, 3]), /respaceBetas: timesteps must be ascending integers in \[0, 1000\), got 3 at position 1/);
  });
});

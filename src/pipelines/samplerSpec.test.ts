import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DDIMScheduler, DDPMScheduler } from '../schedulers/index.js';
import type { Tensor } from '../tensor/index.js';
import { buildScheduler, describeSampler, parseSamplerSpec, resolveSampler } from './samplerSpec.js';

const schedule = { betaSchedule: 'linear', numTrainTimesteps: 1000 } as const;
const identity = (x: Tensor) => x;

describe('parseSamplerSpec', () => {
  test('defaults: DDIM, 50 steps, η 0; DDPM runs the whole chain with variance beta', () => {
    assert.deepEqual(parseSamplerSpec(), { kind: 'ddim', steps: 50, eta: 0 });
    assert.deepEqual(parseSamplerSpec({ kind: 'ddpm' }), { kind: 'ddpm', variance: 'beta' });
    assert.deepEqual(resolveSampler(parseSamplerSpec({ kind: 'ddpm' }), schedule), { kind: 'ddpm', steps: 1000, variance: 'beta' });
    // The whole chain asked for by default or by its length is one sampler, and reads as one (sidecars compare JSON).
    assert.equal(JSON.stringify(resolveSampler(parseSamplerSpec({ kind: 'ddpm' }), schedule)),
      JSON.stringify(resolveSampler(parseSamplerSpec({ kind: 'ddpm', steps: 1000 }), schedule)));
    assert.equal(describeSampler(parseSamplerSpec({ kind: 'ddpm', variance: 'posterior' })), 'DDPM, all steps, variance posterior');
  });

  test('refuses unknown samplers, bad numbers, and options of the other sampler', () => {
    assert.throws(() => parseSamplerSpec({ kind: 'euler' }), /parseSamplerSpec: sampler must be one of ddim, ddpm, got 'euler'/);
    assert.throws(() => parseSamplerSpec({ steps: 0 }), /steps must be a positive integer, got 0/);
    assert.throws(() => parseSamplerSpec({ eta: -1 }), /eta must be a finite number ≥ 0, got -1/);
    assert.throws(() => parseSamplerSpec({ variance: 'posterior' }), /variance 'posterior' is a DDPM option/);
    assert.throws(() => parseSamplerSpec({ kind: 'ddpm', eta: 1 }), /eta 1 is a DDIM option/);
    assert.throws(() => parseSamplerSpec({ kind: 'ddpm', variance: 'small' }), /variance must be one of beta, posterior, got 'small'/);
  });
});

describe('buildScheduler', () => {
  test('builds the chosen scheduler over the run\'s schedule with its timesteps set', () => {
    const ddim = buildScheduler(parseSamplerSpec({ steps: 4, eta: 0.5 }), schedule, identity);
    assert.ok(ddim instanceof DDIMScheduler);
    assert.equal(ddim.config.eta, 0.5);
    assert.equal(ddim.timesteps.length, 4);
    const ddpm = buildScheduler(parseSamplerSpec({ kind: 'ddpm' }), { betaSchedule: 'cosine', numTrainTimesteps: 20 }, identity);
    assert.ok(ddpm instanceof DDPMScheduler);
    assert.equal(ddpm.config.betaSchedule, 'cosine');
    assert.equal(ddpm.timesteps.length, 20);
    assert.throws(() => buildScheduler(parseSamplerSpec({ steps: 30 }), { betaSchedule: 'linear', numTrainTimesteps: 20 }, identity),
      /setTimesteps: count must be an integer in \[1, 20\]/);
  });
});

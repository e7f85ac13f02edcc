/**
 * Latent diffusion's schedule and samplers ('ldm' timestep spacing) against the ALDM reference fixture: the training
 * tables, the DDIM tables for S = 50, 200, 7, 400 and 5, the 5-step DDIM run with its stored noise, and the DDPM step.
 * The network outputs the samplers were fed are recovered from the stored x̂₀ (ε̂ = (x − √ᾱ x̂₀)/√(1 − ᾱ)), so these
 * tests need no network: they check the step arithmetic, the tables and the order of the steps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readAldmFixture } from '../models/aldm/aldmFixture.testSupport.js';
import { type Tensor, setNumThreads, tidy } from '../tensor/index.js';
import { DDIMScheduler, parseDDIMSchedulerConfig } from './ddim.js';
import { DDPMScheduler, parseDDPMSchedulerConfig } from './ddpm.js';
import { ldmTimesteps } from './spaceTimesteps.js';

setNumThreads(1);
const fixture = await readAldmFixture();
const T = fixture.config.num_timesteps as number;
const ldm = { betaSchedule: 'scaledLinear', numTrainTimesteps: T, predictionType: 'epsilon', timestepSpacing: 'ldm' } as const;

const values = (name: string) => Array.from(fixture.read(name).toTypedArray() as ArrayLike<number | bigint>, Number);

/** max |a − b| ≤ max(1e-5, 1e-4 · max |b|): the fixture's stated tolerance. */
function assertClose(actual: readonly number[] | Tensor, expected: readonly number[] | Tensor, what: string): void {
  const a = Array.isArray(actual) ? actual : Array.from((actual as Tensor).toTypedArray() as Float32Array);
  const b = Array.isArray(expected) ? expected : Array.from((expected as Tensor).toTypedArray() as Float32Array);
  assert.equal(a.length, b.length, `${what}: length`);
  const scale = Math.max(...b.map(Math.abs));
  const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  assert.ok(worst <= Math.max(1e-5, 1e-4 * scale), `${what}: largest difference ${worst} (values up to ${scale})`);
}

describe("'ldm' spacing against the ALDM reference", () => {
  test('the training tables of the scaled-linear schedule equal the reference buffers', () => {
    const { trainTables } = new DDIMScheduler(parseDDIMSchedulerConfig(ldm));
    assertClose(trainTables.betas, values('schedule.betas'), 'betas');
    const pairs = {
      alphas_cumprod: trainTables.alphasCumprod, alphas_cumprod_prev: trainTables.alphasCumprodPrev,
      sqrt_recip_alphas_cumprod: trainTables.sqrtRecipAlphasCumprod, sqrt_recipm1_alphas_cumprod: trainTables.sqrtRecipm1AlphasCumprod,
      posterior_variance: trainTables.posteriorVariance, posterior_mean_coef1: trainTables.posteriorMeanCoef1,
      posterior_mean_coef2: trainTables.posteriorMeanCoef2,
    };
    for (const [name, ours] of Object.entries(pairs)) assertClose(ours, values(`schedule.${name}`), name);
    // From t = 1 on; at t = 0 guided-diffusion's clipping (β̃_1) and latent diffusion's (1e-20) differ, and no noise is added there.
    assertClose(trainTables.posteriorLogVarianceClipped.slice(1), values('schedule.posterior_log_variance_clipped').slice(1), 'posterior_log_variance_clipped');
  });

  for (const S of [50, 200, 7, 400, 5]) {
    test(`DDIM with S = ${S}: the reference's timesteps, ᾱ, ᾱ_prev and σ (η = 1)`, () => {
      const scheduler = new DDIMScheduler(parseDDIMSchedulerConfig({ ...ldm, eta: 1 }));
      scheduler.setTimesteps(S);
      const ascending = [...scheduler.timesteps].reverse();
      assert.deepEqual(ascending, values(`ddim.S${S}.timesteps`));
      const coefficients = ascending.map((t) => scheduler.coefficients(t));
      assertClose(coefficients.map((c) => c.alphaBar), values(`ddim.S${S}.alphas`), 'alphas');
      assertClose(coefficients.map((c) => c.alphaBarPrev), values(`ddim.S${S}.alphas_prev`), 'alphas_prev');
      assertClose(coefficients.map((c) => c.sigma), values(`ddim.S${S}.sigmas`), 'sigmas');
    });
  }

  test('a step count whose last timestep would be T (where the reference indexes past its tables) is refused, naming counts that work', () => {
    for (const S of [3, 300, 1000]) {
      assert.throws(() => new DDIMScheduler(parseDDIMSchedulerConfig(ldm)).setTimesteps(S),
        new RegExp(`ldmTimesteps: ${S} steps of T = 1000 .* would end at t = 1000, past the last timestep 999 .*choose another count, e\\.g\\. \\d+ or \\d+`));
    }
    const suggested = /e\.g\. (\d+) or (\d+)/.exec(String((() => { try { ldmTimesteps(1000, 300); } catch (e) { return e; } })()))!;
    for (const S of suggested.slice(1).map(Number)) assert.ok(ldmTimesteps(1000, S).every((t) => t < 1000));
  });

  test('the 5-step DDIM run (η = 1) with the stored noise ends at the reference sample', () => {
    const scheduler = new DDIMScheduler(parseDDIMSchedulerConfig({ ...ldm, eta: 1 }));
    scheduler.setTimesteps(fixture.config.ddim_steps_run as number);
    const noises = fixture.read('ddim.run.noises');
    const predX0s = fixture.read('ddim.run.pred_x0');
    let x = fixture.read('ddim.run.x_T');
    scheduler.timesteps.forEach((t, i) => {
      const { alphaBar } = scheduler.coefficients(t);
      const next = tidy(() => {
        const eps = x.sub(predX0s.select(0, i).mul(Math.sqrt(alphaBar))).div(Math.sqrt(1 - alphaBar));
        const { prevSample, predX0 } = scheduler.step(eps, t, x, { noise: noises.select(0, i) });
        assertClose(predX0, predX0s.select(0, i), `x̂₀ of step ${i} (t = ${t})`);
        return prevSample;
      });
      x.dispose();
      x = next;
    });
    assertClose(x, fixture.read('ddim.run.samples'), 'final sample');
  });

  test('one DDPM step (σ² = β̃, no clipping) at t = 250 and t = 0, one sample each', () => {
    const scheduler = new DDPMScheduler(parseDDPMSchedulerConfig({ ...ldm, variance: 'posterior' }));
    scheduler.setTimesteps(T);
    const steps = values('ddpm.t');
    const x = fixture.read('inputs.x_t');
    steps.forEach((t, i) => tidy(() => {
      const sample = x.narrow(0, i, 1);
      const predX0 = fixture.read('ddpm.pred_x0').narrow(0, i, 1);
      const { sqrtRecipAlphasCumprod, sqrtRecipm1AlphasCumprod } = scheduler.trainTables;
      const eps = sample.mul(sqrtRecipAlphasCumprod[t]).sub(predX0).div(sqrtRecipm1AlphasCumprod[t]);
      const out = scheduler.step(eps, t, sample, { noise: fixture.read('ddpm.noise').narrow(0, i, 1) });
      assertClose(out.prevSample, fixture.read('ddpm.x_prev').narrow(0, i, 1), `x_prev at t = ${t}`);
    }));
  });

  test("DDPM under 'ldm' runs all T steps, as latent diffusion does; fewer are refused", () => {
    const scheduler = new DDPMScheduler(parseDDPMSchedulerConfig(ldm));
    assert.throws(() => scheduler.setTimesteps(50), /with 'ldm' spacing DDPM runs all 1000 steps, as latent diffusion does; got 50/);
  });
});

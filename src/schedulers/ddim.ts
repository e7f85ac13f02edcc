/**
 * DDIM (Song et al. 2021): a deterministic (η = 0) or partly stochastic sampler over a subset of the training
 * timesteps. The cWDM reference has no working DDIM (spec §13); this follows guided-diffusion's `ddim_sample`,
 * on the same spacing rule as DDPM (so K = 50 visits 999, 979, …, 0: the first step is at t = 999).
 */
import { Tensor, tidy } from '../tensor/index.js';
import { assert } from '../util/index.js';
import { Scheduler, SchedulerConfig, SchedulerOptions, SchedulerStepOutput, StepOptions, parseBaseSchedulerConfig } from './scheduler.js';

export interface DDIMSchedulerConfig extends SchedulerConfig {
  /** η of Song et al. Eq. 16: 0 is deterministic DDIM, 1 has DDPM's posterior variance. Default 0. */
  readonly eta: number;
}

export function parseDDIMSchedulerConfig(raw: unknown = {}): DDIMSchedulerConfig {
  const { base, record } = parseBaseSchedulerConfig('parseDDIMSchedulerConfig', raw, ['eta']);
  const eta = record.eta ?? 0;
  assert(typeof eta === 'number' && Number.isFinite(eta) && eta >= 0,
    () => `parseDDIMSchedulerConfig: eta must be a finite number ≥ 0, got ${JSON.stringify(eta)}`);
  return Object.freeze({ ...base, eta });
}

export class DDIMScheduler extends Scheduler<DDIMSchedulerConfig> {
  constructor(config: DDIMSchedulerConfig = parseDDIMSchedulerConfig(), options: SchedulerOptions = {}) {
    super(config, options);
  }

  /** K steps, default 50. */
  override setTimesteps(count = 50): void {
    super.setTimesteps(count);
  }

  /**
   * One DDIM step from x_t at original timestep t to the previous kept timestep (Song et al. Eq. 12):
   *   x̂₀ = clip(prediction)                                   (`clipPredX0`)
   *   ε̂  = (√(1/ᾱ) x_t − x̂₀) / √(1/ᾱ − 1)                     (recomputed from the CLIPPED x̂₀, as guided-diffusion)
   *   σ  = η √((1 − ᾱ_prev)/(1 − ᾱ)) √(1 − ᾱ/ᾱ_prev)            (Eq. 16)
   *   x_prev = √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂ + σ z
   * ᾱ ↔ alphasCumprod[k], ᾱ_prev ↔ alphasCumprodPrev[k] of the respaced process. At the last step ᾱ_prev = 1, so
   * x_prev is x̂₀; it is returned as such, exactly.
   */
  step(modelOutput: Tensor, t: number, sample: Tensor, options: StepOptions = {}): SchedulerStepOutput {
    const fn = 'DDIMScheduler.step';
    const k = this.stepIndex(fn, t);
    this.checkStepInputs(fn, modelOutput, sample);
    const tables = this.stepTables;
    const alphaBar = tables.alphasCumprod[k];
    const alphaBarPrev = tables.alphasCumprodPrev[k];
    const sigma = this.config.eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBar)) * Math.sqrt(1 - alphaBar / alphaBarPrev);
    return tidy(() => {
      const predX0 = this.predictX0(modelOutput, sample, k);
      if (k === 0) return { prevSample: predX0.clone(), predX0 };
      const eps = sample.mul(tables.sqrtRecipAlphasCumprod[k]).sub(predX0).div(tables.sqrtRecipm1AlphasCumprod[k]);
      const mean = predX0.mul(Math.sqrt(alphaBarPrev)).add(eps.mul(Math.sqrt(1 - alphaBarPrev - sigma * sigma)));
      return { prevSample: sigma > 0 ? mean.add(this.stepNoise(fn, sample, options).mul(sigma)) : mean, predX0 };
    });
  }
}

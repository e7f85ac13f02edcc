/**
 * DDIM (Song et al. 2021): a deterministic (η = 0) or partly stochastic sampler over a subset of the training
 * timesteps, in the two forms the references use. 'guided' spacing follows guided-diffusion's `ddim_sample` (the cWDM
 * reference has no working DDIM, spec §13), on the same spacing rule as DDPM: K = 50 visits 999, 979, …, 0. 'ldm'
 * spacing follows latent diffusion's `p_sample_ddim` (ALDM): K = 50 visits 981, 961, …, 1, ε̂ is the network's own
 * output, and the last step is an ordinary one that still adds σ z.
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
    if (this.config.timestepSpacing === 'ldm') return this.#ldmStep(fn, modelOutput, t, sample, options);
    const tables = this.stepTables;
    const { alphaBarPrev, sigma } = this.coefficients(t);
    return tidy(() => {
      const predX0 = this.predictX0(modelOutput, sample, k);
      if (k === 0) return { prevSample: predX0.clone(), predX0 };
      const eps = sample.mul(tables.sqrtRecipAlphasCumprod[k]).sub(predX0).div(tables.sqrtRecipm1AlphasCumprod[k]);
      const mean = predX0.mul(Math.sqrt(alphaBarPrev)).add(eps.mul(Math.sqrt(1 - alphaBarPrev - sigma * sigma)));
      return { prevSample: sigma > 0 ? mean.add(this.stepNoise(fn, sample, options).mul(sigma)) : mean, predX0 };
    });
  }

  /**
   * ᾱ, ᾱ_prev and σ of the step at original timestep `t` (the reference's `ddim_alphas`, `ddim_alphas_prev`,
   * `ddim_sigmas` under 'ldm'). Under 'ldm' the last step's ᾱ_prev is ᾱ_0 of the training process, not 1: the chain
   * ends at t = 0's noise level, as latent diffusion's does.
   */
  coefficients(t: number): { alphaBar: number; alphaBarPrev: number; sigma: number } {
    const k = this.stepIndex('DDIMScheduler.coefficients', t);
    const tables = this.stepTables;
    const alphaBar = tables.alphasCumprod[k];
    const alphaBarPrev = k === 0 && this.config.timestepSpacing === 'ldm' ? this.trainTables.alphasCumprod[0] : tables.alphasCumprodPrev[k];
    const sigma = this.config.eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBar)) * Math.sqrt(1 - alphaBar / alphaBarPrev);
    return { alphaBar, alphaBarPrev, sigma };
  }

  /**
   * One step of latent diffusion's `p_sample_ddim` (no score corrector, no quantisation):
   *   ε̂  = model output (ε-prediction), or (x_t − √ᾱ x̂₀)/√(1 − ᾱ) for x₀-prediction
   *   x̂₀ = (x_t − √(1 − ᾱ) ε̂)/√ᾱ, then `clipPredX0` if given (ε̂ is kept, as the reference keeps it)
   *   x_prev = √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂ + σ z   — at every step, the last included.
   */
  #ldmStep(fn: string, modelOutput: Tensor, t: number, sample: Tensor, options: StepOptions): SchedulerStepOutput {
    const { alphaBar, alphaBarPrev, sigma } = this.coefficients(t);
    return tidy(() => {
      const eps = this.config.predictionType === 'epsilon'
        ? modelOutput
        : sample.sub(modelOutput.mul(Math.sqrt(alphaBar))).div(Math.sqrt(1 - alphaBar));
      const raw = sample.sub(eps.mul(Math.sqrt(1 - alphaBar))).div(Math.sqrt(alphaBar));
      const predX0 = this.clip(raw);
      const mean = predX0.mul(Math.sqrt(alphaBarPrev)).add(eps.mul(Math.sqrt(1 - alphaBarPrev - sigma * sigma)));
      return { prevSample: sigma > 0 ? mean.add(this.stepNoise(fn, sample, options).mul(sigma)) : mean, predX0 };
    });
  }
}

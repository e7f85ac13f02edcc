/**
 * Ancestral sampling (Ho et al. 2020, Algorithm 2) as the cWDM reference runs it (spec §5, §7): with K = T = 1000
 * steps this is the reference's only working sampler; K < T steps use the respaced process (spec §5, `respace.py`).
 */
import { Tensor, tidy } from '../tensor/index.js';
import { assert } from '../util/index.js';
import {
  Scheduler, SchedulerConfig, SchedulerOptions, SchedulerStepOutput, StepOptions, parseBaseSchedulerConfig, parseOneOf,
} from './scheduler.js';

/**
 * σ²_t of the reverse step: 'beta' is guided-diffusion's FIXED_LARGE, σ²_t = β_t, which the reference samples with
 * (the paper's Eq. 6 says β̃_t; spec §12.1); 'posterior' is FIXED_SMALL, σ²_t = β̃_t.
 */
export const DDPM_VARIANCES = ['beta', 'posterior'] as const;
export type DDPMVariance = (typeof DDPM_VARIANCES)[number];

export interface DDPMSchedulerConfig extends SchedulerConfig {
  /** Default 'beta', the reference's choice. */
  readonly variance: DDPMVariance;
}

export function parseDDPMSchedulerConfig(raw: unknown = {}): DDPMSchedulerConfig {
  const { base, record } = parseBaseSchedulerConfig('parseDDPMSchedulerConfig', raw, ['variance']);
  return Object.freeze({ ...base, variance: parseOneOf('parseDDPMSchedulerConfig', 'variance', record.variance ?? 'beta', DDPM_VARIANCES) });
}

export class DDPMScheduler extends Scheduler<DDPMSchedulerConfig> {
  constructor(config: DDPMSchedulerConfig = parseDDPMSchedulerConfig(), options: SchedulerOptions = {}) {
    super(config, options);
  }

  /** K steps; the default K = T is the reference's 1000-step sampler. */
  override setTimesteps(count = this.config.numTrainTimesteps): void {
    super.setTimesteps(count);
  }

  /** Latent diffusion samples DDPM over all T steps only (its 'ldm' rule is DDIM's); that chain is the identity respacing. */
  protected override keptTimesteps(count: number): number[] {
    const T = this.config.numTrainTimesteps;
    if (this.config.timestepSpacing !== 'ldm') return super.keptTimesteps(count);
    assert(count === T, () => `DDPMScheduler.setTimesteps: with 'ldm' spacing DDPM runs all ${T} steps, as latent diffusion does; `
      + `got ${count} (use DDIM for fewer steps, or 'guided' spacing)`);
    return [...Array(T).keys()];
  }

  /**
   * σ²_t used at original timestep t. For 'beta' the reference puts β̃_1 at t = 0 (`np.append(posterior_variance[1],
   * betas[1:])`); for 'posterior', the clipped log-variance does the same. No noise is added at t = 0 either way.
   */
  variance(t: number): number {
    const k = this.stepIndex('DDPMScheduler.variance', t);
    const tables = this.stepTables;
    if (this.config.variance === 'posterior') return Math.exp(tables.posteriorLogVarianceClipped[k]);
    return k === 0 ? tables.posteriorVariance[1] : tables.betas[k];
  }

  /**
   * One ancestral step from x_t at original timestep t (Ho et al. Eq. 6–7, Algorithm 2 line 4):
   *   x̂₀ = clip(model output)                        (x₀-prediction; `clipPredX0`, spec §7 step 2)
   *   μ̃  = c1_k x̂₀ + c2_k x_t                        (posteriorMeanCoef1/2 ↔ c1, c2)
   *   x_{t_prev} = μ̃ + [k > 0] σ_k z,  z ~ N(0, I)   (σ²_k = variance(t))
   * k is the step index in the respaced process. z is drawn at every step, the last included, where it is
   * discarded: the reference does the same, so a seeded generator is consumed identically.
   */
  step(modelOutput: Tensor, t: number, sample: Tensor, options: StepOptions = {}): SchedulerStepOutput {
    const fn = 'DDPMScheduler.step';
    const k = this.stepIndex(fn, t);
    this.checkStepInputs(fn, modelOutput, sample);
    const { posteriorMeanCoef1, posteriorMeanCoef2 } = this.stepTables;
    const sigma = Math.sqrt(this.variance(t));
    return tidy(() => {
      const predX0 = this.predictX0(modelOutput, sample, k);
      const mean = predX0.mul(posteriorMeanCoef1[k]).add(sample.mul(posteriorMeanCoef2[k]));
      const z = this.stepNoise(fn, sample, options);
      return { prevSample: k > 0 ? mean.add(z.mul(sigma)) : mean, predX0 };
    });
  }
}

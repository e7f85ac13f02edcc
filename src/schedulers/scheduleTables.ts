/**
 * Everything a diffusion process derives from its β's, computed once in float64 with the reference's formulas
 * and operation order (guided-diffusion `GaussianDiffusion.__init__`, which cWDM uses; spec §5). Index t is the
 * 0-based timestep; ᾱ_{−1} := 1.
 */
import { assert } from '../util/index.js';

export interface ScheduleTables {
  readonly betas: readonly number[];
  readonly alphas: readonly number[];
  /** ᾱ_t = ∏_{s≤t} α_s. */
  readonly alphasCumprod: readonly number[];
  /** ᾱ_{t−1}, with 1 at t = 0. */
  readonly alphasCumprodPrev: readonly number[];
  /** q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) (Ho et al. Eq. 4). */
  readonly sqrtAlphasCumprod: readonly number[];
  readonly sqrtOneMinusAlphasCumprod: readonly number[];
  /** √(1/ᾱ_t) and √(1/ᾱ_t − 1): ε from x_0 as ε = (√(1/ᾱ_t) x_t − x_0) / √(1/ᾱ_t − 1). */
  readonly sqrtRecipAlphasCumprod: readonly number[];
  readonly sqrtRecipm1AlphasCumprod: readonly number[];
  /** β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t), the variance of q(x_{t−1} | x_t, x_0) (Ho et al. Eq. 7). */
  readonly posteriorVariance: readonly number[];
  /** log β̃_t with β̃_0 = 0 replaced by β̃_1, as the reference clips it. */
  readonly posteriorLogVarianceClipped: readonly number[];
  /** μ̃_t = c1_t x_0 + c2_t x_t: c1 = β_t √ᾱ_{t−1} / (1 − ᾱ_t), c2 = (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t) (Ho et al. Eq. 7). */
  readonly posteriorMeanCoef1: readonly number[];
  readonly posteriorMeanCoef2: readonly number[];
}

export function scheduleTables(betas: readonly number[]): ScheduleTables {
  assert(betas.length >= 2, () => `scheduleTables: need at least 2 betas, got ${betas.length}`);
  const bad = betas.findIndex((b) => !(b > 0 && b <= 1));
  assert(bad < 0, () => `scheduleTables: every beta must lie in (0, 1], got betas[${bad}] = ${betas[bad]}`);
  const alphas = betas.map((b) => 1 - b);
  const alphasCumprod: number[] = [];
  let product = 1;
  for (const a of alphas) alphasCumprod.push((product *= a));
  const alphasCumprodPrev = [1, ...alphasCumprod.slice(0, -1)];
  const posteriorVariance = betas.map((b, t) => (b * (1 - alphasCumprodPrev[t])) / (1 - alphasCumprod[t]));
  const frozen = (values: number[]) => Object.freeze(values);
  return Object.freeze({
    betas: frozen([...betas]),
    alphas: frozen(alphas),
    alphasCumprod: frozen(alphasCumprod),
    alphasCumprodPrev: frozen(alphasCumprodPrev),
    sqrtAlphasCumprod: frozen(alphasCumprod.map(Math.sqrt)),
    sqrtOneMinusAlphasCumprod: frozen(alphasCumprod.map((a) => Math.sqrt(1 - a))),
    sqrtRecipAlphasCumprod: frozen(alphasCumprod.map((a) => Math.sqrt(1 / a))),
    sqrtRecipm1AlphasCumprod: frozen(alphasCumprod.map((a) => Math.sqrt(1 / a - 1))),
    posteriorVariance: frozen(posteriorVariance),
    posteriorLogVarianceClipped: frozen([posteriorVariance[1], ...posteriorVariance.slice(1)].map(Math.log)),
    posteriorMeanCoef1: frozen(betas.map((b, t) => (b * Math.sqrt(alphasCumprodPrev[t])) / (1 - alphasCumprod[t]))),
    posteriorMeanCoef2: frozen(alphas.map((a, t) => ((1 - alphasCumprodPrev[t]) * Math.sqrt(a)) / (1 - alphasCumprod[t]))),
  });
}

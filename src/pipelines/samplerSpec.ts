/**
 * Which reverse process a completion runs, as data: parsed once from flags or JSON, recorded verbatim in every
 * sidecar, and turned into a scheduler for a given run's training schedule.
 */
import { assert } from '../util/index.js';
import { DDIMScheduler, DDPMScheduler, DDPM_VARIANCES, parseDDIMSchedulerConfig, parseDDPMSchedulerConfig, type DDPMVariance,
  type Scheduler } from '../schedulers/index.js';
import type { BetaScheduleName, PredictionType, TimestepSpacing } from '../schedulers/index.js';
import type { Tensor } from '../tensor/index.js';

/** The part of a model's noise schedule a sampler is built over; the prediction type defaults to x₀ ('sample'). */
export interface SamplerSchedule {
  readonly betaSchedule: BetaScheduleName;
  readonly numTrainTimesteps: number;
  readonly predictionType?: PredictionType;
  readonly timestepSpacing?: TimestepSpacing;
}

export const SAMPLER_KINDS = ['ddim', 'ddpm'] as const;
export type SamplerKind = (typeof SAMPLER_KINDS)[number];

/**
 * DDIM with K steps and η (0: deterministic), or ancestral DDPM with K steps and its variance choice; DDPM
 * without `steps` runs the run's whole training chain (the reference's 1000-step sampler).
 */
export type SamplerSpec =
  | { readonly kind: 'ddim'; readonly steps: number; readonly eta: number }
  | { readonly kind: 'ddpm'; readonly steps?: number; readonly variance: DDPMVariance };

export const DEFAULT_DDIM_STEPS = 50;

/** ALDM's reference sampler for translation: DDIM, 200 steps, η 1. */
export const TRANSLATION_SAMPLER: SamplerSpec = Object.freeze({ kind: 'ddim', steps: 200, eta: 1 });

/**
 * Accepts `{ kind?, steps?, eta?, variance? }`. Defaults: DDIM, 50 steps, η 0; DDPM with the run's whole chain
 * and variance 'beta'. `eta` belongs to DDIM and `variance` to DDPM; giving either to the other sampler is
 * refused rather than silently ignored.
 */
export function parseSamplerSpec(raw: { kind?: string; steps?: number; eta?: number; variance?: string } = {}): SamplerSpec {
  const fn = 'parseSamplerSpec';
  const kind = raw.kind ?? 'ddim';
  assert((SAMPLER_KINDS as readonly string[]).includes(kind), () => `${fn}: sampler must be one of ${SAMPLER_KINDS.join(', ')}, got '${kind}'`);
  const { steps } = raw;
  assert(steps === undefined || (Number.isInteger(steps) && steps >= 1), () => `${fn}: steps must be a positive integer, got ${String(steps)}`);
  if (kind === 'ddim') {
    assert(raw.variance === undefined, () => `${fn}: variance '${raw.variance}' is a DDPM option; DDIM's noise is set by eta`);
    const eta = raw.eta ?? 0;
    assert(Number.isFinite(eta) && eta >= 0, () => `${fn}: eta must be a finite number ≥ 0, got ${String(eta)}`);
    return Object.freeze({ kind, steps: steps ?? DEFAULT_DDIM_STEPS, eta });
  }
  assert(raw.eta === undefined, () => `${fn}: eta ${raw.eta} is a DDIM option; DDPM's noise is set by variance (beta or posterior)`);
  const variance = raw.variance ?? 'beta';
  assert((DDPM_VARIANCES as readonly string[]).includes(variance),
    () => `${fn}: variance must be one of ${DDPM_VARIANCES.join(', ')}, got '${variance}'`);
  return Object.freeze({ kind: 'ddpm', ...(steps === undefined ? {} : { steps }), variance: variance as DDPMVariance });
}

/**
 * `spec` with DDPM's default step count resolved against a run's schedule: what a sidecar records. Its keys come in one
 * order (kind, steps, the noise setting) however `spec` was made, so that equal samplers read alike as JSON (an earlier
 * synthesis is compared with a new one so).
 */
export function resolveSampler(spec: SamplerSpec, schedule: Pick<SamplerSchedule, 'numTrainTimesteps'>): SamplerSpec & { readonly steps: number } {
  const steps = spec.steps ?? schedule.numTrainTimesteps;
  return spec.kind === 'ddim' ? { kind: 'ddim', steps, eta: spec.eta } : { kind: 'ddpm', steps, variance: spec.variance };
}

/** The scheduler for `spec` over a model's training schedule, its timesteps set, x̂₀ clipped by `clipPredX0` if given. */
export function buildScheduler(spec: SamplerSpec, schedule: SamplerSchedule, clipPredX0?: (x: Tensor) => Tensor): Scheduler {
  const { betaSchedule, numTrainTimesteps, predictionType = 'sample', timestepSpacing = 'guided' } = schedule;
  const base = { betaSchedule, numTrainTimesteps, predictionType, timestepSpacing };
  const scheduler = spec.kind === 'ddim'
    ? new DDIMScheduler(parseDDIMSchedulerConfig({ ...base, eta: spec.eta }), { clipPredX0 })
    : new DDPMScheduler(parseDDPMSchedulerConfig({ ...base, variance: spec.variance }), { clipPredX0 });
  scheduler.setTimesteps(resolveSampler(spec, schedule).steps);
  return scheduler;
}

/** One line for people: `DDIM, 50 steps, η 0` or `DDPM, 1000 steps, variance beta` (`all steps` when unresolved). */
export function describeSampler(spec: SamplerSpec): string {
  const steps = spec.steps === undefined ? 'all steps' : `${spec.steps} steps`;
  return spec.kind === 'ddim' ? `DDIM, ${steps}, η ${spec.eta}` : `DDPM, ${steps}, variance ${spec.variance}`;
}

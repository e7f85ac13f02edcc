/**
 * What DDPM and DDIM share (STYLE §3, after MONAI's `Scheduler` and diffusers' `SchedulerMixin`): the β schedule
 * and its tables built once, q(x_t | x_0) (`addNoise`), the respaced step tables and the timesteps set by
 * `setTimesteps`, and x̂₀ from the model output with the injected clipping. Pure numerics: tensors in, tensors
 * out, tables as float64 JS numbers (applied to tensors as scalars, like the reference's float32 extraction);
 * nothing here knows about models or wavelets.
 */
import { Device, Generator, Tensor, randnFrom, tensor, tidy } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import { BETA_SCHEDULE_NAMES, BetaScheduleName, betaSchedule } from './betaSchedules.js';
import { ScheduleTables, scheduleTables } from './scheduleTables.js';
import { ldmTimesteps, respaceBetas, spaceTimesteps } from './spaceTimesteps.js';

/** What the network predicts: the clean sample x₀ (cWDM, spec §4.4) or the noise ε (ALDM). */
export const PREDICTION_TYPES = ['sample', 'epsilon'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/**
 * Which timesteps K < T sampling steps visit: 'guided' is guided-diffusion's respacing (cWDM: K = 50 visits 999, 979,
 * …, 0); 'ldm' is latent diffusion's uniform DDIM rule (ALDM: 981, 961, …, 1; see `ldmTimesteps`), whose last step
 * is an ordinary one at t = 1 that still adds noise.
 */
export const TIMESTEP_SPACINGS = ['guided', 'ldm'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

export interface SchedulerConfig {
  /** T, the number of training timesteps. Default 1000. */
  readonly numTrainTimesteps: number;
  /** A name from BETA_SCHEDULES. Default 'linear'. */
  readonly betaSchedule: BetaScheduleName;
  /** Default 'sample' (x₀-prediction, as cWDM). */
  readonly predictionType: PredictionType;
  /** Default 'guided' (cWDM's). */
  readonly timestepSpacing: TimestepSpacing;
}

export interface SchedulerOptions {
  /**
   * Applied to x̂₀ at every step before it is used (guided-diffusion's `clip_denoised`). For cWDM this is the
   * image-space clipping of the wavelet codec (IDWT with 3·LLL, clamp to [0, 1], DWT with LLL/3, spec §7 step 2).
   */
  readonly clipPredX0?: (predX0: Tensor) => Tensor;
}

export interface StepOptions {
  /** The standard normal draw z to add, shaped like the sample; takes precedence over `generator`. */
  readonly noise?: Tensor;
  /** Where z comes from when `noise` is not given: one generator for the batch, or one per sample (row i of z from the i-th). */
  readonly generator?: Generator | readonly Generator[];
}

/** One reverse step: x_{t_prev} and the (clipped) x̂₀ it was computed from. Both are new tensors owned by the caller. */
export interface SchedulerStepOutput {
  readonly prevSample: Tensor;
  readonly predX0: Tensor;
}

const BASE_KEYS = ['numTrainTimesteps', 'betaSchedule', 'predictionType', 'timestepSpacing'] as const;

/**
 * Validates the fields every scheduler has and returns them with defaults filled in, plus the raw record for the
 * subclass's own `extraKeys`. Unknown keys are refused with the accepted list.
 */
export function parseBaseSchedulerConfig(fn: string, raw: unknown, extraKeys: readonly string[]): { base: SchedulerConfig; record: Record<string, unknown> } {
  assert(raw !== null && typeof raw === 'object' && !Array.isArray(raw), () => `${fn}: config must be an object, got ${JSON.stringify(raw)}`);
  const record = raw as Record<string, unknown>;
  const accepted = [...BASE_KEYS, ...extraKeys];
  for (const key of Object.keys(record)) {
    assert(accepted.includes(key), () => `${fn}: unknown config key ${JSON.stringify(key)}, expected some of ${accepted.join(', ')}`);
  }
  const numTrainTimesteps = record.numTrainTimesteps ?? 1000;
  assert(typeof numTrainTimesteps === 'number' && Number.isInteger(numTrainTimesteps) && numTrainTimesteps >= 2,
    () => `${fn}: numTrainTimesteps must be an integer ≥ 2, got ${JSON.stringify(numTrainTimesteps)}`);
  return {
    base: {
      numTrainTimesteps,
      betaSchedule: parseOneOf(fn, 'betaSchedule', record.betaSchedule ?? 'linear', BETA_SCHEDULE_NAMES),
      predictionType: parseOneOf(fn, 'predictionType', record.predictionType ?? 'sample', PREDICTION_TYPES),
      timestepSpacing: parseOneOf(fn, 'timestepSpacing', record.timestepSpacing ?? 'guided', TIMESTEP_SPACINGS),
    },
    record,
  };
}

export function parseOneOf<T extends string>(fn: string, key: string, value: unknown, allowed: readonly T[]): T {
  assert(typeof value === 'string' && (allowed as readonly string[]).includes(value),
    () => `${fn}: ${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export abstract class Scheduler<C extends SchedulerConfig = SchedulerConfig> {
  readonly config: C;
  /** The tables of the training process over all T timesteps (q(x_t | x_0)). */
  readonly trainTables: ScheduleTables;
  readonly #clipPredX0: ((predX0: Tensor) => Tensor) | undefined;
  #timesteps: readonly number[] | undefined;
  #stepTables: ScheduleTables | undefined;
  #indexOf = new Map<number, number>();

  protected constructor(config: C, options: SchedulerOptions) {
    this.config = config;
    this.trainTables = scheduleTables(betaSchedule(config.betaSchedule, config.numTrainTimesteps));
    this.#clipPredX0 = options.clipPredX0;
  }

  /**
   * Chooses `count` sampling steps with the configured spacing rule and rebuilds the step tables from the
   * respaced β' (with 'guided' and count = T this is the reference's own identity respacing, bit for bit).
   */
  setTimesteps(count: number): void {
    const name = this.constructor.name;
    assert(Number.isInteger(count) && count >= 1 && count <= this.config.numTrainTimesteps,
      () => `${name}.setTimesteps: count must be an integer in [1, ${this.config.numTrainTimesteps}] (numTrainTimesteps), got ${count}`);
    const kept = this.keptTimesteps(count);
    this.#stepTables = scheduleTables(respaceBetas(this.trainTables.alphasCumprod, kept));
    this.#indexOf = new Map(kept.map((t, k) => [t, k]));
    this.#timesteps = Object.freeze([...kept].reverse());
  }

  /** The original timesteps `count` steps visit, ascending, under the configured spacing. */
  protected keptTimesteps(count: number): number[] {
    return this.config.timestepSpacing === 'ldm'
      ? ldmTimesteps(this.config.numTrainTimesteps, count)
      : spaceTimesteps(this.config.numTrainTimesteps, count);
  }

  /** The original timestep indices to visit, from the noisiest down to the last (0, or 1 under 'ldm'); the network receives these values. */
  get timesteps(): readonly number[] {
    return this.#timesteps ?? this.#missingSetTimesteps('timesteps');
  }

  /** The tables of the respaced process, indexed by step k (timesteps[timesteps.length − 1 − k] is its original t). */
  get stepTables(): ScheduleTables {
    return this.#stepTables ?? this.#missingSetTimesteps('stepTables');
  }

  /**
   * x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε (Ho et al. Eq. 4) at original timestep `t`, one t for the batch or one per
   * sample (the training draw).
   */
  addNoise(x0: Tensor, noise: Tensor, t: number | readonly number[]): Tensor {
    const name = `${this.constructor.name}.addNoise`;
    assert(fmtShape(x0.shape) === fmtShape(noise.shape),
      () => `${name}: noise shape ${fmtShape(noise.shape)} must equal x0 shape ${fmtShape(x0.shape)}`);
    const steps = typeof t === 'number' ? [t] : t;
    for (const s of steps) {
      assert(Number.isInteger(s) && s >= 0 && s < this.config.numTrainTimesteps,
        () => `${name}: t must be an integer in [0, ${this.config.numTrainTimesteps}), got ${s}`);
    }
    const { sqrtAlphasCumprod, sqrtOneMinusAlphasCumprod } = this.trainTables;
    if (typeof t === 'number') return tidy(() => x0.mul(sqrtAlphasCumprod[t]).add(noise.mul(sqrtOneMinusAlphasCumprod[t])));
    assert(t.length === x0.shape[0], () => `${name}: give one t per sample (${x0.shape[0]}), got ${t.length}`);
    return tidy(() => {
      const perSample = (table: readonly number[]) => tensor(new Float64Array(t.map((s) => table[s])),
        { shape: [t.length, ...x0.shape.slice(1).map(() => 1)], dtype: x0.dtype, device: x0.device as Device });
      return x0.mul(perSample(sqrtAlphasCumprod)).add(noise.mul(perSample(sqrtOneMinusAlphasCumprod)));
    });
  }

  abstract step(modelOutput: Tensor, t: number, sample: Tensor, options?: StepOptions): SchedulerStepOutput;

  /** Step index k of original timestep `t` (k = 0 is the last step, t = 0); refuses a t that setTimesteps did not choose. */
  protected stepIndex(fn: string, t: number): number {
    const timesteps = this.#timesteps;
    assert(timesteps !== undefined, () => `${fn}: call setTimesteps(count) before step`);
    const k = this.#indexOf.get(t);
    assert(k !== undefined,
      () => `${fn}: timestep ${t} is not one of the ${timesteps.length} timesteps chosen by setTimesteps (${timesteps.slice(0, 3).join(', ')}, … ${timesteps[timesteps.length - 1]})`);
    return k;
  }

  /**
   * x̂₀ at step k from the model output, then clipped: the output itself for x₀-prediction, or
   * x̂₀ = √(1/ᾱ) x_t − √(1/ᾱ − 1) ε̂ (Ho et al. Eq. 15 solved for x₀) for ε-prediction. Always a new tensor.
   */
  protected predictX0(modelOutput: Tensor, sample: Tensor, k: number): Tensor {
    const tables = this.stepTables;
    const predX0 = this.config.predictionType === 'sample'
      ? modelOutput.clone()
      : sample.mul(tables.sqrtRecipAlphasCumprod[k]).sub(modelOutput.mul(tables.sqrtRecipm1AlphasCumprod[k]));
    return this.clip(predX0);
  }

  /** `clipPredX0` applied to x̂₀, or x̂₀ itself when there is none. */
  protected clip(predX0: Tensor): Tensor {
    return this.#clipPredX0 === undefined ? predX0 : this.#clipPredX0(predX0);
  }

  /** z for the step: the given noise (checked against the sample's shape) or a fresh draw from the generator. */
  protected stepNoise(fn: string, sample: Tensor, options: StepOptions): Tensor {
    if (options.noise !== undefined) {
      assert(fmtShape(options.noise.shape) === fmtShape(sample.shape),
        () => `${fn}: noise shape ${fmtShape(options.noise!.shape)} must equal sample shape ${fmtShape(sample.shape)}`);
      return options.noise;
    }
    assert(options.generator !== undefined, () => `${fn}: this step adds noise; give options.noise or options.generator (a seeded Generator)`);
    return randnFrom(sample.shape, options.generator, { dtype: sample.dtype, device: sample.device as Device });
  }

  protected checkStepInputs(fn: string, modelOutput: Tensor, sample: Tensor): void {
    assert(fmtShape(modelOutput.shape) === fmtShape(sample.shape),
      () => `${fn}: modelOutput shape ${fmtShape(modelOutput.shape)} must equal sample shape ${fmtShape(sample.shape)}`);
  }

  #missingSetTimesteps(what: string): never {
    throw new Error(`${this.constructor.name}.${what}: call setTimesteps(count) first`);
  }
}

/**
 * A diffusion model as one object: a method's denoiser, the codec between images and latents, and the run's noise
 * schedule, with the two loops that use them. Following the diffusers layering, the loops live here, visible, so
 * that the denoiser, the codec and the scheduler can be swapped and debugged separately (models know nothing of
 * schedulers; schedulers know nothing of codecs), and one loop serves every method: cWDM (x₀-prediction on Haar
 * bands, clipped to [0, 1] in image space) and ALDM (ε-prediction on VQ-GAN latents, unclipped) alike.
 *
 * Training: the target image is encoded to a clean latent z₀, a timestep t and noise ε are drawn,
 * z_t = √ᾱ_t z₀ + √(1−ᾱ_t) ε, and the loss is the MSE between the denoiser's prediction and z₀ or ε.
 * Sampling runs the scheduler's reverse steps from pure noise shaped like the target's latent, then decodes.
 *
 * This is the whole interface to a model for the layers above (training, completion): they never reach for the
 * networks or the codec. Precision: the networks run in whatever dtype `to(precision)` gave them; latents, noise,
 * the scheduler and the loss stay float32 (the denoiser casts at its boundary).
 */
import { clipInImageSpace, type LatentCodec } from '../codecs/index.js';
import { PRECISION_DTYPES, type Module, type Precision } from '../nn/index.js';
import {
  DDPMScheduler, parseDDPMSchedulerConfig, type BetaScheduleName, type PredictionType, type Scheduler, type TimestepSpacing,
} from '../schedulers/index.js';
import { dispose, F, Generator, noGrad, randint, randn, randnFrom, tensor, tidy, type Tensor } from '../tensor/index.js';
import { assert, fmtShape } from '../util/index.js';
import type { Denoiser } from './denoiser.js';
import { buildScheduler, type SamplerSpec } from './samplerSpec.js';

/** The noise schedule a model was trained on and what its denoiser predicts: a run's `schedule`. */
export interface DiffusionSchedule {
  readonly betaSchedule: BetaScheduleName;
  readonly numTrainTimesteps: number;
  readonly predictionType: PredictionType;
  /** Absent: 'guided'. */
  readonly timestepSpacing?: TimestepSpacing;
}

export interface DiffusionPipelineOptions {
  readonly schedule: DiffusionSchedule;
  /** The image-space range of the method's outputs, which sampling clamps to (cWDM: [0, 1]); absent: unbounded. */
  readonly outputRange?: readonly [number, number];
  /** Clip every x̂₀ to `outputRange` in image space (guided-diffusion's `clip_denoised`, which cWDM's reference uses). */
  readonly clipPredX0?: boolean;
  /**
   * For a model that synthesises any of several contrasts from one source (ALDM): those contrasts, in the order of
   * the class labels its denoiser takes. Absent: the model synthesises one contrast, its run's target.
   */
  readonly targets?: readonly string[];
}

export interface DiffusionBatch {
  /** The contrast to synthesise, (N, 1, …spatial), in the method's image units. */
  readonly target: Tensor;
  /** The available contrasts stacked on channels in the model's condition order, (N, C, …spatial). */
  readonly conditions: Tensor;
  /** For a model that serves several targets: which one each sample is, int64 (N,). */
  readonly classLabels?: Tensor;
}

/**
 * Where a training step's timesteps and noise come from. One generator: the whole batch's timesteps, then the whole
 * batch's noise, as a run with sequential streams draws them. One generator per sample: each sample's timestep,
 * then its noise, from its own generator, so a sample draws the same whatever batch it is in.
 */
export type TrainingDraws = Generator | readonly Generator[];

export interface SampleOptions {
  /**
   * Where the starting noise and every step's noise come from. One generator per sample: sample i draws from the
   * i-th alone, so it is the same (to the kernels' rounding) whether drawn alone or in a batch of any size; one
   * generator: the whole batch draws from it in turn.
   */
  readonly generator: Generator | readonly Generator[];
  /** Which of the pipeline's `targets` to synthesise (every sample of the batch); absent: the run's own target. */
  readonly target?: string;
  /** Called after every reverse step with (steps done, steps in all). */
  readonly onStep?: (done: number, total: number) => void;
}

/**
 * A training step's timesteps (int64, (N,), in [0, T)) and noise (the shape of `clean`) from its draws: the batch's
 * generator (all timesteps, then all noise) or each sample's own (its timestep, then its noise).
 */
export function drawStepsAndNoise(clean: Tensor, draws: TrainingDraws, numTrainTimesteps: number): { steps: Tensor; noise: Tensor } {
  const n = clean.shape[0];
  const options = { dtype: clean.dtype };
  if (draws instanceof Generator) {
    const steps = randint(0, numTrainTimesteps, [n], { generator: draws });
    return { steps, noise: randn(clean.shape, { ...options, generator: draws }) };
  }
  assert(draws.length === n, () => `drawStepsAndNoise: ${draws.length} generators for a batch of ${n}`);
  return tidy(() => {
    const perSample = draws.map((generator) => ({
      steps: randint(0, numTrainTimesteps, [1], { generator }),
      noise: randn([1, ...clean.shape.slice(1)], { ...options, generator }),
    }));
    return { steps: F.cat(perSample.map((d) => d.steps), 0), noise: F.cat(perSample.map((d) => d.noise), 0) };
  });
}

/**
 * Condition images as the codec encodes them, made once by {@link DiffusionPipeline.encodeConditions} and sampled from
 * as often as wanted: one source translated into several targets is encoded once. The caller disposes it.
 */
export class EncodedConditions {
  constructor(readonly latents: Tensor, readonly imageShape: readonly number[]) {}

  /** A batch of `n` copies of this one case's encoding, to draw `n` samples of it at once; the caller disposes it. */
  repeated(n: number): EncodedConditions {
    assert(this.imageShape[0] === 1, () => `EncodedConditions.repeated: repeats the encoding of one case, this holds ${this.imageShape[0]}`);
    assert(Number.isInteger(n) && n >= 1, () => `EncodedConditions.repeated: n must be a positive integer, got ${n}`);
    return new EncodedConditions(this.latents.repeat([n, ...this.latents.shape.slice(1).map(() => 1)]), [n, ...this.imageShape.slice(1)]);
  }

  dispose(): void {
    this.latents.dispose();
  }
}

export class DiffusionPipeline<Condition = Tensor> {
  readonly schedule: DiffusionSchedule;
  readonly outputRange?: readonly [number, number];
  /** The contrasts a model serving several targets synthesises, in class-label order; absent for a one-target model. */
  readonly targets?: readonly string[];
  readonly #denoiser: Denoiser<Condition>;
  readonly #codec: LatentCodec;
  readonly #clipPredX0: ((x: Tensor) => Tensor) | undefined;
  #trainingScheduler: DDPMScheduler | undefined;

  constructor(denoiser: Denoiser<Condition>, codec: LatentCodec, options: DiffusionPipelineOptions) {
    assert(!options.clipPredX0 || options.outputRange !== undefined,
      () => 'DiffusionPipeline: clipPredX0 clips to the output range, but no outputRange was given');
    this.#denoiser = denoiser;
    this.#codec = codec;
    this.schedule = Object.freeze({ ...options.schedule });
    if (options.outputRange !== undefined) this.outputRange = Object.freeze([...options.outputRange] as [number, number]);
    if (options.targets !== undefined) this.targets = Object.freeze([...options.targets]);
    const range = this.outputRange;
    this.#clipPredX0 = options.clipPredX0 && range !== undefined ? (x) => clipInImageSpace(codec, x, range[0], range[1]) : undefined;
  }

  /** Converts every network to `precision` in place (weights and activations; everything around them stays float32). */
  to(precision: Precision): this {
    for (const network of this.#networks()) network.to(PRECISION_DTYPES[precision]);
    return this;
  }

  /** Whether the networks are in training mode (dropout active). */
  get training(): boolean {
    return this.#networks().some((network) => network.training);
  }

  train(mode = true): this {
    for (const network of this.#networks()) network.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** The latent of an image batch, as the denoiser is trained on it. */
  encode(images: Tensor): Tensor {
    return this.#codec.encode(images);
  }

  /**
   * Images (N, 1, …spatial) through the codec and back, as sampling decodes (clamped to the output range where the
   * method has one): what the latent keeps of them, the bound on every synthesis. The Haar codec keeps everything; a
   * learnt one (ALDM's VQ-GAN) does not.
   */
  reconstruct(images: Tensor): Tensor {
    this.#codec.checkImageShape(images.shape);
    const range = this.outputRange;
    return noGrad(() => tidy(() => {
      const decoded = this.#codec.decode(this.#codec.encode(images));
      return range === undefined ? decoded : decoded.clamp(range[0], range[1]);
    }));
  }

  /** Checks that an image-space batch fits the networks (condition count, axes divisible as the denoiser needs). */
  checkBatch(fn: string, conditions: Tensor, target?: Tensor): void {
    this.#denoiser.checkConditions(fn, conditions);
    this.#codec.checkImageShape(conditions.shape);
    if (target !== undefined) {
      const spatial = conditions.shape.slice(2);
      assert(target.ndim === conditions.ndim && target.shape[1] === 1 && fmtShape(target.shape.slice(2)) === fmtShape(spatial),
        () => `${fn}: target must be (N, 1, ${spatial.join(', ')}), got shape ${fmtShape(target.shape)}`);
    }
  }

  /**
   * Why this pipeline cannot sample (nor train its denoiser), where it cannot: a run of a method's first stage alone,
   * which reconstructs and may decode its condition's estimate. Undefined for a model that samples.
   */
  get cannotSample(): string | undefined {
    return this.#denoiser.cannotPredict;
  }

  /** The reverse process `spec` asks for over this model's schedule, timesteps set, x̂₀ clipped as the method clips. */
  scheduler(spec: SamplerSpec): Scheduler {
    assert(this.cannotSample === undefined, () => `DiffusionPipeline.scheduler: this model cannot sample: ${this.cannotSample}`);
    return buildScheduler(spec, this.schedule, this.#clipPredX0);
  }

  /** The training objective for one batch: MSE between the prediction and z₀ (x₀-prediction) or ε (ε-prediction). */
  trainingLoss(batch: DiffusionBatch, draws: TrainingDraws): Tensor {
    this.checkBatch('DiffusionPipeline.trainingLoss', batch.conditions, batch.target);
    const scheduler = this.#trainingScheduler ??= new DDPMScheduler(parseDDPMSchedulerConfig({ ...this.schedule }));
    return tidy(() => {
      const clean = this.#codec.encode(batch.target);
      const condition = this.#denoiser.condition(this.#codec.encode(batch.conditions), this.#codec, batch.classLabels);
      const { steps, noise } = drawStepsAndNoise(clean, draws, this.schedule.numTrainTimesteps);
      const noisy = scheduler.addNoise(clean, noise, Array.from(steps.toTypedArray<'int64'>(), Number));
      const predicted = this.#denoiser.predict(noisy, steps, condition);
      return F.mseLoss(predicted, this.schedule.predictionType === 'sample' ? clean : noise);
    });
  }

  /** Encodes condition images (N, C, …spatial) for {@link sample}, once for any number of targets and samples. */
  encodeConditions(conditions: Tensor): EncodedConditions {
    return this.#encodeConditions('DiffusionPipeline.encodeConditions', conditions);
  }

  #encodeConditions(fn: string, conditions: Tensor): EncodedConditions {
    this.checkBatch(fn, conditions);
    return noGrad(() => new EncodedConditions(this.#codec.encode(conditions), [...conditions.shape]));
  }

  /**
   * Synthesises the target (`options.target`, or the run's own) for a batch of condition images, given as images
   * (N, C, …spatial) in the method's image units or as {@link encodeConditions} made them: (N, 1, …spatial) in
   * image units, clamped to the method's output range if it has one. `scheduler` comes from {@link scheduler}.
   */
  sample(conditions: Tensor | EncodedConditions, scheduler: Scheduler, options: SampleOptions): Tensor {
    const encoded = conditions instanceof EncodedConditions ? conditions : this.#encodeConditions('DiffusionPipeline.sample', conditions);
    try {
      return this.#sample(encoded, scheduler, options);
    } finally {
      if (encoded !== conditions) encoded.dispose();
    }
  }

  #sample(encoded: EncodedConditions, scheduler: Scheduler, options: SampleOptions): Tensor {
    const timesteps = scheduler.timesteps;
    assert(timesteps.length > 0, () => 'DiffusionPipeline.sample: the scheduler has no timesteps; call setTimesteps(K) first');
    assert(!encoded.latents.isDisposed, () => 'DiffusionPipeline.sample: the encoded conditions were disposed');
    return noGrad(() => {
      const n = encoded.imageShape[0];
      assert(options.generator instanceof Generator || options.generator.length === n,
        () => `DiffusionPipeline.sample: ${(options.generator as readonly Generator[]).length} generator(s) for a batch of ${n}; give one per sample or one for all`);
      const condition = this.#condition(encoded, options.target);
      let x = randnFrom(this.#codec.latentShape([n, 1, ...encoded.imageShape.slice(2)]), options.generator, { dtype: encoded.latents.dtype });
      let predX0: Tensor | undefined;
      timesteps.forEach((t, index) => {
        const out = tidy(() => {
          const step = tensor(new BigInt64Array(n).fill(BigInt(t)));
          return scheduler.step(this.#denoiser.predict(x, step, condition), t, x, { generator: options.generator });
        });
        x.dispose();
        predX0?.dispose();
        x = out.prevSample;
        predX0 = out.predX0;
        options.onStep?.(index + 1, timesteps.length);
      });
      predX0?.dispose();
      dispose(condition);
      const image = this.#decode(x);
      x.dispose();
      return image;
    });
  }

  /** Whether the method's condition holds an estimate of the target to decode without sampling ({@link decodeConditionEstimate}). */
  get hasConditionEstimate(): boolean {
    return this.#denoiser.conditionEstimate !== undefined;
  }

  /**
   * The target (`options.target`, or the run's own) as the condition alone estimates it, decoded without any reverse
   * step: for ALDM, MS-SPADE's translation of the source's latent, what its first stage translates by itself.
   * Deterministic; (N, 1, …spatial) in image units, clamped as {@link sample}'s output. Refused for a method whose
   * condition holds no such estimate (cWDM's holds the input images only).
   */
  decodeConditionEstimate(encoded: EncodedConditions, options: Pick<SampleOptions, 'target'> = {}): Tensor {
    const estimate = this.#denoiser.conditionEstimate?.bind(this.#denoiser);
    assert(estimate !== undefined, () => 'DiffusionPipeline.decodeConditionEstimate: this method\'s condition holds no estimate of the '
      + 'target to decode without sampling (ALDM\'s holds MS-SPADE\'s translation; cWDM\'s only the input images)');
    assert(!encoded.latents.isDisposed, () => 'DiffusionPipeline.decodeConditionEstimate: the encoded conditions were disposed');
    return noGrad(() => {
      const condition = this.#condition(encoded, options.target);
      const latent = estimate(condition);
      dispose(condition);
      try {
        return this.#decode(latent);
      } finally {
        latent.dispose();
      }
    });
  }

  /** What stays fixed over a batch's reverse steps: the denoiser's condition for `target` (or the run's own). */
  #condition(encoded: EncodedConditions, target: string | undefined): Condition {
    const classLabels = this.#classLabels(encoded.imageShape[0], target);
    try {
      return this.#denoiser.condition(encoded.latents, this.#codec, classLabels);
    } finally {
      classLabels?.dispose();
    }
  }

  /**
   * A latent decoded to image units, clamped to the method's output range if it has one. A batch is decoded one sample
   * at a time: a learnt decoder's pass over the whole image is where sampling's memory peaks (ALDM), and a batch of
   * such passes would multiply that peak for little gain.
   */
  #decode(latent: Tensor): Tensor {
    const range = this.outputRange;
    const decodeOne = (z: Tensor) => (range === undefined ? this.#codec.decode(z) : this.#codec.decode(z).clamp(range[0], range[1]));
    const n = latent.shape[0];
    if (n === 1) return tidy(() => decodeOne(latent));
    const images: Tensor[] = [];
    try {
      for (let i = 0; i < n; i++) images.push(tidy(() => decodeOne(latent.narrow(0, i, 1))));
      return F.cat(images, 0);
    } finally {
      dispose(images);
    }
  }

  /** The class label of `target` for each of `n` samples; undefined for the run's own target. */
  #classLabels(n: number, target: string | undefined): Tensor | undefined {
    if (target === undefined) return undefined;
    const targets = this.targets;
    assert(targets !== undefined, () => `DiffusionPipeline.sample: this model synthesises its run's target only, not a chosen one ('${target}')`);
    const label = targets.indexOf(target);
    assert(label >= 0, () => `DiffusionPipeline.sample: this model synthesises ${targets.join(', ')}, not '${target}'`);
    return tensor(new BigInt64Array(n).fill(BigInt(label)));
  }

  /** Frees the networks (and a codec's learnt weights, which belong to its networks). */
  dispose(): void {
    for (const network of this.#networks()) network.dispose();
  }

  #networks(): Module[] {
    return Object.values(this.#denoiser.networks);
  }
}

/**
 * What a method gives the generic trainer (trainer.ts): its networks, which of them are trained, averaged or
 * taken over from a parent run, the loss of one step, and what validation measures. The trainer owns everything
 * else — the run folder, data, optimisers, EMAs, mixed precision, random streams, the loop, checkpoints, the log.
 *
 * A method with one network (cWDM) trains it and averages it; one with a generator and a discriminator trains
 * both, stepping them one after the other inside a step (`StepContext.update`), and averages the generator; a
 * second stage of a method (a latent diffusion U-Net on a frozen autoencoder) inherits the autoencoder from the
 * run it was trained on top of and trains only the U-Net.
 */
import type { Contrast, Dataset } from '../data/index.js';
import type { Module, Precision } from '../nn/index.js';
import type { DiffusionBatch, TrainingDraws } from '../pipelines/index.js';
import type { AnyRunConfig, RunSchedule } from '../runs/index.js';
import type { Tensor } from '../tensor/index.js';
import type { PreprocessConfig } from '../transforms/index.js';
import type { ConditionalRoles, TrainingCase } from './trainingCases.js';
import type { ValidationEntry } from './trainingLog.js';
import type { TrainingMemoryEstimate } from './trainingMemory.js';

/** What the memory estimate of a run depends on besides the networks. */
export interface TrainingMemoryInput {
  /** The model grid of one case, (nx, ny, nz). */
  readonly imageShape: readonly number[];
  readonly batchSize: number;
  readonly precision: Precision;
  /** Float32 values of every case held in memory. */
  readonly cachedValues: number;
}

/** A method's training, for the trainer; `Config` is its checked `methodConfig`. */
export interface TrainingRecipe<Config = unknown> {
  /** The method's registered name, recorded in run.json. */
  readonly method: string;
  /** Network presets (`--config`) and the one a new run takes by default. */
  readonly presets: readonly string[];
  readonly defaultPreset: string;
  /** The learning rate of a new run on network preset `preset` (`config` parsed from it) when none is given. */
  defaultLearningRate(preset: string, config: Config): number;
  /** The noise schedule (and prediction type) of a new run of `config`. */
  schedule(config: Config): RunSchedule;
  /**
   * Checks a preset name, a config object as run.json holds it, or `{ preset, ...changes }`, for these roles; the
   * method's own options (`options`, parsed from `methodOptions`' flags) change it.
   */
  parseConfig(raw: unknown, roles: ConditionalRoles, options?: Readonly<Record<string, unknown>>): Config;
  /**
   * Which contrast is the target and which are the conditions, in channel order, in `dataset`; `target` is what the
   * user asked for (undefined if nothing), which a method that learns every target may not need.
   */
  roles(dataset: Dataset, target: Contrast | undefined): ConditionalRoles;
  /** What a run of these roles learns, in a few words (default: "TARGET from CONDITIONS"). */
  describeTask?(roles: ConditionalRoles): string;
  /** Settings of this method's training beyond the generic ones, offered as command-line flags. */
  readonly methodOptions?: readonly MethodOption[];
  /** The preprocessing of a new run: what the user gave (anything parsePreprocessConfig accepts) over the method's default. */
  preprocess(raw: unknown, spacing: number | undefined, config: Config): PreprocessConfig;
  /** The weights completion loads, network → file, the first being the run's main file (weights.safetensors). */
  weightFiles(config: Config): Record<string, string>;
  /**
   * The networks a new run takes over from the run it is trained on top of, loaded from the parent's weight files;
   * `fromParent` says whether one was named. The plan decides what they do: a later stage keeps them frozen (ALDM's
   * autoencoder under MS-SPADE), a fine-tuning run trains them further (ALDM's stage 1 started from another run's
   * autoencoder, cWDM's U-Net started from another run's or a built-in model's). None when the config trains from
   * scratch. `checkParent` refuses a parent these cannot come from, for this config and these roles.
   */
  inherits(config: Config, fromParent: boolean): readonly string[];
  checkParent?(parent: AnyRunConfig, config: Config, roles: ConditionalRoles): void;
  /**
   * Of the inherited networks, the parameters (state-dict key prefixes, by network) that keep the new run's own
   * initialisation instead of the parent's: a part the parent holds for another task, in another shape (ALDM's
   * MS-SPADE, one branch per contrast, when stage 1 fine-tunes an autoencoder on data of other contrasts). None by default.
   */
  keptFresh?(config: Config, parent: AnyRunConfig): Readonly<Record<string, readonly string[]>>;
  /** The networks of `config`, initialised from the global generator (the trainer seeds it first), for a run on `schedule`. */
  plan(config: Config, schedule: RunSchedule): TrainingPlan;
}

/** A setting of one method's training, as a command-line flag `--name <value>`; its parsed value reaches `parseConfig`. */
export interface MethodOption {
  /** The flag without its dashes, and the key of the value in `parseConfig`'s options. */
  readonly name: string;
  readonly description: string;
  /** The values a flag may take; absent when `parse` decides. */
  readonly choices?: readonly string[];
  /** The flag's text → its value; throws an Error naming `flag` and what was expected. */
  parse?(value: string, flag: string): unknown;
}

/** One run's networks and what the method does with them. */
export interface TrainingPlan {
  /**
   * Every network by name: the float32 masters the optimisers step and checkpoints hold. A trained network may be a
   * part of a frozen one (ALDM's MS-SPADE inside its autoencoder): its parameters stay trainable, and the frozen
   * network's weights file then holds the part as trained.
   */
  readonly networks: Readonly<Record<string, Module>>;
  /** Another network like `name` (same config), for a bfloat16 working copy. */
  build(name: string): Module;
  /** The trained networks, each with its own AdamW; the others are frozen (eval mode, no gradient steps). */
  readonly trained: readonly string[];
  /** The trained networks whose EMA is kept; their weight files hold the EMA, as completion samples with it. */
  readonly averaged: readonly string[];
  /** AdamW's moment decay rates per trained network, where not PyTorch's (0.9, 0.999) (GANs train with (0.5, 0.9)). */
  readonly betas?: Readonly<Record<string, readonly [number, number]>>;
  /** Refuses, naming the sizes, a model grid (nx, ny, nz) the networks cannot take; checked on the first case, before the rest is read. */
  checkGrid?(imageShape: readonly number[]): void;
  /** The memory a step needs, for the check before the run starts. */
  estimateMemory(input: TrainingMemoryInput): TrainingMemoryEstimate;
  /**
   * Turns each loaded case into what the steps read, once, after the inherited networks are loaded and before the
   * first step (a stage on a frozen encoder keeps the cases' latents instead of their images). Runs without
   * gradients; the trainer frees the case's own tensors afterwards.
   */
  prepareCase?(batch: DiffusionBatch): DiffusionBatch;
  /**
   * For a new run, once its cases are prepared: what the plan measures on the training cases (ALDM's latent scale),
   * as changes to the method's config. The trainer records them in run.json before the first step, and `session` is
   * built after this call, so it sees them; a resumed run has them in its config already.
   */
  calibrate?(cases: readonly TrainingCase[]): Readonly<Record<string, unknown>> | undefined;
  /** A few words on what is trained, for messages (e.g. "4-channel cWDM"). */
  readonly description: string;
  /** The step and validation over the networks forward and backward run through (bfloat16 copies in bf16). */
  session(networks: Readonly<Record<string, Module>>, validation: ValidationOptions): TrainingSession;
  /** Frees what `session` built (pipelines, codecs); the trainer frees the networks. */
  dispose?(): void;
}

/** How much validation does. */
export interface ValidationOptions {
  /** Fixed (case, draw) pairs the validation loss averages over. */
  readonly triples: number;
  /** Reverse steps of the validation case sampled end to end; 0: none. */
  readonly sampleSteps: number;
}

/** What a training step may do besides computing its losses. */
export interface StepContext {
  /** 0-based index of the step being taken. */
  readonly step: number;
  /** Where the step's timesteps and noise come from (see randomStreams.ts). */
  readonly draws: TrainingDraws;
  /**
   * Backpropagates `loss` into network `name` alone (every other network's gradients are dropped first) and steps its
   * optimiser, with the run's clipping and mixed precision. Returns the gradient norm before clipping when clipping.
   */
  update(name: string, loss: Tensor): number | undefined;
  /**
   * Changes trained network `name`'s float32 master weights outside its optimiser (without gradients), and its
   * working copy with them (e.g. re-seeding a quantiser's dead codes). Under data parallelism rank 0's edit is the
   * one every rank takes.
   */
  editWeights(name: string, edit: (master: Module) => void): void;
  /**
   * Sums `counts` over the processes of a data-parallel run, in place, and returns it (as it is in a single
   * process): for state every rank must share, such as how often each code was chosen. Under data parallelism
   * `update`, `editWeights` and this are collectives: every rank calls them at the same steps, in the same order.
   */
  sumOverRanks(counts: Tensor): Tensor;
}

export interface StepResult {
  /** What the log and the progress bar show: the loss of the step's main update. */
  readonly loss: number;
  readonly gradNorm?: number;
  /** Every loss of the step by name, when there are several (e.g. a generator's and a discriminator's). */
  readonly losses?: Readonly<Record<string, number>>;
  /** Other figures of the step worth logging (e.g. a quantiser's perplexity). */
  readonly measures?: Readonly<Record<string, number>>;
}

export interface ValidationContext {
  readonly step: number;
  /** The validation cases (the training cases when the split left none). */
  readonly cases: readonly TrainingCase[];
  readonly trainCases: readonly TrainingCase[];
  /** Seed of the split, from which validation's own draws are made. */
  readonly splitSeed: number;
  /** Runs `fn` with every averaged network holding its EMA weights, then puts the trained ones back. */
  averaged<T>(fn: () => T): T;
}

/** What a validation measured: a loss with the trained and the averaged weights, an input-blind baseline, and maybe a sampled case. */
export type ValidationMeasures = Omit<ValidationEntry, 'kind' | 'step' | 'seconds'>;

export interface TrainingSession {
  /** One step over `batch`: the forward passes and, through `context.update`, each trained network's update, in order. */
  step(batch: DiffusionBatch, context: StepContext): StepResult;
  validate(context: ValidationContext): ValidationMeasures;
}

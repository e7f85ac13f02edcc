/**
 * Which run a training call trains: a new one, from the options over the recipe's defaults, or a resumed one, from
 * its run.json with the options checked against it; the parent run a new one is trained on top of; the data set's
 * roles and split. Everything is checked here, before any network is built or case read.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { discoverDataset, splitCases, type Contrast, type Splits } from '../data/index.js';
import type { RawTensor } from '../io/safetensors/index.js';
import type { Precision } from '../nn/index.js';
import {
  LR_DECAY_SHAPES, RUN_FILES, RUN_FORMAT, RUN_FORMAT_VERSION, builtinModelName, configDifferences, configHash, parseRunConfig, readRun, readRunConfig,
  readRunWeightsFile, runFolderOf,
  type LearningRateDecay, type ParentRun, type RandomStreams, type RunConfig,
} from '../runs/index.js';
import { runtimeInfo } from '../tensor/index.js';
import { assert, packageVersion } from '../util/index.js';
import { describeLearningRate, firstChangedStep, learningRateAt } from './learningRate.js';
import type { TrainingRecipe } from './recipe.js';
import { checkCasesHaveRoles, type ConditionalRoles } from './trainingCases.js';

/** The fixed parts of a new run (the reference's: Adam without decay, batch 1). */
const DEFAULTS = {
  training: { weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 0 },
  randomStreams: 'keyed',
  splitSeed: 0,
  cadence: { checkpointEvery: 1000, valEvery: 200, valTriples: 8, valSampleSteps: 10 },
} as const;

/** What decides the run: its folder, data, method config and training settings. */
export interface RunOptions {
  /** The run folder to write (created if needed). */
  readonly out: string;
  /**
   * Continue the run in `out` from its checkpoint. Options not given take the run's values; options given must
   * agree with them (all but `steps`, which may grow), or the run is refused, naming what differs.
   */
  readonly resume?: boolean;
  /** Train to this many steps in all. */
  readonly steps: number;
  /** The data set folder or manifest; required for a new run. */
  readonly data?: string;
  /** The contrast to synthesise; a new run of a method that learns one target needs it. */
  readonly target?: Contrast;
  /**
   * Network preset of the method, or changes to one (`{ preset, ...changes }`, as the method's parseConfig takes them);
   * default the recipe's preset for a new run.
   */
  readonly config?: string | PresetChanges;
  /** Values of the method's own options (the recipe's `methodOptions`), by name. */
  readonly methodOptions?: Readonly<Record<string, unknown>>;
  /** The run folder this one is trained on top of, whose networks the method inherits (a new run only). */
  readonly parent?: string;
  /** Default: the recipe's rate for the config. */
  readonly lr?: number;
  /**
   * Decay the learning rate (see learningRate.ts); fields not given take the resumed run's decay or, for a new
   * one, from step 0 to `steps`, down to 0. A resumed run may gain or change a decay only where it leaves the
   * steps already taken as they were.
   */
  readonly lrDecay?: Partial<LearningRateDecay>;
  readonly weightDecay?: number;
  readonly batchSize?: number;
  readonly emaDecay?: number;
  readonly seed?: number;
  readonly gradClip?: number;
  /** What the networks run in (see nn/precision.ts); default fp32 for a new run. */
  readonly precision?: Precision;
  /** Random streams of a new run (see runs/runConfig.ts); default keyed. */
  readonly randomStreams?: RandomStreams;
  /** Seed of the train/validation split by subject (and of the validation draws); default 0. */
  readonly splitSeed?: number;
  /** What `parsePreprocessConfig` accepts; default the method's. */
  readonly preprocess?: unknown;
  /** Resample to this isotropic voxel size in mm. */
  readonly spacing?: number;
  /** Checkpoint every this many steps (and at the end); default 1000, or what the resumed run recorded. */
  readonly checkpointEvery?: number;
  /** Validate every this many steps (and at the start and the end); default 200, or what the resumed run recorded. */
  readonly valEvery?: number;
  /** Number of fixed (case, t, noise) validation triples; default 8, or what the resumed run recorded. */
  readonly valTriples?: number;
  /** Reverse steps for the sampled validation case; 0 turns it off; default 10, or what the resumed run recorded. */
  readonly valSampleSteps?: number;
  /** Probability of mirroring a training sample left–right; default 0 (never), or what the resumed run recorded. */
  readonly flipLr?: number;
}

/** A run made ready to train: everything decided and checked, nothing built yet. */
export interface RunSetup<Config> {
  /** Names the call in messages, e.g. `train cwdm`. */
  readonly who: string;
  readonly out: string;
  /** The resumed run's config as it was; absent for a new run. */
  readonly saved?: RunConfig;
  readonly config: RunConfig;
  readonly methodConfig: Config;
  readonly roles: ConditionalRoles;
  readonly splits: Splits;
  /** The inherited networks' weights, for a new run with a parent. */
  readonly parent?: ParentWeights;
}

/** Sets up the run `options` ask for; `notice` hears what a user should know (e.g. a recorded setting a flag overrides). */
export async function setUpRun<Config>(recipe: TrainingRecipe<Config>, options: RunOptions, notice: (message: string) => void = () => {}): Promise<RunSetup<Config>> {
  const who = `train ${recipe.method}`;
  const out = resolve(options.out);
  let saved: RunConfig | undefined;
  if (options.resume) {
    saved = await readRunConfig(out);
    assert(saved.method === recipe.method, () => `${who}: the run in ${out} is a ${saved!.method} run`);
    assert(existsSync(join(out, RUN_FILES.checkpoint)), () => `${who}: ${out} has no ${RUN_FILES.checkpoint} to resume from`);
    assert(options.parent === undefined, () => `${who}: a resumed run keeps the parent it started from; parent is only for a new run`);
  } else {
    assert(!existsSync(join(out, RUN_FILES.config)), () => `${who}: ${out} already holds a run (${RUN_FILES.config}); resume it or choose another output folder`);
  }
  const dataPath = options.data !== undefined ? resolve(options.data) : saved?.data.path;
  assert(dataPath !== undefined, () => `${who}: a new run needs the data set (data)`);

  const dataset = await discoverDataset(dataPath);
  const roles = saved !== undefined && options.target === undefined
    ? { target: saved.target, conditions: saved.conditions }
    : recipe.roles(dataset, options.target);
  const parent = saved === undefined && options.parent !== undefined ? await readParent(recipe, options.parent, roles, options, who) : undefined;
  const config = runConfigFor(recipe, options, roles, dataPath, saved, parent);
  const recorded = saved?.training.cadence;
  if (recorded !== undefined) {
    const changed = (Object.keys(recorded) as (keyof typeof recorded)[]).filter((k) => recorded[k] !== config.training.cadence![k]);
    if (changed.length > 0) notice(`changing what the run recorded: ${changed.map((k) => `${k} ${recorded[k]} → ${config.training.cadence![k]}`).join(', ')}`);
  }
  if (saved !== undefined) {
    // The decay is checked against the steps taken once the checkpoint says how many (checkResumedLearningRate).
    const [before, now] = [withoutDecay(saved), withoutDecay(config)];
    assert(configHash(before) === configHash(now), () => `${who}: the run in ${out} was trained with another configuration `
      + `(hash ${configHash(before)}, now ${configHash(now)}); it differs in ${configDifferences(before, now).join('; ')}. Start a new run instead.`);
  }
  const methodConfig = recipe.parseConfig(config.methodConfig, roles);
  const inherited = recipe.inherits(methodConfig, parent !== undefined);
  assert(saved !== undefined || inherited.length === 0 || parent !== undefined, () => `${who}: this config takes ${inherited.join(', ')} `
    + 'from the run it is trained on top of; name that run (parent)');

  const splits = splitCases(dataset.cases, { seed: config.data.splitSeed });
  assert(splits.train.length > 0, () => `${who}: the split (seed ${config.data.splitSeed}) leaves no training case among the ${dataset.cases.length} of ${dataPath}`);
  checkCasesHaveRoles([...splits.train, ...splits.val], roles);
  return { who, out, ...(saved && { saved }), config, methodConfig, roles, splits, ...(parent && { parent }) };
}

/** Refuses a resumed run whose learning rate, as now asked for, would have differed at any of the `step` steps it has taken. */
export function checkResumedLearningRate(run: RunSetup<unknown>, step: number): void {
  const { saved, config } = run;
  if (saved === undefined) return;
  const changed = firstChangedStep(saved.training, config.training, step);
  assert(changed === undefined, () => `${run.who}: the learning rate asked for (${describeLearningRate(config.training)}) would change `
    + `step ${changed} of the ${step} the run in ${run.out} has taken (${learningRateAt(saved.training, changed!)} then, `
    + `${learningRateAt(config.training, changed!)} now); a decay added to a run must start at step ${step} or later`);
}

/** A network config given as changes to one of the method's presets: `{ preset, ...changes }`. */
export interface PresetChanges {
  readonly preset: string;
  readonly [field: string]: unknown;
}

/** Whether a raw config is changes to a preset (`{ preset, ... }`) rather than a preset's name or a run's recorded config. */
export function isPresetChanges(raw: unknown): raw is PresetChanges {
  return typeof raw === 'object' && raw !== null && 'preset' in raw;
}

/** The preset a config option names: the name itself, or the preset its changes start from. */
function presetOf(config: RunOptions['config']): string | undefined {
  return typeof config === 'object' ? config.preset : config;
}

/** The parent run of a new run: what run.json records of it, and the weights of the networks the method inherits. */
export interface ParentWeights {
  readonly record: ParentRun;
  /** The parent's preprocessing: a stage on top of it sees its cases as the parent did unless told otherwise. */
  readonly preprocess: RunConfig['preprocess'];
  readonly weights: Readonly<Record<string, Record<string, RawTensor>>>;
  /** Per inherited network, the key prefixes whose parameters keep the new run's initialisation (`TrainingRecipe.keptFresh`). */
  readonly keptFresh: Readonly<Record<string, readonly string[]>>;
}

async function readParent<Config>(recipe: TrainingRecipe<Config>, dir: string, roles: ConditionalRoles, options: RunOptions,
  who: string): Promise<ParentWeights> {
  // A built-in model (builtin:<name>) is a run folder shipped with mrsynth: fine-tuning one on real scans starts here.
  const { config, weightPaths } = await readRun(await runFolderOf(dir));
  const where = `${who}: parent run ${dir}`;
  assert(config.method === recipe.method, () => `${where} is a ${config.method} run, not a ${recipe.method} one`);
  const methodConfig = recipe.parseConfig(options.config ?? recipe.defaultPreset, roles, options.methodOptions);
  recipe.checkParent?.(config, methodConfig, roles);
  const weights: Record<string, Record<string, RawTensor>> = {};
  const shas: Record<string, string> = {};
  const keptFresh = recipe.keptFresh?.(methodConfig, config) ?? {};
  for (const name of recipe.inherits(methodConfig, true)) {
    const path = weightPaths[name];
    assert(path !== undefined, () => `${where} has no weights of '${name}' (it has ${Object.keys(weightPaths).join(', ')})`);
    const file = await readRunWeightsFile(path, `${where}: the weights of '${name}'`);
    shas[config.weights[name]] = file.sha256;
    const fresh = keptFresh[name] ?? [];
    weights[name] = Object.fromEntries(Object.entries(file.tensors).filter(([key]) => !fresh.some((prefix) => key.startsWith(prefix))));
  }
  const path = builtinModelName(dir) === undefined ? resolve(dir) : dir;
  return { record: { path, configHash: configHash(config), weights: shas }, preprocess: config.preprocess, weights, keptFresh };
}

/** The run's config: the options given, over the resumed run's values or, for a new run, the recipe's defaults. */
function runConfigFor<Config>(recipe: TrainingRecipe<Config>, options: RunOptions, roles: ConditionalRoles, dataPath: string,
  saved: RunConfig | undefined, parentWeights: ParentWeights | undefined): RunConfig {
  const parent = parentWeights?.record;
  const who = `train ${recipe.method}`;
  const preset = presetOf(options.config) ?? (saved === undefined ? recipe.defaultPreset : undefined);
  assert(preset === undefined || recipe.presets.includes(preset),
    () => `${who}: config must be one of ${recipe.presets.join(', ')} (or changes to one), got ${JSON.stringify(preset)}`);
  const methodConfig = recipe.parseConfig(options.config ?? preset ?? saved!.methodConfig, roles, options.methodOptions);
  const preprocessGiven = options.preprocess !== undefined || options.spacing !== undefined;
  const preprocess = preprocessGiven || (saved === undefined && parentWeights === undefined)
    ? recipe.preprocess(options.preprocess, options.spacing, methodConfig)
    : saved?.preprocess ?? parentWeights!.preprocess;
  const base = saved?.training ?? { ...DEFAULTS.training, lr: recipe.defaultLearningRate(preset!, methodConfig), randomStreams: DEFAULTS.randomStreams };
  const given = definedOnly({
    lr: options.lr, weightDecay: options.weightDecay, batchSize: options.batchSize, emaDecay: options.emaDecay, seed: options.seed,
    gradClip: options.gradClip, precision: options.precision, lrDecay: lrDecayFor(options, saved, who), randomStreams: options.randomStreams,
    flipLr: options.flipLr,
  });
  const flipLr = given.flipLr ?? saved?.training.flipLr ?? 0;
  assert(flipLr >= 0 && flipLr <= 1, () => `${who}: flip-lr must be a probability in [0, 1], got ${flipLr}`);
  // Only reorientation to RAS makes the model grid's first axis left–right; mirroring another axis makes non-anatomical images.
  assert(flipLr === 0 || preprocess.steps.some((step) => step.kind === 'reorient'), () => `${who}: flip-lr mirrors the model grid's `
    + 'first axis, which is left–right only after reorientation to RAS, and this preprocessing does not reorient; add a reorient step');
  return parseRunConfig({
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    method: recipe.method,
    target: roles.target,
    conditions: roles.conditions,
    methodConfig,
    weights: saved?.weights ?? recipe.weightFiles(methodConfig),
    ...((saved?.parent ?? parent) !== undefined && { parent: saved?.parent ?? parent }),
    preprocess,
    schedule: saved?.schedule ?? recipe.schedule(methodConfig),
    training: {
      precision: 'fp32', ...base, ...given, steps: options.steps,
      cadence: { ...DEFAULTS.cadence, ...saved?.training.cadence, ...definedOnly({
        checkpointEvery: options.checkpointEvery, valEvery: options.valEvery, valTriples: options.valTriples, valSampleSteps: options.valSampleSteps,
      }) },
    },
    data: { path: dataPath, splitSeed: options.splitSeed ?? saved?.data.splitSeed ?? DEFAULTS.splitSeed },
    createdWith: { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion },
  });
}

function lrDecayFor(options: RunOptions, saved: RunConfig | undefined, who: string): LearningRateDecay | undefined {
  if (options.lrDecay === undefined || Object.values(options.lrDecay).every((v) => v === undefined)) return undefined;
  const base = saved?.training.lrDecay;
  const shape = options.lrDecay.shape ?? base?.shape;
  assert(shape !== undefined, () => `${who}: the decay's steps or final rate were given, but not its shape (${LR_DECAY_SHAPES.join(' or ')}), `
    + `and the run has no decay to change`);
  return { shape, from: 0, to: options.steps, final: 0, ...base, ...definedOnly(options.lrDecay) };
}

/** The config as resuming compares it: everything but the decay, which may change where the past is unaffected. */
function withoutDecay(config: RunConfig): RunConfig {
  const { lrDecay: _decay, ...training } = config.training;
  return { ...config, training };
}

function definedOnly<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<T>;
}

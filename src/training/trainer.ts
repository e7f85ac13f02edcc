/**
 * `train`: trains a run of any method into a run folder (see src/runs) from the method's recipe (recipe.ts): the
 * loop, validation on a cadence, atomic checkpoints, exact resumption, Ctrl-C, the memory check and the JSON-lines
 * log, over the recipe's named networks, each trained one with its AdamW and, where the recipe averages it, its EMA.
 *
 * Determinism: the networks are initialised from `manualSeed(seed)`; the data order (a permutation per epoch) has
 * its own generator; a step's timesteps, noise and dropout come from the run's random streams (randomStreams.ts).
 * Every generator state, the data-order position, each AdamW's moments and each EMA go into every checkpoint, so
 * a run resumed from step k continues bit for bit like the uninterrupted run at the same thread count.
 *
 * Precision: in bf16 the networks run in bfloat16 while AdamW, clipping, the EMAs and checkpoints keep float32
 * master weights (see mixedPrecision.ts); the losses and everything around the networks stay float32. Checkpoints
 * hold only the masters, from which the bfloat16 copies are rounded again on resume, so resumption stays exact.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { discoverDataset, splitCases, type Contrast } from '../data/index.js';
import {
  decodeSafetensors, loadSafetensors, saveSafetensors, saveSafetensorsSync, type RawTensor,
} from '../io/safetensors/index.js';
import { loadRawIntoModule, moduleToRaw, type Module, type Precision } from '../nn/index.js';
import { AdamW, EMA } from '../optim/index.js';
import type { DiffusionBatch } from '../pipelines/index.js';
import {
  LR_DECAY_SHAPES, RUN_FILES, RUN_FORMAT, RUN_FORMAT_VERSION, configDifferences, configHash, parseRunConfig, readRun, readRunConfig,
  runWeightsMetadata, writeRunConfig, type LearningRateDecay, type ParentRun, type RandomStreams, type RunConfig,
} from '../runs/index.js';
import { F, Generator, manualSeed, runtimeInfo, tidy } from '../tensor/index.js';
import { formatVoxelSize, sameResolution } from '../transforms/index.js';
import { assert, fmtShape } from '../util/index.js';
import { packageVersion } from '../util/index.js';
import { DataOrder, type DataOrderState } from './dataOrder.js';
import { describeLearningRate, firstChangedStep, learningRateAt } from './learningRate.js';
import { MixedPrecision } from './mixedPrecision.js';
import { TrainingStreams } from './randomStreams.js';
import type { StepContext, TrainingRecipe } from './recipe.js';
import { encodeTrainingCheckpoint, migrateTrainingCheckpoint, restoreTrainingCheckpoint } from './trainingCheckpoint.js';
import { checkCasesHaveRoles, disposeTrainingCases, loadTrainingCase, type ConditionalRoles, type TrainingCase } from './trainingCases.js';
import { TrainingLog, type TrainStepEntry, type ValidationEntry } from './trainingLog.js';
import { checkTrainingMemory, formatGiB, type TrainingMemoryEstimate } from './trainingMemory.js';

/** The fixed parts of a new run (the reference's: Adam without decay, batch 1). */
const DEFAULTS = {
  training: { weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 0 },
  randomStreams: 'keyed',
  splitSeed: 0,
  valEvery: 200, checkpointEvery: 1000, valTriples: 8, valSampleSteps: 10,
} as const;

export interface TrainOptions {
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
  /** The contrast to synthesise; required for a new run. */
  readonly target?: Contrast;
  /** Network preset of the method; default the recipe's for a new run. */
  readonly config?: string;
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
  /** Validate every this many steps (and at the start and the end); default 200. */
  readonly valEvery?: number;
  /** Checkpoint every this many steps (and at the end); default 1000. */
  readonly checkpointEvery?: number;
  /** Number of fixed (case, t, noise) validation triples; default 8. */
  readonly valTriples?: number;
  /** Reverse steps for the sampled validation case; 0 turns it off; default 10. */
  readonly valSampleSteps?: number;
  /** Memory the run may use, in bytes; default the machine's total memory. */
  readonly memoryLimit?: number;
  /** Aborting finishes the current step, writes a checkpoint synchronously and returns (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface TrainStartInfo {
  readonly config: RunConfig;
  readonly startStep: number;
  readonly trainCases: number;
  readonly validationCases: number;
  readonly grid: readonly number[];
  readonly memory: TrainingMemoryEstimate;
}

export interface TrainCallbacks {
  onStart?(info: TrainStartInfo): void;
  onStep?(entry: TrainStepEntry): void;
  onValidation?(entry: ValidationEntry): void;
  onCheckpoint?(step: number): void;
  /** Things a user should know that do not stop the run. */
  onNotice?(message: string): void;
}

export interface TrainResult {
  readonly config: RunConfig;
  /** Steps completed in all. */
  readonly step: number;
  /** Whether the run stopped early on `signal`. */
  readonly interrupted: boolean;
  readonly lastValidation?: ValidationEntry;
}

/** Extra `__metadata__` of checkpoint.safetensors, next to what encodeTrainingCheckpoint writes. */
const CHECKPOINT_METADATA = { dataOrder: 'data_order', trainCases: 'train_cases', configHash: 'config_hash' } as const;

export async function train<Config>(recipe: TrainingRecipe<Config>, options: TrainOptions, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const who = `train ${recipe.method}`;
  const out = resolve(options.out);
  const paths = { checkpoint: join(out, RUN_FILES.checkpoint), log: join(out, RUN_FILES.log) };
  let saved: RunConfig | undefined;
  if (options.resume) {
    saved = await readRunConfig(out);
    assert(saved.method === recipe.method, () => `${who}: the run in ${out} is a ${saved!.method} run`);
    assert(existsSync(paths.checkpoint), () => `${who}: ${out} has no ${RUN_FILES.checkpoint} to resume from`);
    assert(options.parent === undefined, () => `${who}: a resumed run keeps the parent it started from; parent is only for a new run`);
  } else {
    assert(!existsSync(join(out, RUN_FILES.config)), () => `${who}: ${out} already holds a run (${RUN_FILES.config}); resume it or choose another output folder`);
  }
  const dataPath = options.data !== undefined ? resolve(options.data) : saved?.data.path;
  const target = options.target ?? saved?.target;
  assert(dataPath !== undefined && target !== undefined, () => `${who}: a new run needs the data set (data) and the target contrast (target)`);

  const dataset = await discoverDataset(dataPath);
  const roles = recipe.roles(dataset, target);
  const parent = saved === undefined && options.parent !== undefined ? await readParent(recipe, options.parent, roles, options, who) : undefined;
  let config = runConfigFor(recipe, options, roles, dataPath, saved, parent?.record);
  if (saved !== undefined) {
    // The decay is checked against the steps taken once the checkpoint says how many (below).
    const [before, now] = [withoutDecay(saved), withoutDecay(config)];
    assert(configHash(before) === configHash(now), () => `${who}: the run in ${out} was trained with another configuration `
      + `(hash ${configHash(before)}, now ${configHash(now)}); it differs in ${configDifferences(before, now).join('; ')}. Start a new run instead.`);
  }
  const methodConfig = recipe.parseConfig(config.methodConfig, config.conditions);
  const inherited = recipe.inherits(methodConfig);
  assert(saved !== undefined || inherited.length === 0 || parent !== undefined, () => `${who}: this config takes ${inherited.join(', ')} `
    + 'from the run it is trained on top of; name that run (parent)');

  const splits = splitCases(dataset.cases, { seed: config.data.splitSeed });
  assert(splits.train.length > 0, () => `${who}: the split (seed ${config.data.splitSeed}) leaves no training case among the ${dataset.cases.length} of ${dataPath}`);
  checkCasesHaveRoles([...splits.train, ...splits.val], roles);

  const trainCases: TrainingCase[] = [];
  const validationCases: TrainingCase[] = [];
  manualSeed(config.training.seed);
  const plan = recipe.plan(methodConfig, config.schedule);
  const names = Object.keys(plan.networks);
  const data = new Generator(config.training.seed + 1);
  const streams = new TrainingStreams(config.training.randomStreams, config.training.seed);
  const precisions: Record<string, MixedPrecision<Module>> = {};
  const optimizers: Record<string, AdamW> = {};
  const emas: Record<string, EMA> = {};
  try {
    assert(plan.trained.every((n) => names.includes(n)) && plan.averaged.every((n) => plan.trained.includes(n)),
      () => `${who}: the recipe trains [${plan.trained.join(', ')}] and averages [${plan.averaged.join(', ')}] of the networks [${names.join(', ')}]; `
        + 'every trained network must be one of them, and every averaged one trained');
    // Only one case is loaded before the memory check: it fixes the grid, and the check refuses before the rest is read.
    const first = await loadTrainingCase(splits.train[0], roles, config.preprocess);
    trainCases.push(first);
    const valuesPerCase = first.batch.conditions.numel + first.batch.target.numel;
    const memory = plan.estimateMemory({
      imageShape: first.shape, batchSize: config.training.batchSize, precision: config.training.precision,
      cachedValues: valuesPerCase * (splits.train.length + splits.val.length),
    });
    checkTrainingMemory(memory, options.memoryLimit ?? totalmem(), `training ${plan.description} on a ${fmtShape(first.shape)} grid `
      + `with batch ${config.training.batchSize} and ${splits.train.length + splits.val.length} cached cases`);
    if (memory.total > freemem()) {
      callbacks.onNotice?.(`the run needs about ${formatGiB(memory.total)} but only ${formatGiB(freemem())} is free now; other processes may have to give way`);
    }
    for (const c of splits.train.slice(1)) trainCases.push(await loadTrainingCase(c, roles, config.preprocess));
    for (const c of splits.val) validationCases.push(await loadTrainingCase(c, roles, config.preprocess));
    if (config.training.batchSize > 1) {
      const odd = trainCases.find((c) => fmtShape(c.shape) !== fmtShape(first.shape));
      assert(odd === undefined, () => `${who}: batches of ${config.training.batchSize} need one grid for all cases, but ${first.id} `
        + `is ${fmtShape(first.shape)} and ${odd!.id} is ${fmtShape(odd!.shape)}; pad to a fixed shape or use batch size 1`);
    }
    config = withVoxelSize(config, [...trainCases, ...validationCases], callbacks);
    if (validationCases.length === 0) {
      callbacks.onNotice?.(`the split (seed ${config.data.splitSeed}) has no validation case; validating on the training cases`);
    }
    if (parent !== undefined) for (const name of inherited) loadRawIntoModule(plan.networks[name], parent.weights[name]);

    // The optimisers and the EMAs hold the float32 masters; the session runs the trained networks in the run's
    // precision. Frozen networks (inherited ones) run as they are, in float32, in eval mode and without gradients.
    for (const name of plan.trained) precisions[name] = new MixedPrecision(plan.networks[name], config.training.precision, () => plan.build(name));
    for (const name of names.filter((n) => !plan.trained.includes(n))) {
      for (const parameter of plan.networks[name].parameters()) parameter.requiresGrad_(false);
      plan.networks[name].eval();
    }
    const working = Object.fromEntries(names.map((name) => [name, precisions[name]?.network ?? plan.networks[name]]));
    const session = plan.session(working, {
      triples: options.valTriples ?? DEFAULTS.valTriples, sampleSteps: options.valSampleSteps ?? DEFAULTS.valSampleSteps,
    });
    for (const name of plan.trained) {
      optimizers[name] = new AdamW(plan.networks[name].namedParameters(), { lr: config.training.lr, weightDecay: config.training.weightDecay });
    }
    for (const name of plan.averaged) emas[name] = new EMA(plan.networks[name], { decay: config.training.emaDecay });
    const components = {
      networks: plan.networks, optimizers, emas, generators: { data, ...streams.checkpointed, global: Generator.global() },
    };
    const order = new DataOrder(trainCases.length, data);
    const trainIds = trainCases.map((c) => c.id);
    let step = 0;
    let log: TrainingLog;
    if (saved !== undefined) {
      // A checkpoint of format 1 came from a run of one network: the one the run's single weights file holds.
      const sole = Object.keys(saved.weights);
      const contents = migrateTrainingCheckpoint(await loadSafetensors(paths.checkpoint), sole.length === 1 ? sole[0] : '', paths.checkpoint);
      step = restoreTrainingCheckpoint(contents, components, paths.checkpoint).step;
      for (const precision of Object.values(precisions)) precision.syncNetwork();
      const savedIds = JSON.parse(contents.metadata[CHECKPOINT_METADATA.trainCases] ?? '[]') as string[];
      assert(savedIds.join('\n') === trainIds.join('\n'), () => `${who}: the training cases of ${dataPath} changed since the checkpoint `
        + `(${savedIds.length} then, ${trainIds.length} now; first difference at ${savedIds.find((id, i) => id !== trainIds[i]) ?? trainIds[savedIds.length]})`);
      order.restore(JSON.parse(contents.metadata[CHECKPOINT_METADATA.dataOrder] ?? 'null') as DataOrderState, paths.checkpoint);
      const changed = firstChangedStep(saved.training, config.training, step);
      assert(changed === undefined, () => `${who}: the learning rate asked for (${describeLearningRate(config.training)}) would change `
        + `step ${changed} of the ${step} the run in ${out} has taken (${learningRateAt(saved!.training, changed!)} then, `
        + `${learningRateAt(config.training, changed!)} now); a decay added to a run must start at step ${step} or later`);
      if (step >= config.training.steps) {
        callbacks.onNotice?.(`the run is at step ${step} already, not below the ${config.training.steps} asked for; nothing to train`);
        return { config: saved, step, interrupted: false };
      }
      await writeRunConfig(out, config);
      log = await TrainingLog.resume(paths.log, step);
    } else {
      await writeRunConfig(out, config);
      log = await TrainingLog.create(paths.log);
    }

    const valEvery = options.valEvery ?? DEFAULTS.valEvery;
    const checkpointEvery = options.checkpointEvery ?? DEFAULTS.checkpointEvery;
    const decay = config.training.lrDecay;
    if (decay !== undefined && config.training.steps > decay.to) {
      callbacks.onNotice?.(`the learning-rate decay ends at step ${decay.to}; the ${config.training.steps - decay.to} step(s) after it `
        + `train at its final rate, ${decay.final}`);
    }
    callbacks.onStart?.({ config, startStep: step, trainCases: trainCases.length, validationCases: validationCases.length, grid: first.shape, memory });

    const averaged = <T>(fn: () => T): T => plan.averaged.reduceRight<() => T>(
      (inner, name) => () => precisions[name].withAveragedWeights(emas[name], inner), fn)();
    let lastValidation: ValidationEntry | undefined;
    const validate = () => {
      const started = performance.now();
      const measures = session.validate({
        step, cases: validationCases.length > 0 ? validationCases : trainCases, trainCases, splitSeed: config.data.splitSeed, averaged,
      });
      lastValidation = { kind: 'validation', step, ...measures, seconds: (performance.now() - started) / 1000 };
      log.append(lastValidation);
      callbacks.onValidation?.(lastValidation);
    };
    let checkpointed = saved !== undefined ? step : -1;
    const checkpoint = async (sync: boolean) => {
      const files = [
        {
          path: paths.checkpoint,
          ...encodeTrainingCheckpoint(components, { step, config }, {
            [CHECKPOINT_METADATA.configHash]: configHash(config), [CHECKPOINT_METADATA.dataOrder]: JSON.stringify(order.state),
            [CHECKPOINT_METADATA.trainCases]: JSON.stringify(trainIds),
          }),
        },
        ...Object.entries(config.weights).map(([name, file]) => ({
          path: join(out, file),
          tensors: emas[name] !== undefined ? emas[name].withAveragedWeights(() => moduleToRaw(plan.networks[name])) : moduleToRaw(plan.networks[name]),
          metadata: runWeightsMetadata(config, step),
        })),
      ];
      for (const file of files) {
        if (sync) saveSafetensorsSync(file.path, file.tensors, file.metadata);
        else await saveSafetensors(file.path, file.tensors, file.metadata);
      }
      checkpointed = step;
      callbacks.onCheckpoint?.(step);
    };

    if (step === 0) validate();
    for (const precision of Object.values(precisions)) precision.network.train();
    const { batchSize, gradClip } = config.training;
    while (step < config.training.steps) {
      const started = performance.now();
      const picked = order.next(batchSize).map((i) => trainCases[i].batch);
      const lr = learningRateAt(config.training, step);
      for (const optimizer of Object.values(optimizers)) optimizer.lr = lr;
      const context: StepContext = {
        step,
        draws: streams.forStep(step, batchSize),
        update: (name, loss) => {
          assert(optimizers[name] !== undefined, () => `${who}: the step updates '${name}', which is not a trained network (${plan.trained.join(', ')})`);
          for (const precision of Object.values(precisions)) precision.dropGradients();
          loss.backward();
          return precisions[name].step(optimizers[name], { gradClip });
        },
      };
      const result = tidy(() => {
        const batch: DiffusionBatch = picked.length === 1 ? picked[0] : {
          conditions: F.cat(picked.map((b) => b.conditions), 0), target: F.cat(picked.map((b) => b.target), 0),
        };
        return session.step(batch, context);
      });
      for (const ema of Object.values(emas)) ema.update();
      step += 1;
      const entry: TrainStepEntry = {
        kind: 'train', step, epoch: order.state.epoch, loss: result.loss, lr, ...(result.gradNorm !== undefined && { gradNorm: result.gradNorm }),
        ...(result.losses !== undefined && { losses: result.losses }), seconds: (performance.now() - started) / 1000,
      };
      log.append(entry);
      callbacks.onStep?.(entry);
      if (step % valEvery === 0 || step === config.training.steps) validate();
      if (step % checkpointEvery === 0 || step === config.training.steps) await checkpoint(false);
      // Lets a pending Ctrl-C (or any abort) be seen between steps; the steps themselves are synchronous.
      await new Promise((done) => setImmediate(done));
      if (options.signal?.aborted && step < config.training.steps) {
        if (checkpointed !== step) await checkpoint(true);
        return { config, step, interrupted: true, lastValidation };
      }
    }
    return { config, step, interrupted: false, lastValidation };
  } finally {
    disposeTrainingCases([...trainCases, ...validationCases]);
    for (const ema of Object.values(emas)) ema.dispose();
    for (const optimizer of Object.values(optimizers)) optimizer.dispose();
    for (const precision of Object.values(precisions)) precision.dispose();
    plan.dispose?.();
    for (const network of Object.values(plan.networks)) network.dispose();
    data.dispose();
    streams.dispose();
  }
}

/** The parent run of a new run: what run.json records of it, and the weights of the networks the method inherits. */
interface ParentWeights {
  readonly record: ParentRun;
  readonly weights: Readonly<Record<string, Record<string, RawTensor>>>;
}

async function readParent<Config>(recipe: TrainingRecipe<Config>, dir: string, roles: ConditionalRoles, options: TrainOptions,
  who: string): Promise<ParentWeights> {
  const { config, weightPaths } = await readRun(dir);
  const where = `${who}: parent run ${dir}`;
  assert(config.method === recipe.method, () => `${where} is a ${config.method} run, not a ${recipe.method} one`);
  const methodConfig = recipe.parseConfig(options.config ?? recipe.defaultPreset, roles.conditions);
  recipe.checkParent?.(config, methodConfig);
  const weights: Record<string, Record<string, RawTensor>> = {};
  const shas: Record<string, string> = {};
  for (const name of recipe.inherits(methodConfig)) {
    const path = weightPaths[name];
    assert(path !== undefined, () => `${where} has no weights of '${name}' (it has ${Object.keys(weightPaths).join(', ')})`);
    const bytes = await readFile(path);
    shas[config.weights[name]] = createHash('sha256').update(bytes).digest('hex');
    weights[name] = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path).tensors;
  }
  return { record: { path: resolve(dir), configHash: configHash(config), weights: shas }, weights };
}

/** The run's config: the options given, over the resumed run's values or, for a new run, the recipe's defaults. */
function runConfigFor<Config>(recipe: TrainingRecipe<Config>, options: TrainOptions, roles: ConditionalRoles, dataPath: string,
  saved: RunConfig | undefined, parent: ParentRun | undefined): RunConfig {
  const who = `train ${recipe.method}`;
  const preset = options.config ?? (saved === undefined ? recipe.defaultPreset : undefined);
  assert(preset === undefined || recipe.presets.includes(preset),
    () => `${who}: config must be one of ${recipe.presets.join(', ')}, got ${JSON.stringify(preset)}`);
  const methodConfig = recipe.parseConfig(preset ?? saved!.methodConfig, roles.conditions);
  const preprocess = options.preprocess !== undefined || options.spacing !== undefined || saved === undefined
    ? recipe.preprocess(options.preprocess, options.spacing, methodConfig)
    : saved.preprocess;
  const base = saved?.training ?? { ...DEFAULTS.training, lr: recipe.defaultLearningRate(preset!), randomStreams: DEFAULTS.randomStreams };
  const given = definedOnly({
    lr: options.lr, weightDecay: options.weightDecay, batchSize: options.batchSize, emaDecay: options.emaDecay, seed: options.seed,
    gradClip: options.gradClip, precision: options.precision, lrDecay: lrDecayFor(options, saved, who), randomStreams: options.randomStreams,
  });
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
    schedule: saved?.schedule ?? recipe.schedule,
    training: { precision: 'fp32', ...base, ...given, steps: options.steps },
    data: { path: dataPath, splitSeed: options.splitSeed ?? saved?.data.splitSeed ?? DEFAULTS.splitSeed },
    createdWith: { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion },
  });
}

function lrDecayFor(options: TrainOptions, saved: RunConfig | undefined, who: string): LearningRateDecay | undefined {
  if (options.lrDecay === undefined || Object.values(options.lrDecay).every((v) => v === undefined)) return undefined;
  const base = saved?.training.lrDecay;
  const shape = options.lrDecay.shape ?? base?.shape;
  assert(shape !== undefined, () => `${who}: the decay's steps or final rate were given, but not its shape (${LR_DECAY_SHAPES.join(' or ')}), `
    + `and the run has no decay to change`);
  return { shape, from: 0, to: options.steps, final: 0, ...base, ...definedOnly(options.lrDecay) };
}

/**
 * The config with the voxel size its cases share recorded, for completion to check scans against; when they do
 * not share one, the config as it is, and a notice, since completion then cannot tell a scan of the wrong
 * resolution.
 */
function withVoxelSize(config: RunConfig, cases: readonly TrainingCase[], callbacks: TrainCallbacks): RunConfig {
  const first = cases[0];
  const odd = cases.find((c) => !sameResolution(c.voxelSize, first.voxelSize, 1 + 1e-3));
  if (odd !== undefined) {
    callbacks.onNotice?.(`the cases come at different voxel sizes (${first.id}: ${formatVoxelSize(first.voxelSize)}, ${odd.id}: `
      + `${formatVoxelSize(odd.voxelSize)} on the model grid); the network learns from both, and completion cannot check a scan's resolution `
      + 'against them; --spacing resamples every case to one');
    return config;
  }
  const voxelSize = first.voxelSize.map((mm) => Math.round(mm * 1e6) / 1e6);
  return parseRunConfig({ ...config, data: { ...config.data, voxelSize } });
}

/** The config as resuming compares it: everything but the decay, which may change where the past is unaffected. */
function withoutDecay(config: RunConfig): RunConfig {
  const { lrDecay: _decay, ...training } = config.training;
  return { ...config, training };
}

function definedOnly<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<T>;
}

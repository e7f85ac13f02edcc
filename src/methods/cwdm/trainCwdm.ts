/**
 * `trainCwdm`: trains a cWDM model for one target contrast into a run folder (see src/runs), the reference's
 * training loop (spec §6) with what it lacks: validation, EMA weights, atomic checkpoints and exact resumption.
 *
 * Determinism: the network is initialised from `manualSeed(seed)`; the data order (a permutation per epoch), the
 * draws of t and ε, and the global generator (dropout) each have their own generator, and all three states,
 * the data-order position, AdamW's moments and the EMA go into every checkpoint. A run resumed from step k
 * therefore continues bit for bit like the uninterrupted run at the same thread count.
 *
 * Precision: in bf16 the network runs in bfloat16 while AdamW, clipping, the EMA and checkpoints keep float32
 * master weights (see mixedPrecision.ts); the loss and everything around the network stay float32. Checkpoints
 * hold only the masters, from which the bfloat16 copy is rounded again on resume, so resumption stays exact.
 */
import { existsSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { discoverDataset, splitCases, type Contrast } from '../../data/index.js';
import { loadSafetensors, saveSafetensors, saveSafetensorsSync, type RawTensor } from '../../io/safetensors/index.js';
import { CwdmUNet, cwdmSpatialMultiple, parseCwdmUNetConfig } from '../../models/wdm/index.js';
import { moduleToRaw, type Precision } from '../../nn/index.js';
import { AdamW, EMA } from '../../optim/index.js';
import type { DiffusionBatch } from '../../pipelines/index.js';
import {
  LR_DECAY_SHAPES, RUN_FILES, RUN_FORMAT, RUN_FORMAT_VERSION, configDifferences, configHash, parseRunConfig, readRunConfig,
  runWeightsMetadata, writeRunConfig, type LearningRateDecay, type RunConfig,
} from '../../runs/index.js';
import { F, Generator, manualSeed, runtimeInfo, tidy } from '../../tensor/index.js';
import {
  DataOrder, FixedValidationSet, MixedPrecision, TrainingLog, checkCasesHaveRoles, checkTrainingMemory,
  describeLearningRate, disposeTrainingCases, encodeTrainingCheckpoint, firstChangedStep, formatGiB, learningRateAt,
  loadTrainingCase, restoreTrainingCheckpoint, sampledCaseScores, trainingPreprocessConfig, type ConditionalRoles, type DataOrderState,
  type TrainStepEntry, type TrainingCase, type TrainingMemoryEstimate, type ValidationEntry,
} from '../../training/index.js';
import { formatVoxelSize, sameResolution } from '../../transforms/index.js';
import { assert, fmtShape } from '../../util/assert.js';
import { packageVersion } from '../../util/packageRoot.js';
import { cwdmMethod } from './cwdmMethod.js';
import { cwdmPipeline } from './cwdmPipeline.js';
import { cwdmRoles } from './roles.js';
import { estimateCwdmTrainingMemory } from './trainingMemory.js';

export const TRAIN_PRESETS = ['tiny', 'cpu', 'paper'] as const;
export type TrainPreset = (typeof TRAIN_PRESETS)[number];

/**
 * AdamW learning rates by network. The reference's 1e-5 (paper) goes with 1.2 M steps of a 81 M-parameter
 * network; runs of the smaller ones are thousands of steps, where 1e-5 barely moves the weights. `cpu`
 * (3.2 M parameters) takes 2e-4, what DDPM trained its 36 M-parameter U-Net with; `tiny` (56 k parameters, test
 * and demo runs of hundreds of steps) takes Adam's customary 1e-3, stable here because every ResBlock's last
 * convolution and the head start at zero.
 */
export const DEFAULT_LEARNING_RATES: Readonly<Record<TrainPreset, number>> = { tiny: 1e-3, cpu: 2e-4, paper: 1e-5 };

/** The fixed parts of a new run (the reference's: linear schedule over 1000 steps, x₀-prediction, Adam without decay, batch 1). */
const DEFAULTS = {
  preset: 'tiny',
  schedule: { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' },
  training: { weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 0 },
  splitSeed: 0,
  valEvery: 200, checkpointEvery: 1000, valTriples: 8, valSampleSteps: 10,
} as const;

export interface TrainCwdmOptions {
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
  /** Network preset; default `tiny` for a new run. */
  readonly config?: TrainPreset;
  /** Default: {@link DEFAULT_LEARNING_RATES} of the preset. */
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
  /** What the network runs in (see models/wdm/precision.ts); default fp32 for a new run. */
  readonly precision?: Precision;
  /** Seed of the train/validation split by subject (and of the validation draws); default 0. */
  readonly splitSeed?: number;
  /** What `parsePreprocessConfig` accepts; default the `cwdm` preset (see trainingPreprocessConfig). */
  readonly preprocess?: unknown;
  /** Resample to this isotropic voxel size in mm. */
  readonly spacing?: number;
  /** Validate every this many steps (and at the start and the end); default 200. */
  readonly valEvery?: number;
  /** Checkpoint every this many steps (and at the end); default 1000. */
  readonly checkpointEvery?: number;
  /** Number of fixed (case, t, noise) validation triples; default 8. */
  readonly valTriples?: number;
  /** DDIM steps for the sampled validation case; 0 turns it off; default 10. */
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

export interface TrainCwdmCallbacks {
  onStart?(info: TrainStartInfo): void;
  onStep?(entry: TrainStepEntry): void;
  onValidation?(entry: ValidationEntry): void;
  onCheckpoint?(step: number): void;
  /** Things a user should know that do not stop the run. */
  onNotice?(message: string): void;
}

export interface TrainCwdmResult {
  readonly config: RunConfig;
  /** Steps completed in all. */
  readonly step: number;
  /** Whether the run stopped early on `signal`. */
  readonly interrupted: boolean;
  readonly lastValidation?: ValidationEntry;
}

/** Extra `__metadata__` of checkpoint.safetensors, next to what encodeTrainingCheckpoint writes. */
const CHECKPOINT_METADATA = { dataOrder: 'data_order', trainCases: 'train_cases', configHash: 'config_hash' } as const;

export async function trainCwdm(options: TrainCwdmOptions, callbacks: TrainCwdmCallbacks = {}): Promise<TrainCwdmResult> {
  const out = resolve(options.out);
  const paths = { config: join(out, RUN_FILES.config), checkpoint: join(out, RUN_FILES.checkpoint), weights: join(out, RUN_FILES.weights), log: join(out, RUN_FILES.log) };
  let saved: RunConfig | undefined;
  if (options.resume) {
    saved = await readRunConfig(out);
    assert(existsSync(paths.checkpoint), () => `trainCwdm: ${out} has no ${RUN_FILES.checkpoint} to resume from`);
  } else {
    assert(!existsSync(paths.config), () => `trainCwdm: ${out} already holds a run (${RUN_FILES.config}); resume it or choose another output folder`);
  }
  const dataPath = options.data !== undefined ? resolve(options.data) : saved?.data.path;
  const target = options.target ?? saved?.target;
  assert(dataPath !== undefined && target !== undefined, () => 'trainCwdm: a new run needs the data set (data) and the target contrast (target)');

  const dataset = await discoverDataset(dataPath);
  const roles = cwdmRoles(dataset, target);
  let config = runConfigFor(options, roles, dataPath, saved);
  if (saved !== undefined) {
    // The decay is checked against the steps taken once the checkpoint says how many (below).
    const [before, now] = [withoutDecay(saved), withoutDecay(config)];
    assert(configHash(before) === configHash(now), () => `trainCwdm: the run in ${out} was trained with another configuration `
      + `(hash ${configHash(before)}, now ${configHash(now)}); it differs in ${configDifferences(before, now).join('; ')}. Start a new run instead.`);
  }

  const splits = splitCases(dataset.cases, { seed: config.data.splitSeed });
  assert(splits.train.length > 0, () => `trainCwdm: the split (seed ${config.data.splitSeed}) leaves no training case among the ${dataset.cases.length} of ${dataPath}`);
  checkCasesHaveRoles([...splits.train, ...splits.val], roles);

  const trainCases: TrainingCase[] = [];
  const validationCases: TrainingCase[] = [];
  manualSeed(config.training.seed);
  const modelConfig = cwdmMethod.parseConfig(config.modelConfig, config.conditions);
  const model = new CwdmUNet(modelConfig);
  const generators = { data: new Generator(config.training.seed + 1), noise: new Generator(config.training.seed + 2), global: Generator.global() };
  let weights: MixedPrecision<CwdmUNet> | undefined;
  let optimizer: AdamW | undefined;
  let ema: EMA | undefined;
  try {
    // Only one case is loaded before the memory check: it fixes the grid, and the check refuses before the rest is read.
    const first = await loadTrainingCase(splits.train[0], roles, config.preprocess);
    trainCases.push(first);
    const valuesPerCase = first.batch.conditions.numel + first.batch.target.numel;
    const memory = estimateCwdmTrainingMemory(modelConfig, {
      parameterCount: model.numParameters(), imageShape: first.shape, batchSize: config.training.batchSize,
      precision: config.training.precision, cachedValues: valuesPerCase * (splits.train.length + splits.val.length),
    });
    const limit = options.memoryLimit ?? totalmem();
    checkTrainingMemory(memory, limit, `training ${modelConfig.modelChannels}-channel cWDM on a ${fmtShape(first.shape)} grid `
      + `with batch ${config.training.batchSize} and ${splits.train.length + splits.val.length} cached cases`);
    if (memory.total > freemem()) {
      callbacks.onNotice?.(`the run needs about ${formatGiB(memory.total)} but only ${formatGiB(freemem())} is free now; other processes may have to give way`);
    }
    for (const c of splits.train.slice(1)) trainCases.push(await loadTrainingCase(c, roles, config.preprocess));
    for (const c of splits.val) validationCases.push(await loadTrainingCase(c, roles, config.preprocess));
    if (config.training.batchSize > 1) {
      const odd = trainCases.find((c) => fmtShape(c.shape) !== fmtShape(first.shape));
      assert(odd === undefined, () => `trainCwdm: batches of ${config.training.batchSize} need one grid for all cases, but ${first.id} `
        + `is ${fmtShape(first.shape)} and ${odd!.id} is ${fmtShape(odd!.shape)}; pad to a fixed shape or use batch size 1`);
    }
    config = withVoxelSize(config, [...trainCases, ...validationCases], callbacks);
    if (validationCases.length === 0) {
      callbacks.onNotice?.(`the split (seed ${config.data.splitSeed}) has no validation case; validating on the training cases`);
    }

    // The optimiser and the EMA hold the float32 masters; the pipeline runs the network of the run's precision.
    weights = new MixedPrecision(model, config.training.precision, () => new CwdmUNet(modelConfig));
    const pipeline = cwdmPipeline(weights.network, config.schedule);
    optimizer = new AdamW(model.namedParameters(), { lr: config.training.lr, weightDecay: config.training.weightDecay });
    ema = new EMA(model, { decay: config.training.emaDecay });
    const components = { model, optimizer, ema, generators };
    const order = new DataOrder(trainCases.length, generators.data);
    const trainIds = trainCases.map((c) => c.id);
    let step = 0;
    let log: TrainingLog;
    if (saved !== undefined) {
      const contents = await loadSafetensors(paths.checkpoint);
      step = restoreTrainingCheckpoint(contents, components, paths.checkpoint).step;
      weights.syncNetwork();
      const savedIds = JSON.parse(contents.metadata[CHECKPOINT_METADATA.trainCases] ?? '[]') as string[];
      assert(savedIds.join('\n') === trainIds.join('\n'), () => `trainCwdm: the training cases of ${dataPath} changed since the checkpoint `
        + `(${savedIds.length} then, ${trainIds.length} now; first difference at ${savedIds.find((id, i) => id !== trainIds[i]) ?? trainIds[savedIds.length]})`);
      order.restore(JSON.parse(contents.metadata[CHECKPOINT_METADATA.dataOrder] ?? 'null') as DataOrderState, paths.checkpoint);
      const changed = firstChangedStep(saved.training, config.training, step);
      assert(changed === undefined, () => `trainCwdm: the learning rate asked for (${describeLearningRate(config.training)}) would change `
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

    const validationSet = new FixedValidationSet(validationCases.length > 0 ? validationCases : trainCases,
      options.valTriples ?? DEFAULTS.valTriples, config.data.splitSeed + 1);
    const baselineLoss = validationSet.meanCoefficientLoss(pipeline, trainCases);
    const valSampleSteps = options.valSampleSteps ?? DEFAULTS.valSampleSteps;
    const valEvery = options.valEvery ?? DEFAULTS.valEvery;
    const checkpointEvery = options.checkpointEvery ?? DEFAULTS.checkpointEvery;
    const decay = config.training.lrDecay;
    if (decay !== undefined && config.training.steps > decay.to) {
      callbacks.onNotice?.(`the learning-rate decay ends at step ${decay.to}; the ${config.training.steps - decay.to} step(s) after it `
        + `train at its final rate, ${decay.final}`);
    }
    callbacks.onStart?.({ config, startStep: step, trainCases: trainCases.length, validationCases: validationCases.length, grid: first.shape, memory });

    let lastValidation: ValidationEntry | undefined;
    const validate = () => {
      const started = performance.now();
      const loss = validationSet.loss(pipeline);
      const lossEma = weights!.withAveragedWeights(ema!, () => validationSet.loss(pipeline));
      const sample = valSampleSteps > 0
        ? weights!.withAveragedWeights(ema!, () => sampledCaseScores(pipeline, validationSet.cases[0],
          { steps: valSampleSteps, seed: config.data.splitSeed + 2 }))
        : undefined;
      lastValidation = { kind: 'validation', step, loss, lossEma, baselineLoss, ...(sample && { sample }), seconds: (performance.now() - started) / 1000 };
      log.append(lastValidation);
      callbacks.onValidation?.(lastValidation);
    };
    let checkpointed = saved !== undefined ? step : -1;
    const checkpoint = async (sync: boolean) => {
      const files = checkpointFiles(components, config, step, order.state, trainIds);
      if (sync) {
        saveSafetensorsSync(paths.checkpoint, files.checkpoint.tensors, files.checkpoint.metadata);
        saveSafetensorsSync(paths.weights, files.weights.tensors, files.weights.metadata);
      } else {
        await saveSafetensors(paths.checkpoint, files.checkpoint.tensors, files.checkpoint.metadata);
        await saveSafetensors(paths.weights, files.weights.tensors, files.weights.metadata);
      }
      checkpointed = step;
      callbacks.onCheckpoint?.(step);
    };

    if (step === 0) validate();
    weights.network.train();
    const { batchSize, gradClip } = config.training;
    while (step < config.training.steps) {
      const started = performance.now();
      const picked = order.next(batchSize).map((i) => trainCases[i].batch);
      optimizer.lr = learningRateAt(config.training, step);
      const { loss, gradNorm } = tidy(() => {
        const batch: DiffusionBatch = picked.length === 1 ? picked[0] : {
          conditions: F.cat(picked.map((b) => b.conditions), 0), target: F.cat(picked.map((b) => b.target), 0),
        };
        const lossTensor = pipeline.trainingLoss(batch, generators.noise);
        lossTensor.backward();
        const norm = weights!.step(optimizer!, { gradClip });
        return { loss: lossTensor.item(), gradNorm: norm };
      });
      ema.update();
      step += 1;
      const entry: TrainStepEntry = {
        kind: 'train', step, epoch: order.state.epoch, loss, lr: optimizer.lr, ...(gradNorm !== undefined && { gradNorm }),
        seconds: (performance.now() - started) / 1000,
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
    ema?.dispose();
    optimizer?.dispose();
    weights?.dispose();
    model.dispose();
    generators.data.dispose();
    generators.noise.dispose();
  }
}

/** The run's config: the options given, over the resumed run's values or, for a new run, the defaults. */
function runConfigFor(options: TrainCwdmOptions, roles: ConditionalRoles, dataPath: string, saved: RunConfig | undefined): RunConfig {
  const preset = options.config ?? (saved === undefined ? DEFAULTS.preset : undefined);
  assert(preset === undefined || TRAIN_PRESETS.includes(preset),
    () => `trainCwdm: config must be one of ${TRAIN_PRESETS.join(', ')}, got ${JSON.stringify(preset)}`);
  const modelConfig = preset !== undefined ? parseCwdmUNetConfig({ preset, conditions: roles.conditions.length })
    : cwdmMethod.parseConfig(saved!.modelConfig, saved!.conditions);
  const preprocess = options.preprocess !== undefined || options.spacing !== undefined || saved === undefined
    ? trainingPreprocessConfig(options.preprocess, { spacing: options.spacing, imageMultiple: 2 * cwdmSpatialMultiple(modelConfig) })
    : saved.preprocess;
  const base = saved?.training ?? { ...DEFAULTS.training, lr: DEFAULT_LEARNING_RATES[preset!] };
  const given = definedOnly({
    lr: options.lr, weightDecay: options.weightDecay, batchSize: options.batchSize, emaDecay: options.emaDecay, seed: options.seed,
    gradClip: options.gradClip, precision: options.precision, lrDecay: lrDecayFor(options, saved),
  });
  return parseRunConfig({
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    model: 'cwdm',
    target: roles.target,
    conditions: roles.conditions,
    modelConfig,
    preprocess,
    schedule: saved?.schedule ?? DEFAULTS.schedule,
    training: { ...base, ...given, steps: options.steps },
    data: { path: dataPath, splitSeed: options.splitSeed ?? saved?.data.splitSeed ?? DEFAULTS.splitSeed },
    createdWith: { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion },
  });
}

function lrDecayFor(options: TrainCwdmOptions, saved: RunConfig | undefined): LearningRateDecay | undefined {
  if (options.lrDecay === undefined || Object.values(options.lrDecay).every((v) => v === undefined)) return undefined;
  const base = saved?.training.lrDecay;
  const shape = options.lrDecay.shape ?? base?.shape;
  assert(shape !== undefined, () => `trainCwdm: the decay's steps or final rate were given, but not its shape (${LR_DECAY_SHAPES.join(' or ')}), `
    + `and the run has no decay to change`);
  return { shape, from: 0, to: options.steps, final: 0, ...base, ...definedOnly(options.lrDecay) };
}

/**
 * The config with the voxel size its cases share recorded, for completion to check scans against; when they do
 * not share one, the config as it is, and a notice, since completion then cannot tell a scan of the wrong
 * resolution.
 */
function withVoxelSize(config: RunConfig, cases: readonly TrainingCase[], callbacks: TrainCwdmCallbacks): RunConfig {
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

/** The two files a checkpoint writes: the full training state, and the EMA weights completion samples with. */
function checkpointFiles(
  components: { model: CwdmUNet; optimizer: AdamW; ema: EMA; generators: Record<string, Generator> },
  config: RunConfig, step: number, order: DataOrderState, trainIds: readonly string[],
): Record<'checkpoint' | 'weights', { tensors: Record<string, RawTensor>; metadata: Record<string, string> }> {
  const { tensors, metadata } = encodeTrainingCheckpoint(components, { step, config });
  return {
    checkpoint: {
      tensors,
      metadata: {
        ...metadata, [CHECKPOINT_METADATA.configHash]: configHash(config), [CHECKPOINT_METADATA.dataOrder]: JSON.stringify(order),
        [CHECKPOINT_METADATA.trainCases]: JSON.stringify(trainIds),
      },
    },
    weights: { tensors: components.ema.withAveragedWeights(() => moduleToRaw(components.model)), metadata: runWeightsMetadata(config, step) },
  };
}

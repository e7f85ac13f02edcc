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
import { existsSync, promises as fs } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { FolderLock, makeFolder, removeOrphanedTemporaries } from '../io/index.js';
import { loadSafetensors, saveSafetensors, saveSafetensorsSync } from '../io/safetensors/index.js';
import { loadRawIntoModule } from '../nn/index.js';
import type { DiffusionBatch } from '../pipelines/index.js';
import { configHash, parseRunConfig, runWeightsMetadata, writeRunConfig, RUN_FILES, type RunConfig } from '../runs/index.js';
import { F, Generator, keep, manualSeed, noGrad, tidy, type Tensor } from '../tensor/index.js';
import { formatVoxelSize, sameResolution } from '../transforms/index.js';
import { assert, fmtShape, formatGiB } from '../util/index.js';
import { DataOrder, type DataOrderState } from './dataOrder.js';
import { learningRateAt } from './learningRate.js';
import { TrainingStreams, mirrorsSample } from './randomStreams.js';
import type { StepContext, TrainingPlan, TrainingRecipe } from './recipe.js';
import { checkResumedLearningRate, setUpRun, type RunOptions, type RunSetup } from './runSetup.js';
import { Trainables } from './trainables.js';
import { encodeTrainingCheckpoint, migrateTrainingCheckpoint, restoreTrainingCheckpoint, type TrainingComponents } from './trainingCheckpoint.js';
import { disposeTrainingCases, loadTrainingCase, withMirror, type TrainingCase } from './trainingCases.js';
import { TrainingLog, type TrainStepEntry, type ValidationEntry } from './trainingLog.js';
import { checkTrainingMemory, type TrainingMemoryEstimate } from './trainingMemory.js';

export interface TrainOptions extends RunOptions {
  /** Memory the run may use, in bytes; default the machine's total memory. */
  readonly memoryLimit?: number;
  /** Aborting finishes the current step, writes a checkpoint synchronously and returns (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface TrainStartInfo {
  readonly config: RunConfig;
  /** What the run learns (e.g. "t1ce from t1, t2, flair") and with which networks. */
  readonly task: string;
  readonly networks: string;
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

/**
 * Trains the run `options` describe. The run folder is locked for the whole call, so a second process resuming the
 * same run is refused while this one lives (a lock left by a killed process is taken over); under the lock, the
 * temporary files an interrupted checkpoint write left are removed.
 */
export async function train<Config>(recipe: TrainingRecipe<Config>, options: TrainOptions, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const notice = (message: string) => callbacks.onNotice?.(message);
  const out = resolve(options.out);
  const created = !existsSync(out);
  await makeFolder(out);
  const lock = await FolderLock.acquire(out, `train ${recipe.method}`, notice);
  let started = false;
  try {
    const leftovers = await removeOrphanedTemporaries(out);
    if (leftovers.files.length > 0) {
      notice(`removed ${leftovers.files.length} temporary file(s) (${formatGiB(leftovers.bytes)}) that an interrupted write left: `
        + `${leftovers.files.map((f) => basename(f)).join(', ')}`);
    }
    return await trainLocked(recipe, options, callbacks, () => { started = true; });
  } finally {
    lock.release();
    // A new run refused before it wrote anything leaves no empty folder behind.
    if (created && !started) await fs.rmdir(out).catch(() => {});
  }
}

async function trainLocked<Config>(recipe: TrainingRecipe<Config>, options: TrainOptions, callbacks: TrainCallbacks,
  onWrite: () => void): Promise<TrainResult> {
  const run = await setUpRun(recipe, options, (message) => callbacks.onNotice?.(message));
  const { who, out, saved } = run;
  let { config } = run;
  // The networks are initialised first, from the seed alone; the generators of data order and draws have their own seeds.
  manualSeed(config.training.seed);
  const plan = recipe.plan(run.methodConfig, config.schedule);
  const data = new Generator(config.training.seed + 1);
  const streams = new TrainingStreams(config.training.randomStreams, config.training.seed);
  let cases: LoadedCases | undefined;
  let trainables: Trainables | undefined;
  try {
    if (run.parent !== undefined) {
      for (const [name, weights] of Object.entries(run.parent.weights)) loadRawIntoModule(plan.networks[name], weights);
    }
    cases = await loadCases(run, plan, options, callbacks);
    config = cases.config;
    trainables = new Trainables(plan, config.training, who);
    const cadence = config.training.cadence!;
    const components = trainables.components({ data, ...streams.checkpointed, global: Generator.global() });
    const { train: trainCases, validation: validationCases } = cases;
    const order = new DataOrder(trainCases.length, data);
    const trainIds = trainCases.map((c) => c.id);
    let step = 0;
    let log: TrainingLog;
    // The cases are prepared once the networks hold what they are prepared with: the parent's weights (a new run),
    // or the checkpoint's (a resumed one).
    const prepareCases = () => {
      if (plan.prepareCase === undefined) return;
      // The first case validation runs on (a training case, when the split left no validation case) keeps its images
      // too, for a sampled validation to score against.
      const validatedOn = validationCases.length > 0 ? validationCases : trainCases;
      for (const list of [trainCases, validationCases]) {
        for (let i = 0; i < list.length; i++) list[i] = prepareTrainingCase(list[i], plan, list === validatedOn && i === 0);
      }
    };
    if (saved !== undefined) {
      step = await restoreCheckpoint(run, components, order, trainIds);
      trainables.restored();
      checkResumedLearningRate(run, step);
      if (step >= config.training.steps) {
        callbacks.onNotice?.(`the run is at step ${step} already, not below the ${config.training.steps} asked for; nothing to train`);
        return { config: saved, step, interrupted: false };
      }
      prepareCases();
      await writeRunConfig(out, config);
      log = await TrainingLog.resume(join(out, RUN_FILES.log), step);
    } else {
      prepareCases();
      // What a new run measures on its training cases (ALDM's latent scale) becomes part of its config before run.json is written.
      const measured = plan.calibrate?.(trainCases);
      if (measured !== undefined) {
        const methodConfig = recipe.parseConfig({ ...(config.methodConfig as object), ...measured }, run.roles);
        config = parseRunConfig({ ...config, methodConfig });
      }
      onWrite();
      await writeRunConfig(out, config);
      log = await TrainingLog.create(join(out, RUN_FILES.log));
    }
    const session = plan.session(trainables.working, { triples: cadence.valTriples, sampleSteps: cadence.valSampleSteps });

    const { valEvery, checkpointEvery } = cadence;
    const decay = config.training.lrDecay;
    if (decay !== undefined && config.training.steps > decay.to) {
      callbacks.onNotice?.(`the learning-rate decay ends at step ${decay.to}; the ${config.training.steps - decay.to} step(s) after it `
        + `train at its final rate, ${decay.final}`);
    }
    const roles = { target: config.target, conditions: config.conditions };
    callbacks.onStart?.({
      config, task: recipe.describeTask?.(roles) ?? `${roles.target} from ${roles.conditions.join(', ')}`, networks: plan.description,
      startStep: step, trainCases: trainCases.length, validationCases: validationCases.length, grid: trainCases[0].shape, memory: cases.memory,
    });

    const live = trainables;
    let lastValidation: ValidationEntry | undefined;
    const validate = () => {
      const started = performance.now();
      const measures = session.validate({
        step, cases: validationCases.length > 0 ? validationCases : trainCases, trainCases, splitSeed: config.data.splitSeed,
        averaged: (fn) => live.averaged(fn),
      });
      lastValidation = { kind: 'validation', step, ...measures, seconds: (performance.now() - started) / 1000 };
      log.append(lastValidation);
      callbacks.onValidation?.(lastValidation);
    };
    let checkpointed = saved !== undefined ? step : -1;
    const checkpoint = async (sync: boolean) => {
      await writeCheckpoint(out, config, step, components, live, { order: order.state, trainIds }, sync);
      if (lastValidation?.translations !== undefined && config.sampledValidation?.step !== lastValidation.step) {
        // What completion picks a case's source by: the latest translations of the weights the run now samples with.
        config = parseRunConfig({ ...config, sampledValidation: { step: lastValidation.step, ...lastValidation.translations } });
        await writeRunConfig(out, config);
      }
      checkpointed = step;
      callbacks.onCheckpoint?.(step);
    };

    if (step === 0) validate();
    live.train();
    const { batchSize, gradClip } = config.training;
    while (step < config.training.steps) {
      const started = performance.now();
      const picked = order.next(batchSize).map((i, k) => (mirrorsSample(config.training.seed, step * batchSize + k, config.training.flipLr ?? 0)
        ? trainCases[i].mirrored! : trainCases[i].batch));
      const lr = learningRateAt(config.training, step);
      live.setLearningRate(lr);
      const context: StepContext = {
        step, draws: streams.forStep(step, batchSize), update: (name: string, loss: Tensor) => live.update(name, loss, gradClip, who),
        editWeights: (name, edit) => live.editWeights(name, edit, who),
      };
      const result = tidy(() => {
        const batch: DiffusionBatch = picked.length === 1 ? picked[0] : {
          conditions: F.cat(picked.map((b) => b.conditions), 0), target: F.cat(picked.map((b) => b.target), 0),
        };
        return session.step(batch, context);
      });
      live.updateAverages();
      step += 1;
      const entry: TrainStepEntry = {
        kind: 'train', step, epoch: order.state.epoch, loss: result.loss, lr, ...(result.gradNorm !== undefined && { gradNorm: result.gradNorm }),
        ...(result.losses !== undefined && { losses: result.losses }), ...(result.measures !== undefined && { measures: result.measures }),
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
    if (cases !== undefined) disposeTrainingCases([...cases.train, ...cases.validation]);
    trainables?.dispose();
    plan.dispose?.();
    for (const network of Object.values(plan.networks)) network.dispose();
    data.dispose();
    streams.dispose();
  }
}

interface LoadedCases {
  readonly train: TrainingCase[];
  readonly validation: TrainingCase[];
  readonly memory: TrainingMemoryEstimate;
  /** The run's config with the voxel size its cases share recorded. */
  readonly config: RunConfig;
}

/**
 * Reads and preprocesses the run's cases into memory. Only the first is read before the memory check: it fixes the
 * grid, and the check refuses before the rest is read. Whatever was loaded is freed if a later case fails.
 */
async function loadCases(run: RunSetup<unknown>, plan: TrainingPlan, options: TrainOptions, callbacks: TrainCallbacks): Promise<LoadedCases> {
  const { who, config, splits, roles } = run;
  const train: TrainingCase[] = [];
  const validation: TrainingCase[] = [];
  try {
    const first = await loadTrainingCase(splits.train[0], roles, config.preprocess);
    train.push(first);
    plan.checkGrid?.(first.shape);
    const valuesPerCase = first.batch.conditions.numel + first.batch.target.numel;
    // A run that flips keeps each training case's mirror image too.
    const mirrors = config.training.flipLr !== undefined ? splits.train.length : 0;
    const memory = plan.estimateMemory({
      imageShape: first.shape, batchSize: config.training.batchSize, precision: config.training.precision,
      cachedValues: valuesPerCase * (splits.train.length + mirrors + splits.val.length),
    });
    checkTrainingMemory(memory, options.memoryLimit ?? totalmem(), `training ${plan.description} on a ${fmtShape(first.shape)} grid `
      + `with batch ${config.training.batchSize} and ${splits.train.length + splits.val.length} cached cases`);
    if (memory.total > freemem()) {
      callbacks.onNotice?.(`the run needs about ${formatGiB(memory.total)} but only ${formatGiB(freemem())} is free now; other processes may have to give way`);
    }
    for (const c of splits.train.slice(1)) train.push(await loadTrainingCase(c, roles, config.preprocess));
    if (config.training.flipLr !== undefined) for (let i = 0; i < train.length; i++) train[i] = withMirror(train[i]);
    for (const c of splits.val) validation.push(await loadTrainingCase(c, roles, config.preprocess));
    if (config.training.batchSize > 1) {
      const odd = train.find((c) => fmtShape(c.shape) !== fmtShape(first.shape));
      assert(odd === undefined, () => `${who}: batches of ${config.training.batchSize} need one grid for all cases, but ${first.id} `
        + `is ${fmtShape(first.shape)} and ${odd!.id} is ${fmtShape(odd!.shape)}; pad to a fixed shape or use batch size 1`);
    }
    if (validation.length === 0) {
      callbacks.onNotice?.(`the split (seed ${config.data.splitSeed}) has no validation case; validating on the training cases`);
    }
    return { train, validation, memory, config: withVoxelSize(config, [...train, ...validation], callbacks) };
  } catch (error) {
    disposeTrainingCases([...train, ...validation]);
    throw error;
  }
}

/** The case as the plan's steps read it; the loaded tensors are freed once prepared. */
/** `c` as the plan prepares it (its mirror image too); with `keepImages`, its images stay beside (see TrainingCase.images). */
function prepareTrainingCase(c: TrainingCase, plan: TrainingPlan, keepImages: boolean): TrainingCase {
  const prepare = (batch: DiffusionBatch) => noGrad(() => tidy(() => {
    const prepared = plan.prepareCase!(batch);
    return { conditions: keep(prepared.conditions), target: keep(prepared.target) };
  }));
  const prepared: TrainingCase = { ...c, batch: prepare(c.batch), ...(c.mirrored !== undefined && { mirrored: prepare(c.mirrored) }) };
  if (c.mirrored !== undefined) disposeTrainingCases([{ ...c, batch: c.mirrored, mirrored: undefined }]);
  if (keepImages) return { ...prepared, images: c.batch };
  disposeTrainingCases([{ ...c, mirrored: undefined }]);
  return prepared;
}

/** Restores the resumed run's checkpoint into `components` and the data order; returns the step it was taken at. */
async function restoreCheckpoint(run: RunSetup<unknown>, components: TrainingComponents, order: DataOrder, trainIds: readonly string[]): Promise<number> {
  const path = join(run.out, RUN_FILES.checkpoint);
  // A checkpoint of format 1 came from a run of one network: the one the run's single weights file holds.
  const [sole] = Object.keys(run.saved!.weights);
  const contents = migrateTrainingCheckpoint(await loadSafetensors(path), sole, path);
  const { step } = restoreTrainingCheckpoint(contents, components, path);
  const savedIds = JSON.parse(contents.metadata[CHECKPOINT_METADATA.trainCases] ?? '[]') as string[];
  assert(savedIds.join('\n') === trainIds.join('\n'), () => `${run.who}: the training cases of ${run.config.data.path} changed since the checkpoint `
    + `(${savedIds.length} then, ${trainIds.length} now; first difference at ${savedIds.find((id, i) => id !== trainIds[i]) ?? trainIds[savedIds.length]})`);
  order.restore(JSON.parse(contents.metadata[CHECKPOINT_METADATA.dataOrder] ?? 'null') as DataOrderState, path);
  return step;
}

/**
 * Writes checkpoint.safetensors (the whole training state) and then each weights file run.json names (what
 * completion samples with), each atomically; `sync` for the Ctrl-C path, where the event loop may not run again.
 */
async function writeCheckpoint(out: string, config: RunConfig, step: number, components: TrainingComponents, trainables: Trainables,
  data: { order: DataOrderState; trainIds: readonly string[] }, sync: boolean): Promise<void> {
  const files = [
    {
      path: join(out, RUN_FILES.checkpoint),
      ...encodeTrainingCheckpoint(components, { step, config }, {
        [CHECKPOINT_METADATA.configHash]: configHash(config), [CHECKPOINT_METADATA.dataOrder]: JSON.stringify(data.order),
        [CHECKPOINT_METADATA.trainCases]: JSON.stringify(data.trainIds),
      }),
    },
    ...Object.entries(config.weights).map(([name, file]) => ({
      path: join(out, file), tensors: trainables.samplingWeights(name), metadata: runWeightsMetadata(config, step),
    })),
  ];
  for (const file of files) {
    if (sync) saveSafetensorsSync(file.path, file.tensors, file.metadata);
    else await saveSafetensors(file.path, file.tensors, file.metadata);
  }
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

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
 * Data parallelism (`parallel`): every rank runs this loop over its share of each step's samples — the data order
 * hands out world size × batch size cases per step, rank r takes the r-th batch of them, and every draw is keyed by
 * the sample's position in the run, so the world size changes what a step averages over, never what a sample draws.
 * Rank 0's training state is every rank's at the start; each update averages the gradients over the ranks (one
 * bucketed all-reduce); rank 0 alone validates, logs and writes checkpoints (holding every rank's generator state),
 * while the others wait. A stop (Ctrl-C) is agreed through a flag summed after every step, so all ranks stop at one step.
 *
 * Precision: in bf16 the networks run in bfloat16 while AdamW, clipping, the EMAs and checkpoints keep float32
 * master weights (see mixedPrecision.ts); the losses and everything around the networks stay float32. Checkpoints
 * hold only the masters, from which the bfloat16 copies are rounded again on resume, so resumption stays exact.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { DataParallel } from '../distributed/index.js';
import { FolderLock, makeFolder, removeOrphanedTemporaries } from '../io/index.js';
import {
  decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, saveSafetensorsSync, type RawTensor, type SafetensorsContents,
} from '../io/safetensors/index.js';
import { loadRawIntoModule, moduleToRaw } from '../nn/index.js';
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
  /**
   * Aborting finishes the current step, writes a checkpoint synchronously and returns (Ctrl-C). Before the first step,
   * while the cases are read and prepared, a single process returns after the case in hand, having written nothing.
   */
  readonly signal?: AbortSignal;
  /**
   * Train data-parallel with the other ranks of this group (every rank calls `train` with the same options). Only
   * rank 0 writes to the run folder; the others read it to resume, so it must be on storage every rank sees.
   */
  readonly parallel?: DataParallel;
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
  /** Processes training together (1 without data parallelism); the effective batch is this × the batch size. */
  readonly worldSize: number;
}

export interface TrainCallbacks {
  onStart?(info: TrainStartInfo): void;
  onStep?(entry: TrainStepEntry): void;
  onValidation?(entry: ValidationEntry): void;
  onCheckpoint?(step: number): void;
  /**
   * Progress before the first step, case by case: reading and preprocessing the cases, then, for a plan that prepares
   * them (a later stage's frozen networks encoding each case once), preparing them. Each phase reports 0 first.
   */
  onPreparing?(progress: PreparationProgress): void;
  /** Things a user should know that do not stop the run. */
  onNotice?(message: string): void;
}

export interface PreparationProgress {
  readonly phase: 'reading' | 'preparing';
  readonly done: number;
  readonly total: number;
}

export interface TrainResult {
  readonly config: RunConfig;
  /** Steps completed in all. */
  readonly step: number;
  /** Whether the run stopped early on `signal`. */
  readonly interrupted: boolean;
  /** Whether it stopped before its first step, leaving the run folder as it was (nothing in it for a new run). */
  readonly stoppedBeforeTraining?: boolean;
  readonly lastValidation?: ValidationEntry;
}

/** Thrown between cases when a single process is asked to stop before its first step; `trainLocked` returns on it. */
class StoppedBeforeTraining extends Error {}

/**
 * Reports a case done in a phase of the preparation, and gives a pending Ctrl-C its chance (reading and preparing are
 * synchronous case by case). A data-parallel job stops at its first step instead, where every rank agrees to.
 */
async function casePrepared(options: TrainOptions, report: ((progress: PreparationProgress) => void) | undefined,
  progress: PreparationProgress): Promise<void> {
  report?.(progress);
  await new Promise((done) => setImmediate(done));
  stopIfAskedBeforeTraining(options);
}

/** Throws StoppedBeforeTraining where a single process was asked to stop (checked last before anything is written). */
function stopIfAskedBeforeTraining(options: TrainOptions): void {
  if (options.parallel === undefined && options.signal?.aborted === true) throw new StoppedBeforeTraining();
}

/** Extra `__metadata__` of checkpoint.safetensors, next to what encodeTrainingCheckpoint writes. */
const CHECKPOINT_METADATA = { dataOrder: 'data_order', trainCases: 'train_cases', configHash: 'config_hash', worldSize: 'world_size' } as const;

/** The name in a checkpoint of rank r's global generator (r ≥ 1; rank 0's is `global`). */
const rankGenerator = (rank: number) => `globalRank${rank}`;
const RANK_GENERATOR = /^generator\.globalRank([1-9][0-9]*)$/;

/**
 * Trains the run `options` describe. The run folder is locked for the whole call, so a second process resuming the
 * same run is refused while this one lives (a lock left by a killed process is taken over); under the lock, the
 * temporary files an interrupted checkpoint write left are removed.
 */
export async function train<Config>(recipe: TrainingRecipe<Config>, options: TrainOptions, callbacks: TrainCallbacks = {}): Promise<TrainResult> {
  const notice = (message: string) => callbacks.onNotice?.(message);
  // Only rank 0 writes; the others neither create, lock nor clean the folder.
  if (options.parallel !== undefined && !options.parallel.isRoot) return trainLocked(recipe, options, callbacks, () => {});
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
  const { parallel } = options;
  const isRoot = parallel === undefined || parallel.isRoot;
  const worldSize = parallel?.worldSize ?? 1;
  if (parallel !== undefined) {
    // Before rank 0 writes anything: the ranks must be about to train one run.
    parallel.checkAgreement('the run to train (config hash, new or resumed)', `${configHash(config)} ${saved === undefined ? 'new' : 'resumed'}`);
    assert(config.training.randomStreams !== 'sequential', () => `${who}: the run in ${out} draws from sequential random streams, `
      + 'one generator whose sequence cannot be split between processes; data-parallel training needs keyed streams (a run started with them)');
  }
  // The networks are initialised first, from the seed alone; the generators of data order and draws have their own seeds.
  manualSeed(config.training.seed);
  const plan = recipe.plan(run.methodConfig, config.schedule);
  const data = new Generator(config.training.seed + 1);
  const streams = new TrainingStreams(config.training.randomStreams, config.training.seed);
  let cases: LoadedCases | undefined;
  let trainables: Trainables | undefined;
  // Steps taken: the checkpoint's once a resumed run has read it.
  let step = 0;
  try {
    if (run.parent !== undefined) {
      for (const [name, weights] of Object.entries(run.parent.weights)) {
        // Every parameter is the parent's but those kept fresh, which keep their initialisation: none may be missing besides.
        const fresh = run.parent.keptFresh[name] ?? [];
        const { missingKeys, unexpectedKeys } = loadRawIntoModule(plan.networks[name], weights, { strict: fresh.length === 0 });
        const missing = missingKeys.filter((key) => !fresh.some((prefix) => key.startsWith(prefix)));
        assert(missing.length === 0 && unexpectedKeys.length === 0, () => `${who}: the parent's '${name}' lacks ${missing.join(', ') || 'nothing'} `
          + `and has ${unexpectedKeys.join(', ') || 'nothing'} beyond the network's parameters`);
      }
    }
    // Only rank 0 reports progress.
    const report = isRoot ? callbacks.onPreparing?.bind(callbacks) : undefined;
    cases = await loadCases(run, plan, options, callbacks, report);
    config = cases.config;
    trainables = new Trainables(plan, config.training, who, parallel);
    const cadence = config.training.cadence!;
    const components = trainables.components({ data, ...streams.checkpointed, global: Generator.global() });
    const rankStates = new RankGeneratorStates(parallel);
    const { train: trainCases, validation: validationCases } = cases;
    const order = new DataOrder(trainCases.length, data);
    const trainIds = trainCases.map((c) => c.id);
    let log: TrainingLog | undefined;
    // The cases are prepared once the networks hold what they are prepared with: the parent's weights (a new run),
    // or the checkpoint's (a resumed one).
    const prepareCases = async () => {
      if (plan.prepareCase === undefined) return;
      // The first case validation runs on (a training case, when the split left no validation case) keeps its images
      // too, for a sampled validation to score against.
      const validatedOn = validationCases.length > 0 ? validationCases : trainCases;
      const total = trainCases.length + validationCases.length;
      let done = 0;
      report?.({ phase: 'preparing', done, total });
      for (const list of [trainCases, validationCases]) {
        for (let i = 0; i < list.length; i++) {
          list[i] = prepareTrainingCase(list[i], plan, list === validatedOn && i === 0);
          await casePrepared(options, report, { phase: 'preparing', done: ++done, total });
        }
      }
    };
    if (saved !== undefined) {
      // Rank 0 reads the checkpoint; every other rank starts from rank 0's state, sent over the group.
      const contents = isRoot ? await readCheckpoint(run) : undefined;
      const sent = parallel?.shareBytes(contents !== undefined ? Buffer.concat(encodeSafetensors(contents.tensors, contents.metadata)) : new Uint8Array(0));
      const restored = contents ?? decodeSafetensors(sent!, `${RUN_FILES.checkpoint} as rank 0 sent it`);
      step = restoreCheckpoint(run, restored, components, order, trainIds, rankStates, worldSize, (message) => callbacks.onNotice?.(message));
      trainables.restored();
      checkResumedLearningRate(run, step);
      if (step >= config.training.steps) {
        callbacks.onNotice?.(`the run is at step ${step} already, not below the ${config.training.steps} asked for; nothing to train`);
        return { config: saved, step, interrupted: false };
      }
      await prepareCases();
      stopIfAskedBeforeTraining(options);
      if (isRoot) await writeRunConfig(out, config);
      log = isRoot ? await TrainingLog.resume(join(out, RUN_FILES.log), step) : undefined;
    } else {
      // The networks were initialised from one seed on every rank; rank 0's are taken all the same, so nothing else can make them differ.
      if (parallel !== undefined) for (const network of Object.values(plan.networks)) parallel.broadcastModule(network);
      trainables.restored();
      await prepareCases();
      // What a new run measures on its training cases (ALDM's latent scale) becomes part of its config before run.json is
      // written; rank 0's measurement is every rank's.
      const calibrated = plan.calibrate?.(trainCases);
      const measured = parallel === undefined ? calibrated : parallel.shareJson(calibrated ?? null) ?? undefined;
      if (measured !== undefined) {
        const methodConfig = recipe.parseConfig({ ...(config.methodConfig as object), ...measured }, run.roles);
        config = parseRunConfig({ ...config, methodConfig });
      }
      stopIfAskedBeforeTraining(options);
      if (isRoot) {
        onWrite();
        await writeRunConfig(out, config);
      }
      log = isRoot ? await TrainingLog.create(join(out, RUN_FILES.log)) : undefined;
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
      worldSize,
    });

    const live = trainables;
    let lastValidation: ValidationEntry | undefined;
    // Rank 0 validates while the others wait for it.
    const validate = () => {
      if (!isRoot) {
        parallel!.waitForAll();
        return;
      }
      const started = performance.now();
      const measures = session.validate({
        step, cases: validationCases.length > 0 ? validationCases : trainCases, trainCases, splitSeed: config.data.splitSeed,
        averaged: (fn) => live.averaged(fn),
      });
      lastValidation = { kind: 'validation', step, ...measures, seconds: (performance.now() - started) / 1000 };
      log!.append(lastValidation);
      callbacks.onValidation?.(lastValidation);
      parallel?.waitForAll();
    };
    let checkpointed = saved !== undefined ? step : -1;
    // Every rank sends rank 0 its generator states; rank 0 writes while the others wait. The ranks' weights must be
    // equal bit for bit, or what rank 0 saves is not what the others trained: checked first.
    const checkpoint = async (sync: boolean) => {
      parallel?.checkAgreement(`the trained weights at step ${step} (a digest of every trained network's parameters and buffers)`,
        weightsDigest(plan));
      rankStates.gather();
      if (!isRoot) {
        parallel!.waitForAll();
        checkpointed = step;
        return;
      }
      await writeCheckpoint(out, config, step, components, live, { order: order.state, trainIds, worldSize, rankStates: rankStates.tensors() }, sync);
      if (lastValidation?.translations !== undefined && config.sampledValidation?.step !== lastValidation.step) {
        // What completion picks a case's source by: the latest translations of the weights the run now samples with.
        config = parseRunConfig({ ...config, sampledValidation: { step: lastValidation.step, ...lastValidation.translations } });
        await writeRunConfig(out, config);
      }
      checkpointed = step;
      callbacks.onCheckpoint?.(step);
      parallel?.waitForAll();
    };

    if (step === 0) validate();
    live.train();
    const { batchSize, gradClip } = config.training;
    const rank = parallel?.rank ?? 0;
    const sumOverRanks = (counts: Tensor) => {
      parallel?.sumInPlace(counts);
      return counts;
    };
    while (step < config.training.steps) {
      const started = performance.now();
      // This rank's share of the step's samples, each known by its position in the run (which keys its draws).
      const first = order.position + rank * batchSize;
      const picked = order.next(worldSize * batchSize).slice(rank * batchSize, (rank + 1) * batchSize)
        .map((i, k) => (mirrorsSample(config.training.seed, first + k, config.training.flipLr ?? 0) ? trainCases[i].mirrored! : trainCases[i].batch));
      const lr = learningRateAt(config.training, step);
      live.setLearningRate(lr);
      const context: StepContext = {
        step, draws: streams.forSamples(step, first, batchSize), update: (name: string, loss: Tensor) => live.update(name, loss, gradClip, who),
        editWeights: (name, edit) => live.editWeights(name, edit, who), sumOverRanks,
      };
      const result = tidy(() => {
        const batch: DiffusionBatch = picked.length === 1 ? picked[0] : {
          conditions: F.cat(picked.map((b) => b.conditions), 0), target: F.cat(picked.map((b) => b.target), 0),
        };
        return session.step(batch, context);
      });
      live.updateAverages();
      step += 1;
      // The losses averaged over the ranks (the measures are rank 0's).
      const { loss, losses } = averageLosses(parallel, result.loss, result.losses);
      const entry: TrainStepEntry = {
        kind: 'train', step, epoch: order.state.epoch, loss, lr, ...(result.gradNorm !== undefined && { gradNorm: result.gradNorm }),
        ...(losses !== undefined && { losses }), ...(result.measures !== undefined && { measures: result.measures }),
        ...(parallel !== undefined && { gradientExchange: parallel.takeGradientTraffic() }), seconds: (performance.now() - started) / 1000,
      };
      log?.append(entry);
      if (isRoot) callbacks.onStep?.(entry);
      if (step % valEvery === 0 || step === config.training.steps) validate();
      if (step % checkpointEvery === 0 || step === config.training.steps) await checkpoint(false);
      // Lets a pending Ctrl-C (or any abort) be seen between steps; the steps themselves are synchronous. Every rank
      // learns whether any was asked to stop.
      await new Promise((done) => setImmediate(done));
      const stop = parallel === undefined ? options.signal?.aborted === true : parallel.sum([options.signal?.aborted ? 1 : 0])[0] > 0;
      if (stop && step < config.training.steps) {
        if (checkpointed !== step) await checkpoint(true);
        return { config, step, interrupted: true, lastValidation };
      }
    }
    return { config, step, interrupted: false, lastValidation };
  } catch (error) {
    if (error instanceof StoppedBeforeTraining) return { config: saved ?? config, step, interrupted: true, stoppedBeforeTraining: true };
    throw error;
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

/** What `count` processes that each need `estimate` need together. */
function scaleMemory(estimate: TrainingMemoryEstimate, count: number): TrainingMemoryEstimate {
  return Object.fromEntries(Object.entries(estimate).map(([part, bytes]) => [part, bytes * count])) as unknown as TrainingMemoryEstimate;
}

/**
 * Reads and preprocesses the run's cases into memory. Only the first is read before the memory check: it fixes the
 * grid, and the check refuses before the rest is read. Whatever was loaded is freed if a later case fails.
 */
async function loadCases(run: RunSetup<unknown>, plan: TrainingPlan, options: TrainOptions, callbacks: TrainCallbacks,
  report: ((progress: PreparationProgress) => void) | undefined): Promise<LoadedCases> {
  const { who, config, splits, roles } = run;
  const train: TrainingCase[] = [];
  const validation: TrainingCase[] = [];
  const total = splits.train.length + splits.val.length;
  const read = () => casePrepared(options, report, { phase: 'reading', done: train.length + validation.length, total });
  try {
    report?.({ phase: 'reading', done: 0, total });
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
    // The processes of a data-parallel job on this machine each hold all of it.
    const local = options.parallel?.localWorldSize ?? 1;
    const machine = scaleMemory(memory, local);
    checkTrainingMemory(machine, options.memoryLimit ?? totalmem(), `training ${plan.description} on a ${fmtShape(first.shape)} grid `
      + `with batch ${config.training.batchSize} and ${splits.train.length + splits.val.length} cached cases`
      + `${local > 1 ? ` in each of ${local} processes on this machine` : ''}`);
    if (machine.total > freemem()) {
      callbacks.onNotice?.(`the run needs about ${formatGiB(machine.total)} but only ${formatGiB(freemem())} is free now; other processes may have to give way`);
    }
    await read();
    for (const c of splits.train.slice(1)) {
      train.push(await loadTrainingCase(c, roles, config.preprocess));
      await read();
    }
    if (config.training.flipLr !== undefined) for (let i = 0; i < train.length; i++) train[i] = withMirror(train[i]);
    for (const c of splits.val) {
      validation.push(await loadTrainingCase(c, roles, config.preprocess));
      await read();
    }
    if (config.training.batchSize > 1) {
      const odd = train.find((c) => fmtShape(c.shape) !== fmtShape(first.shape));
      assert(odd === undefined, () => `${who}: batches of ${config.training.batchSize} need one grid for all cases, but ${first.id} `
        + `is ${fmtShape(first.shape)} and ${odd!.id} is ${fmtShape(odd!.shape)}; pad to a fixed shape or use batch size 1`);
    }
    if (validation.length === 0) {
      callbacks.onNotice?.(`the split (seed ${config.data.splitSeed}) has no validation case; validating on the training cases`);
    }
    return { train, validation, memory: machine, config: withVoxelSize(config, [...train, ...validation], callbacks) };
  } catch (error) {
    disposeTrainingCases([...train, ...validation]);
    throw error;
  }
}

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

/** The resumed run's checkpoint, in the current format. */
async function readCheckpoint(run: RunSetup<unknown>): Promise<SafetensorsContents> {
  const path = join(run.out, RUN_FILES.checkpoint);
  // A checkpoint of format 1 came from a run of one network: the one the run's single weights file holds.
  const [sole] = Object.keys(run.saved!.weights);
  return migrateTrainingCheckpoint(await loadSafetensors(path), sole, path);
}

/**
 * Restores a checkpoint's `contents` into `components`, the data order and, for the other ranks of a data-parallel
 * run, `rankStates`; returns the step it was taken at. A checkpoint written by another number of processes is
 * restored with a notice of what changes.
 */
function restoreCheckpoint(run: RunSetup<unknown>, contents: SafetensorsContents, components: TrainingComponents, order: DataOrder,
  trainIds: readonly string[], rankStates: RankGeneratorStates, worldSize: number, notice: (message: string) => void): number {
  const path = join(run.out, RUN_FILES.checkpoint);
  const ranks = rankStates.take(contents, path);
  const { step } = restoreTrainingCheckpoint(contents, components, path);
  const savedIds = JSON.parse(contents.metadata[CHECKPOINT_METADATA.trainCases] ?? '[]') as string[];
  assert(savedIds.join('\n') === trainIds.join('\n'), () => `${run.who}: the training cases of ${run.config.data.path} changed since the checkpoint `
    + `(${savedIds.length} then, ${trainIds.length} now; first difference at ${savedIds.find((id, i) => id !== trainIds[i]) ?? trainIds[savedIds.length]})`);
  order.restore(JSON.parse(contents.metadata[CHECKPOINT_METADATA.dataOrder] ?? 'null') as DataOrderState, path);
  const savedWorld = Number(contents.metadata[CHECKPOINT_METADATA.worldSize] ?? '1');
  assert(Number.isInteger(savedWorld) && savedWorld >= 1 && ranks === savedWorld - 1, () => `${run.who}: ${path} records ${savedWorld} process(es) `
    + `but holds the generator states of ${ranks + 1}`);
  if (savedWorld !== worldSize) {
    const { batchSize } = run.config.training;
    notice(`the run was trained by ${savedWorld} process(es) × batch ${batchSize} (effective batch ${savedWorld * batchSize}) and goes on with `
      + `${worldSize} × ${batchSize} (effective batch ${worldSize * batchSize}): each step now averages over ${worldSize * batchSize} samples; `
      + `the data order and every sample's draws go on from sample ${order.position} as before; the learning rate is not rescaled; `
      + `the steps from here differ from those of an uninterrupted run`);
  }
  return step;
}

/**
 * The global generator state of every rank but rank 0, which a data-parallel run's checkpoints hold beside rank 0's
 * (`globalRank1`, …): gathered before each checkpoint, and handed back to each rank on resumption at the same world
 * size. In a single process it holds nothing.
 */
class RankGeneratorStates {
  #states: Uint8Array[] = [];

  constructor(readonly parallel: DataParallel | undefined) {}

  /** Collects every rank's state on every rank (a collective). */
  gather(): void {
    if (this.parallel === undefined) return;
    this.#states = this.parallel.gatherBytes(Generator.global().getState()).slice(1);
  }

  /** What the checkpoint holds of them. */
  tensors(): Record<string, RawTensor> {
    return Object.fromEntries(this.#states.map((bytes, i) => [`generator.${rankGenerator(i + 1)}`, { dtype: 'U8', shape: [bytes.length], data: bytes }]));
  }

  /**
   * Takes the other ranks' states out of `contents` (so what is left is rank 0's checkpoint) and restores this rank's
   * where the checkpoint has it; returns how many it held.
   */
  take(contents: SafetensorsContents, path: string): number {
    const taken: Uint8Array[] = [];
    for (const key of Object.keys(contents.tensors)) {
      const match = RANK_GENERATOR.exec(key);
      if (match === null) continue;
      const raw = contents.tensors[key];
      assert(raw.dtype === 'U8' && raw.shape.length === 1, () => `${path}: generator '${key}' must be a U8 vector, got ${raw.dtype} [${raw.shape}]`);
      taken[Number(match[1]) - 1] = raw.data;
      delete contents.tensors[key];
    }
    const rank = this.parallel?.rank ?? 0;
    if (rank > 0 && taken[rank - 1] !== undefined) Generator.global().setState(taken[rank - 1]);
    // Counted, not `taken.length`: a checkpoint missing a rank's state must not pass for a complete one.
    return taken.filter((state) => state !== undefined).length;
  }
}

/** A digest of the trained networks' float32 masters, to compare the ranks' copies by. */
function weightsDigest(plan: TrainingPlan): string {
  const hash = createHash('sha256');
  for (const name of plan.trained) {
    for (const [key, raw] of Object.entries(moduleToRaw(plan.networks[name]))) hash.update(`${name}.${key}`).update(raw.data);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A step's losses averaged over the ranks (each rank's are the means over its share of the batch, so their mean is
 * the whole batch's).
 */
function averageLosses(parallel: DataParallel | undefined, loss: number, losses: Readonly<Record<string, number>> | undefined):
  { loss: number; losses?: Readonly<Record<string, number>> } {
  if (parallel === undefined) return { loss, ...(losses !== undefined && { losses }) };
  const names = Object.keys(losses ?? {});
  const [total, ...totals] = parallel.sum([loss, ...names.map((n) => losses![n])]);
  const mean = (value: number) => value / parallel.worldSize;
  return { loss: mean(total), ...(losses !== undefined && { losses: Object.fromEntries(names.map((n, i) => [n, mean(totals[i])])) }) };
}

/**
 * Writes checkpoint.safetensors (the whole training state) and then each weights file run.json names (what
 * completion samples with), each atomically; `sync` for the Ctrl-C path, where the event loop may not run again.
 */
async function writeCheckpoint(out: string, config: RunConfig, step: number, components: TrainingComponents, trainables: Trainables,
  data: { order: DataOrderState; trainIds: readonly string[]; worldSize: number; rankStates: Record<string, RawTensor> }, sync: boolean): Promise<void> {
  const state = encodeTrainingCheckpoint(components, { step, config }, {
    [CHECKPOINT_METADATA.configHash]: configHash(config), [CHECKPOINT_METADATA.dataOrder]: JSON.stringify(data.order),
    [CHECKPOINT_METADATA.trainCases]: JSON.stringify(data.trainIds),
    // A single process's checkpoint stays as it was before data parallelism.
    ...(data.worldSize > 1 && { [CHECKPOINT_METADATA.worldSize]: String(data.worldSize) }),
  });
  const files = [
    { path: join(out, RUN_FILES.checkpoint), tensors: { ...state.tensors, ...data.rankStates }, metadata: state.metadata },
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

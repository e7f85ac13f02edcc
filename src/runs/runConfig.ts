/**
 * The configuration of a run, as `run.json` holds it: the envelope every method shares (method, contrasts,
 * preprocessing, noise schedule, named weight files, parent run and, for a run trained here, optimisation and
 * data), the method's own section (`methodConfig`, checked by the method), and provenance. Completion reads it to
 * rebuild the networks and preprocess new cases exactly as the training data was.
 *
 * Format 2 (this one) added the weight-file map, the parent, the recorded prediction type and random streams, and
 * renamed `model`/`modelConfig` to `method`/`methodConfig`; a format-1 run.json is read as the format-2 config that
 * says the same (see {@link fromFormat1}) and written back as format 2 when a resumed run rewrites it.
 *
 * A run has one of two origins. `trained`: written by `mrsynth train`, with its training settings and a
 * checkpoint to resume from. `imported`: weights trained elsewhere (the cWDM reference's published
 * checkpoints) and brought in by `mrsynth convert --run-dir`; it records the source checkpoint instead, and has
 * nothing to resume. A run.json without `origin` (written before it existed) is a trained run.
 *
 * `parseAnyRunConfig` is the one place raw JSON is checked; `parseRunConfig` narrows it to a trained run, which
 * is what training needs. `configHash` identifies what the weights are, so a resumed run can be refused when
 * its configuration changed.
 */
import { createHash } from 'node:crypto';
import type { Contrast } from '../data/index.js';
import { parsePrecision, type Precision } from '../nn/index.js';
import {
  BETA_SCHEDULE_NAMES, PREDICTION_TYPES, TIMESTEP_SPACINGS, type BetaScheduleName, type PredictionType, type TimestepSpacing,
} from '../schedulers/index.js';
import { parsePreprocessConfig, type PreprocessConfig } from '../transforms/index.js';
import { assert } from '../util/index.js';
import { contrast, isInteger, keys, number, object, oneOf, positiveInteger, string, type Raw } from './jsonFields.js';

export const RUN_FORMAT = 'mrsynth-run';
export const RUN_FORMAT_VERSION = 2;

export interface RunSchedule {
  readonly betaSchedule: BetaScheduleName;
  readonly numTrainTimesteps: number;
  /** What the denoiser predicts: x₀ ('sample') or ε ('epsilon'). */
  readonly predictionType: PredictionType;
  /** Which timesteps fewer sampling steps visit (schedulers' TimestepSpacing); absent: 'guided', as every run before it. */
  readonly timestepSpacing?: TimestepSpacing;
}

/**
 * Where the random draws of a training step (timestep, noise, dropout) come from. `keyed`: a generator made afresh for
 * every sample from (seed, the sample's position in the run), and for every step's dropout from (seed, step), so a
 * batch of 2 draws the timesteps and noise two batches of 1 would, and no stream state has to be carried across
 * steps. `sequential`: one noise generator drawn from step after step, and the global generator for dropout, as
 * every run before format 2 was trained; it cannot be keyed after the fact, so those runs keep it.
 */
export const RANDOM_STREAMS = ['keyed', 'sequential'] as const;
export type RandomStreams = (typeof RANDOM_STREAMS)[number];

export interface RunTraining {
  readonly lr: number;
  readonly weightDecay: number;
  readonly batchSize: number;
  readonly emaDecay: number;
  readonly seed: number;
  /** The step count to train to; the one field a resumed run may change (see {@link configHash}). */
  readonly steps: number;
  /** Max global gradient norm; absent: no clipping (as the reference). */
  readonly gradClip?: number;
  /** What the network ran in; bf16 keeps float32 master weights. 'fp32' when run.json predates the field. */
  readonly precision: Precision;
  /** Absent: the learning rate is `lr` throughout, as the reference's (see training/learningRate.ts). */
  readonly lrDecay?: LearningRateDecay;
  readonly randomStreams: RandomStreams;
  /** How often the run checkpoints and validates; absent in runs written before it was recorded (then the defaults). */
  readonly cadence?: TrainingCadence;
  /**
   * Probability that a training sample is mirrored left–right (all its contrasts together, the model grid's first axis,
   * which reorientation to RAS makes left–right); absent: never.
   */
  readonly flipLr?: number;
}

/**
 * When a run checkpoints and validates, and how much validation does: recorded so that a plain resume keeps what
 * was asked for. It decides nothing about the weights, so it is not hashed and a resume may change it.
 */
export interface TrainingCadence {
  readonly checkpointEvery: number;
  readonly valEvery: number;
  /** Fixed (case, t, noise) triples of the validation loss. */
  readonly valTriples: number;
  /** Reverse steps of the sampled validation case; 0: none. */
  readonly valSampleSteps: number;
}

export const LR_DECAY_SHAPES = ['linear', 'cosine'] as const;
export type LearningRateDecayShape = (typeof LR_DECAY_SHAPES)[number];

/** From step `from` to step `to` the rate goes from `lr` to `final` along `shape`; after `to` it stays `final`. */
export interface LearningRateDecay {
  readonly shape: LearningRateDecayShape;
  readonly from: number;
  readonly to: number;
  readonly final: number;
}

export interface RunData {
  /** The data set as given to discovery (absolute). */
  readonly path: string;
  /** Seed of `splitCases`: which subjects train and which validate. */
  readonly splitSeed: number;
  /**
   * The voxel size in mm of the model grid that every training and validation case shared, so that completion
   * can refuse scans of another resolution. Absent when the cases differed, or in a run.json written before it
   * existed. It describes the data rather than choosing anything, so it is not hashed.
   */
  readonly voxelSize?: readonly [number, number, number];
}

/** Where a run's weights come from: trained by `mrsynth train`. */
export interface TrainedOrigin {
  readonly kind: 'trained';
}

export const IMPORT_FORMATS = ['pytorch'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Where a run's weights come from: a foreign checkpoint converted by `mrsynth convert --run-dir`. */
export interface ImportedOrigin {
  readonly kind: 'imported';
  /** The checkpoint's format ('pytorch': a `torch.save` file). */
  readonly from: ImportFormat;
  /** The checkpoint as given to convert, absolute. */
  readonly source: string;
  /** SHA-256 of the checkpoint file, 64 hex digits: names the weights whatever the file is called. */
  readonly sourceSha256: string;
  /** Where in the checkpoint the weights were: '' for a bare state dict, e.g. 'state_dict.module.' for a wrapped one. */
  readonly sourcePrefix: string;
}

/**
 * The run this one was trained on top of (e.g. a latent diffusion run on the autoencoder run that made its codec):
 * where it was, what it was, and the SHA-256 of each of its weight files that this run took over.
 */
export interface ParentRun {
  /** The parent's folder, absolute, or `builtin:<name>` for a built-in model (whose folder depends on the installation). */
  readonly path: string;
  readonly configHash: string;
  readonly weights: Readonly<Record<string, string>>;
}

/** What every run has, whatever its origin. */
interface RunConfigCommon {
  readonly format: typeof RUN_FORMAT;
  readonly formatVersion: typeof RUN_FORMAT_VERSION;
  /** The synthesis method (a name registered in src/methods), which reads `methodConfig`. */
  readonly method: string;
  /** The contrast the model synthesises. */
  readonly target: Contrast;
  /** The contrasts it is conditioned on, in the order they are stacked on the model's input channels. */
  readonly conditions: readonly Contrast[];
  /** The method's networks and their configs, as JSON; checked by the method (src/methods), not here. */
  readonly methodConfig: Readonly<Record<string, unknown>>;
  /**
   * The weights completion loads, as network name → file in the run folder (e.g. `{ unet: 'weights.safetensors' }`);
   * the first is the run's main file, whose SHA-256 names the model in sidecars.
   */
  readonly weights: Readonly<Record<string, string>>;
  readonly parent?: ParentRun;
  readonly preprocess: PreprocessConfig;
  readonly schedule: RunSchedule;
  /** The software that wrote the run (trained or converted it). Provenance only: not part of the hash. */
  readonly createdWith: { readonly mrsynth: string; readonly libtorch: string };
}

/** A run trained by `mrsynth train`: what training reads and writes, and what a resume must match. */
export interface RunConfig extends RunConfigCommon {
  readonly origin: TrainedOrigin;
  readonly training: RunTraining;
  readonly data: RunData;
  /** What the latest validation measured by sampling (absent until one has, or where validation samples nothing). */
  readonly sampledValidation?: SampledValidation;
}

/**
 * A validation case translated by the run's averaged weights from each of its contrasts into each other (a model
 * serving several targets), scored inside the brain on the model grid: what completion picks a case's source by.
 * It records a measurement, not a choice, so it is not hashed.
 */
export interface SampledValidation {
  readonly step: number;
  readonly case: string;
  /** DDIM steps (η 0) of each translation. */
  readonly sampleSteps: number;
  /** Brain PSNR (dB) and SSIM by target, then by source. */
  readonly scores: Readonly<Record<string, Readonly<Record<string, TranslationScore>>>>;
}

export interface TranslationScore {
  readonly psnr: number;
  readonly ssim: number;
}

/** A run imported by `mrsynth convert --run-dir`: sampling weights only, no training settings or state. */
export interface ImportedRunConfig extends RunConfigCommon {
  readonly origin: ImportedOrigin;
}

/** What a run.json may hold: what completion samples with. */
export type AnyRunConfig = RunConfig | ImportedRunConfig;


function parseTraining(raw: unknown, where: string): RunTraining {
  const t = object(raw, where);
  keys(t, ['lr', 'weightDecay', 'batchSize', 'emaDecay', 'seed', 'steps', 'randomStreams'], ['gradClip', 'precision', 'lrDecay', 'cadence', 'flipLr'], where);
  const training: RunTraining = {
    lr: number(t.lr, `${where}.lr`, (n) => n > 0, 'a learning rate > 0'),
    weightDecay: number(t.weightDecay, `${where}.weightDecay`, (n) => n >= 0, 'a number ≥ 0'),
    batchSize: number(t.batchSize, `${where}.batchSize`, positiveInteger, 'a positive integer'),
    emaDecay: number(t.emaDecay, `${where}.emaDecay`, (n) => n >= 0 && n < 1, 'in [0, 1)'),
    seed: number(t.seed, `${where}.seed`, (n) => isInteger(n) && n >= 0, 'a non-negative integer'),
    steps: number(t.steps, `${where}.steps`, positiveInteger, 'a positive integer'),
    precision: t.precision === undefined ? 'fp32' : parsePrecision(t.precision, `${where}.precision`),
    randomStreams: oneOf(t.randomStreams, RANDOM_STREAMS, `${where}.randomStreams`),
  };
  return {
    ...training,
    ...(t.gradClip !== undefined && { gradClip: number(t.gradClip, `${where}.gradClip`, (n) => n > 0, 'a number > 0') }),
    ...(t.lrDecay !== undefined && { lrDecay: parseLearningRateDecay(t.lrDecay, training.lr, `${where}.lrDecay`) }),
    ...(t.cadence !== undefined && { cadence: parseCadence(t.cadence, `${where}.cadence`) }),
    ...(t.flipLr !== undefined && t.flipLr !== 0 && { flipLr: number(t.flipLr, `${where}.flipLr`, (n) => n > 0 && n <= 1, 'a probability in [0, 1]') }),
  };
}

function parseCadence(raw: unknown, where: string): TrainingCadence {
  const c = object(raw, where);
  keys(c, ['checkpointEvery', 'valEvery', 'valTriples', 'valSampleSteps'], [], where);
  return {
    checkpointEvery: number(c.checkpointEvery, `${where}.checkpointEvery`, positiveInteger, 'a positive integer'),
    valEvery: number(c.valEvery, `${where}.valEvery`, positiveInteger, 'a positive integer'),
    valTriples: number(c.valTriples, `${where}.valTriples`, positiveInteger, 'a positive integer'),
    valSampleSteps: number(c.valSampleSteps, `${where}.valSampleSteps`, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
  };
}

function parseLearningRateDecay(raw: unknown, lr: number, where: string): LearningRateDecay {
  const d = object(raw, where);
  keys(d, ['shape', 'from', 'to', 'final'], [], where);
  assert(typeof d.shape === 'string' && (LR_DECAY_SHAPES as readonly string[]).includes(d.shape),
    () => `${where}.shape must be one of ${LR_DECAY_SHAPES.join(', ')}, got ${JSON.stringify(d.shape)}`);
  const from = number(d.from, `${where}.from`, (n) => isInteger(n) && n >= 0, 'a step ≥ 0');
  const to = number(d.to, `${where}.to`, (n) => isInteger(n) && n > from, `a step after from (${from})`);
  const final = number(d.final, `${where}.final`, (n) => n >= 0 && n <= lr, `a learning rate in [0, lr = ${lr}]`);
  return { shape: d.shape as LearningRateDecayShape, from, to, final };
}

const COMMON_KEYS = ['format', 'formatVersion', 'method', 'target', 'conditions', 'methodConfig', 'weights', 'preprocess', 'schedule', 'createdWith'];
const TRAINED_KEYS = ['training', 'data'];
const TRAINED_OPTIONAL_KEYS = ['sampledValidation'];


/** Network names become key prefixes in checkpoints; file names stay inside the run folder. */
const NETWORK_NAME = /^[a-z][A-Za-z0-9]*$/;
const WEIGHTS_FILE = /^[A-Za-z0-9][A-Za-z0-9_-]*\.safetensors$/;

function weightFiles(value: unknown, where: string): Record<string, string> {
  const map = object(value, where);
  const entries = Object.entries(map);
  assert(entries.length > 0, () => `${where} must name at least one network's weights file`);
  for (const [network, file] of entries) {
    assert(NETWORK_NAME.test(network), () => `${where}: network name ${JSON.stringify(network)} must match ${NETWORK_NAME}`);
    assert(typeof file === 'string' && WEIGHTS_FILE.test(file),
      () => `${where}.${network} must be a file name in the run folder like "weights.safetensors", got ${JSON.stringify(file)}`);
  }
  assert(new Set(Object.values(map)).size === entries.length, () => `${where}: two networks share a file (${JSON.stringify(map)})`);
  return map as Record<string, string>;
}

function parentRun(value: unknown, where: string): ParentRun {
  const p = object(value, where);
  keys(p, ['path', 'configHash', 'weights'], [], where);
  assert(typeof p.configHash === 'string' && /^[0-9a-f]{16}$/.test(p.configHash),
    () => `${where}.configHash must be 16 lower-case hex digits, got ${JSON.stringify(p.configHash)}`);
  const weights = object(p.weights, `${where}.weights`);
  for (const [file, sha] of Object.entries(weights)) {
    assert(WEIGHTS_FILE.test(file) && typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha),
      () => `${where}.weights must map weight files to SHA-256 digests, got ${JSON.stringify(file)}: ${JSON.stringify(sha)}`);
  }
  return { path: string(p.path, `${where}.path`), configHash: p.configHash, weights: weights as Record<string, string> };
}

/**
 * A run.json of format 1 as format 2 says the same. Format 1 knew one method, cWDM, whose one network (the U-Net,
 * 'unet') was in weights.safetensors and predicted x₀, and trained with sequential random streams; it called the
 * method `model` and its section `modelConfig`.
 */
function fromFormat1(r: Raw, where: string): Raw {
  assert(r.model === 'cwdm', () => `${where}: a format-1 run.json has model "cwdm", got ${JSON.stringify(r.model)}`);
  const { model, modelConfig, formatVersion: _one, ...rest } = r;
  const schedule = object(r.schedule, `${where}: schedule`);
  const migrated: Raw = {
    ...rest, formatVersion: RUN_FORMAT_VERSION, method: model, methodConfig: modelConfig, weights: { unet: 'weights.safetensors' },
    schedule: { predictionType: 'sample', ...schedule },
  };
  if (r.training !== undefined) migrated.training = { ...object(r.training, `${where}: training`), randomStreams: 'sequential' };
  return migrated;
}

/**
 * Checks every field and cross-field rule of a `run.json` of either origin and returns a frozen config equal to
 * what it parsed, with the defaults filled in (no `origin`: trained, as every run.json before it existed and
 * what `mrsynth train` passes).
 */
export function parseAnyRunConfig(raw: unknown): AnyRunConfig {
  const where = 'parseRunConfig';
  let r = object(raw, where);
  if (r.format === RUN_FORMAT && r.formatVersion === 1) r = fromFormat1(r, where);
  const origin = r.origin === undefined ? { kind: 'trained' as const } : parseOrigin(r.origin, `${where}: origin`);
  keys(r, origin.kind === 'trained' ? [...COMMON_KEYS, ...TRAINED_KEYS] : COMMON_KEYS, ['origin', 'parent', ...(origin.kind === 'trained' ? TRAINED_OPTIONAL_KEYS : [])],
    origin.kind === 'trained' ? where : `${where} (an imported run has no training settings)`);
  assert(r.format === RUN_FORMAT, () => `${where}: format must be "${RUN_FORMAT}", got ${JSON.stringify(r.format)}`);
  assert(r.formatVersion === RUN_FORMAT_VERSION,
    () => `${where}: formatVersion ${JSON.stringify(r.formatVersion)} is not supported (this build reads 1 and ${RUN_FORMAT_VERSION})`);
  const method = string(r.method, `${where}: method`);
  const target = contrast(r.target, `${where}: target`);
  assert(Array.isArray(r.conditions) && r.conditions.length > 0,
    () => `${where}: conditions must be a non-empty list of contrasts, got ${JSON.stringify(r.conditions)}`);
  const conditions = r.conditions.map((c, i) => contrast(c, `${where}: conditions[${i}]`));
  assert(new Set(conditions).size === conditions.length && !conditions.includes(target),
    () => `${where}: conditions ${JSON.stringify(conditions)} must be distinct and must not include the target '${target}'`);
  const methodConfig = object(r.methodConfig, `${where}: methodConfig`);
  const schedule = object(r.schedule, `${where}: schedule`);
  keys(schedule, ['betaSchedule', 'numTrainTimesteps', 'predictionType'], ['timestepSpacing'], `${where}: schedule`);
  assert((BETA_SCHEDULE_NAMES as readonly unknown[]).includes(schedule.betaSchedule),
    () => `${where}: schedule.betaSchedule must be one of ${BETA_SCHEDULE_NAMES.join(', ')}, got ${JSON.stringify(schedule.betaSchedule)}`);
  const software = object(r.createdWith, `${where}: createdWith`);
  keys(software, ['mrsynth', 'libtorch'], [], `${where}: createdWith`);
  const createdWith = { mrsynth: string(software.mrsynth, `${where}: createdWith.mrsynth`), libtorch: string(software.libtorch, `${where}: createdWith.libtorch`) };
  const common: Omit<RunConfigCommon, 'createdWith'> = {
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    method,
    target,
    conditions,
    methodConfig: JSON.parse(JSON.stringify(methodConfig)) as Record<string, unknown>,
    weights: weightFiles(r.weights, `${where}: weights`),
    ...(r.parent !== undefined && { parent: parentRun(r.parent, `${where}: parent`) }),
    preprocess: JSON.parse(JSON.stringify(parsePreprocessConfig(r.preprocess))) as PreprocessConfig,
    schedule: {
      betaSchedule: schedule.betaSchedule as BetaScheduleName,
      numTrainTimesteps: number(schedule.numTrainTimesteps, `${where}: schedule.numTrainTimesteps`, (n) => isInteger(n) && n >= 2, 'an integer ≥ 2'),
      predictionType: oneOf(schedule.predictionType, PREDICTION_TYPES, `${where}: schedule.predictionType`),
      ...(schedule.timestepSpacing !== undefined && schedule.timestepSpacing !== 'guided'
        && { timestepSpacing: oneOf(schedule.timestepSpacing, TIMESTEP_SPACINGS, `${where}: schedule.timestepSpacing`) }),
    },
  };
  if (origin.kind === 'imported') return deepFreeze({ ...common, origin, createdWith });
  const data = object(r.data, `${where}: data`);
  keys(data, ['path', 'splitSeed'], ['voxelSize'], `${where}: data`);
  return deepFreeze({
    ...common,
    origin,
    training: parseTraining(r.training, `${where}: training`),
    data: {
      path: string(data.path, `${where}: data.path`),
      splitSeed: number(data.splitSeed, `${where}: data.splitSeed`, isInteger, 'an integer'),
      ...(data.voxelSize !== undefined && { voxelSize: voxelSize(data.voxelSize, `${where}: data.voxelSize`) }),
    },
    ...(r.sampledValidation !== undefined && { sampledValidation: parseSampledValidation(r.sampledValidation, `${where}: sampledValidation`) }),
    createdWith,
  });
}

function parseSampledValidation(raw: unknown, where: string): SampledValidation {
  const v = object(raw, where);
  keys(v, ['step', 'case', 'sampleSteps', 'scores'], [], where);
  const byTarget = object(v.scores, `${where}.scores`);
  const scores = Object.fromEntries(Object.entries(byTarget).map(([target, bySource]) => {
    contrast(target, `${where}.scores: target`);
    return [target, Object.fromEntries(Object.entries(object(bySource, `${where}.scores.${target}`)).map(([source, score]) => {
      const at = `${where}.scores.${target}.${source}`;
      contrast(source, `${at}: source`);
      const s = object(score, at);
      keys(s, ['psnr', 'ssim'], [], at);
      // PSNR is +∞ for a perfect translation; JSON writes it as null.
      const psnr = s.psnr === null ? Number.POSITIVE_INFINITY : number(s.psnr, `${at}.psnr`, () => true, 'a number');
      return [source, { psnr, ssim: number(s.ssim, `${at}.ssim`, (n) => n >= -1 && n <= 1, 'a number in [-1, 1]') }];
    }))];
  }));
  return {
    step: number(v.step, `${where}.step`, (n) => isInteger(n) && n >= 0, 'an integer ≥ 0'),
    case: string(v.case, `${where}.case`),
    sampleSteps: number(v.sampleSteps, `${where}.sampleSteps`, (n) => isInteger(n) && n >= 1, 'an integer ≥ 1'),
    scores,
  };
}

/** {@link parseAnyRunConfig} for a run trained here; an imported run is refused, as it has no training settings. */
export function parseRunConfig(raw: unknown): RunConfig {
  const config = parseAnyRunConfig(raw);
  assert(config.origin.kind === 'trained', () => `parseRunConfig: the run was imported (${describeOrigin(config)}), not trained by `
    + 'mrsynth train: it has no training settings or state');
  return config as RunConfig;
}

/** One line on where a run's weights come from, for messages and listings. */
export function describeOrigin(config: AnyRunConfig): string {
  const { origin } = config;
  return origin.kind === 'trained' ? 'trained by mrsynth train'
    : `weights converted from the ${origin.from} checkpoint ${origin.source} (sha256 ${origin.sourceSha256.slice(0, 12)}…)`;
}

function parseOrigin(raw: unknown, where: string): TrainedOrigin | ImportedOrigin {
  const o = object(raw, where);
  assert(o.kind === 'trained' || o.kind === 'imported', () => `${where}.kind must be "trained" or "imported", got ${JSON.stringify(o.kind)}`);
  if (o.kind === 'trained') {
    keys(o, ['kind'], [], where);
    return { kind: 'trained' };
  }
  keys(o, ['kind', 'from', 'source', 'sourceSha256', 'sourcePrefix'], [], where);
  assert((IMPORT_FORMATS as readonly unknown[]).includes(o.from),
    () => `${where}.from must be one of ${IMPORT_FORMATS.join(', ')}, got ${JSON.stringify(o.from)}`);
  assert(typeof o.sourceSha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sourceSha256),
    () => `${where}.sourceSha256 must be 64 lower-case hex digits, got ${JSON.stringify(o.sourceSha256)}`);
  assert(typeof o.sourcePrefix === 'string', () => `${where}.sourcePrefix must be a string ('' for a bare state dict), got ${JSON.stringify(o.sourcePrefix)}`);
  return {
    kind: 'imported', from: o.from as ImportFormat, source: string(o.source, `${where}.source`), sourceSha256: o.sourceSha256, sourcePrefix: o.sourcePrefix,
  };
}

/**
 * What the weights are, as 16 hex digits of SHA-256 over the config with sorted keys. Left out: `training.steps`,
 * because extending a run (resume to a larger step count) trains the same thing for longer; `createdWith`, which
 * records the software, not the run; `data.voxelSize`, which describes the data; `sampledValidation`, which measures the weights; `weights`, which names files, not
 * what is in them; `training.cadence`, which says when to checkpoint and validate. An imported run's hash covers its
 * origin, so it names the source checkpoint by its SHA-256.
 *
 * The hash is taken over the config as format 1 wrote it (`model`, `modelConfig`), and what later formats added
 * counts only where it differs from what format 1 implied (x₀-prediction, sequential streams, fp32, no parent), so
 * a run keeps its hash, and the sidecars written with it keep naming it, across the migration.
 */
export function configHash(config: AnyRunConfig): string {
  return createHash('sha256').update(canonicalJson(hashedPart(config))).digest('hex').slice(0, 16);
}

/** Human-readable differences of the hashed parts, one `path: a → b` per leaf, e.g. `training.lr: 0.001 → 0.0002`. */
export function configDifferences(before: AnyRunConfig, after: AnyRunConfig): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[key], b[key], path ? `${path}.${key}` : key);
    } else if (canonicalJson(a) !== canonicalJson(b)) {
      out.push(`${path}: ${canonicalJson(a) ?? '(absent)'} → ${canonicalJson(b) ?? '(absent)'}`);
    }
  };
  walk(identifyingPart(before), identifyingPart(after), '');
  return out;
}

/** The config less what the hash leaves out, under today's names. */
function identifyingPart(config: AnyRunConfig): unknown {
  const { createdWith: _provenance, weights: _files, ...rest } = config;
  if (config.origin.kind === 'imported') return rest;
  const {
    origin: _trained, training: { steps: _length, cadence: _when, ...training }, data: { voxelSize: _described, ...data }, sampledValidation: _measured,
  } = config as RunConfig;
  return { ...rest, origin: undefined, sampledValidation: undefined, training, data };
}

/** {@link identifyingPart} as format 1 wrote it, for the hash (see {@link configHash}). */
function hashedPart(config: AnyRunConfig): unknown {
  const {
    createdWith: _provenance, weights: _files, formatVersion: _format, method, methodConfig, schedule: { predictionType, ...schedule }, ...common
  } = config;
  const asFormat1 = {
    ...common, formatVersion: 1, model: method, modelConfig: methodConfig, schedule: predictionType === 'sample' ? schedule : { ...schedule, predictionType },
  };
  if (config.origin.kind === 'imported') return asFormat1;
  const {
    origin: _trained, training: { steps: _length, cadence: _when, precision, randomStreams, ...training }, data: { voxelSize: _described, ...data },
  } = config as RunConfig;
  return {
    ...asFormat1, origin: undefined, sampledValidation: undefined, data,
    training: { ...training, ...(precision !== 'fp32' && { precision }), ...(randomStreams !== 'sequential' && { randomStreams }) },
  };
}

function voxelSize(value: unknown, where: string): [number, number, number] {
  assert(Array.isArray(value) && value.length === 3 && value.every((n) => typeof n === 'number' && Number.isFinite(n) && n > 0),
    () => `${where} must be three voxel sizes in mm > 0, got ${JSON.stringify(value)}`);
  return [value[0], value[1], value[2]];
}

function isPlainObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted at every level, so equal configs hash equally whatever order they were built in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isPlainObject(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
    : v));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The configuration of a training run, as `run.json` holds it: everything that decides what a run's weights
 * are (model, contrasts, preprocessing, noise schedule, optimisation, data), plus provenance. Completion reads
 * it to rebuild the network and preprocess new cases exactly as the training data was. `parseRunConfig` is the
 * one place raw JSON is checked; `configHash` identifies what was trained, so a resumed run can be refused
 * when its configuration changed.
 */
import { createHash } from 'node:crypto';
import { CONTRASTS, type Contrast } from '../data/contrast.js';
import { parseCwdmUNetConfig, type CwdmUNetConfig } from '../models/wdm/cwdmUNetConfig.js';
import { parsePrecision, type Precision } from '../models/wdm/precision.js';
import { BETA_SCHEDULE_NAMES, type BetaScheduleName } from '../schedulers/betaSchedules.js';
import { parsePreprocessConfig, type PreprocessConfig } from '../transforms/preprocessConfig.js';
import { assert } from '../util/assert.js';

export const RUN_FORMAT = 'mrsynth-run';
export const RUN_FORMAT_VERSION = 1;
export const RUN_MODELS = ['cwdm'] as const;
export type RunModel = (typeof RUN_MODELS)[number];

export interface RunSchedule {
  readonly betaSchedule: BetaScheduleName;
  readonly numTrainTimesteps: number;
}

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
}

export interface RunData {
  /** The data set as given to discovery (absolute). */
  readonly path: string;
  /** Seed of `splitCases`: which subjects train and which validate. */
  readonly splitSeed: number;
}

export interface RunConfig {
  readonly format: typeof RUN_FORMAT;
  readonly formatVersion: typeof RUN_FORMAT_VERSION;
  readonly model: RunModel;
  /** The contrast the model synthesises. */
  readonly target: Contrast;
  /** The contrasts it is conditioned on, in the order they are stacked on the model's input channels. */
  readonly conditions: readonly Contrast[];
  readonly modelConfig: CwdmUNetConfig;
  readonly preprocess: PreprocessConfig;
  readonly schedule: RunSchedule;
  readonly training: RunTraining;
  readonly data: RunData;
  /** Provenance only: not part of the hash. */
  readonly createdWith: { readonly mrsynth: string; readonly libtorch: string };
}

type Raw = Record<string, unknown>;

function object(value: unknown, where: string): Raw {
  assert(typeof value === 'object' && value !== null && !Array.isArray(value), () => `${where} must be an object, got ${JSON.stringify(value)}`);
  return value as Raw;
}

function keys(raw: Raw, required: readonly string[], optional: readonly string[], where: string): void {
  for (const key of Object.keys(raw)) {
    assert(required.includes(key) || optional.includes(key),
      () => `${where}: unknown key '${key}'; expected ${[...required, ...optional].join(', ')}`);
  }
  for (const key of required) assert(key in raw, () => `${where}: missing '${key}'`);
}

function number(value: unknown, where: string, ok: (n: number) => boolean, expected: string): number {
  assert(typeof value === 'number' && Number.isFinite(value) && ok(value), () => `${where} must be ${expected}, got ${JSON.stringify(value)}`);
  return value;
}

function string(value: unknown, where: string): string {
  assert(typeof value === 'string' && value.length > 0, () => `${where} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function contrast(value: unknown, where: string): Contrast {
  assert(typeof value === 'string' && (CONTRASTS as readonly string[]).includes(value),
    () => `${where} must be one of ${CONTRASTS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Contrast;
}

const isInteger = (n: number) => Number.isInteger(n);
const positiveInteger = (n: number) => Number.isInteger(n) && n > 0;

function parseTraining(raw: unknown, where: string): RunTraining {
  const t = object(raw, where);
  keys(t, ['lr', 'weightDecay', 'batchSize', 'emaDecay', 'seed', 'steps'], ['gradClip', 'precision'], where);
  const training: RunTraining = {
    lr: number(t.lr, `${where}.lr`, (n) => n > 0, 'a learning rate > 0'),
    weightDecay: number(t.weightDecay, `${where}.weightDecay`, (n) => n >= 0, 'a number ≥ 0'),
    batchSize: number(t.batchSize, `${where}.batchSize`, positiveInteger, 'a positive integer'),
    emaDecay: number(t.emaDecay, `${where}.emaDecay`, (n) => n >= 0 && n < 1, 'in [0, 1)'),
    seed: number(t.seed, `${where}.seed`, (n) => isInteger(n) && n >= 0, 'a non-negative integer'),
    steps: number(t.steps, `${where}.steps`, positiveInteger, 'a positive integer'),
    precision: t.precision === undefined ? 'fp32' : parsePrecision(t.precision, `${where}.precision`),
  };
  if (t.gradClip === undefined) return training;
  return { ...training, gradClip: number(t.gradClip, `${where}.gradClip`, (n) => n > 0, 'a number > 0') };
}

/** Checks every field and cross-field rule of a `run.json` and returns a frozen config equal to what it parsed. */
export function parseRunConfig(raw: unknown): RunConfig {
  const where = 'parseRunConfig';
  const r = object(raw, where);
  keys(r, ['format', 'formatVersion', 'model', 'target', 'conditions', 'modelConfig', 'preprocess', 'schedule', 'training', 'data',
    'createdWith'], [], where);
  assert(r.format === RUN_FORMAT, () => `${where}: format must be "${RUN_FORMAT}", got ${JSON.stringify(r.format)}`);
  assert(r.formatVersion === RUN_FORMAT_VERSION,
    () => `${where}: formatVersion ${JSON.stringify(r.formatVersion)} is not supported (this build reads ${RUN_FORMAT_VERSION})`);
  assert((RUN_MODELS as readonly unknown[]).includes(r.model), () => `${where}: model must be one of ${RUN_MODELS.join(', ')}, got ${JSON.stringify(r.model)}`);
  const target = contrast(r.target, `${where}: target`);
  assert(Array.isArray(r.conditions) && r.conditions.length > 0,
    () => `${where}: conditions must be a non-empty list of contrasts, got ${JSON.stringify(r.conditions)}`);
  const conditions = r.conditions.map((c, i) => contrast(c, `${where}: conditions[${i}]`));
  assert(new Set(conditions).size === conditions.length && !conditions.includes(target),
    () => `${where}: conditions ${JSON.stringify(conditions)} must be distinct and must not include the target '${target}'`);
  const modelConfig = parseCwdmUNetConfig(r.modelConfig);
  assert(modelConfig.conditions === conditions.length,
    () => `${where}: modelConfig.conditions is ${modelConfig.conditions} but ${conditions.length} conditions are listed (${conditions.join(', ')})`);
  const schedule = object(r.schedule, `${where}: schedule`);
  keys(schedule, ['betaSchedule', 'numTrainTimesteps'], [], `${where}: schedule`);
  assert((BETA_SCHEDULE_NAMES as readonly unknown[]).includes(schedule.betaSchedule),
    () => `${where}: schedule.betaSchedule must be one of ${BETA_SCHEDULE_NAMES.join(', ')}, got ${JSON.stringify(schedule.betaSchedule)}`);
  const data = object(r.data, `${where}: data`);
  keys(data, ['path', 'splitSeed'], [], `${where}: data`);
  const createdWith = object(r.createdWith, `${where}: createdWith`);
  keys(createdWith, ['mrsynth', 'libtorch'], [], `${where}: createdWith`);
  return deepFreeze({
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    model: r.model as RunModel,
    target,
    conditions,
    modelConfig: { ...modelConfig, channelMult: [...modelConfig.channelMult] },
    preprocess: JSON.parse(JSON.stringify(parsePreprocessConfig(r.preprocess))) as PreprocessConfig,
    schedule: {
      betaSchedule: schedule.betaSchedule as BetaScheduleName,
      numTrainTimesteps: number(schedule.numTrainTimesteps, `${where}: schedule.numTrainTimesteps`, (n) => isInteger(n) && n >= 2, 'an integer ≥ 2'),
    },
    training: parseTraining(r.training, `${where}: training`),
    data: {
      path: string(data.path, `${where}: data.path`),
      splitSeed: number(data.splitSeed, `${where}: data.splitSeed`, isInteger, 'an integer'),
    },
    createdWith: { mrsynth: string(createdWith.mrsynth, `${where}: createdWith.mrsynth`), libtorch: string(createdWith.libtorch, `${where}: createdWith.libtorch`) },
  });
}

/**
 * What was trained, as 16 hex digits of SHA-256 over the config with sorted keys. Two fields are left out:
 * `training.steps`, because extending a run (resume to a larger step count) trains the same thing for longer,
 * and `createdWith`, which records the software, not the run.
 */
export function configHash(config: RunConfig): string {
  return createHash('sha256').update(canonicalJson(hashedPart(config))).digest('hex').slice(0, 16);
}

/** Human-readable differences of the hashed parts, one `path: a → b` per leaf, e.g. `training.lr: 0.001 → 0.0002`. */
export function configDifferences(before: RunConfig, after: RunConfig): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[key], b[key], path ? `${path}.${key}` : key);
    } else if (canonicalJson(a) !== canonicalJson(b)) {
      out.push(`${path}: ${canonicalJson(a) ?? '(absent)'} → ${canonicalJson(b) ?? '(absent)'}`);
    }
  };
  walk(hashedPart(before, false), hashedPart(after, false), '');
  return out;
}

function hashedPart(config: RunConfig, forHash = true): unknown {
  const { createdWith: _provenance, training: { steps: _length, precision, ...training }, ...rest } = config;
  // For the hash, fp32 is left out so that runs written before `precision` existed keep their hash.
  return { ...rest, training: forHash && precision === 'fp32' ? training : { ...training, precision } };
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

/**
 * The models that ship with mrsynth (assets/models/): run folders trained on phantoms, so that a first run works
 * offline, named `builtin:<name>` wherever a run folder is asked for. `assets/models/manifest.json` says what each is:
 * its method and targets, where its run folder is, its weights files with their SHA-256 and storage precision, how it was trained
 * (the commands, the commit, the first losses, so that a rebuild can be checked), on which phantoms, and how it scores
 * per target on held-out phantoms beside the trained and oracle affine baselines. scripts/quality/builtin-models.sh writes it.
 */
import { join } from 'node:path';
import type { Contrast } from '../data/index.js';
import { readRegularFile } from '../io/index.js';
import { assert, packageRoot } from '../util/index.js';
import { contrast, isInteger, keys, number, object, oneOf, positiveInteger, string, type Raw } from './jsonFields.js';

/** How a built-in model is named where a run folder could be given: `builtin:cwdm-phantom-flair`. */
export const BUILTIN_PREFIX = 'builtin:';
export const BUILTIN_MANIFEST_FORMAT = 'mrsynth-builtin-models';
/** 2: a model's weights are a list of files (an ALDM run samples with two) and its held-out figures a list of tasks. */
export const BUILTIN_MANIFEST_VERSION = 2;
/** Where the built-in models ship: the package's assets/models/. */
export const BUILTIN_MODELS_DIR = join(packageRoot(), 'assets', 'models');
export const BUILTIN_MANIFEST = 'manifest.json';

/** The storage precisions a built-in weights file may have; loading converts to the precision asked for. */
export const BUILTIN_DTYPES = ['BF16', 'F16', 'F32'] as const;

export interface BuiltinScores {
  readonly psnr: number;
  readonly ssim: number;
}

/** One held-out phantom as the model and the two affine baselines score on it (brain-masked, in the run's units). */
export interface BuiltinCaseFigures {
  readonly case: string;
  readonly model: BuiltinScores;
  /** One map per target fitted on the training phantoms' brain voxels pooled: what a model trained on them must beat. */
  readonly trainedAffine: BuiltinScores;
  /** The best single-source map fitted on the held-out case against its own target: a floor no deployed method has. */
  readonly oracleAffine: BuiltinScores;
}

/** One target as the model completes it, with the contrasts it was made from, and its figures per held-out case. */
export interface BuiltinTaskFigures {
  /** What the completion was made from: a cWDM model's conditions; the one contrast an ALDM model chose to translate. */
  readonly sources: readonly Contrast[];
  readonly target: Contrast;
  readonly cases: readonly BuiltinCaseFigures[];
}

/** One file of the run's weights, as run.json names it. */
export interface BuiltinWeightsFile {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** How the held-out figures were sampled. */
export interface BuiltinSampler {
  readonly kind: 'ddim' | 'ddpm';
  readonly steps: number;
  readonly eta: number;
  readonly seed: number;
}

export interface BuiltinModel {
  /** Lower-case letters, digits and dashes: `builtin:<name>`. */
  readonly name: string;
  /** One line for listings, e.g. "cWDM cpu: FLAIR from T1, T1ce and T2". */
  readonly description: string;
  readonly method: string;
  readonly targets: readonly Contrast[];
  /** Absolute path of its run folder (the manifest gives it relative to assets/models/). */
  readonly folder: string;
  readonly weights: {
    /** Every weights file the run samples with (the first its main one), each checked against its hash when loaded. */
    readonly files: readonly BuiltinWeightsFile[];
    /** How the weights are stored; `precisionCostDb` is what storing them so costs against float32 (largest over the held-out cases). */
    readonly dtype: (typeof BUILTIN_DTYPES)[number];
    readonly precisionCostDb: number;
  };
  readonly training: {
    /** The mrsynth commands that trained it, in order (data generation included). */
    readonly commands: readonly string[];
    /** The commit of mrsynth it was trained at. */
    readonly commit: string;
    readonly steps: number;
    /** The training loss of its first steps, for checking a rebuild (scripts/quality/builtin-models.sh's `verify` stage). */
    readonly firstLosses: readonly number[];
  };
  /** The phantoms it was trained on: `mrsynth phantom --seed --cases --shape --spacing`. */
  readonly data: { readonly phantomSeed: number; readonly cases: number; readonly shape: readonly [number, number, number]; readonly spacing: number };
  /** How it scores on held-out phantoms of another seed, per case. */
  readonly heldout: {
    readonly phantomSeed: number;
    /** The completion's sampler (`mrsynth complete --sampler --steps --eta --seed`). */
    readonly sampler: BuiltinSampler;
    readonly units: string;
    readonly mask: string;
    /** One per target the model completes, in the order of `targets`. */
    readonly tasks: readonly BuiltinTaskFigures[];
  };
  /** Anything a user must know before relying on it (e.g. why it does not beat the baselines). */
  readonly note?: string;
}

export interface BuiltinManifest {
  /** What the licence of the weights is and why (they are trained on phantoms derived from the SRI24 atlas). */
  readonly licence: string;
  readonly models: readonly BuiltinModel[];
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const FOLDER = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** The manifest is a few tens of kilobytes; anything far larger is not one. */
const MAX_MANIFEST_BYTES = 4 * 2 ** 20;

/** The model's name in `builtin:<name>`, or undefined when `spec` is a path. */
export function builtinModelName(spec: string): string | undefined {
  return spec.startsWith(BUILTIN_PREFIX) ? spec.slice(BUILTIN_PREFIX.length) : undefined;
}

/** Reads and checks the manifest in `dir` (default: the package's assets/models/). */
export async function readBuiltinManifest(dir: string = BUILTIN_MODELS_DIR): Promise<BuiltinManifest> {
  const path = join(dir, BUILTIN_MANIFEST);
  const text = await readRegularFile(path, { maxBytes: MAX_MANIFEST_BYTES, what: 'the built-in models\' manifest' }).then((b) => b.toString('utf8'), (error: Error) => {
    throw new Error(`built-in models: cannot read ${path} (${error.message}); the package is incomplete`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`built-in models: ${path} is not JSON (${(error as Error).message})`);
  }
  return parseBuiltinManifest(raw, dir, path);
}

/** The manifest `raw` (as read from `where`), with each model's folder resolved against `dir`. */
export function parseBuiltinManifest(raw: unknown, dir: string, where: string): BuiltinManifest {
  const m = object(raw, where);
  keys(m, ['format', 'formatVersion', 'licence', 'models'], [], where);
  assert(m.format === BUILTIN_MANIFEST_FORMAT && m.formatVersion === BUILTIN_MANIFEST_VERSION,
    () => `${where}: expected format ${BUILTIN_MANIFEST_FORMAT} version ${BUILTIN_MANIFEST_VERSION}, got ${JSON.stringify(m.format)} version ${JSON.stringify(m.formatVersion)}`);
  assert(Array.isArray(m.models), () => `${where}: models must be a list, got ${JSON.stringify(m.models)}`);
  const models = m.models.map((entry, i) => parseModel(entry, dir, `${where}: models[${i}]`));
  const names = models.map((model) => model.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  assert(repeated === undefined, () => `${where}: the name '${repeated}' is given twice`);
  return { licence: string(m.licence, `${where}: licence`), models };
}

/** The built-in model `spec` names (`builtin:<name>`); refuses a name that does not exist, listing those that do. */
export async function findBuiltinModel(spec: string, dir?: string): Promise<BuiltinModel> {
  const name = builtinModelName(spec);
  assert(name !== undefined, () => `findBuiltinModel: '${spec}' does not start with ${BUILTIN_PREFIX}`);
  const { models } = await readBuiltinManifest(dir);
  const model = models.find((candidate) => candidate.name === name);
  assert(model !== undefined, () => `there is no built-in model '${name}'; the built-in models are `
    + `${models.map((candidate) => `${BUILTIN_PREFIX}${candidate.name}`).join(', ') || '(none)'} (mrsynth models list)`);
  return model;
}

/** The run folder `spec` names: the folder itself, or a built-in model's (`builtin:<name>`). */
export async function runFolderOf(spec: string, dir?: string): Promise<string> {
  return builtinModelName(spec) === undefined ? spec : (await findBuiltinModel(spec, dir)).folder;
}

/** What every use of a built-in model says about it: it was trained on phantoms, and what that means. */
export function phantomTrainingNotice(model: BuiltinModel): string {
  const { phantomSeed, cases, spacing } = model.data;
  return `${BUILTIN_PREFIX}${model.name} was trained on ${cases} synthetic phantoms (mrsynth phantom, seed ${phantomSeed}, ${spacing} mm), `
    + 'not on patients: it shows the method at work; for real scans, train on real data (mrsynth train)';
}

function parseModel(raw: unknown, dir: string, where: string): BuiltinModel {
  const m = object(raw, where);
  keys(m, ['name', 'description', 'method', 'targets', 'folder', 'weights', 'training', 'data', 'heldout'], ['note'], where);
  const name = string(m.name, `${where}.name`);
  assert(NAME.test(name), () => `${where}.name must be lower-case letters, digits and dashes, got ${JSON.stringify(name)}`);
  const folder = string(m.folder, `${where}.folder`);
  assert(FOLDER.test(folder), () => `${where}.folder must be one folder name under assets/models, got ${JSON.stringify(folder)}`);
  assert(Array.isArray(m.targets) && m.targets.length > 0, () => `${where}.targets must be a non-empty list, got ${JSON.stringify(m.targets)}`);
  const targets = m.targets.map((t, i) => contrast(t, `${where}.targets[${i}]`));
  const heldout = parseHeldout(m.heldout, `${where}.heldout`);
  // Every target has its figures, in the order of `targets`: what `models list` and the demo show is what the model does.
  const scored = heldout.tasks.map((task) => task.target);
  assert(scored.join() === targets.join(),
    () => `${where}.heldout.tasks must score the targets ${targets.join(', ')} in that order, got ${scored.join(', ')}`);
  return {
    name,
    description: string(m.description, `${where}.description`),
    method: string(m.method, `${where}.method`),
    targets,
    folder: join(dir, folder),
    weights: parseWeights(m.weights, `${where}.weights`),
    training: parseTraining(m.training, `${where}.training`),
    data: parseData(m.data, `${where}.data`),
    heldout,
    ...(m.note !== undefined && { note: string(m.note, `${where}.note`) }),
  };
}

function parseWeights(raw: unknown, where: string): BuiltinModel['weights'] {
  const w = object(raw, where);
  keys(w, ['files', 'dtype', 'precisionCostDb'], [], where);
  assert(Array.isArray(w.files) && w.files.length > 0, () => `${where}.files must be a non-empty list, got ${JSON.stringify(w.files)}`);
  const files = w.files.map((entry, i) => parseWeightsFile(entry, `${where}.files[${i}]`));
  const names = files.map((f) => f.file);
  const repeated = names.find((file, i) => names.indexOf(file) !== i);
  assert(repeated === undefined, () => `${where}.files names '${repeated}' twice`);
  return {
    files, dtype: oneOf(w.dtype, BUILTIN_DTYPES, `${where}.dtype`),
    precisionCostDb: number(w.precisionCostDb, `${where}.precisionCostDb`, (n) => n >= 0, 'a non-negative number'),
  };
}

function parseWeightsFile(raw: unknown, where: string): BuiltinWeightsFile {
  const f = object(raw, where);
  keys(f, ['file', 'sha256', 'bytes'], [], where);
  const sha256 = string(f.sha256, `${where}.sha256`);
  assert(SHA256.test(sha256), () => `${where}.sha256 must be 64 lower-case hex digits, got ${JSON.stringify(sha256)}`);
  return { file: string(f.file, `${where}.file`), sha256, bytes: number(f.bytes, `${where}.bytes`, positiveInteger, 'a positive integer') };
}

function parseTraining(raw: unknown, where: string): BuiltinModel['training'] {
  const t = object(raw, where);
  keys(t, ['commands', 'commit', 'steps', 'firstLosses'], [], where);
  assert(Array.isArray(t.commands) && t.commands.length > 0, () => `${where}.commands must be a non-empty list, got ${JSON.stringify(t.commands)}`);
  assert(Array.isArray(t.firstLosses), () => `${where}.firstLosses must be a list, got ${JSON.stringify(t.firstLosses)}`);
  return {
    commands: t.commands.map((c, i) => string(c, `${where}.commands[${i}]`)),
    commit: string(t.commit, `${where}.commit`),
    steps: number(t.steps, `${where}.steps`, positiveInteger, 'a positive integer'),
    firstLosses: t.firstLosses.map((l, i) => number(l, `${where}.firstLosses[${i}]`, (n) => n >= 0, 'a non-negative number')),
  };
}

function parseData(raw: unknown, where: string): BuiltinModel['data'] {
  const d = object(raw, where);
  keys(d, ['phantomSeed', 'cases', 'shape', 'spacing'], [], where);
  assert(Array.isArray(d.shape) && d.shape.length === 3, () => `${where}.shape must be three voxel counts, got ${JSON.stringify(d.shape)}`);
  return {
    phantomSeed: number(d.phantomSeed, `${where}.phantomSeed`, isInteger, 'an integer'),
    cases: number(d.cases, `${where}.cases`, positiveInteger, 'a positive integer'),
    shape: d.shape.map((n, i) => number(n, `${where}.shape[${i}]`, positiveInteger, 'a positive integer')) as unknown as [number, number, number],
    spacing: number(d.spacing, `${where}.spacing`, (n) => n > 0, 'a positive number of mm'),
  };
}

function parseHeldout(raw: unknown, where: string): BuiltinModel['heldout'] {
  const h = object(raw, where);
  keys(h, ['phantomSeed', 'sampler', 'units', 'mask', 'tasks'], [], where);
  assert(Array.isArray(h.tasks) && h.tasks.length > 0, () => `${where}.tasks must be a non-empty list, got ${JSON.stringify(h.tasks)}`);
  return {
    phantomSeed: number(h.phantomSeed, `${where}.phantomSeed`, isInteger, 'an integer'),
    sampler: parseSampler(h.sampler, `${where}.sampler`),
    units: string(h.units, `${where}.units`),
    mask: string(h.mask, `${where}.mask`),
    tasks: h.tasks.map((t, i) => parseTask(t, `${where}.tasks[${i}]`)),
  };
}

function parseTask(raw: unknown, where: string): BuiltinTaskFigures {
  const t = object(raw, where);
  keys(t, ['sources', 'target', 'cases'], [], where);
  assert(Array.isArray(t.sources) && t.sources.length > 0, () => `${where}.sources must be a non-empty list, got ${JSON.stringify(t.sources)}`);
  const sources = t.sources.map((s, i) => contrast(s, `${where}.sources[${i}]`));
  const target = contrast(t.target, `${where}.target`);
  assert(!sources.includes(target), () => `${where}: the target ${target} is also among its sources (${sources.join(', ')})`);
  assert(Array.isArray(t.cases) && t.cases.length > 0, () => `${where}.cases must be a non-empty list, got ${JSON.stringify(t.cases)}`);
  return { sources, target, cases: t.cases.map((c, i) => parseCase(c, `${where}.cases[${i}]`)) };
}

function parseSampler(raw: unknown, where: string): BuiltinSampler {
  const s = object(raw, where);
  keys(s, ['kind', 'steps', 'eta', 'seed'], [], where);
  return {
    kind: oneOf(s.kind, ['ddim', 'ddpm'] as const, `${where}.kind`), steps: number(s.steps, `${where}.steps`, positiveInteger, 'a positive integer'),
    eta: number(s.eta, `${where}.eta`, (n) => n >= 0, 'a non-negative number'), seed: number(s.seed, `${where}.seed`, isInteger, 'an integer'),
  };
}

function parseCase(raw: unknown, where: string): BuiltinCaseFigures {
  const c = object(raw, where);
  keys(c, ['case', 'model', 'trainedAffine', 'oracleAffine'], [], where);
  const scores = (value: unknown, at: string): BuiltinScores => {
    const s: Raw = object(value, at);
    keys(s, ['psnr', 'ssim'], [], at);
    return { psnr: number(s.psnr, `${at}.psnr`, () => true, 'a number of dB'), ssim: number(s.ssim, `${at}.ssim`, (n) => n <= 1, 'at most 1') };
  };
  return {
    case: string(c.case, `${where}.case`),
    model: scores(c.model, `${where}.model`),
    trainedAffine: scores(c.trainedAffine, `${where}.trainedAffine`),
    oracleAffine: scores(c.oracleAffine, `${where}.oracleAffine`),
  };
}

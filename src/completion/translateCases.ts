/**
 * Translation of one contrast a case has into others (`mrsynth translate`): a model that serves several targets (ALDM)
 * turns the source into each target asked for, or into every other contrast it knows; a model conditioned on one
 * contrast (a one-condition cWDM run) turns its condition into its target. Unlike completion, the target may exist:
 * translations are named `<case>_<target>_from-<source>.nii.gz` (translationFileName), never a case's own files, so
 * that `eval --matrix` can score every ordered pair of a case against its real contrasts.
 *
 * Only the source file is read: the output depends on nothing else of the case (its brain box, normalisation and
 * background all come from the source), so it is the same whatever other files the case holds. The source is
 * encoded once and sampled from for each target; each sample of each (case, source, target) draws from its own seed.
 */
import { totalmem } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { canonicalOrder, parseCaseFileName, type Case, type Contrast } from '../data/index.js';
import { makeFolder } from '../io/index.js';
import { effectiveAffine, readNiftiHeader, readNiftiWithSha256 } from '../io/nifti/index.js';
import { translationFileName } from '../metrics/index.js';
import { parsePrecision, type Precision } from '../nn/index.js';
import {
  TRANSLATION_SAMPLER, parseSamplerSpec, resolveSampler, volumesToTensor, type SamplerSpec,
} from '../pipelines/index.js';
import { configHash } from '../runs/index.js';
import { runtimeInfo } from '../tensor/index.js';
import { preprocess, roundTripError } from '../transforms/index.js';
import type { CaseNotice } from './completeCases.js';
import { assert, packageVersion } from '../util/index.js';
import { caseSeed } from './caseSeed.js';
import { estimateCompletionMemory, samplesThatFit } from './completionMemory.js';
import { drawSampleBatch, sampleBatches } from './sampleBatches.js';
import { failedCase, runCaseQueue, weightBytes } from './caseQueue.js';
import { caseFolders } from './outputFolders.js';
import { voxelSizeProblem } from './completionPlan.js';
import { loadRun, madeWithWeights, sidecarModel, type LoadedRun } from './loadedRun.js';
import { backgroundMask, backgroundText, modelUnits } from './modelUnits.js';
import { SIDECAR_FORMAT, SIDECAR_FORMAT_VERSION, recipeDifference, sidecarSeed, type SynthesisRecipe, type SynthesisSidecar } from './synthesisSidecar.js';
import { earlierSyntheses, isSyntheticHeader, syntheticDescription, syntheticFiles, type SyntheticFiles } from './syntheticFiles.js';
import { removeLeftovers, samplePath, synthesisPaths, writeSynthesis } from './writeSynthesis.js';

export interface TranslateCasesOptions {
  /** A case folder, a data set folder or a manifest. Give this or `file`. */
  readonly input?: string;
  /** One scan of the `source` contrast; its stem (less a trailing contrast token) names the case. */
  readonly file?: string;
  /** The run folder. */
  readonly run: string;
  /** The contrast translated from; with `matrix`, absent (every contrast of the case is a source in turn). */
  readonly source?: Contrast;
  /** What to translate into: listed contrasts, or every contrast of the model but the source ('all', the default). */
  readonly targets?: readonly Contrast[] | 'all';
  /** Every ordered pair of distinct contrasts the case has and the model knows (12 for a BraTS case and a BraTS model). */
  readonly matrix?: boolean;
  /**
   * With `input`: a folder to write into instead of the case folders (mirrored below it). With `file`: the folder, or
   * with one target the output .nii.gz itself; default the file's folder.
   */
  readonly out?: string;
  /** Default DDIM 200, η 1 (TRANSLATION_SAMPLER). */
  readonly sampler?: SamplerSpec;
  /**
   * No reverse process: decode the target as the model's condition alone estimates it (ALDM: MS-SPADE's translation of
   * the source's latent, what the first stage translates by itself). Deterministic, so one sample and no seed; refused
   * for a model whose condition holds no such estimate.
   */
  readonly firstStage?: boolean;
  readonly precision?: Precision;
  /** Default 0. Each (case, source, target) samples from its own generator seeded from them. */
  readonly seed?: number;
  /** Samples per translation, whose voxel-wise mean is written. Default 1. */
  readonly samples?: number;
  /**
   * The most samples drawn together in one batch of the network; default as many as `memoryLimit` allows. Each sample
   * draws from its own generator, so the batch changes a sample only by the kernels' rounding.
   */
  readonly batch?: number;
  /** Also write each sample and, with two or more, their standard deviation. */
  readonly saveSamples?: boolean;
  /** Replace earlier translations (never any other file). */
  readonly force?: boolean;
  readonly allowVoxelSizeMismatch?: boolean;
  readonly verify?: boolean;
  /** Bytes a case may need; a case estimated above it is refused before its voxels are read. Default: the machine's memory. */
  readonly memoryLimit?: number;
  readonly onProgress?: (event: TranslationEvent) => void;
}

/** One translation of a case: from `source` into `target`, written to `files`. */
export interface PlannedTranslation {
  readonly source: Contrast;
  readonly target: Contrast;
  readonly files: SyntheticFiles;
}

export type TranslationOutcome =
  | { readonly caseId: string; readonly status: 'translated'; readonly translations: readonly PlannedTranslation[];
    readonly written: readonly string[]; readonly replaced: readonly string[]; readonly seconds: number }
  | { readonly caseId: string; readonly status: 'already-done'; readonly outputs: readonly string[] }
  | { readonly caseId: string; readonly status: 'refused' | 'failed'; readonly reason: string };

export type TranslationEvent =
  /** Sampling of a case begins: `index` (from 1) of `of` cases that need work. */
  | { readonly kind: 'case'; readonly caseId: string; readonly index: number; readonly of: number; readonly translations: readonly PlannedTranslation[] }
  /** One reverse step of samples `sample` to `sample + batch - 1` (from 0, drawn together) of the translation `source` → `target` is done. */
  | { readonly kind: 'step'; readonly caseId: string; readonly source: Contrast; readonly target: Contrast; readonly sample: number;
    readonly batch: number; readonly step: number; readonly steps: number }
  | CaseNotice
  | { readonly kind: 'outcome'; readonly outcome: TranslationOutcome };

interface Settings {
  readonly sampler: SamplerSpec;
  readonly firstStage: boolean;
  readonly precision: Precision;
  readonly seed: number;
  readonly samples: number;
  readonly maxBatch: number;
  readonly saveSamples: boolean;
  readonly emit: (event: TranslationEvent) => void;
}

type TranslationPlan =
  | TranslationOutcome
  | { readonly caseId: string; readonly status: 'todo'; readonly sources: Readonly<Partial<Record<Contrast, string>>>;
    readonly translations: readonly PlannedTranslation[]; readonly replaces: readonly string[] };
type TodoPlan = Extract<TranslationPlan, { status: 'todo' }>;

/** Translates every case of `options.input` (or the one `file`); returns one outcome per case, in data set order. */
export async function translateCases(options: TranslateCasesOptions): Promise<TranslationOutcome[]> {
  const fn = 'translateCases';
  assert((options.input === undefined) !== (options.file === undefined),
    () => `${fn}: give exactly one of input (a case or data set) and file (one scan), got ${options.input === undefined ? 'neither' : 'both'}`);
  const seed = options.seed ?? 0;
  assert(Number.isSafeInteger(seed) && seed >= 0, () => `${fn}: seed must be a non-negative integer, got ${seed}`);
  const samples = options.samples ?? 1;
  assert(Number.isInteger(samples) && samples >= 1, () => `${fn}: samples must be a positive integer, got ${samples}`);
  const maxBatch = options.batch ?? samples;
  assert(Number.isInteger(maxBatch) && maxBatch >= 1, () => `${fn}: batch must be a positive integer, got ${maxBatch}`);
  const firstStage = options.firstStage ?? false;
  assert(!firstStage || (samples === 1 && !options.saveSamples), () => `${fn}: the first stage's translation is deterministic: it takes one `
    + `sample, got ${samples}${options.saveSamples ? ' with saveSamples' : ''}`);
  const settings: Settings = {
    sampler: options.sampler ?? TRANSLATION_SAMPLER, firstStage,
    precision: parsePrecision(options.precision ?? 'fp32', `${fn}: precision`),
    seed, samples, maxBatch, saveSamples: options.saveSamples ?? false, emit: options.onProgress ?? (() => {}),
  };
  parseSamplerSpec(settings.sampler);

  const run = await loadRun(options.run, settings.precision, options.verify ?? true);
  try {
    const { cannotSample } = run.pipeline;
    if (firstStage) {
      assert(run.pipeline.hasConditionEstimate, () => (cannotSample === undefined
        ? `run ${run.dir} is a ${run.config.method} model, which has no first stage that translates by itself (ALDM's MS-SPADE does); `
          + 'translate it with a sampler instead'
        : `run ${run.dir} cannot translate with its first stage: ${cannotSample}`));
    } else {
      assert(cannotSample === undefined, () => `run ${run.dir} cannot sample: ${cannotSample}`);
    }
    const pairs = translationPairs(run, options);
    const work = options.file !== undefined ? await fileWork(options.file, options) : await datasetWork(options.input!, options.out);
    const recipe: Omit<SynthesisRecipe, 'source'> = {
      weightsSha256: madeWithWeights(run, firstStage), configHash: configHash(run.config), firstStage,
      sampler: firstStage ? null : resolveSampler(settings.sampler, run.config.schedule), precision: settings.precision,
      seed: firstStage ? null : seed, samples, savesSamples: settings.saveSamples && samples > 1, placeholder: null,
    };
    const plans: TranslationPlan[] = [];
    for (const item of work) {
      plans.push(await planTranslation(item, pairs, run, options, recipe).catch((error: unknown) => failedCase(item.c.id, error)));
    }
    const weights = await weightBytes([run]);
    const limit = options.memoryLimit ?? totalmem();
    return await runCaseQueue<TodoPlan, TranslationOutcome>(plans, {
      memory: (plan) => estimateCompletionMemory(Object.values(plan.sources)[0]!, [run.config], weights),
      limit,
      start: (plan, index, of) => settings.emit({ kind: 'case', caseId: plan.caseId, index, of, translations: plan.translations }),
      work: async (plan, seconds) => {
        const batch = await samplesThatFit(Object.values(plan.sources)[0]!, [run.config], weights, limit, settings.samples, settings.maxBatch);
        const written = await translateCase(plan, run, settings, batch);
        return { caseId: plan.caseId, status: 'translated', translations: plan.translations, written, replaced: plan.replaces, seconds: seconds() };
      },
      settled: (outcome) => settings.emit({ kind: 'outcome', outcome }),
    });
  } finally {
    run.pipeline.dispose();
  }
}

/** The contrasts the run translates between: a model serving several targets knows its own; otherwise its one condition and target. */
function modelContrasts(run: LoadedRun): readonly Contrast[] {
  const targets = run.pipeline.targets;
  if (targets !== undefined) return targets as readonly Contrast[];
  assert(run.config.conditions.length === 1, () => `run ${run.dir} is conditioned on ${run.config.conditions.length} contrasts `
    + `(${run.config.conditions.join(', ')}); translate takes one source, so it needs a model of one condition or one that serves several `
    + 'targets (ALDM); complete a case\'s missing contrast with this run instead (mrsynth complete)');
  return [run.config.conditions[0], run.config.target];
}

/** Which (source, target) pairs the options ask for, checked against the model before any case is read; `matrix`: undefined. */
function translationPairs(run: LoadedRun, options: TranslateCasesOptions): { source: Contrast; target: Contrast }[] | undefined {
  const known = modelContrasts(run);
  const where = `run ${run.dir}`;
  const check = (contrast: Contrast, what: string) => assert(known.includes(contrast), () => `${where} translates between `
    + `${known.join(', ')}; ${what} ${contrast} is not one of them`);
  if (options.matrix) {
    assert(options.source === undefined && (options.targets === undefined || options.targets === 'all'),
      () => 'a matrix translates every ordered pair of contrasts a case has; it takes no source or targets');
    return undefined;
  }
  const { source } = options;
  assert(source !== undefined, () => 'give the source contrast to translate from (or ask for the matrix of every ordered pair)');
  check(source, 'the source');
  const targets = options.targets === undefined || options.targets === 'all' ? known.filter((c) => c !== source) : options.targets;
  assert(targets.length > 0, () => 'give at least one target contrast');
  for (const target of targets) {
    assert(target !== source, () => `the source and a target are both ${source}; a translation goes from one contrast to another`);
    check(target, 'the target');
  }
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  assert(twice === undefined, () => `the target ${twice} is listed twice`);
  if (run.pipeline.targets === undefined) {
    assert(source === run.config.conditions[0] && targets.every((t) => t === run.config.target), () => `${where} translates `
      + `${run.config.conditions[0]} into ${run.config.target} only`);
  }
  return canonicalOrder(targets).map((target) => ({ source, target }));
}

interface CaseWork {
  readonly c: Case;
  /** Where the translation `source` → `target` goes. */
  readonly outputPath: (source: Contrast, target: Contrast) => string;
}

async function datasetWork(input: string, out: string | undefined): Promise<CaseWork[]> {
  const { cases } = await caseFolders(input, out);
  return cases.map(({ c, dir }) => ({ c, outputPath: (source, target) => join(dir, translationFileName(c, target, source)) }));
}

/**
 * The `file` form: one scan of `source`. Its case id is the file's stem less a trailing token naming the source
 * (`sub-01_t1` → `sub-01`); the outputs go beside it, into `out` as a folder, or, for one target, to `out` as the file.
 */
async function fileWork(file: string, options: TranslateCasesOptions): Promise<CaseWork[]> {
  const { source, out } = options;
  assert(source !== undefined, () => `translating the one file ${file} needs its contrast (the source)`);
  const name = basename(file);
  // A file named as a data set names its contrasts keeps that naming: sub-01_t1.nii.gz → sub-01_t2_from-t1.nii.gz.
  const format = (['brats2021', 'brats2023', 'ixi'] as const).find((f) => parseCaseFileName(name, f)?.role === source);
  const id = format === undefined ? name.replace(/\.nii(\.gz)?$/i, '') : parseCaseFileName(name, format)!.caseId;
  const c: Case = { id, subject: id, format: format ?? 'manifest', contrasts: { [source]: file } };
  const toFile = out !== undefined && /\.nii(\.gz)?$/i.test(out);
  if (toFile) {
    assert(Array.isArray(options.targets) && options.targets.length === 1, () => `out ${out} names one file, but more than one target is `
      + 'asked for; give one target, or a folder');
    return [{ c, outputPath: () => resolve(out) }];
  }
  const dir = out ?? dirname(file);
  await makeFolder(dir);
  return [{ c, outputPath: (s, target) => join(resolve(dir), translationFileName(c, target, s)) }];
}

/**
 * Everything a case can be refused for, found before any voxel is read: no readable source, a source that is itself
 * a synthesis, a voxel size the run was not trained on, outputs in the way.
 */
async function planTranslation(work: CaseWork, pairs: { source: Contrast; target: Contrast }[] | undefined, run: LoadedRun,
  options: TranslateCasesOptions, recipe: Omit<SynthesisRecipe, 'source'>): Promise<TranslationPlan> {
  const { c } = work;
  const caseId = c.id;
  const refuse = (reason: string): TranslationPlan => ({ caseId, status: 'refused', reason });
  const present = canonicalOrder(Object.keys(c.contrasts) as Contrast[]);
  const real: Contrast[] = [];
  const affines = new Map<Contrast, Float64Array>();
  // In a matrix every contrast is a source; otherwise only the source's file is opened.
  for (const contrast of pairs === undefined ? present : [...new Set(pairs.map((p) => p.source))]) {
    const path = c.contrasts[contrast];
    if (path === undefined) return refuse(`has no ${contrast} to translate from (it has ${present.join(', ') || 'no contrast'})`);
    const header = await readNiftiHeader(path);
    if (isSyntheticHeader(header)) {
      if (pairs === undefined) continue;
      return refuse(`has a ${contrast} (${path}) that is itself a synthesis (its header carries mrsynth's mark); translate from an acquired scan`);
    }
    real.push(contrast);
    affines.set(contrast, effectiveAffine(header));
  }
  const known = modelContrasts(run);
  const planned = pairs ?? real.filter((s) => known.includes(s)).flatMap((source) => real.filter((t) => t !== source && known.includes(t))
    .map((target) => ({ source, target })));
  if (planned.length === 0) {
    return refuse(`has ${real.join(', ') || 'no acquired contrast'}, which gives no ordered pair of distinct contrasts the model knows (${known.join(', ')})`);
  }
  for (const source of options.allowVoxelSizeMismatch ? [] : new Set(planned.map((p) => p.source))) {
    const problem = voxelSizeProblem(affines.get(source)!, run, `from ${source}`);
    if (problem !== undefined) return refuse(`'s ${source} ${problem}`);
  }
  const translations = planned.map(({ source, target }) => ({ source, target, files: syntheticFiles(work.outputPath(source, target)) }));
  const inputs = new Set(Object.values(c.contrasts).map((path) => resolve(path)));
  const written = translations.find(({ files }) => inputs.has(resolve(files.image)));
  if (written !== undefined) return refuse(`would write ${written.files.image}, which is one of its inputs`);
  const earlier = await earlierSyntheses(translations.map(({ files }) => files));
  if ('inTheWay' in earlier) return refuse(earlier.inTheWay);
  const { existing } = earlier;
  if (options.force) return { caseId, status: 'todo', sources: sourcesOf(c, translations), translations, replaces: existing };
  // Without force, earlier translations are kept if they were made as these would be, and only the missing ones are
  // made: an interrupted data set continues where it stopped. Made otherwise, they are neither kept nor mixed with new ones.
  for (const { source, files } of translations.filter(({ files }) => existing.includes(files.image))) {
    const image = files.image;
    const differs = await recipeDifference(files.sidecar, { ...recipe, source });
    if (differs !== undefined) return refuse(`has ${image} from an earlier translation made otherwise: ${differs}; pass --force to redo the case`);
  }
  if (existing.length === translations.length) return { caseId, status: 'already-done', outputs: existing };
  const missing = translations.filter(({ files }) => !existing.includes(files.image));
  return { caseId, status: 'todo', sources: sourcesOf(c, missing), translations: missing, replaces: [] };
}

/** The source files the translations read, by contrast. */
function sourcesOf(c: Case, translations: readonly PlannedTranslation[]): Partial<Record<Contrast, string>> {
  return Object.fromEntries([...new Set(translations.map((t) => t.source))].map((s) => [s, c.contrasts[s]!]));
}

/** Translates each source of the plan into its targets (every sample), then writes each; returns the files written. */
async function translateCase(plan: TodoPlan, run: LoadedRun, settings: Settings, batch: number): Promise<string[]> {
  const { pipeline, config } = run;
  const units = modelUnits(config.preprocess);
  const written: string[] = [];
  const leftovers = await removeLeftovers(plan.translations.flatMap(({ files }) =>
    synthesisPaths(files, settings.samples, { std: settings.saveSamples, samples: settings.saveSamples })));
  if (leftovers.files.length > 0) settings.emit({ kind: 'leftovers', caseId: plan.caseId, ...leftovers });
  const versions = { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion, node: process.version };
  for (const source of canonicalOrder(Object.keys(plan.sources) as Contrast[])) {
    const path = plan.sources[source]!;
    const { image, sha256 } = await readNiftiWithSha256(path);
    // The source alone is preprocessed: its own brain box and percentiles, whatever else the case holds.
    const { volumes, record } = preprocess({ [source]: image.volume }, config.preprocess);
    const lost = record.steps.reduce((sum, step) => sum + ('foregroundLost' in step ? step.foregroundLost ?? 0 : 0), 0);
    if (lost > 0) settings.emit({ kind: 'foregroundLost', caseId: plan.caseId, voxels: lost });
    const roundTrip = config.preprocess.steps.some((step) => step.kind === 'resample') ? roundTripError({ [source]: image.volume }, config.preprocess) : null;
    if (roundTrip !== null) settings.emit({ kind: 'roundTrip', caseId: plan.caseId, error: roundTrip });
    const background = backgroundMask([volumes[source].data], units.floor);
    const translations = plan.translations.filter((t) => t.source === source);
    const drawn = new Map(translations.map((t) => [t.target, [] as Float32Array[]]));
    const seeds = new Map(translations.map((t) => [t.target,
      Array.from({ length: settings.samples }, (_, sample) => caseSeed(settings.seed, plan.caseId, t.target, { source, sample }))]));
    const conditions = volumesToTensor([volumes[source]]);
    try {
      try {
        pipeline.checkBatch('translate', conditions);
      } catch (error) {
        throw new Error(`${path} on the model grid: ${(error as Error).message}`, { cause: error });
      }
      // The source is encoded once; a batch of samples draws from copies of its encoding (made in the batch's scope).
      const encoded = pipeline.encodeConditions(conditions);
      try {
        const scheduler = settings.firstStage ? undefined : pipeline.scheduler(settings.sampler);
        for (const { target } of translations) {
          const chosen = pipeline.targets === undefined ? {} : { target };
          for (const { first, size } of sampleBatches(settings.samples, batch)) {
            const samples = drawSampleBatch(seeds.get(target)!.slice(first, first + size), (generators) => (scheduler === undefined
              ? pipeline.decodeConditionEstimate(encoded, chosen)
              : pipeline.sample(size === 1 ? encoded : encoded.repeated(size), scheduler, {
                generator: generators, ...chosen,
                onStep: (step, steps) => settings.emit({ kind: 'step', caseId: plan.caseId, source, target, sample: first, batch: size, step, steps }),
              })), { background, floor: units.floor, what: `translating ${source} into ${target}`, weights: `${run.dir} (${run.weightsPath})` });
            drawn.get(target)!.push(...samples);
          }
        }
      } finally {
        encoded.dispose();
      }
    } finally {
      conditions.dispose();
    }

    for (const { target, files } of translations) {
      const here = dirname(files.sidecar);
      const rel = (file: string) => relative(here, file);
      const saved = settings.saveSamples && settings.samples > 1;
      const sidecar: SynthesisSidecar = {
        format: SIDECAR_FORMAT,
        formatVersion: SIDECAR_FORMAT_VERSION,
        synthetic: true,
        case: plan.caseId,
        contrast: target,
        translation: {
          source, classLabel: pipeline.targets === undefined ? null : pipeline.targets.indexOf(target), ...(settings.firstStage && { firstStage: true }),
        },
        files: {
          image: rel(files.image),
          ...(saved ? { std: rel(files.std), samples: Array.from({ length: settings.samples }, (_, k) => rel(samplePath(files, k + 1))) } : {}),
        },
        units: units.text,
        mask: backgroundText(units, 'the source'),
        model: sidecarModel(run, settings.firstStage),
        sampler: settings.firstStage ? null : resolveSampler(settings.sampler, config.schedule),
        precision: settings.precision,
        seed: settings.firstStage ? null : sidecarSeed(settings.seed, seeds.get(target)!),
        samples: settings.samples,
        ...(!settings.firstStage && { batch }),
        order: [target],
        conditions: [{ contrast: source, from: 'input' }],
        placeholder: null,
        inputs: [{ contrast: source, path: rel(path), sha256 }],
        geometryFrom: rel(image.source),
        preprocess: record,
        roundTripError: roundTrip,
        versions,
        createdAt: new Date().toISOString(),
      };
      written.push(...await writeSynthesis({
        files, contrast: target, samples: drawn.get(target)!, saveStd: settings.saveSamples, saveSamples: settings.saveSamples, like: image,
        record, fill: units.floor, sidecar, replaces: plan.replaces.includes(files.image),
        description: (map) => syntheticDescription({ method: config.method, contrast: target, source, units: units.short, samples: settings.samples }, map),
      }));
    }
  }
  return written;
}

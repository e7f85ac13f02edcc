/**
 * Automatic missing-contrast synthesis (spec §8, with the gaps of §13 closed): for every case of a data set (or
 * one set of explicit files), find what is missing, pick the run that synthesises it, sample, map the result
 * back onto the case's own grid and header geometry, and write it in the case's naming with a sidecar.
 *
 * Where outputs go: by default into the case's own folder, next to its inputs and named as the data set names
 * that contrast (`<case>_t1ce.nii.gz`, `<case>-t1c.nii.gz`): the BraSyn convention, which makes the completed
 * folder a complete case for every downstream tool. Inputs are never modified and no existing file is replaced
 * unless it is an earlier synthesis and `force` is given. `out` writes to another folder instead, mirroring the
 * case folders below the data set's root.
 */
import { totalmem } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { assert, packageVersion } from '../util/index.js';
import { canonicalOrder, contrastFileName, type Case, type Contrast } from '../data/index.js';
import { estimateCompletionMemory, samplesThatFit } from './completionMemory.js';
import { drawSampleBatch, sampleBatches } from './sampleBatches.js';
import { failedCase, runCaseQueue, weightBytes } from './caseQueue.js';
import { caseFolders } from './outputFolders.js';
import { readNiftiWithSha256, type NiftiImage } from '../io/nifti/index.js';
import { parsePrecision, type Precision } from '../nn/index.js';
import {
  parseSamplerSpec, resolveSampler, volumesToTensor, type EncodedConditions, type SamplerSpec,
} from '../pipelines/index.js';
import { F, runtimeInfo, type Tensor } from '../tensor/index.js';
import { preprocess, roundTripError, type RoundTripError } from '../transforms/index.js';
import type { Volume } from '../volume/index.js';
import { caseSeed } from './caseSeed.js';
import { planCompletion, runsByTarget, type CompletionPlan, type PlannedTarget } from './completionPlan.js';
import { loadRun, sidecarModel, type LoadedRun } from './loadedRun.js';
import { placeholderVolume, type Placeholder } from './placeholder.js';
import { syntheticDescription } from './syntheticFiles.js';
import { SIDECAR_FORMAT, SIDECAR_FORMAT_VERSION, sidecarSeed, type SynthesisSidecar } from './synthesisSidecar.js';
import { backgroundMask, backgroundText, modelUnits } from './modelUnits.js';
import { removeLeftovers, synthesisPaths, writeSynthesis } from './writeSynthesis.js';

export interface CompleteCasesOptions {
  /** A case folder, a data set folder or a manifest; every case found is completed. Give this or `files`. */
  readonly input?: string;
  /** Explicit inputs (contrast → file) of one case; then `out` names the output file and exactly one contrast is synthesised. */
  readonly files?: Readonly<Partial<Record<Contrast, string>>>;
  /** Run folders; at most one per target contrast. */
  readonly runs: readonly string[];
  /** With `input`: a folder to write into instead of the case folders (mirrored below it). With `files`: the output file. */
  readonly out?: string;
  /** Default DDIM, 50 steps, η 0. */
  readonly sampler?: SamplerSpec;
  /**
   * What the networks run in; default fp32. bf16 converts the loaded weights to bfloat16; noise, the scheduler and
   * x̂₀ clipping stay float32, so a seed draws the same noise in either precision.
   */
  readonly precision?: Precision;
  /** Default 0. Each (case, contrast) samples from its own generator seeded from (seed, case id, contrast). */
  readonly seed?: number;
  /** Samples per contrast; with more than one, their mean and standard deviation are written. Default 1. */
  readonly samples?: number;
  /**
   * The most samples drawn together in one batch of the network; default as many as `memoryLimit` allows. Each sample
   * draws from its own generator, so the batch changes a sample only by the kernels' rounding.
   */
  readonly batch?: number;
  /** Default 'mean-of-available'. */
  readonly placeholder?: Placeholder;
  /** The contrast a run serving several targets (ALDM) translates from; default the best of its sampled validation per target. */
  readonly source?: Contrast;
  /** Replace earlier syntheses (never any other file). Default false. */
  readonly force?: boolean;
  /** Complete cases whose voxel size differs from the one a run was trained on (refused by default). */
  readonly allowVoxelSizeMismatch?: boolean;
  /** Check each weights file against the checksum recorded when it was written; default true (false saves a hash per file). */
  readonly verify?: boolean;
  /** Memory a case may need, in bytes; a case estimated above it is refused before its voxels are read. Default: the machine's memory. */
  readonly memoryLimit?: number;
  readonly onProgress?: (event: CompletionEvent) => void;
}

export type CaseOutcome =
  | { readonly caseId: string; readonly status: 'completed'; readonly order: readonly PlannedTarget[]; readonly written: readonly string[];
    readonly replaced: readonly string[];
    /** Wall time of the whole case: reading, preprocessing, every sample of every contrast, mapping back and writing. */
    readonly seconds: number }
  | { readonly caseId: string; readonly status: 'nothing-to-do' }
  | { readonly caseId: string; readonly status: 'already-done'; readonly outputs: readonly string[] }
  | { readonly caseId: string; readonly status: 'refused' | 'failed'; readonly reason: string };

export type CompletionEvent =
  /** Sampling of a case begins: `index` (from 1) of `of` cases that need work. */
  | { readonly kind: 'case'; readonly caseId: string; readonly index: number; readonly of: number; readonly order: readonly Contrast[];
    readonly samples: number }
  /** One reverse step of samples `sample` to `sample + batch - 1` (from 0, drawn together) of `contrast` is done. */
  | { readonly kind: 'step'; readonly caseId: string; readonly contrast: Contrast; readonly sample: number; readonly batch: number;
    readonly step: number; readonly steps: number }
  /**
   * The run's preprocessing resamples, so mapping the output back loses detail: this is what a plain round trip
   * of the case's own inputs through that preprocessing loses, per contrast, in scanner units.
   */
  | { readonly kind: 'roundTrip'; readonly caseId: string; readonly error: Record<string, RoundTripError> }
  /**
   * The run's preprocessing centre-crops a brain larger than its box (the aldm preset, as ALDM's reference does): so
   * many voxels that are nonzero in some input are outside the model grid, and zero in the outputs.
   */
  | { readonly kind: 'foregroundLost'; readonly caseId: string; readonly voxels: number }
  /** Temporary files that an interrupted write of this case's outputs left (its writer gone) were removed. */
  | { readonly kind: 'leftovers'; readonly caseId: string; readonly files: readonly string[]; readonly bytes: number }
  /** A case is settled (every case gets exactly one, in data set order for cases needing no work, else as they finish). */
  | { readonly kind: 'outcome'; readonly outcome: CaseOutcome };

/** Something a case met on the way that its outcome does not say. */
export type CaseNotice = Extract<CompletionEvent, { kind: 'roundTrip' | 'foregroundLost' | 'leftovers' }>;

interface Settings {
  readonly sampler: SamplerSpec;
  readonly precision: Precision;
  readonly seed: number;
  readonly samples: number;
  readonly maxBatch: number;
  readonly placeholder: Placeholder;
  readonly emit: (event: CompletionEvent) => void;
}

/** Completes every case of `options.input` (or the explicit `files`); returns one outcome per case, in data set order. */
export async function completeCases(options: CompleteCasesOptions): Promise<CaseOutcome[]> {
  const fn = 'completeCases';
  assert((options.input === undefined) !== (options.files === undefined),
    () => `${fn}: give exactly one of input (a case or data set) and files (explicit contrasts), got ${options.input === undefined ? 'neither' : 'both'}`);
  assert(options.runs.length > 0, () => `${fn}: runs must name at least one run folder, got none`);
  const seed = options.seed ?? 0;
  assert(Number.isSafeInteger(seed) && seed >= 0, () => `${fn}: seed must be a non-negative integer, got ${seed}`);
  const samples = options.samples ?? 1;
  assert(Number.isInteger(samples) && samples >= 1, () => `${fn}: samples must be a positive integer, got ${samples}`);
  const maxBatch = options.batch ?? samples;
  assert(Number.isInteger(maxBatch) && maxBatch >= 1, () => `${fn}: batch must be a positive integer, got ${maxBatch}`);
  const settings: Settings = {
    sampler: options.sampler ?? parseSamplerSpec(),
    precision: parsePrecision(options.precision ?? 'fp32', `${fn}: precision`),
    seed,
    samples,
    maxBatch,
    placeholder: options.placeholder ?? 'mean-of-available',
    emit: options.onProgress ?? (() => {}),
  };

  const runs: LoadedRun[] = [];
  try {
    for (const dir of options.runs) {
      const run = await loadRun(dir, settings.precision, options.verify ?? true);
      runs.push(run);
      const { cannotSample } = run.pipeline;
      assert(cannotSample === undefined, () => `run ${run.dir} cannot complete cases: ${cannotSample}`);
    }
    runsByTarget(runs);
    const work = options.files !== undefined ? explicitWork(options.files, options.out, runs) : await datasetWork(options.input!, options.out);
    const plans: (CompletionPlan | CaseOutcome)[] = [];
    for (const { c, expected, outputPath } of work) {
      const planOptions = {
        expected, outputPath, runs, force: options.force ?? false, allowVoxelSizeMismatch: options.allowVoxelSizeMismatch, source: options.source,
        sampling: settings,
      };
      plans.push(await planCompletion(c, planOptions).catch((error: unknown) => failedCase(c.id, error)));
    }
    const weights = await weightBytes(runs);
    const limit = options.memoryLimit ?? totalmem();
    return await runCaseQueue<TodoPlan, CaseOutcome>(plans as (TodoPlan | CaseOutcome)[], {
      memory: (plan) => estimateCompletionMemory(Object.values(plan.inputs)[0]!, plan.order.map((t) => t.run.config), weights),
      limit,
      start: (plan, index, of) => settings.emit({ kind: 'case', caseId: plan.caseId, index, of, order: plan.order.map((t) => t.contrast), samples }),
      work: async (plan, seconds) => {
        const configs = plan.order.map((t) => t.run.config);
        const batch = await samplesThatFit(Object.values(plan.inputs)[0]!, configs, weights, limit, settings.samples, settings.maxBatch);
        const written = await completeCase(plan, settings, batch);
        return { caseId: plan.caseId, status: 'completed', order: plan.order, written, replaced: plan.replaces, seconds: seconds() };
      },
      settled: (outcome) => settings.emit({ kind: 'outcome', outcome }),
    });
  } finally {
    for (const run of runs) run.pipeline.dispose();
  }
}

interface CaseWork {
  readonly c: Case;
  readonly expected: readonly Contrast[];
  readonly outputPath: (contrast: Contrast) => string;
}

async function datasetWork(input: string, out: string | undefined): Promise<CaseWork[]> {
  const { cases, contrasts } = await caseFolders(input, out);
  return cases.map(({ c, dir }) => ({ c, expected: contrasts, outputPath: (contrast) => join(dir, contrastFileName(c, contrast)) }));
}

/**
 * The explicit form: the given files are the case's real contrasts, and the one contrast to synthesise is the
 * target of the run that is not among them. The case id, which seeds the sampling, is the output file's stem.
 */
function explicitWork(files: Readonly<Partial<Record<Contrast, string>>>, out: string | undefined, runs: readonly LoadedRun[]): CaseWork[] {
  const fn = 'completeCases';
  assert(out !== undefined && /\.nii(\.gz)?$/i.test(out), () => `${fn}: with explicit files, out must name the output .nii or .nii.gz file, got ${String(out)}`);
  const given = canonicalOrder(Object.keys(files) as Contrast[]);
  const targets = [...runsByTarget(runs).keys()].filter((t) => !given.includes(t));
  assert(targets.length === 1, () => `${fn}: with explicit files (${given.join(', ')}) one contrast is synthesised into ${out}, but the runs `
    + `synthesise ${targets.length === 0 ? 'only contrasts that are given' : targets.join(', ')}; give exactly one run for a contrast not given `
    + '(a run serving several targets translates one scan into one of them with mrsynth translate --input)');
  const id = basename(out).replace(/\.nii(\.gz)?$/i, '');
  const c: Case = { id, subject: id, format: 'manifest', contrasts: files };
  return [{ c, expected: canonicalOrder([...given, targets[0]]), outputPath: () => resolve(out) }];
}

type TodoPlan = Extract<CompletionPlan, { status: 'todo' }>;

/** Condition volumes encoded for any number of samples to draw from; the caller disposes the encoding. */
function encodeOnce(pipeline: LoadedRun['pipeline'], conditions: readonly Volume[]): EncodedConditions {
  const images = volumesToTensor(conditions);
  try {
    return pipeline.encodeConditions(images);
  } finally {
    images.dispose();
  }
}

/**
 * One batch's condition volumes, one row per sample (each sample's own synthesised conditions); each row's tensor is
 * freed once copied into the batch, so that a batch holds its conditions once, as the memory estimate counts them.
 */
function batchOfConditions(rows: readonly (readonly Volume[])[]): Tensor {
  const parts = rows.map((conditions) => volumesToTensor(conditions));
  try {
    return F.cat(parts, 0);
  } finally {
    for (const part of parts) part.dispose();
  }
}

/** Samples every target of the plan (all samples, in its order), then writes each; returns the files written. */
async function completeCase(plan: TodoPlan, settings: Settings, batch: number): Promise<string[]> {
  const contrasts = canonicalOrder(Object.keys(plan.inputs) as Contrast[]);
  const images = new Map<Contrast, NiftiImage>();
  const inputs: { contrast: Contrast; path: string; sha256: string }[] = [];
  for (const contrast of contrasts) {
    // Each input is read once: the checksum the sidecar records is of the very bytes the synthesis used.
    const path = plan.inputs[contrast]!;
    const { image, sha256 } = await readNiftiWithSha256(path);
    images.set(contrast, image);
    inputs.push({ contrast, path, sha256 });
  }
  // Every run of a case shares one preprocessing (checked by the plan), so one model grid serves the whole order.
  const config = plan.order[0].run.config.preprocess;
  const originals = Object.fromEntries(contrasts.map((k) => [k, images.get(k)!.volume]));
  const { volumes, record } = preprocess(originals, config);
  const lost = record.steps.reduce((sum, step) => sum + ('foregroundLost' in step ? step.foregroundLost ?? 0 : 0), 0);
  if (lost > 0) settings.emit({ kind: 'foregroundLost', caseId: plan.caseId, voxels: lost });
  const resampling = config.steps.some((step) => step.kind === 'resample');
  const roundTrip = resampling ? roundTripError(originals, config) : null;
  if (roundTrip !== null) settings.emit({ kind: 'roundTrip', caseId: plan.caseId, error: roundTrip });
  const grid = volumes[contrasts[0]];
  const real = contrasts.map((k) => volumes[k].data);
  const units = modelUnits(config);
  const background = backgroundMask(real, units.floor);
  const placeholder = placeholderVolume(settings.placeholder, real);

  const drawn = new Map<Contrast, Float32Array[]>(plan.order.map((t) => [t.contrast, []]));
  const seeds = new Map(plan.order.map((t) => [t.contrast,
    Array.from({ length: settings.samples }, (_, sample) => caseSeed(settings.seed, plan.caseId, t.contrast, { sample }))]));
  // Sample k of a later contrast is conditioned on sample k of the earlier ones: each k is one joint draw of all the
  // case's missing contrasts. Every sample draws from its own generator, so drawing them in batches changes nothing.
  for (const target of plan.order) {
    const { pipeline } = target.run;
    const scheduler = pipeline.scheduler(settings.sampler);
    const conditionsOf = (k: number): Volume[] => target.sources.map(({ contrast, from }) => ({
      ...grid,
      data: from === 'input' ? volumes[contrast].data : from === 'synthesised' ? drawn.get(contrast)![k] : placeholder,
    }));
    // Conditions the same for every sample (none synthesised) are encoded once, however many samples draw from them.
    const shared = target.sources.every(({ from }) => from !== 'synthesised') ? encodeOnce(pipeline, conditionsOf(0)) : undefined;
    try {
      for (const { first, size } of sampleBatches(settings.samples, batch)) {
        const samples = drawSampleBatch(seeds.get(target.contrast)!.slice(first, first + size), (generators) => {
          const conditions = shared === undefined ? batchOfConditions(generators.map((_, i) => conditionsOf(first + i)))
            : size === 1 ? shared : shared.repeated(size);
          return pipeline.sample(conditions, scheduler, {
            generator: generators, ...(target.translatedFrom !== undefined && { target: target.contrast }),
            onStep: (step, steps) => settings.emit({ kind: 'step', caseId: plan.caseId, contrast: target.contrast, sample: first, batch: size, step, steps }),
          });
        }, { background, floor: units.floor, what: `sampling ${target.contrast}`, weights: `${target.run.dir} (${target.run.weightsPath})` });
        drawn.get(target.contrast)!.push(...samples);
      }
    } finally {
      shared?.dispose();
    }
  }

  const paths = plan.order.flatMap(({ files }) => synthesisPaths(files, settings.samples, { std: true, samples: false }));
  const leftovers = await removeLeftovers(paths);
  if (leftovers.files.length > 0) settings.emit({ kind: 'leftovers', caseId: plan.caseId, ...leftovers });
  const like = images.get(contrasts[0])!;
  const written: string[] = [];
  const versions = { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion, node: process.version };
  for (const target of plan.order) {
    const { files } = target;
    const here = dirname(files.sidecar);
    const rel = (path: string) => relative(here, path);
    const placeholderUsed = target.sources.some(({ from }) => from === 'placeholder');
    const sidecar: SynthesisSidecar = {
      format: SIDECAR_FORMAT,
      formatVersion: SIDECAR_FORMAT_VERSION,
      synthetic: true,
      case: plan.caseId,
      contrast: target.contrast,
      ...(target.translatedFrom !== undefined && {
        translation: { ...target.translatedFrom, classLabel: target.run.pipeline.targets!.indexOf(target.contrast) },
      }),
      files: { image: rel(files.image), ...(settings.samples > 1 ? { std: rel(files.std) } : {}) },
      units: units.text,
      mask: backgroundText(units, 'every input'),
      model: sidecarModel(target.run, false),
      sampler: resolveSampler(settings.sampler, target.run.config.schedule),
      precision: settings.precision,
      seed: sidecarSeed(settings.seed, seeds.get(target.contrast)!),
      samples: settings.samples,
      batch,
      order: plan.order.map((t) => t.contrast),
      conditions: target.sources,
      placeholder: placeholderUsed ? settings.placeholder : null,
      inputs: inputs.map((i) => ({ ...i, path: rel(i.path) })),
      geometryFrom: rel(like.source),
      preprocess: record,
      roundTripError: roundTrip,
      versions,
      createdAt: new Date().toISOString(),
    };
    written.push(...await writeSynthesis({
      files, contrast: target.contrast, samples: drawn.get(target.contrast)!, saveStd: true, saveSamples: false, like, record, fill: units.floor,
      description: (map) => syntheticDescription({ method: target.run.config.method, contrast: target.contrast, units: units.short, samples: settings.samples }, map),
      sidecar, replaces: plan.replaces.includes(files.image),
    }));
  }
  return written;
}

/**
 * What completing one case means, decided before any sampling: which contrasts are real, which are missing,
 * which run synthesises each, in which order, and whether the outputs are already there. Everything a case
 * can be refused for is found here, so a refusal costs no model evaluations and never leaves a partial case.
 */
import { canonicalOrder, type Contrast } from '../data/index.js';
import type { Case } from '../data/index.js';
import { effectiveAffine, readNiftiHeader } from '../io/nifti/index.js';
import { formatVoxelSize, modelVoxelSize, sameResolution } from '../transforms/index.js';
import type { Precision } from '../nn/index.js';
import { resolveSampler, type SamplerSpec } from '../pipelines/index.js';
import { configHash } from '../runs/index.js';
import type { LoadedRun } from './loadedRun.js';
import type { Placeholder } from './placeholder.js';
import { recipeDifference, type SynthesisRecipe } from './synthesisSidecar.js';
import { earlierSyntheses, isSyntheticHeader, syntheticFiles, type SyntheticFiles } from './syntheticFiles.js';
import { assert } from '../util/index.js';

/** One contrast to synthesise: its run, where it goes, and where each of the run's conditions comes from. */
export interface PlannedTarget {
  readonly contrast: Contrast;
  readonly run: LoadedRun;
  readonly files: SyntheticFiles;
  /** Per condition of the run, in model input order. */
  readonly sources: readonly ConditionSource[];
  /** A run serving several targets (ALDM) translates one real contrast of the case: which, and why that one. */
  readonly translatedFrom?: SourceChoice;
}

/** The source a run serving several targets translates from: the one asked for, or the best of its validation. */
export interface SourceChoice {
  readonly source: Contrast;
  readonly chosenBy: 'option' | 'validation';
  /** Its brain PSNR into the target on the run's sampled validation (`chosenBy: 'validation'`). */
  readonly validationPsnr?: number;
}

/** 'input': a real file of the case; 'synthesised': a contrast synthesised earlier in the order; 'placeholder': neither yet. */
export interface ConditionSource {
  readonly contrast: Contrast;
  readonly from: 'input' | 'synthesised' | 'placeholder';
}

export type CompletionPlan =
  | { readonly status: 'nothing-to-do'; readonly caseId: string }
  | { readonly status: 'already-done'; readonly caseId: string; readonly outputs: readonly string[] }
  | { readonly status: 'refused'; readonly caseId: string; readonly reason: string }
  | {
    readonly status: 'todo';
    readonly caseId: string;
    /** The real contrasts (canonical order) and their files. */
    readonly inputs: Readonly<Partial<Record<Contrast, string>>>;
    /** The fixed completion order. */
    readonly order: readonly PlannedTarget[];
    /** Outputs of an earlier completion that this one replaces (only with `force`). */
    readonly replaces: readonly string[];
  };

export interface PlanOptions {
  /** What a complete case has (the dataset's contrasts). */
  readonly expected: readonly Contrast[];
  /** Where the image for `contrast` is written. */
  readonly outputPath: (contrast: Contrast) => string;
  readonly runs: readonly LoadedRun[];
  readonly force: boolean;
  /** Complete a case even where its voxel size is not the one a run was trained on. */
  readonly allowVoxelSizeMismatch?: boolean;
  /** The source a run serving several targets translates from; default the best of the run's sampled validation. */
  readonly source?: Contrast;
  /** How the case is sampled: a case already done is skipped only where its outputs were made so. */
  readonly sampling: CompletionSampling;
}

/** The settings of a completion that its outputs depend on, besides the runs. */
export interface CompletionSampling {
  readonly sampler: SamplerSpec;
  readonly precision: Precision;
  readonly seed: number;
  readonly samples: number;
  readonly placeholder: Placeholder;
}

/**
 * Which run synthesises each contrast: a run made for one target takes it; a run serving several (ALDM) takes each of
 * its contrasts that no one-target run takes. Two runs of one kind for one contrast are refused.
 */
export function runsByTarget(runs: readonly LoadedRun[]): Map<Contrast, LoadedRun> {
  const byTarget = new Map<Contrast, LoadedRun>();
  const single = runs.filter((run) => run.pipeline.targets === undefined);
  const several = runs.filter((run) => run.pipeline.targets !== undefined);
  for (const group of [single, several]) {
    const claimed = new Map<Contrast, LoadedRun>();
    for (const run of group) {
      for (const target of (run.pipeline.targets as readonly Contrast[] | undefined) ?? [run.config.target]) {
        const other = claimed.get(target);
        assert(other === undefined, () => `runs ${other!.dir} and ${run.dir} both synthesise ${target}; give one run per contrast`);
        claimed.set(target, run);
        if (!byTarget.has(target)) byTarget.set(target, run);
      }
    }
  }
  return byTarget;
}

/**
 * The source `run` (serving several targets) translates into `target` from, among the case's `real` contrasts: the
 * one asked for, or the one whose translation into `target` scored best on the run's sampled validation.
 */
function chooseSource(run: LoadedRun, target: Contrast, real: readonly Contrast[], asked: Contrast | undefined): SourceChoice | string {
  const known = run.pipeline.targets as readonly Contrast[];
  if (asked !== undefined) {
    if (!real.includes(asked)) return `has no real ${asked} to translate from (--source), only ${real.join(', ')}`;
    if (!known.includes(asked)) return `has ${asked} as the source (--source), which run ${run.dir} does not know (it knows ${known.join(', ')})`;
    return { source: asked, chosenBy: 'option' };
  }
  const scores = 'sampledValidation' in run.config ? run.config.sampledValidation?.scores[target] : undefined;
  if (scores === undefined) {
    return `needs a source for ${target} from run ${run.dir}, which records no validation of its translations (trained with `
      + '--val-sample-steps 0, or imported); give the source with --source';
  }
  const candidates = real.filter((contrast) => contrast !== target && scores[contrast] !== undefined);
  if (candidates.length === 0) return `has ${real.join(', ')}, none of which run ${run.dir} translates into ${target}`;
  const best = candidates.reduce((a, b) => (scores[b].psnr > scores[a].psnr ? b : a));
  return { source: best, chosenBy: 'validation', validationPsnr: scores[best].psnr };
}

/**
 * Plans the completion of `c`. A contrast file whose header carries the synthetic mark is an earlier output,
 * not an input. A run conditioned on several contrasts needs at least two real ones: with one, the model would see
 * placeholders for all its other conditions and the result would be the placeholder's echo, not a synthesis. A run
 * serving several targets (ALDM) translates one real contrast, chosen by `chooseSource`.
 *
 * Order: repeatedly the missing contrast whose run needs the fewest conditions that are neither real nor already
 * synthesised (ties in canonical contrast order); each later contrast is conditioned on the earlier syntheses.
 */
export async function planCompletion(c: Case, options: PlanOptions): Promise<CompletionPlan> {
  const caseId = c.id;
  const refuse = (reason: string): CompletionPlan => ({ status: 'refused', caseId, reason });
  const inputs: Partial<Record<Contrast, string>> = {};
  let affine: Float64Array | undefined;
  for (const contrast of canonicalOrder(Object.keys(c.contrasts) as Contrast[])) {
    const path = c.contrasts[contrast]!;
    const header = await readNiftiHeader(path);
    if (isSyntheticHeader(header)) continue;
    inputs[contrast] = path;
    affine ??= effectiveAffine(header);
  }
  const real = canonicalOrder(Object.keys(inputs) as Contrast[]);
  const missing = options.expected.filter((contrast) => !(contrast in inputs));
  if (missing.length === 0) return { status: 'nothing-to-do', caseId };
  const tooFew = () => refuse(`has ${real.length === 0 ? 'no real contrast' : `only one real contrast (${real[0]})`}; completing `
    + `${missing.join(', ')} needs at least two, since a model conditioned on placeholders alone would only echo the placeholder`);
  // A run serving several targets translates from one real contrast; every other run needs two or more.
  if (real.length === 0 || (real.length < 2 && options.runs.every((run) => run.pipeline.targets === undefined))) return tooFew();

  const runOf = runsByTarget(options.runs);
  const noRun = missing.filter((contrast) => !runOf.has(contrast));
  if (noRun.length > 0) {
    const targets = [...runOf.keys()].join(', ');
    return refuse(`is missing ${missing.join(', ')}, but no run given synthesises ${noRun.join(', ')} (the runs synthesise ${targets})`);
  }
  const translated = new Map<Contrast, SourceChoice>();
  for (const contrast of missing.filter((k) => runOf.get(k)!.pipeline.targets !== undefined)) {
    const choice = chooseSource(runOf.get(contrast)!, contrast, real, options.source);
    if (typeof choice === 'string') return refuse(choice);
    translated.set(contrast, choice);
  }
  const conditionsOf = (contrast: Contrast): readonly Contrast[] => {
    const choice = translated.get(contrast);
    return choice !== undefined ? [choice.source] : runOf.get(contrast)!.config.conditions;
  };
  if (real.length < 2 && missing.some((contrast) => conditionsOf(contrast).length > 1)) return tooFew();
  for (const contrast of missing) {
    const run = runOf.get(contrast)!;
    const unknown = conditionsOf(contrast).filter((k) => !real.includes(k) && !missing.includes(k));
    if (unknown.length > 0) {
      return refuse(`needs run ${run.dir} (→ ${contrast}), which is conditioned on ${unknown.join(', ')}, not a contrast of this `
        + `${c.format} case (${options.expected.join(', ')})`);
    }
  }
  for (const contrast of options.allowVoxelSizeMismatch ? [] : missing) {
    const problem = voxelSizeProblem(affine!, runOf.get(contrast)!, `→ ${contrast}`);
    if (problem !== undefined) return refuse(problem);
  }
  const preprocessOf = (contrast: Contrast) => JSON.stringify(runOf.get(contrast)!.config.preprocess);
  const different = missing.find((contrast) => preprocessOf(contrast) !== preprocessOf(missing[0]));
  if (different !== undefined) {
    // Later contrasts are conditioned on earlier syntheses on the model grid, so all of a case's runs must share it.
    return refuse(`needs runs ${runOf.get(missing[0])!.dir} (→ ${missing[0]}) and ${runOf.get(different)!.dir} (→ ${different}), which `
      + 'preprocess differently; a case completed by several runs needs runs trained with one preprocessing');
  }

  const order: PlannedTarget[] = [];
  const done = new Set<Contrast>(real);
  const pending = [...missing];
  while (pending.length > 0) {
    const unmet = (contrast: Contrast) => conditionsOf(contrast).filter((k) => !done.has(k)).length;
    const next = pending.reduce((best, contrast) => (unmet(contrast) < unmet(best) ? contrast : best));
    const choice = translated.get(next);
    order.push({
      contrast: next,
      run: runOf.get(next)!,
      files: syntheticFiles(options.outputPath(next)),
      sources: conditionsOf(next).map((k) => ({
        contrast: k, from: real.includes(k) ? 'input' : done.has(k) ? 'synthesised' : 'placeholder',
      })),
      ...(choice !== undefined && { translatedFrom: choice }),
    });
    done.add(next);
    pending.splice(pending.indexOf(next), 1);
  }

  const earlier = await earlierSyntheses(order.map(({ files }) => files));
  if ('inTheWay' in earlier) return refuse(earlier.inTheWay);
  const { existing } = earlier;
  if (!options.force && existing.length === order.length) {
    // Kept only if made as this completion would make them: another model, sampler or seed is not this one's output.
    for (const target of order) {
      const differs = await recipeDifference(target.files.sidecar, completionRecipe(target, options.sampling));
      if (differs !== undefined) {
        return refuse(`has ${target.files.image} from an earlier completion made otherwise: ${differs}; pass --force to redo the case`);
      }
    }
    return { status: 'already-done', caseId, outputs: existing };
  }
  if (!options.force && existing.length > 0) {
    return refuse(`is partly completed: ${existing.join(', ')} exist(s) from an earlier run but ${
      order.filter(({ files }) => !existing.includes(files.image)).map(({ contrast }) => contrast).join(', ')} do(es) not; `
      + 'pass --force to redo the case');
  }
  return { status: 'todo', caseId, inputs, order, replaces: existing };
}

/** How `target` is synthesised under `sampling`, as its sidecar records it. */
function completionRecipe(target: PlannedTarget, sampling: CompletionSampling): SynthesisRecipe {
  const { run } = target;
  return {
    weightsSha256: run.weightsSha256, configHash: configHash(run.config), firstStage: false,
    sampler: resolveSampler(sampling.sampler, run.config.schedule), precision: sampling.precision, seed: sampling.seed,
    samples: sampling.samples, savesSamples: false, source: target.translatedFrom?.source ?? null,
    placeholder: target.sources.some(({ from }) => from === 'placeholder') ? sampling.placeholder : null,
  };
}

/**
 * Why a scan with `affine` cannot go through `run` (`label` says what the run is for, e.g. `→ t1ce`): its voxel size on
 * the model grid is not the one the run was trained on. Undefined when it is, or when the run records none (imported).
 */
export function voxelSizeProblem(affine: Float64Array, run: LoadedRun, label: string): string | undefined {
  const trained = 'data' in run.config ? run.config.data.voxelSize : undefined;
  const scan = modelVoxelSize(affine, run.config.preprocess);
  if (trained === undefined || sameResolution(scan, trained)) return undefined;
  const spacing = trained.every((mm) => mm === trained[0]) ? `${trained[0]}` : trained.join(',');
  return `comes at ${formatVoxelSize(scan)} on the model grid, but run ${run.dir} (${label}) was trained on ${formatVoxelSize(trained)}, `
    + `and a network sees anatomy at another scale as something else; resample the data (mrsynth data resample --spacing ${spacing}) `
    + 'or pass --allow-voxel-size-mismatch to go ahead anyway';
}

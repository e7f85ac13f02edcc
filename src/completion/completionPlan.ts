/**
 * What completing one case means, decided before any sampling: which contrasts are real, which are missing,
 * which run synthesises each, in which order, and whether the outputs are already there. Everything a case
 * can be refused for is found here, so a refusal costs no model evaluations and never leaves a partial case.
 */
import { canonicalOrder, type Contrast } from '../data/index.js';
import type { Case } from '../data/index.js';
import { effectiveAffine, readNiftiHeader } from '../io/nifti/index.js';
import { formatVoxelSize, modelVoxelSize, sameResolution } from '../transforms/index.js';
import type { LoadedRun } from './loadedRun.js';
import { isSynthesisSidecar } from './synthesisSidecar.js';
import { isSyntheticHeader, syntheticFiles, type SyntheticFiles } from './syntheticFiles.js';
import { pathExists } from '../io/index.js';

/** One contrast to synthesise: its run, where it goes, and where each of the run's conditions comes from. */
export interface PlannedTarget {
  readonly contrast: Contrast;
  readonly run: LoadedRun;
  readonly files: SyntheticFiles;
  /** Per condition of the run, in model input order. */
  readonly sources: readonly ConditionSource[];
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
}

/**
 * Plans the completion of `c`. A contrast file whose header carries the synthetic mark is an earlier output,
 * not an input. At least two real contrasts are needed: with one, the model would see placeholders for all its
 * other conditions and the result would be the placeholder's echo, not a synthesis.
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
  if (real.length < 2) {
    return refuse(`has ${real.length === 0 ? 'no real contrast' : `only one real contrast (${real[0]})`}; completing ${missing.join(', ')} `
      + 'needs at least two, since a model conditioned on placeholders alone would only echo the placeholder');
  }

  const runOf = new Map(options.runs.map((run) => [run.config.target, run]));
  const noRun = missing.filter((contrast) => !runOf.has(contrast));
  if (noRun.length > 0) {
    const targets = options.runs.map((run) => run.config.target).join(', ');
    return refuse(`is missing ${missing.join(', ')}, but no run given synthesises ${noRun.join(', ')} (the runs synthesise ${targets})`);
  }
  for (const contrast of missing) {
    const run = runOf.get(contrast)!;
    const unknown = run.config.conditions.filter((k) => !real.includes(k) && !missing.includes(k));
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
    const unmet = (contrast: Contrast) => runOf.get(contrast)!.config.conditions.filter((k) => !done.has(k)).length;
    const next = pending.reduce((best, contrast) => (unmet(contrast) < unmet(best) ? contrast : best));
    const run = runOf.get(next)!;
    order.push({
      contrast: next,
      run,
      files: syntheticFiles(options.outputPath(next)),
      sources: run.config.conditions.map((k) => ({
        contrast: k, from: real.includes(k) ? 'input' : done.has(k) ? 'synthesised' : 'placeholder',
      })),
    });
    done.add(next);
    pending.splice(pending.indexOf(next), 1);
  }

  for (const { files } of order) {
    if (await pathExists(files.sidecar) && !await isSynthesisSidecar(files.sidecar)) {
      return refuse(`would write ${files.sidecar}, which exists and is not a sidecar mrsynth wrote; it is never replaced, not even with --force`);
    }
  }
  const existing: string[] = [];
  for (const { files } of order) {
    if (!await pathExists(files.image)) continue;
    if (!isSyntheticHeader(await readNiftiHeader(files.image))) {
      return refuse(`would write ${files.image}, which exists and was not written by mrsynth (its header has no synthetic mark); `
        + 'it is never replaced, not even with --force');
    }
    existing.push(files.image);
  }
  if (!options.force && existing.length === order.length) return { status: 'already-done', caseId, outputs: existing };
  if (!options.force && existing.length > 0) {
    return refuse(`is partly completed: ${existing.join(', ')} exist(s) from an earlier run but ${
      order.filter(({ files }) => !existing.includes(files.image)).map(({ contrast }) => contrast).join(', ')} do(es) not; `
      + 'pass --force to redo the case');
  }
  return { status: 'todo', caseId, inputs, order, replaces: existing };
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

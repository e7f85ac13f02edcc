import { join } from 'node:path';
import { Command, Option } from 'commander';
import { readNifti, writeNifti, type NiftiImage } from '../io/nifti/index.js';
import { canonicalOrder, parseContrast, type Contrast } from '../data/index.js';
import type { Case } from '../data/index.js';
import { discoverDataset } from '../data/index.js';
import { compareGrids } from '../data/index.js';
import { fmtShape } from '../util/index.js';
import { applyAffineMap, clipToRange, fitAffineBaseline, fitPooledAffineMap, type PooledCase } from '../baselines/index.js';
import { NORMALISATIONS, toModelUnits, toRunUnits, type Normalisation, type RunUnits } from '../metrics/index.js';
import { readRunUnits } from './runUnits.js';
import { translationFileName } from '../metrics/index.js';
import { makeFolder } from '../io/index.js';

interface AffineOptions {
  case?: string;
  data?: string;
  target?: Contrast[];
  out?: string;
  force?: boolean;
  normalise?: Normalisation;
  normaliseAs?: string;
  source?: Contrast;
  fitOn?: string;
}

/** A map fitted once on a data set's pooled brain voxels (`--fit-on`). */
interface TrainedMap {
  readonly source: Contrast;
  readonly a: number;
  readonly b: number;
  readonly cases: number;
  readonly voxels: number;
}

/** A case's contrasts as read, and in the units the fit is made in. */
interface CaseUnits {
  readonly images: Map<Contrast, NiftiImage>;
  readonly units: Map<Contrast, Float32Array>;
}

/** `mrsynth baseline affine`: the least-squares intensity-map floor, written like any synthesis. */
export function registerBaselineCommand(program: Command): void {
  const baseline = program.command('baseline').description('reference baselines every synthesis model must beat');
  baseline.command('affine')
    .description('per case and target: the best single-source affine intensity map a·x + b, fitted by least squares inside '
      + 'the brain mask (target ≠ 0) of that very case; written as float32 NIfTI on the inputs\' grid, named '
      + '<case>_<target>_from-<source>.nii.gz (BraTS 2021; <case>-<target>-from-<source> for BraTS 2023 and IXI)')
    .option('--case <dir>', 'one case folder')
    .option('--data <dir>', 'a dataset folder (every case)')
    .option('--target <contrasts>', 'comma-separated contrasts to predict; default every contrast of each case', parseTargets)
    .option('--out <path>', 'output folder (default: the current folder); with --case and one target, may name the .nii.gz file')
    .option('--force', 'replace output files that exist')
    .addOption(new Option('--normalise <model>', "fit and write in a model's intensity units: every contrast mapped as that "
      + "model's loader does (cwdm: 0.1/99.9 percentiles to [0, 1], and the map clipped to [0, 1] as every cWDM synthesis is; "
      + 'aldm: 0.5/99.5 percentiles to [-1, 1]), so that eval --normalise compares it like a synthesis').choices(NORMALISATIONS))
    .option('--normalise-as <run>', "fit and write in a run folder's (or builtin:<name>'s) model units: every contrast through the run's own preprocessing "
      + 'and back (clipped to its range where the run clips), so that eval --normalise-as compares it like that run\'s syntheses')
    .option('--source <contrast>', 'map from this contrast only (a one-source translation, as ALDM makes), not the best of all',
      (value) => parseContrast(value, '--source'))
    .option('--fit-on <dataset>', "fit one map per target on this data set's brain voxels pooled, then apply it to --case/--data "
      + 'without reading their targets: the floor for a model trained on that data set (the default fits each case on itself)')
    .action(async (opts: AffineOptions) => {
      const who = 'mrsynth baseline affine';
      if (opts.normalise !== undefined && opts.normaliseAs !== undefined) {
        throw new Error(`${who}: give --normalise ${opts.normalise} or --normalise-as ${opts.normaliseAs}, not both`);
      }
      const runUnits = opts.normaliseAs === undefined ? undefined : await readRunUnits(opts.normaliseAs);
      if ((opts.case === undefined) === (opts.data === undefined)) {
        throw new Error(`${who}: give exactly one of --case DIR and --data DIR, got ${opts.case === undefined ? 'neither' : 'both'}`);
      }
      const dataset = await discoverDataset((opts.case ?? opts.data)!);
      if (opts.case !== undefined && dataset.cases.length !== 1) {
        throw new Error(`${who}: --case ${opts.case} holds ${dataset.cases.length} cases (${dataset.cases.map((c) => c.id).join(', ')}); use --data`);
      }
      const single = opts.case !== undefined && opts.target?.length === 1;
      const outFile = single && opts.out?.toLowerCase().endsWith('.nii.gz') ? opts.out : undefined;
      const outDir = outFile === undefined ? (opts.out ?? '.') : undefined;
      if (outDir !== undefined) await makeFolder(outDir);
      const maps = opts.fitOn === undefined ? undefined
        : await fitTrainedMaps(opts.fitOn, opts.target ?? dataset.contrasts, opts, runUnits);
      for (const c of dataset.cases) await baselineCase(c, opts, runUnits, outFile, outDir, maps);
    });
}

/** Reads a case's contrasts and maps them into the units the fit is made in. */
async function readCaseUnits(c: Case, opts: AffineOptions, runUnits: RunUnits | undefined): Promise<CaseUnits> {
  const present = canonicalOrder(Object.keys(c.contrasts) as Contrast[]);
  const images = new Map<Contrast, NiftiImage>();
  for (const contrast of present) images.set(contrast, await readNifti(c.contrasts[contrast]!));
  const units = new Map([...images].map(([contrast, image]) => [contrast,
    runUnits !== undefined ? toRunUnits(image.volume, runUnits).data
      : opts.normalise === undefined ? image.volume.data : toModelUnits(image.volume, opts.normalise).data]));
  return { images, units };
}

/** The sources a map to `target` may come from: `--source`, or every other contrast there is. */
function sourcesFor(target: Contrast, present: readonly Contrast[], opts: AffineOptions, who: string): Contrast[] {
  if (opts.source === undefined) return present.filter((s) => s !== target);
  if (opts.source === target) throw new Error(`${who}: --source ${opts.source} is the target itself`);
  if (!present.includes(opts.source)) throw new Error(`${who}: has no ${opts.source} to map from (it has ${present.join(', ')})`);
  return [opts.source];
}

/** One map per target, fitted on the pooled brain voxels (target ≠ 0) of every case of `dataset` that has the target. */
async function fitTrainedMaps(dataset: string, targets: readonly Contrast[], opts: AffineOptions, runUnits: RunUnits | undefined):
  Promise<Map<Contrast, TrainedMap>> {
  const who = `mrsynth baseline affine: --fit-on ${dataset}`;
  const training = await discoverDataset(dataset);
  const pooled = new Map<Contrast, PooledCase[]>(targets.map((t) => [t, []]));
  for (const c of training.cases) {
    const { images, units } = await readCaseUnits(c, opts, runUnits);
    const present = [...images.keys()];
    for (const target of targets) {
      const targetImage = images.get(target);
      if (targetImage === undefined || (opts.source !== undefined && !present.includes(opts.source))) continue;
      const sources = sourcesFor(target, present, opts, `${who}: case ${c.id}`);
      for (const s of sources) assertSameGrid(images.get(s)!, targetImage, `${who}: case ${c.id}`);
      // Only the brain voxels are kept, so a data set of any size pools into what its brains hold.
      const brain = targetImage.volume.data.reduce<number[]>((at, v, i) => (v !== 0 && at.push(i), at), []);
      const pick = (data: Float32Array) => Float32Array.from(brain, (i) => data[i]);
      pooled.get(target)!.push({
        sources: Object.fromEntries(sources.map((s) => [s, pick(units.get(s)!)])), target: pick(units.get(target)!),
        mask: new Uint8Array(brain.length).fill(1),
      });
    }
  }
  const maps = new Map<Contrast, TrainedMap>();
  for (const [target, cases] of pooled) {
    if (cases.length === 0) throw new Error(`${who}: no case there has ${target}${opts.source === undefined ? '' : ` and ${opts.source}`} to fit a map on`);
    const fit = fitPooledAffineMap(cases);
    maps.set(target, { source: fit.source, a: fit.a, b: fit.b, cases: cases.length, voxels: fit.voxels });
    process.stdout.write(`trained map ${target} ← ${fit.source}: a=${fit.a.toPrecision(6)} b=${fit.b.toPrecision(6)}, `
      + `fitted on ${fit.voxels} brain voxels of ${cases.length} case(s) of ${dataset}\n`);
  }
  return maps;
}

async function baselineCase(c: Case, opts: AffineOptions, runUnits: RunUnits | undefined, outFile: string | undefined,
  outDir: string | undefined, maps?: Map<Contrast, TrainedMap>): Promise<void> {
  const who = `mrsynth baseline affine: case ${c.id}`;
  const { images, units } = await readCaseUnits(c, opts, runUnits);
  const present = [...images.keys()];
  const targets = opts.target ?? present;
  const intensity = runUnits?.preprocess.steps.find((step) => step.kind === 'intensity');
  const clipTo: readonly [number, number] | undefined = opts.normalise === 'cwdm' ? [0, 1]
    : intensity?.kind === 'intensity' && intensity.clip ? intensity.range : undefined;
  const unitsNote = opts.normalise !== undefined ? ` ${opts.normalise} units` : runUnits !== undefined ? ' run units' : '';
  for (const target of targets) {
    const trained = maps?.get(target);
    let fit: { source: Contrast; a: number; b: number; prediction: Float32Array; residual?: number };
    let like: NiftiImage;
    let mask: Uint8Array;
    if (trained !== undefined) {
      // The trained map never reads the case's target: the brain is where its source is non-zero.
      const sourceImage = images.get(trained.source);
      if (sourceImage === undefined) throw new Error(`${who}: has no ${trained.source}, the source of the trained map to ${target}`);
      like = sourceImage;
      mask = Uint8Array.from(sourceImage.volume.data, (v) => Number(v !== 0));
      fit = { ...trained, prediction: applyAffineMap(units.get(trained.source)!, trained.a, trained.b, mask) };
    } else {
      const targetImage = images.get(target);
      if (targetImage === undefined) {
        // The fit needs the target itself: this baseline is an oracle bound, not a model.
        throw new Error(`${who}: has no ${target} (it has ${present.join(', ')}); the affine baseline is fitted to the target on the same `
          + 'case (--fit-on DATASET fits it on another data set instead)');
      }
      const sources = sourcesFor(target, present, opts, who);
      if (sources.length === 0) throw new Error(`${who}: ${target} is its only contrast; there is no source to map from`);
      for (const s of sources) assertSameGrid(images.get(s)!, targetImage, who);
      // The brain is where the scan itself is non-zero, whatever units the fit is made in.
      like = targetImage;
      mask = Uint8Array.from(targetImage.volume.data, (v) => Number(v !== 0));
      fit = fitAffineBaseline(Object.fromEntries(sources.map((s) => [s, units.get(s)!])), units.get(target)!, mask);
    }
    const prediction = clipTo === undefined ? fit.prediction : clipToRange(fit.prediction, clipTo);
    const path = outFile ?? join(outDir!, translationFileName(c, target, fit.source));
    await writeNifti(path, { ...like.volume, data: prediction }, {
      like: like.header, datatype: 'float32', overwrite: opts.force,
      description: `mrsynth affine ${trained === undefined ? 'baseline' : 'trained map'} ${target}=${fit.a.toPrecision(6)}*${fit.source}+${
        fit.b.toPrecision(6)}${unitsNote}`.slice(0, 80),
    });
    const rms = fit.residual === undefined ? '' : ` rms=${Math.sqrt(fit.residual / Math.max(1, mask.reduce((n, m) => n + m, 0))).toPrecision(4)}`;
    process.stdout.write(`${c.id} ${target} ← ${fit.source}: a=${fit.a.toPrecision(6)} b=${fit.b.toPrecision(6)}${rms} → ${path}\n`);
  }
}

function assertSameGrid(source: NiftiImage, target: NiftiImage, who: string): void {
  const a = source.volume;
  const b = target.volume;
  const grid = compareGrids({ shape: [...a.shape], affine: a.affine }, { shape: [...b.shape], affine: b.affine });
  if (!grid.same) {
    throw new Error(`${who}: ${source.source} (${fmtShape(a.shape)}) and ${target.source} (${fmtShape(b.shape)}) are not on one grid `
      + `(affines differ by up to ${grid.maxLinearDifference} and ${grid.maxTranslationDifference} mm); a voxel-wise map needs co-registered contrasts`);
  }
}

function parseTargets(value: string): Contrast[] {
  return value.split(',').map((name) => parseContrast(name.trim(), '--target'));
}

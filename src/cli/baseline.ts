import { join } from 'node:path';
import { Command, Option } from 'commander';
import { readNifti, writeNifti, type NiftiImage } from '../io/nifti/index.js';
import { canonicalOrder, parseContrast, type Contrast } from '../data/index.js';
import type { Case } from '../data/index.js';
import { discoverDataset } from '../data/index.js';
import { compareGrids } from '../data/index.js';
import { fmtShape } from '../util/index.js';
import { clipToRange, fitAffineBaseline } from '../baselines/index.js';
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
    .option('--normalise-as <run>', "fit and write in a run folder's model units: every contrast through the run's own preprocessing "
      + 'and back (clipped to its range where the run clips), so that eval --normalise-as compares it like that run\'s syntheses')
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
      for (const c of dataset.cases) await baselineCase(c, opts, runUnits, outFile, outDir);
    });
}

async function baselineCase(c: Case, opts: AffineOptions, runUnits: RunUnits | undefined, outFile: string | undefined,
  outDir: string | undefined): Promise<void> {
  const who = `mrsynth baseline affine: case ${c.id}`;
  const present = canonicalOrder(Object.keys(c.contrasts) as Contrast[]);
  const targets = opts.target ?? present;
  const images = new Map<Contrast, NiftiImage>();
  for (const contrast of present) images.set(contrast, await readNifti(c.contrasts[contrast]!));
  const units = new Map([...images].map(([contrast, image]) => [contrast,
    runUnits !== undefined ? toRunUnits(image.volume, runUnits).data
      : opts.normalise === undefined ? image.volume.data : toModelUnits(image.volume, opts.normalise).data]));
  const intensity = runUnits?.preprocess.steps.find((step) => step.kind === 'intensity');
  const clipTo: readonly [number, number] | undefined = opts.normalise === 'cwdm' ? [0, 1]
    : intensity?.kind === 'intensity' && intensity.clip ? intensity.range : undefined;
  for (const target of targets) {
    const targetImage = images.get(target);
    if (targetImage === undefined) {
      // The fit needs the target itself: this baseline is an oracle bound, not a model.
      throw new Error(`${who}: has no ${target} (it has ${present.join(', ')}); the affine baseline is fitted to the target on the same case`);
    }
    const sources = present.filter((s) => s !== target);
    if (sources.length === 0) throw new Error(`${who}: ${target} is its only contrast; there is no source to map from`);
    for (const s of sources) assertSameGrid(images.get(s)!, targetImage, who);
    // The brain is where the scan itself is non-zero, whatever units the fit is made in.
    const mask = Uint8Array.from(targetImage.volume.data, (v) => Number(v !== 0));
    const fit = fitAffineBaseline(Object.fromEntries(sources.map((s) => [s, units.get(s)!])), units.get(target)!, mask);
    const prediction = clipTo === undefined ? fit.prediction : clipToRange(fit.prediction, clipTo);
    const path = outFile ?? join(outDir!, translationFileName(c, target, fit.source));
    await writeNifti(path, { ...targetImage.volume, data: prediction }, {
      like: targetImage.header, datatype: 'float32', overwrite: opts.force,
      description: `mrsynth affine baseline ${target}=${fit.a.toPrecision(6)}*${fit.source}+${fit.b.toPrecision(6)}${
        opts.normalise !== undefined ? ` ${opts.normalise} units` : runUnits !== undefined ? ' run units' : ''}`.slice(0, 80),
    });
    process.stdout.write(`${c.id} ${target} ← ${fit.source}: a=${fit.a.toPrecision(6)} b=${fit.b.toPrecision(6)} `
      + `rms=${Math.sqrt(fit.residual / Math.max(1, mask.reduce((n, m) => n + m, 0))).toPrecision(4)} → ${path}\n`);
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

import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFileAtomic, makeFolder } from '../io/index.js';
import { readNiftiWithSha256, type NiftiImage } from '../io/nifti/index.js';
import type { Case } from '../data/index.js';
import { discoverDataset } from '../data/index.js';
import { compareGrids } from '../data/index.js';
import { isNiftiFileName } from '../data/index.js';
import { fmtShape } from '../util/index.js';
import type { Volume } from '../volume/index.js';
import {
  RESULTS_CSV, RESULTS_JSON, parseResultsJson, resultsToJson, scoresToCsv, type CaseScore, type EvaluationResults, type ScoredFile,
} from '../metrics/index.js';
import { comparableIntensities, NORMALISATIONS, type Normalisation, type RunUnits } from '../metrics/index.js';
import { readRunUnits } from './runUnits.js';
import { parseNonNegativeInteger } from './optionParsers.js';
import { SIDECAR_FORMAT } from '../completion/index.js';
import { REGIONS, regionMasks, type Region } from '../metrics/index.js';
import { parsePredictionName, type PredictionName } from '../metrics/index.js';
import { METRICS, scoreRegions, type MetricScores } from '../metrics/index.js';
import { renderScoreMatrix } from '../metrics/index.js';
import { SSIM_WINDOWS, type SsimWindow } from '../metrics/index.js';
import { comparePaired, summariseScores, type ScoreSummary } from '../metrics/index.js';

export interface EvalOptions {
  pred?: string;
  ref?: string;
  seg?: string;
  mask: Region[];
  dataRange?: number;
  normalise?: Normalisation;
  normaliseAs?: string;
  /** Read from --normalise-as once, before any case is scored. */
  runUnits?: RunUnits;
  window: SsimWindow;
  maskBeforeSsim?: boolean;
  out?: string;
  matrix?: boolean;
  compare?: string[];
  seed: number;
  resamples: number;
  force?: boolean;
}

const MATRIX_MD = 'matrix.md';
const COMPARE_JSON = 'compare.json';

/**
 * `mrsynth eval`: scores predictions against references. Folders are matched by file name: a prediction is
 * `<case>_<target>.nii.gz` (a synthesis, named like the contrast it replaces) or `<case>_<target>_from-<source>.nii.gz`
 * (a translation; see metrics/predictionName.ts for the BraTS 2023 and IXI forms), the reference folder is a dataset.
 */
export function registerEvalCommand(program: Command): void {
  program.command('eval')
    .description('score predictions against references (MSE, MAE, PSNR, NMSE, 3D SSIM) over whole/brain/tumour/non-tumour '
      + 'regions; per-case CSV and JSON, mean ± std and a bootstrap 95% interval per contrast')
    .option('--pred <path>', 'a prediction file, or a folder of <case>_<target>[_from-<source>].nii.gz files')
    .option('--ref <path>', 'the reference file, or the reference dataset folder (BraTS 2021/2023, IXI, manifest)')
    .option('--seg <file>', "tumour segmentation for a single pair (a dataset's cases use their own _seg/-seg file)")
    .option('--mask <regions>', `comma-separated regions: none (whole volume), brain, tumour, nontumour`, parseRegions, ['whole', 'brain'] as Region[])
    .option('--data-range <R>', 'data range for PSNR and SSIM; required unless both volumes lie in [0, 1] or --normalise is given', parsePositive)
    .addOption(new Option('--normalise <model>', "map the reference to the model's intensities first: cwdm → [0, 1] (R 1), aldm → [-1, 1] (R 2)")
      .choices(NORMALISATIONS))
    .option('--normalise-as <run>', "map the reference into a run folder's (or builtin:<name>'s) model units: through the run's own preprocessing "
      + '(percentiles over its crop/pad box) and back onto the case grid, as complete writes that run\'s syntheses; R = its range\'s span')
    .addOption(new Option('--window <kind>', 'SSIM window: gaussian (σ 1.5, 11³, biased covariance) or uniform (7³, sample covariance)')
      .choices(SSIM_WINDOWS).default('gaussian'))
    .option('--mask-before-ssim', 'zero both volumes outside each region before computing its SSIM map')
    .option('--out <dir>', `write ${RESULTS_CSV} and ${RESULTS_JSON} (and ${MATRIX_MD}, ${COMPARE_JSON}) here`)
    .option('--matrix', 'print (and with --out, write) the source × target matrix of translations as Markdown')
    .option('--compare <runs...>', `RUN_A RUN_B: paired differences A − B of two earlier runs (folders holding ${RESULTS_JSON}, or the files)`)
    .option('--seed <int>', 'seed of the bootstrap', parseNonNegativeInteger, 0)
    .option('--resamples <int>', 'bootstrap resamples', parseNonNegativeInteger, 10_000)
    .option('--force', 'replace result files that already exist in --out')
    .action(async (opts: EvalOptions) => {
      if (opts.compare) await compareRuns(opts);
      else await evaluate(opts);
    });
}

/** Scores, prints and writes one run; sets a failing exit code when any prediction or case went unmatched. */
async function evaluate(opts: EvalOptions): Promise<void> {
  const who = 'mrsynth eval';
  if (opts.normaliseAs !== undefined && opts.normalise !== undefined) {
    throw new Error(`${who}: give --normalise ${opts.normalise} (a model's loader) or --normalise-as ${opts.normaliseAs} (a run's preprocessing), not both`);
  }
  if (opts.normaliseAs !== undefined) opts.runUnits = await readRunUnits(opts.normaliseAs);
  if (opts.pred === undefined || opts.ref === undefined) {
    throw new Error(`${who}: give --pred and --ref (or --compare RUN_A RUN_B); got --pred ${opts.pred ?? '(none)'} and --ref ${opts.ref ?? '(none)'}`);
  }
  const [predIsDir, refIsDir] = await Promise.all([isDirectory(opts.pred, who), isDirectory(opts.ref, who)]);
  if (!predIsDir && !refIsDir) {
    const { rows, scores } = await scoreSinglePair(opts.pred, opts.ref, opts);
    process.stdout.write(formatPair(scores));
    if (opts.out) await writeResults(opts, { settings: settingsOf(opts), rows }, summariseScores(rows, bootstrapOf(opts)));
    return;
  }
  if (opts.seg !== undefined) throw new Error(`${who}: --seg applies to a single pair of files; a dataset's cases use their own segmentations`);
  if (!refIsDir) throw new Error(`${who}: --pred ${opts.pred} is a folder, so --ref must be a dataset folder, but it is a file`);
  const { rows, unmatched } = await scoreDataset(opts.pred, predIsDir, opts.ref, opts);
  const summaries = summariseScores(rows, bootstrapOf(opts));
  process.stdout.write(formatSummaries(summaries, `${rows.length === 0 ? 'no' : new Set(rows.map((r) => r.caseId)).size} case(s) scored`));
  if (opts.matrix) process.stdout.write(`\n${renderScoreMatrix(summaries, opts.mask[0])}`);
  if (opts.out) await writeResults(opts, { settings: settingsOf(opts), rows }, summaries);
  if (unmatched.length > 0) {
    process.stderr.write(`${who}: ${unmatched.length} unmatched:\n${unmatched.map((u) => `  ${u}\n`).join('')}`);
    process.exitCode = 1;
  }
}

/**
 * The mean a file is a sample or the standard deviation of (`<name>_sample-K.nii.gz`, `<name>_std.nii.gz`, as
 * --save-samples writes them beside `<name>.nii.gz`), where that mean is among `paths`; otherwise undefined.
 */
function companionOf(path: string, paths: ReadonlySet<string>): string | undefined {
  const match = /^(.*)_(?:std|sample-\d+)(\.nii(?:\.gz)?)$/i.exec(path);
  const mean = match === null ? undefined : `${match[1]}${match[2]}`;
  return mean !== undefined && paths.has(mean) ? mean : undefined;
}

interface PredictionFile extends PredictionName {
  readonly path: string;
}

/**
 * Scores every prediction whose name parses against the matching case of the reference dataset. Unmatched are:
 * prediction files whose name does not parse, whose case is not in the dataset or whose target the case lacks,
 * and reference cases no prediction was made for.
 */
async function scoreDataset(pred: string, predIsDir: boolean, ref: string, opts: EvalOptions): Promise<{ rows: CaseScore[]; unmatched: string[] }> {
  const dataset = await discoverDataset(ref);
  const cases = new Map(dataset.cases.map((c) => [c.id, c]));
  const unmatched: string[] = [];
  const byCase = new Map<string, PredictionFile[]>();
  const paths = predIsDir ? await listNifti(resolve(pred)) : [resolve(pred)];
  const listed = new Set(paths);
  const companions = new Set(paths.filter((path) => companionOf(path, listed) !== undefined));
  if (companions.size > 0) {
    process.stderr.write(`eval: left out ${companions.size} file(s) that are the samples or standard deviation of a mean scored beside them `
      + '(translate or complete with --save-samples)\n');
  }
  for (const path of paths.filter((p) => !companions.has(p))) {
    const name = parsePredictionName(basename(path));
    if (name === undefined) { unmatched.push(`${path}: not named <case>_<target>[_from-<source>].nii.gz (or the BraTS 2023/IXI forms)`); continue; }
    const c = cases.get(name.caseId);
    if (c === undefined) { unmatched.push(`${path}: case ${name.caseId} is not in ${dataset.root}`); continue; }
    if (c.contrasts[name.target] === undefined) { unmatched.push(`${path}: case ${name.caseId} has no ${name.target} reference`); continue; }
    byCase.set(c.id, [...(byCase.get(c.id) ?? []), { ...name, path }]);
  }
  for (const c of dataset.cases) if (!byCase.has(c.id)) unmatched.push(`${c.id}: no prediction`);
  const rows: CaseScore[] = [];
  let done = 0;
  for (const [caseId, predictions] of byCase) {
    rows.push(...await scoreCase(cases.get(caseId)!, predictions, opts));
    process.stderr.write(`scored ${caseId} (${++done}/${byCase.size})\n`);
  }
  return { rows, unmatched };
}

async function scoreCase(c: Case, predictions: readonly PredictionFile[], opts: EvalOptions): Promise<CaseScore[]> {
  const seg = opts.mask.some((r) => r === 'tumour' || r === 'nontumour') && c.seg !== undefined ? await readScored(c.seg) : undefined;
  const rows: CaseScore[] = [];
  const references = new Map<string, Scored>();
  for (const p of predictions) {
    const refPath = c.contrasts[p.target]!;
    const ref = references.get(refPath) ?? await readScored(refPath);
    references.set(refPath, ref);
    const pred = await readScored(p.path);
    const scores = scoreVolumes(pred.image.volume, ref.image.volume, seg?.image.volume, opts, { pred: p.path, ref: refPath, seg: c.seg });
    const files = { pred: pred.file, ref: ref.file, ...(seg && { seg: seg.file }), producedBy: await producerOf(p.path, pred.image) };
    for (const [region, s] of scores) rows.push({ caseId: c.id, target: p.target, ...(p.source ? { source: p.source } : {}), region, scores: s, files });
  }
  return rows;
}

async function scoreSinglePair(predPath: string, refPath: string, opts: EvalOptions): Promise<{ rows: CaseScore[]; scores: Map<Region, MetricScores> }> {
  const [pred, ref, seg] = await Promise.all([
    readScored(predPath), readScored(refPath), opts.seg === undefined ? undefined : readScored(opts.seg),
  ]);
  const scores = scoreVolumes(pred.image.volume, ref.image.volume, seg?.image.volume, opts, { pred: predPath, ref: refPath, seg: opts.seg });
  const name = parsePredictionName(basename(predPath)) ?? parsePredictionName(basename(refPath));
  if (name === undefined && opts.out !== undefined) {
    throw new Error(`mrsynth eval: --out needs the case and contrast, but neither ${basename(predPath)} nor ${basename(refPath)} is named `
      + '<case>_<contrast>.nii.gz; the figures above are not written');
  }
  const files = { pred: pred.file, ref: ref.file, ...(seg && { seg: seg.file }), producedBy: await producerOf(predPath, pred.image) };
  const rows = name === undefined ? [] : [...scores].map(([region, s]): CaseScore =>
    ({ caseId: name.caseId, target: name.target, ...(name.source ? { source: name.source } : {}), region, scores: s, files }));
  return { rows, scores };
}

interface Scored {
  readonly image: NiftiImage;
  readonly file: ScoredFile;
}

/** A NIfTI file with the SHA-256 of the very bytes that were scored. */
async function readScored(path: string): Promise<Scored> {
  const { image, sha256 } = await readNiftiWithSha256(path);
  return { image, file: { path: resolve(path), sha256 } };
}

/**
 * What made a prediction: the run (folder or builtin:<name>) its synthesis sidecar names, else the description an
 * mrsynth baseline wrote into the header; null when neither says. An unreadable sidecar is a missing answer, not an error:
 * eval scores files, and the sidecar only labels them.
 */
async function producerOf(predPath: string, image: NiftiImage): Promise<string | null> {
  const sidecar = predPath.replace(/\.nii(\.gz)?$/i, '.json');
  const run = await fs.readFile(sidecar, 'utf8').then((text) => {
    const parsed = JSON.parse(text) as { format?: unknown; model?: { run?: unknown } };
    return parsed.format === SIDECAR_FORMAT && typeof parsed.model?.run === 'string' ? parsed.model.run : null;
  }, () => null).catch(() => null);
  if (run !== null) return run;
  const description = image.header.descrip.trim();
  return description.startsWith('mrsynth ') ? description : null;
}

/** Checks that the grids agree, picks the data range, builds the masks from the raw reference and scores. */
function scoreVolumes(
  pred: Volume, ref: Volume, seg: Volume | undefined, opts: EvalOptions, paths: { pred: string; ref: string; seg?: string },
): Map<Region, MetricScores> {
  const context = `mrsynth eval: ${paths.pred} vs ${paths.ref}`;
  assertSameGrid(pred, ref, context, paths.pred, paths.ref);
  if (seg !== undefined) assertSameGrid(seg, ref, context, paths.seg!, paths.ref);
  const { ref: comparable, dataRange } = comparableIntensities(pred, ref,
    { dataRange: opts.dataRange, normalise: opts.normalise, normaliseAs: opts.runUnits }, context);
  const masks = regionMasks(opts.mask, ref.data, seg?.data, context);
  return scoreRegions(pred, comparable, masks, { dataRange, window: opts.window, maskBeforeSsim: opts.maskBeforeSsim });
}

/** Same shape and the same affine within the dataset tolerance; NIfTI form codes are deliberately not compared. */
function assertSameGrid(a: Volume, b: Volume, context: string, aPath: string, bPath: string): void {
  const grid = compareGrids({ shape: [...a.shape], affine: a.affine }, { shape: [...b.shape], affine: b.affine });
  if (!grid.same) {
    throw new Error(`${context}: ${aPath} (${fmtShape(a.shape)}) and ${bPath} (${fmtShape(b.shape)}) are not on one grid: `
      + `${grid.shapesEqual ? '' : 'shapes differ; '}affines differ by up to ${grid.maxLinearDifference} (3x3 part) and `
      + `${grid.maxTranslationDifference} mm (translation); resample the prediction onto the reference grid first`);
  }
}

async function compareRuns(opts: EvalOptions): Promise<void> {
  const who = 'mrsynth eval --compare';
  const runs = opts.compare!;
  if (runs.length !== 2) throw new Error(`${who}: takes exactly two runs RUN_A RUN_B, got ${runs.length} (${runs.join(' ')})`);
  if (opts.pred !== undefined || opts.ref !== undefined) throw new Error(`${who}: compares two finished runs; drop --pred/--ref`);
  const [a, b] = await Promise.all(runs.map(readRun));
  const { summaries, unmatched } = comparePaired(a.rows, b.rows, bootstrapOf(opts));
  process.stdout.write(formatSummaries(summaries, `paired differences A − B (A = ${runs[0]}, B = ${runs[1]})`));
  if (opts.out) {
    await writeOutput(opts, COMPARE_JSON, resultsToJson({ settings: { ...settingsOf(opts), runs }, rows: [] }, { summaries, unmatched }));
  }
  if (unmatched.length > 0) {
    process.stderr.write(`${who}: ${unmatched.length} row(s) in one run only:\n${unmatched.map((u) => `  ${u}\n`).join('')}`);
    process.exitCode = 1;
  }
}

async function readRun(run: string): Promise<EvaluationResults> {
  const path = (await isDirectory(run, 'mrsynth eval --compare')) ? join(run, RESULTS_JSON) : run;
  const text = await fs.readFile(path, 'utf8').catch((error: Error) => {
    throw new Error(`mrsynth eval --compare: cannot read ${path}: ${error.message}`);
  });
  return parseResultsJson(text, path);
}

async function writeResults(opts: EvalOptions, results: EvaluationResults, summaries: readonly ScoreSummary[]): Promise<void> {
  await writeOutput(opts, RESULTS_CSV, scoresToCsv(results.rows));
  await writeOutput(opts, RESULTS_JSON, resultsToJson(results, { summaries }));
  if (opts.matrix) await writeOutput(opts, MATRIX_MD, renderScoreMatrix(summaries, opts.mask[0]));
}

async function writeOutput(opts: EvalOptions, name: string, text: string): Promise<void> {
  const path = join(opts.out!, name);
  await makeFolder(opts.out!);
  if (!opts.force && await fs.stat(path).then(() => true, () => false)) {
    throw new Error(`mrsynth eval: ${path} exists; pass --force to replace it, or choose another --out`);
  }
  await writeFileAtomic(path, new TextEncoder().encode(text));
  process.stderr.write(`wrote ${path}\n`);
}

function formatPair(scores: ReadonlyMap<Region, MetricScores>): string {
  const lines = [`region      ${METRICS.map((m) => m.padStart(12)).join('')}`];
  for (const [region, s] of scores) lines.push(`${region.padEnd(12)}${METRICS.map((m) => formatNumber(s[m]).padStart(12)).join('')}`);
  return `${lines.join('\n')}\n`;
}

function formatSummaries(summaries: readonly ScoreSummary[], title: string): string {
  const lines = [`${title}; mean ± std (ddof 1), 95% bootstrap interval of the mean`];
  for (const s of summaries) {
    lines.push(`${s.target}${s.source ? ` from ${s.source}` : ''}, ${s.region}:`);
    for (const m of METRICS) {
      const x = s.metrics[m];
      lines.push(`  ${m.padEnd(5)} ${formatNumber(x.mean)} ± ${formatNumber(x.std)}  [${formatNumber(x.low)}, ${formatNumber(x.high)}]  n=${x.n}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatNumber(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(6) : String(x);
}

function settingsOf(opts: EvalOptions): Record<string, unknown> {
  return {
    pred: opts.pred, ref: opts.ref, regions: opts.mask, dataRange: opts.dataRange ?? null, normalise: opts.normalise ?? null,
    normaliseAs: opts.normaliseAs ?? null, window: opts.window, maskBeforeSsim: Boolean(opts.maskBeforeSsim), seed: opts.seed, resamples: opts.resamples,
  };
}

function bootstrapOf(opts: EvalOptions) {
  return { seed: opts.seed, resamples: opts.resamples };
}

async function isDirectory(path: string, who: string): Promise<boolean> {
  const stat = await fs.stat(path).catch((error: Error) => {
    throw new Error(`${who}: cannot read ${path}: ${error.message}`);
  });
  return stat.isDirectory();
}

/** NIfTI files under `dir`, recursively, in code-point order; hidden entries skipped. */
async function listNifti(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...await listNifti(path));
    else if (isNiftiFileName(entry.name)) found.push(path);
  }
  return found;
}

function parseRegions(value: string): Region[] {
  const regions = value.split(',').map((r) => (r.trim() === 'none' ? 'whole' : r.trim()));
  for (const r of regions) {
    if (!(REGIONS as readonly string[]).includes(r)) {
      throw new InvalidArgumentError(`unknown region '${r}', expected a comma-separated list of none, brain, tumour, nontumour`);
    }
  }
  return [...new Set(regions)] as Region[];
}

function parsePositive(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return x;
}

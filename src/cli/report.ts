import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { parseNonNegativeInteger, parsePositiveInteger } from './optionParsers.js';
import { readNifti, readNiftiWithSha256, type NiftiImage } from '../io/nifti/index.js';
import { discoverDataset, type Case, type Dataset } from '../data/index.js';
import {
  RESULTS_JSON, comparableIntensities, parseResultsJson, type CaseScore, type EvaluationResults, type IntensityOptions, type Normalisation,
} from '../metrics/index.js';
import { writeReport, casePagePath, severalSourcesPerCase, type ReportCase, type ReportMethod, type ReportRun, type ReportVolume } from '../report/index.js';
import { TrainingLog } from '../training/index.js';
import { readRunUnits } from './runUnits.js';
import { selfCommand } from './selfCommand.js';

export interface ReportOptions {
  eval: string[];
  label?: string[];
  runs?: string[];
  out: string;
  title: string;
  maxCases: number;
  seed: number;
  resamples: number;
  force?: boolean;
}

/** `mrsynth report`: a browser report of evaluations (eval --out folders) and training runs. */
export function registerReportCommand(program: Command): void {
  program.command('report')
    .description('write a self-contained browser report: every score (sortable, filterable) with bootstrap intervals and '
      + 'per-case plots; per case linked 3D views (NiiVue) of the sources, predictions, reference and error; per run its training curves')
    .requiredOption('--eval <dirs...>', `evaluation folders (written by mrsynth eval --out, holding ${RESULTS_JSON}); the first is the model `
      + 'whose error map the case pages show, the others (baselines, other models) are shown beside it')
    .option('--label <names...>', 'a name per --eval folder, in order (default: each folder\'s name)')
    .option('--runs <dirs...>', 'training run folders whose curves (log.jsonl) and configuration (run.json) to show')
    .requiredOption('--out <dir>', 'the report folder to write (open its index.html, or run mrsynth serve on it)')
    .option('--title <text>', 'the report\'s title', 'mrsynth evaluation report')
    .option('--max-cases <n>', 'case pages at most (each holds display copies of its volumes); the score table lists every case',
      parsePositiveInteger, 50)
    .option('--seed <int>', 'seed of the summary\'s bootstrap', parseNonNegativeInteger, 0)
    .option('--resamples <int>', 'bootstrap resamples', parseNonNegativeInteger, 10_000)
    .option('--force', 'replace an existing report in --out')
    .action(async (opts: ReportOptions) => {
      const written = await buildReport(opts);
      process.stdout.write(`wrote ${written.index} (${written.casePages.length} case page(s), ${written.runPages.length} run page(s))\n`
        + `open it: ${selfCommand()} serve ${written.folder}   (or open ${written.index} in a browser)\n`);
    });
}

/** Reads everything the report shows and writes it; returns what was written. */
export async function buildReport(opts: ReportOptions) {
  const who = 'mrsynth report';
  if (opts.label !== undefined && opts.label.length !== opts.eval.length) {
    throw new Error(`${who}: --label names ${opts.label.length} evaluation(s) but --eval gives ${opts.eval.length}; give one name per folder`);
  }
  const evaluations = await Promise.all(opts.eval.map(readEvaluation));
  const labels = opts.label ?? opts.eval.map((dir) => basename(resolve(dir)) === RESULTS_JSON ? basename(resolve(dir, '..')) : basename(resolve(dir)));
  const duplicate = labels.find((l, i) => labels.indexOf(l) !== i);
  if (duplicate !== undefined) throw new Error(`${who}: two evaluations are both named '${duplicate}'; give --label a name for each`);
  // Evaluations in the same units (normalisation) can share a page; each group's first is its pages' model.
  const unitKeys = evaluations.map((e) => unitsKey(e.results.settings));
  const groups = [...new Set(unitKeys)];
  const methods: ReportMethod[] = evaluations.map((e, i) => ({
    label: labels[i], source: e.path, rows: e.results.rows, settings: e.results.settings, group: groups.indexOf(unitKeys[i]),
  }));
  const cases: ReportCase[] = [];
  for (const [group] of groups.entries()) {
    const members = methods.filter((m) => m.group === group);
    // A page per case and target, showing every source; a page per source only where the model translates each case from
    // several (a translation matrix). A baseline names its one source, and still gets the whole case.
    const perSource = severalSourcesPerCase(members[0].rows);
    const keys = new Map<string, CaseScore>();
    for (const row of members[0].rows) {
      const key = perSource ? row : { ...row, source: undefined };
      if (!keys.has(casePagePath({ ...key, group }))) keys.set(casePagePath({ ...key, group }), key);
    }
    const settings = members[0].settings;
    const units: GroupUnits = { intensity: await intensityOptions(settings), dataset: await referenceDataset(settings) };
    for (const row of [...keys.values()].slice(0, Math.max(0, opts.maxCases - cases.length))) {
      cases.push(await reportCase(row, members, units, group));
    }
    if (keys.size > 0 && cases.length >= opts.maxCases) {
      process.stderr.write(`${who}: case pages for the first ${opts.maxCases} case(s) only (--max-cases); the tables list every case\n`);
    }
  }
  const runs = await Promise.all((opts.runs ?? []).map(readReportRun));
  return writeReport({ title: opts.title, methods, cases, runs, bootstrap: { seed: opts.seed, resamples: opts.resamples } }, opts.out,
    { force: opts.force });
}

interface Evaluation {
  readonly path: string;
  readonly results: EvaluationResults;
}

async function readEvaluation(dir: string): Promise<Evaluation> {
  const stat = await fs.stat(dir).catch((error: Error) => {
    throw new Error(`mrsynth report: cannot read --eval ${dir}: ${error.message}`);
  });
  const path = stat.isDirectory() ? join(dir, RESULTS_JSON) : dir;
  const text = await fs.readFile(path, 'utf8').catch((error: Error) => {
    throw new Error(`mrsynth report: --eval ${dir} should hold ${RESULTS_JSON} as mrsynth eval --out writes it: ${error.message}`);
  });
  return { path: resolve(path), results: parseResultsJson(text, path) };
}

function unitsKey(settings: Readonly<Record<string, unknown>>): string {
  return JSON.stringify([settings.normalise ?? null, settings.normaliseAs ?? null, settings.dataRange ?? null]);
}

/** What every page of a group of evaluations shares: how eval mapped the references, and the reference dataset (for the sources). */
interface GroupUnits {
  readonly intensity: IntensityOptions;
  readonly dataset: Dataset | undefined;
}

/**
 * The volumes of one case page: the case's other contrasts (sources, in their own units), each method's prediction,
 * the reference in the predictions' units (as eval compared them) and |model − reference|.
 */
async function reportCase(row: CaseScore, members: readonly ReportMethod[], units: GroupUnits, group: number): Promise<ReportCase> {
  const at = `mrsynth report: ${row.caseId} ${row.target}`;
  if (row.files === undefined) {
    throw new Error(`${at}: the evaluation does not record which files it scored (it predates mrsynth 0.1's provenance); run mrsynth eval again`);
  }
  const predictions: { label: string; image: NiftiImage; file: string }[] = [];
  for (const m of members) {
    const match = m.rows.find((r) => sameCase(r, row) && r.files !== undefined);
    if (match !== undefined) predictions.push({ label: m.label, image: await readRecorded(match.files!.pred, at), file: match.files!.pred.path });
  }
  const reference = await readRecorded(row.files.ref, at);
  const comparable = comparableIntensities(predictions[0].image.volume, reference.volume, units.intensity, at).ref;
  const model = predictions[0].image.volume;
  const error = { ...model, data: model.data.map((v, i) => Math.abs(v - comparable.data[i])) };
  const sources = await sourcesOf(row, units.dataset);
  const volumes: ReportVolume[] = [
    ...sources.map(({ contrast, image, file }): ReportVolume =>
      ({ label: `${contrast} (source)`, role: 'source', window: 'own', volume: image.volume, header: image.header, file })),
    ...predictions.map(({ label, image, file }): ReportVolume =>
      ({ label, role: 'prediction', window: 'reference', volume: image.volume, header: image.header, file })),
    { label: `${row.target} (reference)`, role: 'reference', window: 'reference', volume: comparable, header: reference.header, file: row.files.ref.path },
    { label: `|${predictions[0].label} − reference|`, role: 'error', window: 'error', volume: error, header: reference.header },
  ];
  const seg = row.files.seg === undefined ? undefined : await readRecorded(row.files.seg, at);
  return {
    caseId: row.caseId, target: row.target, ...(row.source && { source: row.source }), group, volumes,
    ...(seg && { label: { volume: seg.volume, header: seg.header, file: row.files.seg!.path } }),
  };
}

/**
 * Whether `r` is a prediction of the page `row` opens: the same case and target and, where the page is of a translation,
 * the same source. A synthesis page (no source) shows any method's prediction of that target, a baseline's too, which
 * names its single source.
 */
function sameCase(r: CaseScore, row: CaseScore): boolean {
  return r.caseId === row.caseId && r.target === row.target && (row.source === undefined || r.source === row.source);
}

/** A file eval scored, refused if it changed since (its SHA-256 differs), so the report shows what was scored. */
async function readRecorded(file: { path: string; sha256: string }, at: string): Promise<NiftiImage> {
  const { image, sha256 } = await readNiftiWithSha256(file.path).catch((error: Error) => {
    throw new Error(`${at}: cannot read ${file.path}, which the evaluation scored: ${error.message}`);
  });
  if (sha256 !== file.sha256) {
    throw new Error(`${at}: ${file.path} changed since it was scored (SHA-256 ${sha256.slice(0, 12)}…, the evaluation recorded `
      + `${file.sha256.slice(0, 12)}…); run mrsynth eval again`);
  }
  return image;
}

async function intensityOptions(settings: Readonly<Record<string, unknown>>): Promise<IntensityOptions> {
  return {
    dataRange: typeof settings.dataRange === 'number' ? settings.dataRange : undefined,
    normalise: typeof settings.normalise === 'string' ? settings.normalise as Normalisation : undefined,
    normaliseAs: typeof settings.normaliseAs === 'string' ? await readRunUnits(settings.normaliseAs) : undefined,
  };
}

/** The reference dataset the evaluation read (settings.ref), for the cases' sources; none when it is no longer there. */
async function referenceDataset(settings: Readonly<Record<string, unknown>>): Promise<Dataset | undefined> {
  return typeof settings.ref === 'string' ? discoverDataset(settings.ref).catch(() => undefined) : undefined;
}

/** The case's other contrasts in the reference dataset (only the source, on a translation's page). */
async function sourcesOf(row: CaseScore, dataset: Dataset | undefined): Promise<{ contrast: string; image: NiftiImage; file: string }[]> {
  const c: Case | undefined = dataset?.cases.find((x) => x.id === row.caseId);
  if (c === undefined) return [];
  const wanted = Object.entries(c.contrasts).filter(([contrast]) => contrast !== row.target && (row.source === undefined || contrast === row.source));
  return Promise.all(wanted.map(async ([contrast, file]) => ({ contrast, image: await readNifti(file!), file: file! })));
}

async function readReportRun(dir: string): Promise<ReportRun> {
  const at = `mrsynth report: --runs ${dir}`;
  const text = await fs.readFile(join(dir, 'run.json'), 'utf8').catch((error: Error) => {
    throw new Error(`${at}: not a run folder (${error.message})`);
  });
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new Error(`${at}: its run.json is not JSON (${(error as Error).message})`);
  }
  const entries = await TrainingLog.read(join(dir, 'log.jsonl')).catch((error: Error) => {
    throw new Error(`${at}: cannot read its log.jsonl: ${error.message}`);
  });
  const train = [];
  const validation = [];
  for (const [index, e] of entries.entries()) {
    const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
    if (!finite(e.step) || !finite(e.loss)) throw new Error(`${at}: log.jsonl line ${index + 1} has no numeric step and loss`);
    if (e.kind === 'train') train.push({ step: e.step, loss: e.loss, lr: e.lr });
    else if (e.kind === 'validation') {
      validation.push({
        step: e.step, loss: e.loss, ...(finite(e.lossEma) && { lossEma: e.lossEma }), ...(finite(e.baselineLoss) && { baselineLoss: e.baselineLoss }),
        ...(finite(e.sample?.psnr) && { psnr: e.sample!.psnr }), ...(finite(e.sample?.ssim) && { ssim: e.sample!.ssim }),
      });
    }
  }
  // Run folders are often called just 'run' (the demo's, the quality scripts'): name them with their parent then.
  const folder = resolve(dir);
  const name = basename(folder) === 'run' ? `${basename(resolve(folder, '..'))}/run` : basename(folder);
  return { name, folder, config, train, validation };
}

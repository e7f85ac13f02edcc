import { assert } from '../util/index.js';
import { isContrast, type Contrast } from '../data/index.js';
import { REGIONS, type Region } from './masks.js';
import { METRICS, type MetricScores } from './regionScores.js';

/** One scored prediction in one region: a row of the per-case results. */
export interface CaseScore {
  readonly caseId: string;
  readonly target: Contrast;
  /** The single source of a translation; absent for a synthesis from every available contrast. */
  readonly source?: Contrast;
  readonly region: Region;
  readonly scores: MetricScores;
  /** What was compared, so that a report can say exactly what it shows; absent in results from before it was recorded. */
  readonly files?: ScoredFiles;
}

/** A file as it was scored: its path (as given to eval, resolved) and the SHA-256 of its bytes. */
export interface ScoredFile {
  readonly path: string;
  readonly sha256: string;
}

export interface ScoredFiles {
  readonly pred: ScoredFile;
  readonly ref: ScoredFile;
  readonly seg?: ScoredFile;
  /**
   * What made the prediction: its synthesis sidecar's run (a run folder or `builtin:<name>`), else the description an
   * mrsynth baseline wrote into its NIfTI header; null when neither says.
   */
  readonly producedBy: string | null;
}

/** Results written by `mrsynth eval --out`: the settings that produced them and the per-case rows. */
export interface EvaluationResults {
  readonly settings: Readonly<Record<string, unknown>>;
  readonly rows: readonly CaseScore[];
}

export const RESULTS_JSON = 'scores.json';
export const RESULTS_CSV = 'scores.csv';

/**
 * CSV with a header `case,target,source,region,mse,mae,psnr,nmse,ssim`; one row per case, target, source and
 * region; full float64 precision; an empty source for syntheses; `inf` / `nan` as NumPy and pandas read them.
 */
export function scoresToCsv(rows: readonly CaseScore[]): string {
  const header = ['case', 'target', 'source', 'region', ...METRICS].join(',');
  const lines = rows.map((r) =>
    [csvField(r.caseId), r.target, r.source ?? '', r.region, ...METRICS.map((m) => csvNumber(r.scores[m]))].join(','));
  return `${[header, ...lines].join('\n')}\n`;
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return String(x);
}

/** JSON has no Infinity or NaN: they are written as the strings "Infinity", "-Infinity" and "NaN". */
export function resultsToJson(results: EvaluationResults, extra: Readonly<Record<string, unknown>> = {}): string {
  return `${JSON.stringify({ ...results, ...extra }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

/** Reads what {@link resultsToJson} wrote, checking every row, so a compared run is known to be whole. */
export function parseResultsJson(text: string, source: string): EvaluationResults {
  const who = `parseResultsJson: ${source}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${who}: not JSON (${(error as Error).message})`);
  }
  const object = raw as { settings?: unknown; rows?: unknown };
  assert(typeof object === 'object' && object !== null && Array.isArray(object.rows), () =>
    `${who}: expected an object with a 'rows' array, as mrsynth eval writes to ${RESULTS_JSON}`);
  const rows = object.rows.map((row: unknown, index: number): CaseScore => {
    const r = row as Record<string, unknown>;
    const at = `${who}: rows[${index}]`;
    assert(typeof r?.caseId === 'string', () => `${at}: caseId must be a string, got ${JSON.stringify(r?.caseId)}`);
    assert(typeof r.target === 'string' && isContrast(r.target), () => `${at}: target must be a contrast, got ${JSON.stringify(r.target)}`);
    assert(r.source === undefined || (typeof r.source === 'string' && isContrast(r.source)), () =>
      `${at}: source must be a contrast or absent, got ${JSON.stringify(r.source)}`);
    assert(typeof r.region === 'string' && (REGIONS as readonly string[]).includes(r.region), () =>
      `${at}: region must be one of ${REGIONS.join(', ')}, got ${JSON.stringify(r.region)}`);
    const scores = r.scores as Record<string, unknown> | undefined;
    const values = Object.fromEntries(METRICS.map((m) => {
      const v = scores?.[m];
      const x = typeof v === 'string' ? Number(v) : v;
      assert(typeof x === 'number' && (typeof v === 'number' || ['Infinity', '-Infinity', 'NaN'].includes(v as string)), () =>
        `${at}: scores.${m} must be a number, got ${JSON.stringify(v)}`);
      return [m, x];
    })) as unknown as MetricScores;
    return {
      caseId: r.caseId, target: r.target, ...(r.source === undefined ? {} : { source: r.source as Contrast }),
      region: r.region as Region, scores: values, ...(r.files === undefined ? {} : { files: parseScoredFiles(r.files, `${at}.files`) }),
    };
  });
  return { settings: (object.settings ?? {}) as Record<string, unknown>, rows };
}

function parseScoredFiles(raw: unknown, at: string): ScoredFiles {
  const files = raw as Record<string, unknown>;
  assert(typeof files === 'object' && files !== null, () => `${at}: must be an object, got ${JSON.stringify(raw)}`);
  const file = (name: string): ScoredFile => {
    const f = files[name] as Record<string, unknown> | undefined;
    assert(typeof f?.path === 'string' && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256), () =>
      `${at}.${name}: must be {"path": string, "sha256": 64 hex digits}, got ${JSON.stringify(f)}`);
    return { path: f.path, sha256: f.sha256 };
  };
  assert(files.producedBy === null || typeof files.producedBy === 'string', () =>
    `${at}.producedBy: must be a string or null, got ${JSON.stringify(files.producedBy)}`);
  return { pred: file('pred'), ref: file('ref'), ...(files.seg === undefined ? {} : { seg: file('seg') }), producedBy: files.producedBy as string | null };
}

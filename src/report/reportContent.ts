/**
 * What a report shows, gathered by its caller (the CLI reads evaluations, datasets and runs) and written by
 * writeReport: methods with their per-case scores, viewable cases with their volumes, and training runs.
 */
import type { NiftiHeader } from '../io/nifti/index.js';
import type { CaseScore } from '../metrics/index.js';
import type { Volume } from '../volume/index.js';

/** One evaluation: a method (a model, a baseline, anything scored) and its rows. */
export interface ReportMethod {
  readonly label: string;
  /** The evaluation folder it was read from. */
  readonly source: string;
  readonly rows: readonly CaseScore[];
  /** The evaluation's settings (normalisation, data range, window...), shown as they were. */
  readonly settings: Readonly<Record<string, unknown>>;
  /**
   * Evaluations in the same units form a group and share case pages (the group's first is the pages' model); groups
   * are numbered from 0 in order of appearance.
   */
  readonly group: number;
}

/**
 * How a volume's display window is chosen: 'reference' shares the reference's window (synthesis, baselines and
 * reference, so that a global intensity offset stays visible), 'own' is the volume's own (sources, in their own
 * units), 'error' runs from 0 over a hot colour map.
 */
export type WindowRole = 'reference' | 'own' | 'error';

export interface ReportVolume {
  readonly label: string;
  readonly role: 'source' | 'prediction' | 'reference' | 'error';
  readonly window: WindowRole;
  readonly volume: Volume;
  /** Header whose geometry the display copy keeps (the file's own). */
  readonly header?: NiftiHeader;
  /** The full-precision file this volume was read from, copied into the report (absent for derived volumes). */
  readonly file?: string;
}

/** One case and target (and source, for a translation): the volumes side by side, and the tumour label. */
export interface ReportCase {
  readonly caseId: string;
  readonly target: string;
  readonly source?: string;
  /** The group of evaluations (ReportMethod.group) whose predictions the page shows. */
  readonly group: number;
  readonly volumes: readonly ReportVolume[];
  readonly label?: { readonly volume: Volume; readonly header?: NiftiHeader; readonly file?: string };
}

export interface ReportRun {
  readonly name: string;
  readonly folder: string;
  /** run.json as read (config and provenance). */
  readonly config: unknown;
  readonly train: readonly { readonly step: number; readonly loss: number; readonly lr: number }[];
  readonly validation: readonly {
    readonly step: number; readonly loss: number; readonly lossEma?: number; readonly baselineLoss?: number;
    readonly psnr?: number; readonly ssim?: number;
  }[];
}

export interface ReportContent {
  readonly title: string;
  readonly methods: readonly ReportMethod[];
  readonly cases: readonly ReportCase[];
  readonly runs: readonly ReportRun[];
  /** Seed and resamples of the bootstrap intervals in the summary. */
  readonly bootstrap: { readonly seed: number; readonly resamples: number };
}

/** The page of a case in a group of evaluations (relative to the report folder); the first group's pages have no suffix. */
export function casePagePath(c: { caseId: string; target: string; source?: string; group: number }): string {
  return `cases/${safeName(`${c.caseId}_${c.target}${c.source ? `_from-${c.source}` : ''}${c.group > 0 ? `_units-${c.group + 1}` : ''}`)}.html`;
}

export function runPagePath(run: { name: string }): string {
  return `runs/${safeName(run.name)}.html`;
}

/** A file name from any label: letters, digits, '.', '_' and '-' kept; anything else becomes '-'. */
export function safeName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return name === '' ? 'item' : name;
}

import type { Contrast } from '../data/index.js';
import { summarise, type BootstrapOptions, type Summary } from './bootstrap.js';
import type { CaseScore } from './caseScores.js';
import type { Region } from './masks.js';
import { METRICS, type MetricName } from './regionScores.js';

/** Every case of one target (and source, for translations) in one region, summarised metric by metric. */
export interface ScoreSummary {
  readonly target: Contrast;
  readonly source?: Contrast;
  readonly region: Region;
  readonly metrics: Readonly<Record<MetricName, Summary>>;
}

/**
 * Groups rows by target, source and region (in first-seen order) and summarises each metric over the cases:
 * mean, std (ddof 1) and a seeded percentile-bootstrap interval of the mean. Non-finite values (PSNR of a perfect
 * prediction, scores of an empty region) are left out, and `n` says how many cases remained.
 */
export function summariseScores(rows: readonly CaseScore[], options: BootstrapOptions = {}): ScoreSummary[] {
  const groups = new Map<string, { first: CaseScore; rows: CaseScore[] }>();
  for (const row of rows) {
    const key = groupKey(row);
    const group = groups.get(key) ?? { first: row, rows: [] };
    groups.set(key, group);
    group.rows.push(row);
  }
  return [...groups.values()].map(({ first, rows: members }) => ({
    target: first.target, ...(first.source ? { source: first.source } : {}), region: first.region,
    metrics: Object.fromEntries(METRICS.map((m) =>
      [m, summarise(members.map((r) => r.scores[m]).filter(Number.isFinite), options)])) as Record<MetricName, Summary>,
  }));
}

export interface PairedComparison {
  /** Per group, the summary of the per-case differences A − B. */
  readonly summaries: ScoreSummary[];
  /** Rows present in only one run, as `case target[←source] region (A|B only)`. */
  readonly unmatched: string[];
}

/**
 * Paired difference of two runs over the cases they share: for each case, target, source and region, A − B per
 * metric, then {@link summariseScores} over those differences. The interval is of the mean paired difference,
 * so it excludes 0 exactly when the bootstrap finds A and B apart on these cases.
 */
export function comparePaired(a: readonly CaseScore[], b: readonly CaseScore[], options: BootstrapOptions = {}): PairedComparison {
  const byKey = new Map(b.map((row) => [rowKey(row), row]));
  const seen = new Set<string>();
  const differences: CaseScore[] = [];
  const unmatched: string[] = [];
  for (const row of a) {
    const key = rowKey(row);
    const other = byKey.get(key);
    if (other === undefined) {
      unmatched.push(`${describeRow(row)} (A only)`);
      continue;
    }
    seen.add(key);
    const scores = Object.fromEntries(METRICS.map((m) => [m, row.scores[m] - other.scores[m]]));
    differences.push({ ...row, scores: scores as unknown as CaseScore['scores'] });
  }
  for (const row of b) if (!seen.has(rowKey(row))) unmatched.push(`${describeRow(row)} (B only)`);
  return { summaries: summariseScores(differences, options), unmatched };
}

export function describeRow(row: Pick<CaseScore, 'caseId' | 'target' | 'source' | 'region'>): string {
  return `${row.caseId} ${row.target}${row.source ? `←${row.source}` : ''} ${row.region}`;
}

function groupKey(row: CaseScore): string {
  return `${row.target}\u0000${row.source ?? ''}\u0000${row.region}`;
}

function rowKey(row: CaseScore): string {
  return `${row.caseId}\u0000${groupKey(row)}`;
}

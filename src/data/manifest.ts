import { isAbsolute, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { assert } from '../util/index.js';
import { canonicalOrder, contrastFromAlias, SEG, type Contrast } from './contrast.js';
import type { Case } from './dataset.js';
import { compareIds } from './order.js';
import { checkJsonNesting } from '../io/index.js';

/** What a manifest declares: its cases, and the contrasts it has columns (keys) for, in canonical order. */
export interface Manifest {
  readonly contrasts: readonly Contrast[];
  readonly cases: readonly Case[];
}

export type ManifestKind = 'csv' | 'json';

export interface ManifestOptions {
  readonly kind: ManifestKind;
  /** Named in every error, e.g. the manifest's path. */
  readonly source: string;
  /** Relative paths in the manifest are taken relative to this folder (usually the manifest's own). */
  readonly baseDir: string;
}

const CASE = 'case';
const SUBJECT = 'subject';

/**
 * Parses a dataset manifest. CSV: a header row with `case`, optional `subject` and `seg`, and one column per
 * contrast (any alias: `t1`, `t1c`, `T2`, `flair` …). JSON: an array of objects with the same keys, or
 * `{ "cases": [...] }`. An empty cell (or JSON null) means the case lacks that contrast. Every bad row is collected
 * and reported together, each with its line (CSV) or index (JSON), so a long manifest is fixed in one pass.
 */
export function parseManifest(text: string, options: ManifestOptions): Manifest {
  const rows = options.kind === 'csv' ? csvRows(text, options.source) : jsonRows(text, options.source);
  const errors: string[] = [];
  const contrasts = new Set<Contrast>();
  const cases: Case[] = [];
  const seen = new Map<string, string>();
  for (const row of rows) {
    const fail = (what: string): void => { errors.push(`${options.source} ${row.where}: ${what}`); };
    if (row.error !== undefined) { fail(row.error); continue; }
    const paths: Partial<Record<Contrast, string>> = {};
    let id = '', subject = '', seg: string | undefined;
    for (const [key, raw] of row.fields) {
      if (raw !== undefined && typeof raw !== 'string') { fail(`'${key}' must be a string path, got ${JSON.stringify(raw)}`); continue; }
      const value = raw?.trim() ?? '';
      if (key === CASE) id = value;
      else if (key === SUBJECT) subject = value;
      else if (key === SEG) seg = value === '' ? undefined : resolvePath(value, options.baseDir);
      else {
        const contrast = contrastFromAlias(key);
        if (contrast === undefined) { fail(`unknown column '${key}', expected case, subject, seg or a contrast (t1, t1ce, t2, flair, pd or an alias)`); continue; }
        if (contrast in paths) { fail(`two columns name contrast ${contrast} (second: '${key}')`); continue; }
        contrasts.add(contrast);
        if (value !== '') paths[contrast] = resolvePath(value, options.baseDir);
      }
    }
    if (id === '') { fail(`missing case id (column '${CASE}')`); continue; }
    const previous = seen.get(id);
    if (previous !== undefined) { fail(`duplicate case id '${id}' (first at ${previous})`); continue; }
    seen.set(id, row.where);
    if (Object.keys(paths).length === 0) { fail(`case '${id}' has no contrast file`); continue; }
    const ordered = Object.fromEntries(canonicalOrder(Object.keys(paths) as Contrast[]).map((c) => [c, paths[c]]));
    cases.push({ id, subject: subject === '' ? id : subject, format: 'manifest', contrasts: ordered, ...(seg ? { seg } : {}) });
  }
  assert(errors.length === 0, () => `parseManifest: ${errors.length} bad row(s):\n  ${errors.join('\n  ')}`);
  assert(cases.length > 0, () => `parseManifest: ${options.source} lists no case`);
  return { contrasts: canonicalOrder(contrasts), cases: [...cases].sort((a, b) => compareIds(a.id, b.id)) };
}

interface Row {
  readonly where: string;
  readonly fields: ReadonlyArray<readonly [string, unknown]>;
  /** Set when the row cannot be read as fields at all. */
  readonly error?: string;
}

function csvRows(text: string, source: string): Row[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, { info: true, skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as unknown as typeof records;
  } catch (error) {
    throw new Error(`parseManifest: ${source} is not valid CSV: ${(error as Error).message}`);
  }
  assert(records.length > 0, () => `parseManifest: ${source} is empty, expected a header row with '${CASE}' and contrast columns`);
  const header = records[0].record;
  assert(header.includes(CASE), () => `parseManifest: ${source} header [${header.join(',')}] has no '${CASE}' column`);
  const duplicated = header.find((name, i) => header.indexOf(name) !== i);
  assert(duplicated === undefined, () => `parseManifest: ${source} header repeats column '${duplicated}'`);
  return records.slice(1).map(({ record, info }) => {
    const where = `line ${info.lines}`;
    if (record.length !== header.length) {
      return { where, fields: [], error: `has ${record.length} cells, expected ${header.length} (header: ${header.join(',')})` };
    }
    return { where, fields: header.map((name, i) => [name, record[i]] as const) };
  });
}

function jsonRows(text: string, source: string): Row[] {
  // Rows of flat objects: two levels, three with a wrapping object.
  checkJsonNesting(text, 8, `parseManifest: ${source}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`parseManifest: ${source} is not valid JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { cases?: unknown } | null)?.cases;
  assert(Array.isArray(list), () => `parseManifest: ${source} must be an array of cases or {"cases": [...]}, got ${describe(parsed)}`);
  return list.map((entry, i) => {
    const where = `cases[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return { where, fields: [], error: `is ${describe(entry)}, expected an object` };
    }
    return { where, fields: Object.entries(entry).map(([k, v]) => [k, v === null ? undefined : v] as const) };
  });
}

function resolvePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

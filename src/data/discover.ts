import { promises as fs } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { assert } from '../util/index.js';
import { CONTRASTS, SEG, type Contrast } from './contrast.js';
import { FORMAT_CONTRASTS, DATASET_FORMATS, type Case, type Dataset, type DatasetFormat, type DatasetProblem } from './dataset.js';
import { parseManifest, type ManifestKind } from './manifest.js';
import { FOLDER_FORMATS, isNiftiFileName, namingShape, parseCaseFileName, subjectOf, type CaseFileName } from './naming.js';
import { compareIds } from './order.js';
import { readRegularFile } from '../io/index.js';

export interface DiscoverOptions {
  /** Skip auto-detection. Default: detected from the file names (or from a manifest file). */
  readonly format?: DatasetFormat;
}

type FolderFormat = Exclude<DatasetFormat, 'manifest'>;

/** Manifest names looked for at the top of a folder when no format is forced. */
const MANIFEST_NAMES = ['manifest.csv', 'manifest.json'] as const;

/**
 * Finds the cases under `path`: a folder in one of the folder formats (BraTS 2021, BraTS 2023/2024, IXI; flat or
 * nested, `.nii` or `.nii.gz`), a CSV/JSON manifest file, or a folder holding `manifest.csv`/`manifest.json`.
 * Incomplete cases are kept and reported; NIfTI files that fit no case are reported; other files (notes,
 * sidecars) are ignored. Hidden entries (`.name`) are skipped.
 */
export async function discoverDataset(path: string, options: DiscoverOptions = {}): Promise<Dataset> {
  const root = resolve(path);
  const forced = options.format;
  assert(forced === undefined || DATASET_FORMATS.includes(forced), () =>
    `discoverDataset: unknown format '${forced}', expected one of ${DATASET_FORMATS.join(', ')}`);
  const stat = await fs.stat(root).catch((error: Error) => {
    throw new Error(`discoverDataset: cannot read ${root}: ${error.message}`);
  });
  if (stat.isFile()) {
    assert(forced === undefined || forced === 'manifest', () =>
      `discoverDataset: ${root} is a file, so it must be a manifest, but format '${forced}' was forced`);
    return discoverManifest(root);
  }
  assert(stat.isDirectory(), () => `discoverDataset: ${root} is neither a folder nor a manifest file`);
  const files = await listFiles(root);
  if (forced === 'manifest' || forced === undefined) {
    const manifest = MANIFEST_NAMES.map((name) => join(root, name)).find((p) => files.includes(p));
    if (manifest !== undefined) return discoverManifest(manifest);
    assert(forced === undefined, () => `discoverDataset: format 'manifest' forced, but ${root} has no ${MANIFEST_NAMES.join(' or ')}`);
  }
  const nifti = files.filter((f) => isNiftiFileName(basename(f)));
  return groupFolder(root, forced ?? detectFormat(root, nifti), nifti);
}

/** Picks the folder format that most NIfTI names follow; refuses ties rather than guessing. */
function detectFormat(root: string, nifti: readonly string[]): FolderFormat {
  const counts = FOLDER_FORMATS.map((format) => ({
    format, count: nifti.filter((f) => parseCaseFileName(basename(f), format) !== undefined).length,
  })).sort((a, b) => b.count - a.count);
  assert(counts[0].count > 0, () =>
    `discoverDataset: none of the ${nifti.length} NIfTI files under ${root} follows a known naming (${
      FOLDER_FORMATS.map((f) => `${f}: ${namingShape(f)}`).join('; ')}); use a manifest for other layouts`);
  assert(counts[0].count > counts[1].count, () =>
    `discoverDataset: ${root} is ambiguous: ${counts[0].count} files follow ${counts[0].format} and ${counts[1].count} follow ${
      counts[1].format}; force the format`);
  return counts[0].format;
}

function groupFolder(root: string, format: FolderFormat, nifti: readonly string[]): Dataset {
  const problems: DatasetProblem[] = [];
  const byCase = new Map<string, Map<CaseFileName['role'], string[]>>();
  for (const file of nifti) {
    const parsed = parseCaseFileName(basename(file), format);
    if (parsed === undefined) {
      problems.push({ kind: 'unknown-file', path: file, reason: `does not follow the ${format} naming ${namingShape(format)}` });
      continue;
    }
    const roles = byCase.get(parsed.caseId) ?? new Map<CaseFileName['role'], string[]>();
    byCase.set(parsed.caseId, roles);
    roles.set(parsed.role, [...(roles.get(parsed.role) ?? []), file]);
  }
  const expected = FORMAT_CONTRASTS[format];
  const cases: Case[] = [];
  for (const id of [...byCase.keys()].sort(compareIds)) {
    const contrasts: Partial<Record<Contrast, string>> = {};
    let seg: string | undefined;
    const roles = byCase.get(id)!;
    // Canonical role order keeps the record (and everything printed from it) independent of listing order.
    for (const role of [...CONTRASTS, SEG] as const) {
      const paths = roles.get(role);
      if (paths === undefined) continue;
      // Two candidates (say `.nii` and `.nii.gz`, or copies in two folders) could differ; picking one silently
      // would hide that, so neither is used and the case shows up as incomplete as well.
      if (paths.length > 1) { problems.push({ kind: 'ambiguous', case: id, role, paths }); continue; }
      if (role === 'seg') seg = paths[0];
      else contrasts[role] = paths[0];
    }
    const missing = expected.filter((c) => !(c in contrasts));
    if (missing.length > 0) problems.push({ kind: 'incomplete', case: id, missing });
    cases.push({ id, subject: subjectOf(id, format), format, contrasts, ...(seg ? { seg } : {}) });
  }
  return { root, format, contrasts: expected, cases, problems };
}

/** A manifest lists paths: 256 MiB is millions of cases. */
const MAX_MANIFEST_BYTES = 256 * 2 ** 20;

async function discoverManifest(file: string): Promise<Dataset> {
  const ext = extname(file).toLowerCase();
  assert(ext === '.csv' || ext === '.json', () => `discoverDataset: manifest ${file} must end in .csv or .json, got '${ext}'`);
  const kind: ManifestKind = ext === '.csv' ? 'csv' : 'json';
  const text = (await readRegularFile(file, { maxBytes: MAX_MANIFEST_BYTES, what: 'a manifest' })).toString('utf8');
  const manifest = parseManifest(text, { kind, source: file, baseDir: dirname(file) });
  const problems: DatasetProblem[] = [];
  for (const c of manifest.cases) {
    const missing = manifest.contrasts.filter((contrast) => !(contrast in c.contrasts));
    if (missing.length > 0) problems.push({ kind: 'incomplete', case: c.id, missing });
  }
  return { root: file, format: 'manifest', contrasts: manifest.contrasts, cases: manifest.cases, problems };
}

/** Every regular file under `dir` (absolute paths, code-point order), skipping hidden entries. */
async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => compareIds(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    const kind = entry.isSymbolicLink() ? await fs.stat(path).catch(() => undefined) : entry;
    if (kind?.isDirectory()) found.push(...await listFiles(path));
    else if (kind?.isFile()) found.push(path);
  }
  return found;
}

/** Path of a dataset file relative to the dataset root, for compact listings; absolute when it lies outside. */
export function relativeToRoot(dataset: Pick<Dataset, 'root' | 'format'>, path: string): string {
  const base = dataset.format === 'manifest' ? dirname(dataset.root) : dataset.root;
  const rel = relative(base, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

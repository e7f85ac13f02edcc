import { promises as fs } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic, makeFolder } from '../io/index.js';
import { assert } from '../util/index.js';
import { contrastFromAlias, type Contrast } from './contrast.js';
import type { Dataset } from './dataset.js';
import { discoverDataset } from './discover.js';
import { checkNewOutputFolder } from './outputFolder.js';
import { compareIds } from './order.js';
import { NumpyRandomState } from './randomState.js';
import { stableUnit } from './stableUnit.js';

/**
 * `none`: our own draw, one contrast per complete case from a hash of (seed, case id), so it does not depend on
 * which other cases exist or how the folder lists. `brasyn`: the organisers' `dropout_modality.py` replayed exactly
 * (see {@link planBrasynDropout}).
 */
export const DROPOUT_COMPAT = ['none', 'brasyn'] as const;
export type DropoutCompat = (typeof DROPOUT_COMPAT)[number];

/** The seed `dropout_modality.py` hard-codes; our default in both modes. */
export const BRASYN_SEED = 123456;

/** The organisers' list, in their order: the drawn index points into this. */
export const BRASYN_MODALITIES = ['t1c', 't1n', 't2f', 't2w'] as const;

export interface DropoutOptions {
  readonly seed?: number;
  readonly compat?: DropoutCompat;
  /** Called after each case is written, for progress display. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DropoutCase {
  readonly case: string;
  readonly dropped: Contrast;
  /** Paths relative to the input (and output) folder. */
  readonly droppedFiles: readonly string[];
  readonly copiedFiles: readonly string[];
}

export interface DropoutRecord {
  readonly input: string;
  readonly seed: number;
  readonly compat: DropoutCompat;
  readonly cases: readonly DropoutCase[];
  /** Cases left out of the copy, with the reason (only incomplete cases, in mode `none`). */
  readonly skipped: readonly { readonly case: string; readonly reason: string }[];
  /** Input NIfTI files that belong to no usable case and were not copied (mode `none`: unknown or ambiguous names). */
  readonly notCopied: readonly { readonly path: string; readonly reason: string }[];
}

/** Name of the record written at the top of the output folder. */
export const DROPOUT_RECORD = 'dropout.json';

/**
 * Copies `input` to a new folder `output` with one contrast dropped per case, BraSyn-style, segmentations included,
 * and writes {@link DROPOUT_RECORD} there. Everything is planned and checked before the first file is written.
 * The output must not exist yet (or be empty) and must not overlap the input, so the input is never touched.
 */
export async function makeDropoutCopy(input: string, output: string, options: DropoutOptions = {}): Promise<DropoutRecord> {
  const seed = options.seed ?? BRASYN_SEED;
  const compat = options.compat ?? 'none';
  assert(DROPOUT_COMPAT.includes(compat), () => `makeDropoutCopy: unknown compat '${compat}', expected one of ${DROPOUT_COMPAT.join(', ')}`);
  const inDir = resolve(input);
  const outDir = resolve(output);
  await checkNewOutputFolder(inDir, outDir, 'makeDropoutCopy');
  const plan = compat === 'brasyn' ? await planBrasynDropout(inDir, seed) : planDropout(await discoverDataset(inDir), seed);
  await makeFolder(outDir);
  let done = 0;
  for (const c of plan.cases) {
    for (const file of c.copiedFiles) {
      await fs.mkdir(dirname(join(outDir, file)), { recursive: true });
      await writeFileAtomic(join(outDir, file), await fs.readFile(join(inDir, file)));
    }
    options.onProgress?.(++done, plan.cases.length);
  }
  const record: DropoutRecord = { input: inDir, seed, compat, ...plan };
  await writeFileAtomic(join(outDir, DROPOUT_RECORD), new TextEncoder().encode(`${JSON.stringify(record, null, 1)}\n`));
  return record;
}

type DropoutPlan = Pick<DropoutRecord, 'cases' | 'skipped' | 'notCopied'>;

/**
 * Our draw: for each complete case, contrast number ⌊u·n⌋ of the dataset's n contrasts (canonical order), where u
 * hashes (seed, case id). Incomplete cases are skipped, since they already lack something.
 */
export function planDropout(dataset: Dataset, seed: number): DropoutPlan {
  assert(Number.isInteger(seed), () => `planDropout: seed must be an integer, got ${seed}`);
  assert(dataset.format !== 'manifest', () =>
    `planDropout: ${dataset.root} is a manifest dataset; the copy mirrors a folder layout, so give the folder of a BraTS or IXI dataset`);
  const root = dataset.root;
  const cases: DropoutCase[] = [];
  const skipped: { case: string; reason: string }[] = [];
  for (const c of dataset.cases) {
    const missing = dataset.contrasts.filter((contrast) => !(contrast in c.contrasts));
    if (missing.length > 0) { skipped.push({ case: c.id, reason: `incomplete: missing ${missing.join(', ')}` }); continue; }
    const dropped = dataset.contrasts[Math.floor(stableUnit(seed, 'dropout', c.id) * dataset.contrasts.length)];
    const kept = [...dataset.contrasts.filter((contrast) => contrast !== dropped).map((contrast) => c.contrasts[contrast]!),
      ...(c.seg ? [c.seg] : [])];
    cases.push({ case: c.id, dropped, droppedFiles: [relative(root, c.contrasts[dropped]!)], copiedFiles: kept.map((p) => relative(root, p)) });
  }
  assert(cases.length > 0, () => `planDropout: no complete case under ${root} (${skipped.length} incomplete)`);
  const notCopied = dataset.problems.flatMap((p) =>
    p.kind === 'unknown-file' ? [{ path: relative(root, p.path), reason: p.reason }]
      : p.kind === 'ambiguous' ? p.paths.map((path) => ({ path: relative(root, path), reason: `one of ${p.paths.length} files for ${p.role} of case ${p.case}` }))
        : []);
  return { cases, skipped, notCopied };
}

/**
 * `dropout_modality.py` replayed: `np.random.seed(seed)`; the entries of the input folder in Python's `sorted`
 * order; `np.random.randint(0, 4, size=#entries)` drawn once; entry i loses every file whose name contains
 * `BRASYN_MODALITIES[draw i]` (a substring test, as in the script) and keeps all others, `-seg` included. Since
 * every entry consumes a draw, stray files or hidden entries would shift all draws (and crash the script), so they
 * are refused here, as is a case where the drawn name matches no file (the script would drop nothing).
 */
export async function planBrasynDropout(inDir: string, seed: number): Promise<DropoutPlan> {
  const entries = (await fs.readdir(inDir, { withFileTypes: true })).sort((a, b) => compareIds(a.name, b.name));
  const stray = entries.filter((e) => !e.isDirectory()).map((e) => e.name);
  assert(stray.length === 0, () =>
    `planBrasynDropout: ${inDir} must hold only case folders, as dropout_modality.py draws once per entry; found ${stray.join(', ')}`);
  const draws = new NumpyRandomState(seed).randint(0, BRASYN_MODALITIES.length, entries.length);
  const cases: DropoutCase[] = [];
  for (const [i, entry] of entries.entries()) {
    const token = BRASYN_MODALITIES[draws[i]];
    const files = (await fs.readdir(join(inDir, entry.name), { withFileTypes: true })).sort((a, b) => compareIds(a.name, b.name));
    const folders = files.filter((f) => !f.isFile()).map((f) => f.name);
    assert(folders.length === 0, () => `planBrasynDropout: case folder ${join(inDir, entry.name)} must hold only files, found ${folders.join(', ')}`);
    const names = files.map((f) => join(entry.name, f.name));
    const droppedFiles = names.filter((n) => basename(n).includes(token));
    assert(droppedFiles.length > 0, () =>
      `planBrasynDropout: case ${entry.name} has no file whose name contains '${token}' (drawn for it), so nothing would be dropped; is this a BraTS 2023/2024 folder?`);
    cases.push({ case: entry.name, dropped: contrastFromAlias(token)!, droppedFiles, copiedFiles: names.filter((n) => !droppedFiles.includes(n)) });
  }
  assert(cases.length > 0, () => `planBrasynDropout: ${inDir} holds no case folder`);
  return { cases, skipped: [], notCopied: [] };
}

/**
 * An imported run: weights trained elsewhere (the cWDM reference's published checkpoints, one per target
 * contrast) brought in by `mrsynth convert --run-dir` as a run folder that `mrsynth complete` samples with just
 * as with a trained run. The folder holds run.json (origin 'imported', naming the source checkpoint by path and
 * SHA-256) and weights.safetensors; there is no checkpoint or log, so it cannot be resumed (see readRunConfig).
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { canonicalOrder, type Contrast } from '../data/contrast.js';
import { FORMAT_CONTRASTS } from '../data/dataset.js';
import type { RawTensor } from '../io/safetensors/rawTensor.js';
import { saveSafetensors } from '../io/safetensors/safetensorsFile.js';
import { runtimeInfo } from '../tensor/index.js';
import { assert } from '../util/assert.js';
import { packageVersion } from '../util/packageRoot.js';
import {
  RUN_FORMAT, RUN_FORMAT_VERSION, configHash, describeOrigin, parseAnyRunConfig,
  type ImportedOrigin, type ImportedRunConfig, type RunSchedule,
} from './runConfig.js';
import { RUN_FILES, RUN_WEIGHTS_FORMAT, readAnyRunConfig, writeRunConfig } from './runFolder.js';

/** The reference's noise schedule (spec §5: β = linspace(1e-4, 0.02, 1000)); its weights denoise only on this one. */
export const REFERENCE_SCHEDULE: RunSchedule = Object.freeze({ betaSchedule: 'linear', numTrainTimesteps: 1000 });

/**
 * The conditions the reference stacks on the input channels of its model for `target`, in its fixed order
 * (spec §6): t1n ← t1c, t2w, t2f; t1c ← t1n, t2w, t2f; t2w ← t1n, t1c, t2f; t2f ← t1n, t1c, t2w. That is the
 * other three BraTS contrasts in the order t1n, t1c, t2w, t2f, i.e. our canonical order t1, t1ce, t2, flair,
 * which `mrsynth train` uses too. The weights depend on it: input channels 8–15 take cond_1's eight wavelet
 * bands, 16–23 cond_2's, 24–31 cond_3's; stacked in another order, the model sees the wrong contrasts.
 */
export function referenceConditions(target: Contrast): Contrast[] {
  const brats = FORMAT_CONTRASTS.brats2023;
  assert(brats.includes(target), () => `referenceConditions: the reference trains one model per BraTS contrast (${brats.join(', ')}), `
    + `not '${target}'; name the conditions the weights were trained with`);
  return canonicalOrder(brats.filter((c) => c !== target));
}

export interface ImportedRunOptions {
  /** The checkpoint the weights were converted from. */
  readonly origin: Omit<ImportedOrigin, 'kind'>;
  /** The model family ('cwdm'). */
  readonly model: string;
  readonly target: Contrast;
  /** In input-channel order. Default: {@link referenceConditions}. */
  readonly conditions?: readonly Contrast[];
  /** The network the weights were converted for (a checked config); its `conditions` must be the number of conditions. */
  readonly modelConfig: unknown;
  /**
   * Anything parsePreprocessConfig accepts. Default 'reference': the geometry the reference was trained on
   * (stored voxel order, a 224 × 224 × 160 window of a 240 × 240 × 155 BraTS grid), which its weights expect.
   */
  readonly preprocess?: unknown;
}

/** The run.json of an imported run, checked as every run.json is; the schedule is the reference's. */
export function importedRunConfig(options: ImportedRunOptions): ImportedRunConfig {
  return parseAnyRunConfig({
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    origin: { kind: 'imported', ...options.origin },
    model: options.model,
    target: options.target,
    conditions: options.conditions ?? referenceConditions(options.target),
    modelConfig: options.modelConfig,
    preprocess: options.preprocess ?? 'reference',
    schedule: REFERENCE_SCHEDULE,
    createdWith: { mrsynth: packageVersion(), libtorch: runtimeInfo().torchVersion },
  }) as ImportedRunConfig;
}

/**
 * Refuses to import into `dir` unless it is absent, an empty folder, or (with `force`) an earlier imported run.
 * A trained run is never replaced, even with `force`: its checkpoint is training time that cannot be redone
 * from here. Called before the conversion (which may read gigabytes) and again by {@link writeImportedRun}.
 */
export async function checkImportTarget(dir: string, options: { force?: boolean } = {}): Promise<void> {
  const where = 'writeImportedRun';
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat === undefined) return;
  assert(stat.isDirectory(), () => `${where}: ${dir} exists and is not a folder; a run folder is written there`);
  const entries = await fs.readdir(dir);
  if (entries.length === 0) return;
  assert(entries.includes(RUN_FILES.config), () => `${where}: ${dir} is neither empty nor a run folder (it holds `
    + `${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}); choose another folder`);
  const config = await readAnyRunConfig(dir).catch((error: Error) => {
    throw new Error(`${where}: ${dir} holds a ${RUN_FILES.config} that cannot be read (${error.message}); choose another folder`);
  });
  assert(config.origin.kind === 'imported', () => `${where}: ${dir} holds a run trained by mrsynth train; an import never replaces `
    + 'it, even with --force (its training checkpoint would be lost): choose another folder');
  assert(options.force === true, () => `${where}: ${dir} already holds an imported run (${describeOrigin(config)}); pass --force to replace it`);
}

/**
 * Writes the imported run folder `dir`: weights.safetensors (the converted tensors) and run.json. The folder
 * is built beside `dir` under a hidden name and renamed into place, so `dir` is never seen half written: it
 * holds the earlier run or the complete new one (a crash leaves at most a hidden `.NAME.tmp-*` folder).
 */
export async function writeImportedRun(dir: string, config: ImportedRunConfig, tensors: Readonly<Record<string, RawTensor>>,
  options: { force?: boolean } = {}): Promise<void> {
  await checkImportTarget(dir, options);
  const target = resolve(dir);
  await fs.mkdir(dirname(target), { recursive: true });
  const staging = await fs.mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const metadata = {
      format: RUN_WEIGHTS_FORMAT, config_hash: configHash(config), source_sha256: config.origin.sourceSha256,
      source_prefix: config.origin.sourcePrefix,
    };
    await saveSafetensors(join(staging, RUN_FILES.weights), { ...tensors }, metadata);
    await writeRunConfig(staging, config);
    await moveIntoPlace(staging, target);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Renames the finished `staging` folder to `target`, which is absent, empty or an earlier run (checked by the caller). */
async function moveIntoPlace(staging: string, target: string): Promise<void> {
  const earlier = await fs.readdir(target).then((entries) => entries.length > 0, () => false);
  if (!earlier) {
    // An empty folder (one made for the run beforehand) goes; if removing it fails, so does the rename, which says why.
    await fs.rmdir(target).catch(() => {});
    await fs.rename(staging, target);
  } else {
    // Two renames: the earlier run is moved aside first, and moved back if the new one cannot take its place.
    const aside = `${staging}.replaced`;
    await fs.rename(target, aside);
    try {
      await fs.rename(staging, target);
    } catch (error) {
      await fs.rename(aside, target);
      throw error;
    }
    await fs.rm(aside, { recursive: true, force: true });
  }
  await syncFolder(dirname(target));
}

/** Makes the renames durable; some file systems refuse fsync on a folder, and the data is safe anyway. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try { await handle.sync(); } finally { await handle.close(); }
  } catch { /* best effort */ }
}

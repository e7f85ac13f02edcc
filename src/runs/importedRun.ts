/**
 * An imported run: weights trained elsewhere (e.g. the cWDM reference's published checkpoints, one per target
 * contrast) brought in by `mrsynth convert --run-dir` as a run folder that `mrsynth complete` samples with just
 * as with a trained run. The folder holds run.json (origin 'imported', naming the source checkpoint by path and
 * SHA-256) and the weights file it names; there is no checkpoint or log, so it cannot be resumed (see readRunConfig).
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Contrast } from '../data/index.js';
import { makeFolder } from '../io/index.js';
import type { RawTensor } from '../io/safetensors/index.js';
import { saveSafetensors } from '../io/safetensors/index.js';
import { runtimeInfo } from '../tensor/index.js';
import { assert } from '../util/index.js';
import { packageVersion } from '../util/index.js';
import {
  RUN_FORMAT, RUN_FORMAT_VERSION, configHash, describeOrigin, parseAnyRunConfig,
  type ImportedOrigin, type ImportedRunConfig, type RunSchedule,
} from './runConfig.js';
import { RUN_FILES, RUN_WEIGHTS_FORMAT, readAnyRunConfig, writeRunConfig } from './runFolder.js';

export interface ImportedRunOptions {
  /** The checkpoint the weights were converted from. */
  readonly origin: Omit<ImportedOrigin, 'kind'>;
  /** The synthesis method ('cwdm'). */
  readonly method: string;
  readonly target: Contrast;
  /** In input-channel order: the order the weights were trained with. */
  readonly conditions: readonly Contrast[];
  /** The networks the weights were converted for (the method's checked config). */
  readonly methodConfig: unknown;
  /** The network the weights are of, and the file they go to (e.g. `{ unet: 'weights.safetensors' }`). */
  readonly weights: Readonly<Record<string, string>>;
  /** The noise schedule and prediction type the weights were trained with. */
  readonly schedule: RunSchedule;
  /** Anything parsePreprocessConfig accepts: the geometry and intensity units the weights expect. */
  readonly preprocess: unknown;
}

/** The run.json of an imported run, checked as every run.json is. */
export function importedRunConfig(options: ImportedRunOptions): ImportedRunConfig {
  return parseAnyRunConfig({
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    origin: { kind: 'imported', ...options.origin },
    method: options.method,
    target: options.target,
    conditions: options.conditions,
    methodConfig: options.methodConfig,
    weights: options.weights,
    preprocess: options.preprocess,
    schedule: options.schedule,
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
 * Writes the imported run folder `dir`: the weights file of its one network (the converted tensors) and run.json. The folder
 * is built beside `dir` under a hidden name and renamed into place, so `dir` is never seen half written: it
 * holds the earlier run or the complete new one (a crash leaves at most a hidden `.NAME.tmp-*` folder).
 */
export async function writeImportedRun(dir: string, config: ImportedRunConfig, tensors: Readonly<Record<string, RawTensor>>,
  options: { force?: boolean } = {}): Promise<void> {
  const where = 'writeImportedRun';
  await checkImportTarget(dir, options);
  const target = resolve(dir);
  await makeFolder(dirname(target));
  const staging = await fs.mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const metadata = {
      format: RUN_WEIGHTS_FORMAT, config_hash: configHash(config), source_sha256: config.origin.sourceSha256,
      source_prefix: config.origin.sourcePrefix,
    };
    const files = Object.values(config.weights);
    assert(files.length === 1, () => `${where}: an imported run holds the weights of one network, but run.json names ${files.length} (${files.join(', ')})`);
    await saveSafetensors(join(staging, files[0]), { ...tensors }, metadata);
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

/**
 * A run folder made ready to synthesise: its config (src/runs) checked by its method and its pipeline with the
 * sampling weights (a trained run's EMA, or an imported run's converted weights; no training checkpoint is needed)
 * loaded once, for every case, with the SHA-256 of the weights file that names "this model" in sidecars. A built-in
 * model (`builtin:<name>`) is the run folder its manifest names, whose weights must hash as the manifest says.
 */
import { resolve } from 'node:path';
import { openRun, type OpenedRun } from '../methods/index.js';
import type { Precision } from '../nn/index.js';
import { BUILTIN_PREFIX, builtinModelName, configHash, findBuiltinModel, phantomTrainingNotice, type BuiltinModel } from '../runs/index.js';
import { assert } from '../util/index.js';
import type { SynthesisSidecar } from './synthesisSidecar.js';

export interface LoadedRun extends OpenedRun {
  /** The run folder (a built-in model's, inside the package). */
  readonly dir: string;
  /** Set for a built-in model: its manifest entry. */
  readonly builtin?: BuiltinModel;
}

/**
 * Reads the run in `spec` (a folder, or `builtin:<name>`) and loads its weights strictly (every key present, none
 * unexpected), in `precision` (default fp32), checking each weights file against its recorded checksum unless `verify`
 * is false. `builtinDir` holds the built-in models (default: the package's assets/models/).
 */
export async function loadRun(spec: string, precision?: Precision, verify = true, builtinDir?: string): Promise<LoadedRun> {
  const builtin = builtinModelName(spec) === undefined ? undefined : await findBuiltinModel(spec, builtinDir);
  const dir = builtin?.folder ?? spec;
  const opened = await openRun(dir, { precision, verify });
  if (builtin !== undefined) {
    try {
      checkBuiltinWeights(builtin, opened.weightFiles, dir);
    } catch (error) {
      opened.pipeline.dispose();
      throw error;
    }
  }
  return { dir, ...(builtin !== undefined && { builtin }), ...opened };
}

/**
 * A built-in model's weights files (name → SHA-256, as they were read) against its manifest: every file the run samples
 * with is one the manifest lists, hashing as it says. Anything else means the installation is damaged.
 */
function checkBuiltinWeights(builtin: BuiltinModel, weightFiles: Readonly<Record<string, string>>, dir: string): void {
  const who = `${BUILTIN_PREFIX}${builtin.name}`;
  const damaged = 'the installation is damaged; reinstall mrsynth';
  for (const { file, sha256 } of builtin.weights.files) {
    const read = weightFiles[file];
    assert(read === sha256, () => `${who}: its weights file ${file} in ${dir} hashes to ${read ?? '(not a weights file of the run)'}, `
      + `not to the manifest's ${sha256}: ${damaged}`);
  }
  const unlisted = Object.keys(weightFiles).filter((file) => !builtin.weights.files.some((listed) => listed.file === file));
  assert(unlisted.length === 0, () => `${who}: the run in ${dir} samples with ${unlisted.join(', ')}, which the manifest does not list: ${damaged}`);
}

/**
 * The hash of the weights that make a volume: for what a first stage makes alone (a reconstruction, `translate
 * --first-stage`) its own file, so that it stays current while later stages train on top; else, and where the
 * method's first stage holds no weights (cWDM's Haar codec), the main file.
 */
export function madeWithWeights(run: OpenedRun, firstStageOnly: boolean): string {
  return firstStageOnly ? run.firstStageSha256 ?? run.weightsSha256 : run.weightsSha256;
}

/**
 * What a sidecar records of the model that made a volume: the run (or built-in name), the hash of the weights that made
 * it (madeWithWeights) and the run's config.
 */
export function sidecarModel(run: LoadedRun, firstStageOnly: boolean): SynthesisSidecar['model'] {
  return {
    run: run.builtin === undefined ? resolve(run.dir) : `${BUILTIN_PREFIX}${run.builtin.name}`,
    weightsSha256: madeWithWeights(run, firstStageOnly), configHash: configHash(run.config), config: run.config,
    ...(run.builtin !== undefined && { trainedOn: phantomTrainingNotice(run.builtin) }),
  };
}

/**
 * The run folder: what `mrsynth train` (or `mrsynth convert --run-dir`) writes and `mrsynth complete` reads.
 *
 *   RUN/run.json                 the run's config (see runConfig.ts), which names the weight files below
 *   RUN/checkpoint.safetensors   the full training state, for resuming (trained runs only; see training/)
 *   RUN/<weights>.safetensors    one file per network completion loads, named in run.json's `weights` (cWDM:
 *                                `{ unet: 'weights.safetensors' }`), under the network's state-dict keys: the EMA or
 *                                the trained weights of a trained run (__metadata__: format, step, config_hash), the
 *                                converted weights of an imported one (__metadata__: format, config_hash,
 *                                source_sha256, source_prefix; see importedRun.ts)
 *   RUN/log.jsonl                one JSON object per logged training step or validation (trained runs only)
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkJsonNesting, makeFolder, readRegularFile, writeFileAtomic } from '../io/index.js';
import { decodeSafetensors, nonFiniteElements, type RawTensor } from '../io/safetensors/index.js';
import { assert } from '../util/index.js';
import { configHash, describeOrigin, parseAnyRunConfig, type AnyRunConfig, type RunConfig } from './runConfig.js';

export const RUN_FILES = {
  config: 'run.json',
  checkpoint: 'checkpoint.safetensors',
  weights: 'weights.safetensors',
  log: 'log.jsonl',
} as const;

/** `__metadata__.format` of weights.safetensors. */
export const RUN_WEIGHTS_FORMAT = 'mrsynth-run-weights';

/** The `__metadata__` of weights.safetensors: the step the EMA weights are from and the hash of the config they belong to. */
export function runWeightsMetadata(config: RunConfig, step: number): Record<string, string> {
  return { format: RUN_WEIGHTS_FORMAT, step: String(step), config_hash: configHash(config) };
}

export async function writeRunConfig(dir: string, config: AnyRunConfig): Promise<void> {
  await makeFolder(dir);
  await writeFileAtomic(join(dir, RUN_FILES.config), new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
}

/** run.json is a few kilobytes; a larger one is not ours. */
const MAX_RUN_JSON_BYTES = 16 * 2 ** 20;

/** The config of the run in `dir`, whatever its origin. */
export async function readAnyRunConfig(dir: string): Promise<AnyRunConfig> {
  const path = join(resolve(dir), RUN_FILES.config);
  const text = await readRegularFile(path, { maxBytes: MAX_RUN_JSON_BYTES, what: 'a run.json' }).then((b) => b.toString('utf8'), (error: Error) => {
    throw new Error(`readRunConfig: ${dir} is not a run folder: cannot read ${path} (${error.message})`);
  });
  // run.json nests a handful of levels (a method's config may add some); 64 leaves room and keeps its checks off the stack's limit.
  checkJsonNesting(text, 64, `readRunConfig(${path})`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`readRunConfig: ${path} is not JSON (${(error as Error).message})`);
  }
  try {
    return parseAnyRunConfig(raw);
  } catch (error) {
    throw new Error(`readRunConfig(${path}): ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The config of a run trained here, which is what training resumes. An imported run is refused: it has
 * weights to sample with but no training state (no checkpoint with optimiser moments, EMA, generator states
 * and data order), so there is nothing to continue exactly.
 */
export async function readRunConfig(dir: string): Promise<RunConfig> {
  const config = await readAnyRunConfig(dir);
  assert(config.origin.kind === 'trained', () => `readRunConfig: ${dir} is an imported run (${describeOrigin(config)}), not one `
    + `trained by mrsynth train: it has no training state (${RUN_FILES.checkpoint}) to resume or continue. It can only sample `
    + '(mrsynth complete --models); to train, start a new run with --out.');
  return config as RunConfig;
}

export interface RunFiles {
  readonly config: AnyRunConfig;
  /** Absolute path of each network's weights, by network name, in run.json's order (the first is the main file). */
  readonly weightPaths: Readonly<Record<string, string>>;
}

/**
 * A run to sample with, trained (finished or checkpointed) or imported: its config and where its weights are;
 * refuses a folder that lacks any of them. No training checkpoint is needed.
 */
export async function readRun(dir: string): Promise<RunFiles> {
  const config = await readAnyRunConfig(dir);
  const weightPaths = Object.fromEntries(Object.entries(config.weights).map(([network, file]) => [network, join(resolve(dir), file)]));
  for (const [network, path] of Object.entries(weightPaths)) {
    const present = await fs.access(path).then(() => true, () => false);
    assert(present, () => `readRun: ${dir} has ${RUN_FILES.config} but not ${config.weights[network]}, the weights of '${network}'; `
      + `${config.origin.kind === 'trained' ? 'the run has not written a checkpoint yet' : 'an imported run is written with all of them, so it was removed since'}`);
  }
  return { config, weightPaths };
}

/** One weights file of a run as read: the SHA-256 of its bytes (what names it in sidecars and parents) and its tensors. */
export interface RunWeightsFile {
  readonly sha256: string;
  readonly tensors: Record<string, RawTensor>;
}

/**
 * Reads a run's weights file once: hashes the bytes read, decodes them (checking the recorded data checksum unless
 * `verify` is false) and refuses a floating-point tensor holding NaN or ±Inf, naming `what` (the caller), the file and
 * the tensor. Opening a run and taking networks over from a parent both go through here.
 */
export async function readRunWeightsFile(path: string, what: string, options: { verify?: boolean } = {}): Promise<RunWeightsFile> {
  const bytes = await readRegularFile(path).catch((error: Error) => {
    throw new Error(`${what}: cannot read ${path} (${error.message})`);
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const { tensors } = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, { verify: options.verify });
  for (const [name, raw] of Object.entries(tensors)) {
    const { count, first } = nonFiniteElements(raw);
    assert(count === 0, () => `${what}: ${path}: tensor '${name}' holds ${count} NaN or infinite value(s) (the first at flat index ${first}); `
      + 'the file is damaged or its training diverged, and a model with them cannot synthesise');
  }
  return { sha256, tensors };
}

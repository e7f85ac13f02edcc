/**
 * The run folder: what `mrsynth train` writes and `mrsynth complete` reads.
 *
 *   RUN/run.json                 the RunConfig (see runConfig.ts)
 *   RUN/checkpoint.safetensors   the full training state, for resuming
 *   RUN/weights.safetensors      the EMA weights under the model's state-dict keys, what completion samples with;
 *                                __metadata__ holds format, step and config_hash
 *   RUN/log.jsonl                one JSON object per logged training step or validation
 */
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { assert } from '../util/assert.js';
import { configHash, parseRunConfig, type RunConfig } from './runConfig.js';

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

export async function writeRunConfig(dir: string, config: RunConfig): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, RUN_FILES.config), new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
}

export async function readRunConfig(dir: string): Promise<RunConfig> {
  const path = join(resolve(dir), RUN_FILES.config);
  const text = await fs.readFile(path, 'utf8').catch((error: Error) => {
    throw new Error(`readRunConfig: ${dir} is not a run folder: cannot read ${path} (${error.message})`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`readRunConfig: ${path} is not JSON (${(error as Error).message})`);
  }
  try {
    return parseRunConfig(raw);
  } catch (error) {
    throw new Error(`readRunConfig(${path}): ${(error as Error).message}`, { cause: error });
  }
}

export interface RunFiles {
  readonly config: RunConfig;
  /** Absolute path of the EMA weights. */
  readonly weightsPath: string;
}

/** A finished (or checkpointed) run: its config and where its sampling weights are; refuses a folder without weights. */
export async function readRun(dir: string): Promise<RunFiles> {
  const config = await readRunConfig(dir);
  const weightsPath = join(resolve(dir), RUN_FILES.weights);
  const present = await fs.access(weightsPath).then(() => true, () => false);
  assert(present, () => `readRun: ${dir} has ${RUN_FILES.config} but no ${RUN_FILES.weights}; the run has not written a checkpoint yet`);
  return { config, weightsPath };
}

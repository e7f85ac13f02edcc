import { readAnyRunConfig, runFolderOf } from '../runs/index.js';
import type { RunUnits } from '../metrics/index.js';

/**
 * `--normalise-as RUN`: the model units of a run folder (its preprocessing), for eval and baseline to map references
 * and sources into exactly as completion maps that run's syntheses back. A built-in model (`builtin:<name>`) has its run's.
 */
export async function readRunUnits(spec: string): Promise<RunUnits> {
  const config = await readAnyRunConfig(await runFolderOf(spec));
  return { preprocess: config.preprocess, source: spec };
}

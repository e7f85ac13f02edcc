import { readAnyRunConfig } from '../runs/index.js';
import type { RunUnits } from '../metrics/index.js';

/**
 * `--normalise-as RUN`: the model units of a run folder (its preprocessing), for eval and baseline to map references
 * and sources into exactly as completion maps that run's syntheses back.
 */
export async function readRunUnits(dir: string): Promise<RunUnits> {
  const config = await readAnyRunConfig(dir);
  return { preprocess: config.preprocess, source: dir };
}

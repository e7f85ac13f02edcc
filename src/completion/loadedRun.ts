/**
 * A run folder made ready to synthesise: its config (src/runs) checked by its method and its pipeline with the
 * sampling weights (a trained run's EMA, or an imported run's converted weights; no training checkpoint is needed)
 * loaded once, for every case, with the SHA-256 of the weights file that names "this model" in sidecars.
 */
import { openRun, type OpenedRun } from '../methods/index.js';
import type { Precision } from '../nn/index.js';

export interface LoadedRun extends OpenedRun {
  /** The run folder as given. */
  readonly dir: string;
}

/**
 * Reads the run in `dir` and loads its weights strictly (every key present, none unexpected), in `precision` (default
 * fp32), checking each weights file against its recorded checksum unless `verify` is false.
 */
export async function loadRun(dir: string, precision?: Precision, verify = true): Promise<LoadedRun> {
  return { dir, ...(await openRun(dir, { precision, verify })) };
}

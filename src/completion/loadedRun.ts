/**
 * A run folder made ready to synthesise: its config (src/runs) and its sampling weights (a trained run's EMA, or
 * an imported run's converted weights; no training checkpoint is needed) loaded into the network once, for every
 * case, with the SHA-256 of the weights file that names "this model" in sidecars.
 */
import { assert } from '../util/assert.js';
import { loadModule } from '../nn/index.js';
import { CwdmUNet, cwdmSpatialMultiple } from '../models/wdm/index.js';
import { CwdmPipeline } from '../pipelines/cwdm/index.js';
import { readRun, type AnyRunConfig } from '../runs/index.js';
import { WaveletCodec } from '../codecs/index.js';
import { sha256File } from './sha256File.js';

export interface LoadedRun {
  /** The run folder as given. */
  readonly dir: string;
  readonly config: AnyRunConfig;
  readonly weightsPath: string;
  readonly weightsSha256: string;
  readonly pipeline: CwdmPipeline;
}

/** Reads the run in `dir` and loads its weights strictly (every key present, none unexpected). */
export async function loadRun(dir: string): Promise<LoadedRun> {
  const { config, weightsPath } = await readRun(dir);
  // cWDM clips every x̂₀ to [0, 1] in image space, so its inputs and outputs are in [0, 1]; sidecars and headers say so.
  const intensity = config.preprocess.steps.filter((s) => s.kind === 'intensity');
  assert(intensity.length === 1 && intensity[0].range[0] === 0 && intensity[0].range[1] === 1,
    () => `loadRun: ${dir}: a cWDM run must normalise each contrast to [0, 1] exactly once, got intensity steps ${JSON.stringify(intensity)}`);
  const model = new CwdmUNet(config.modelConfig);
  try {
    await loadModule(weightsPath, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  model.eval();
  const codec = new WaveletCodec({ latentMultiple: cwdmSpatialMultiple(config.modelConfig) });
  return { dir, config, weightsPath, weightsSha256: await sha256File(weightsPath), pipeline: new CwdmPipeline(model, codec) };
}

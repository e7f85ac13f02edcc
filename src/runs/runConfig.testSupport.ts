import { parseCwdmUNetConfig } from '../models/wdm/index.js';
import { parsePreprocessConfig } from '../transforms/index.js';
import { parseRunConfig, type RunConfig } from './runConfig.js';

/** A valid BraTS-style run config (tiny network, target T1ce) for tests of the run folder. */
export function exampleRunConfig(): RunConfig {
  return parseRunConfig({
    format: 'mrsynth-run', formatVersion: 2, method: 'cwdm', target: 't1ce', conditions: ['t1', 't2', 'flair'],
    methodConfig: parseCwdmUNetConfig('tiny'), weights: { unet: 'weights.safetensors' }, preprocess: parsePreprocessConfig('cwdm'),
    schedule: { betaSchedule: 'linear', numTrainTimesteps: 1000, predictionType: 'sample' },
    training: { lr: 1e-3, weightDecay: 0, batchSize: 1, emaDecay: 0.9999, seed: 3, steps: 100, randomStreams: 'keyed' },
    data: { path: '/data/brats', splitSeed: 0 }, createdWith: { mrsynth: '0.1.0', libtorch: '2.1.0' },
  });
}

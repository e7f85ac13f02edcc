import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';
import { BUILTIN_MANIFEST, BUILTIN_MANIFEST_FORMAT, BUILTIN_MANIFEST_VERSION } from './builtinModels.js';

/** A manifest entry for the model `name` in folder `folder`, its weights hashing to `sha256` (figures made up, well-formed). */
export function exampleBuiltinEntry(name: string, folder: string, sha256: string): Record<string, unknown> {
  const scores = { psnr: 20, ssim: 0.8 };
  return {
    name, description: 'cWDM tiny: T1ce from T1, T2 and FLAIR', method: 'cwdm', targets: ['t1ce'], folder,
    weights: { file: 'weights.safetensors', sha256, dtype: 'F32', bytes: 1, precisionCostDb: 0 },
    training: { commands: ['mrsynth phantom --out data/train --cases 2 --seed 7', 'mrsynth train cwdm --data data/train --steps 2 --out run'], commit: 'abc', steps: 2, firstLosses: [0.5, 0.4] },
    data: { phantomSeed: 7, cases: 2, shape: [32, 32, 32], spacing: 6 },
    heldout: { phantomSeed: 1007, sampler: { kind: 'ddim', steps: 2, eta: 0, seed: 7 }, units: 'cWDM [0, 1]', mask: 'brain',
      cases: [{ case: 'Phantom1007_00000', model: scores, trainedAffine: scores, oracleAffine: scores }] },
  };
}

/**
 * A built-in models folder in `dir` holding the pinned test run (test-fixtures/pinned/run) as the model `name`, with
 * a manifest whose hash of its weights is `sha256` (default: the true one).
 */
export function writeExampleBuiltinModels(dir: string, name = 'pinned-t1ce', sha256?: string): void {
  const run = join(packageRoot(), 'test-fixtures', 'pinned', 'run');
  mkdirSync(join(dir, name), { recursive: true });
  for (const file of ['run.json', 'weights.safetensors']) cpSync(join(run, file), join(dir, name, file));
  const truth = createHash('sha256').update(readFileSync(join(run, 'weights.safetensors'))).digest('hex');
  const manifest = {
    format: BUILTIN_MANIFEST_FORMAT, formatVersion: BUILTIN_MANIFEST_VERSION, licence: 'CC BY-SA 3.0 (test)',
    models: [exampleBuiltinEntry(name, name, sha256 ?? truth)],
  };
  writeFileSync(join(dir, BUILTIN_MANIFEST), JSON.stringify(manifest));
}

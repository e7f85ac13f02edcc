import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Contrast } from '../data/index.js';
import { packageRoot } from '../util/index.js';
import { BUILTIN_MANIFEST, BUILTIN_MANIFEST_FORMAT, BUILTIN_MANIFEST_VERSION, type BuiltinWeightsFile } from './builtinModels.js';
import { readAnyRunConfig } from './runFolder.js';

/** What an example model completes: a target from its sources. */
export interface ExampleTask {
  readonly sources: readonly Contrast[];
  readonly target: Contrast;
}

/** A manifest entry for the model `name` in folder `folder` with weights `files` completing `tasks` (figures made up, well-formed). */
export function exampleBuiltinEntry(name: string, folder: string, files: readonly BuiltinWeightsFile[],
  tasks: readonly ExampleTask[] = [{ sources: ['t1', 't2', 'flair'], target: 't1ce' }]): Record<string, unknown> {
  const scores = { psnr: 20, ssim: 0.8 };
  return {
    name, description: 'cWDM tiny: T1ce from T1, T2 and FLAIR', method: 'cwdm', targets: tasks.map((task) => task.target), folder,
    weights: { files, dtype: 'F32', precisionCostDb: 0 },
    training: { commands: ['mrsynth phantom --out data/train --cases 2 --seed 7', 'mrsynth train cwdm --data data/train --steps 2 --out run'], commit: 'abc', steps: 2, firstLosses: [0.5, 0.4] },
    data: { phantomSeed: 7, cases: 2, shape: [32, 32, 32], spacing: 6 },
    heldout: { phantomSeed: 1007, sampler: { kind: 'ddim', steps: 2, eta: 0, seed: 7 }, units: 'cWDM [0, 1]', mask: 'brain',
      tasks: tasks.map((task) => ({ ...task, cases: [{ case: 'Phantom1007_00000', model: scores, trainedAffine: scores, oracleAffine: scores }] })) },
  };
}

/**
 * A built-in models folder in `dir` holding the run folder `run` (default: the pinned test run, test-fixtures/pinned/run)
 * as the model `name`, with a manifest listing each of the run's weights files with its true hash and size, except
 * where `sha256` gives one (file → hash) and without those `unlisted` names.
 */
export async function writeExampleBuiltinModels(dir: string, name = 'pinned-t1ce', options: {
  run?: string; sha256?: Readonly<Record<string, string>>; unlisted?: readonly string[]; tasks?: readonly ExampleTask[];
} = {}): Promise<void> {
  const run = options.run ?? join(packageRoot(), 'test-fixtures', 'pinned', 'run');
  mkdirSync(join(dir, name), { recursive: true });
  const weights = Object.values((await readAnyRunConfig(run)).weights);
  for (const file of ['run.json', ...weights]) cpSync(join(run, file), join(dir, name, file));
  const files = weights
    .filter((file) => !(options.unlisted ?? []).includes(file))
    .map((file) => ({
      file, bytes: statSync(join(run, file)).size,
      sha256: options.sha256?.[file] ?? createHash('sha256').update(readFileSync(join(run, file))).digest('hex'),
    }));
  const manifest = {
    format: BUILTIN_MANIFEST_FORMAT, formatVersion: BUILTIN_MANIFEST_VERSION, licence: 'CC BY-SA 3.0 (test)',
    models: [exampleBuiltinEntry(name, name, files, options.tasks)],
  };
  writeFileSync(join(dir, BUILTIN_MANIFEST), JSON.stringify(manifest));
}

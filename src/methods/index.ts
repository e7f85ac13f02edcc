/**
 * The synthesis methods, by the name run.json and the command line use for them, and what the layers serving every
 * method need from a run folder: its config checked by its method and its pipeline with the weights loaded.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeSafetensors, type RawTensor } from '../io/safetensors/index.js';
import type { Precision } from '../nn/index.js';
import type { DiffusionPipeline } from '../pipelines/index.js';
import { readRun, type AnyRunConfig } from '../runs/index.js';
import { assert } from '../util/assert.js';
import { cwdmMethod } from './cwdm/index.js';
import type { SynthesisMethod } from './method.js';

export type { ParameterPart, ReferenceConventions, SynthesisMethod } from './method.js';

export const METHODS: Readonly<Record<string, SynthesisMethod>> = Object.freeze({ cwdm: cwdmMethod as SynthesisMethod });
export const METHOD_NAMES = Object.keys(METHODS);

/** The method registered under `name`; an unknown name is refused with the list of known ones. */
export function method(name: string): SynthesisMethod {
  assert(Object.hasOwn(METHODS, name), () => `unknown synthesis method '${name}'; expected one of ${METHOD_NAMES.join(', ')}`);
  return METHODS[name];
}

/** A run folder made ready to synthesise with. */
export interface OpenedRun {
  readonly config: AnyRunConfig;
  /** The main weights file (weights.safetensors). */
  readonly weightsPath: string;
  /** SHA-256 of the main weights file: what names "this model" in sidecars. */
  readonly weightsSha256: string;
  /** SHA-256 of every weights file of the run, by file name. */
  readonly weightFiles: Readonly<Record<string, string>>;
  readonly pipeline: DiffusionPipeline<unknown>;
}

/**
 * Reads the run in `dir` (trained or imported), checks it with its method, and builds its pipeline with the sampling
 * weights loaded strictly, in `precision`. The weights file is read once: its hash comes from the bytes loaded.
 */
export async function openRun(dir: string, options: { precision?: Precision } = {}): Promise<OpenedRun> {
  const { config, weightsPath } = await readRun(dir);
  const where = `openRun(${dir})`;
  const m = method(config.model);
  m.parseConfig(config.modelConfig, config.conditions);
  m.checkRun(config, where);
  const weights: Record<string, Record<string, RawTensor>> = {};
  const weightFiles: Record<string, string> = {};
  for (const [network, file] of Object.entries(m.weightFiles)) {
    const path = join(dirname(weightsPath), file);
    const bytes = await readFile(path).catch((error: Error) => {
      throw new Error(`${where}: cannot read the weights of '${network}' (${error.message})`);
    });
    weightFiles[file] = createHash('sha256').update(bytes).digest('hex');
    weights[network] = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path).tensors;
  }
  const pipeline = m.pipeline(config, weights, where);
  if (options.precision !== undefined) pipeline.to(options.precision);
  return { config, weightsPath, weightsSha256: weightFiles[basename(weightsPath)], weightFiles, pipeline };
}

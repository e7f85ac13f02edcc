/**
 * The synthesis methods, by the name run.json and the command line use for them, and what the layers serving every
 * method need from a run folder: its config checked by its method and its pipeline with the weights loaded.
 */
import type { RawTensor } from '../io/safetensors/index.js';
import type { Precision } from '../nn/index.js';
import type { DiffusionPipeline } from '../pipelines/index.js';
import { readRun, readRunWeightsFile, type AnyRunConfig } from '../runs/index.js';
import { assert } from '../util/index.js';
import { aldmMethod } from './aldm/index.js';
import { cwdmMethod } from './cwdm/index.js';
import type { SynthesisMethod } from './method.js';

export type { ParameterPart, ReferenceConventions, SynthesisMethod } from './method.js';

const registry: Record<string, SynthesisMethod> = { cwdm: cwdmMethod as SynthesisMethod, aldm: aldmMethod as SynthesisMethod };

/** The registered methods by name (a live view: a method registered later shows up). */
export const METHODS: Readonly<Record<string, SynthesisMethod>> = registry;
/** The names of the methods built into mrsynth. */
export const METHOD_NAMES: readonly string[] = Object.freeze(Object.keys(registry));

/** The method registered under `name`; an unknown name is refused with the list of known ones. */
export function method(name: string): SynthesisMethod {
  assert(Object.hasOwn(registry, name), () => `unknown synthesis method '${name}'; expected one of ${Object.keys(registry).join(', ')}`);
  return registry[name];
}

/**
 * Adds a method defined outside this package (or a test's), so that run folders, completion and training serve it
 * by name like the built-in ones; a name already taken is refused.
 */
export function registerMethod(m: SynthesisMethod<any>): void {
  assert(/^[a-z][a-z0-9-]*$/.test(m.name), () => `registerMethod: a method's name must be lower-case letters, digits and '-', got ${JSON.stringify(m.name)}`);
  assert(!Object.hasOwn(registry, m.name), () => `registerMethod: a method named '${m.name}' is registered already`);
  assert(m.training === undefined || m.training.method === m.name,
    () => `registerMethod: the training recipe of '${m.name}' records its runs as '${m.training!.method}'`);
  registry[m.name] = m as SynthesisMethod;
}

/** A run folder made ready to synthesise with. */
export interface OpenedRun {
  readonly config: AnyRunConfig;
  /** The main weights file (the first run.json names). */
  readonly weightsPath: string;
  /** SHA-256 of the main weights file: what names "this model" in sidecars. */
  readonly weightsSha256: string;
  /** SHA-256 of the first stage's weights file (the method's `firstStageNetwork`), where the method has one. */
  readonly firstStageSha256?: string;
  /** SHA-256 of every weights file of the run, by file name. */
  readonly weightFiles: Readonly<Record<string, string>>;
  readonly pipeline: DiffusionPipeline<unknown>;
}

/**
 * Reads the run in `dir` (trained or imported), checks it with its method, and builds its pipeline with the sampling
 * weights loaded strictly, in `precision`. The weights file is read once: its hash comes from the bytes loaded.
 */
export async function openRun(dir: string, options: { precision?: Precision; verify?: boolean } = {}): Promise<OpenedRun> {
  const { config, weightPaths } = await readRun(dir);
  const where = `openRun(${dir})`;
  const m = method(config.method);
  m.parseConfig(config.methodConfig, config.conditions);
  m.checkRun(config, where);
  const weights: Record<string, Record<string, RawTensor>> = {};
  const weightFiles: Record<string, string> = {};
  for (const [network, path] of Object.entries(weightPaths)) {
    const file = await readRunWeightsFile(path, `${where}: the weights of '${network}'`, { verify: options.verify });
    weightFiles[config.weights[network]] = file.sha256;
    weights[network] = file.tensors;
  }
  const pipeline = m.pipeline(config, weights, where);
  if (options.precision !== undefined) pipeline.to(options.precision);
  const [main] = Object.values(config.weights);
  const firstStage = m.firstStageNetwork === undefined ? undefined : config.weights[m.firstStageNetwork];
  return {
    config, weightsPath: weightPaths[Object.keys(config.weights)[0]], weightsSha256: weightFiles[main],
    ...(firstStage !== undefined && { firstStageSha256: weightFiles[firstStage] }), weightFiles, pipeline,
  };
}

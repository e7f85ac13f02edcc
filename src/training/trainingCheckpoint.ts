/**
 * Training checkpoints: everything needed to resume a run exactly — model weights, AdamW moments and step
 * counts, EMA weights, random generator states, the step and the run's config — in one safetensors file.
 * Tensors are grouped by key prefix (`model.`, `ema.`, `optimizer.exp_avg.`, `optimizer.exp_avg_sq.`,
 * `generator.`); everything else is JSON in `__metadata__` next to the format name and version, so the
 * file stays readable by any safetensors tool and the weights by PyTorch.
 */
import type { Module } from '../nn/module.js';
import type { AdamW, AdamWHyperParameters } from '../optim/adamW.js';
import type { EMA } from '../optim/ema.js';
import { Generator, tidy } from '../tensor/index.js';
import { assert } from '../util/assert.js';
import type { RawTensor } from '../io/safetensors/rawTensor.js';
import type { SafetensorsContents } from '../io/safetensors/safetensors.js';
import { loadSafetensors, saveSafetensors, saveSafetensorsSync } from '../io/safetensors/safetensorsFile.js';
import { loadRawIntoModule, moduleToRaw } from '../nn/moduleFile.js';
import { rawToTensor, tensorToRaw } from '../io/safetensors/tensorRaw.js';

export const TRAINING_CHECKPOINT_FORMAT = 'mrsynth-training-checkpoint';
export const TRAINING_CHECKPOINT_VERSION = 1;

/** The live objects a checkpoint is taken from and restored into. */
export interface TrainingComponents {
  model: Module;
  optimizer: AdamW;
  ema?: EMA;
  /** Generators by a name of the caller's choosing (e.g. `noise`, `dropout`); the global one is `Generator.global()`. */
  generators?: Record<string, Generator>;
}

export interface TrainingProgress {
  /** Completed training steps. */
  step: number;
  /** The run's configuration, stored as JSON. */
  config: unknown;
}

const PREFIX = {
  model: 'model.', ema: 'ema.', expAvg: 'optimizer.exp_avg.', expAvgSq: 'optimizer.exp_avg_sq.', generator: 'generator.',
} as const;

interface OptimizerMetadata {
  hyper: AdamWHyperParameters;
  steps: Record<string, number>;
}

interface EmaMetadata {
  numUpdates: number;
}

/** The checkpoint as safetensors contents (raw tensors and string metadata). */
export function encodeTrainingCheckpoint(components: TrainingComponents, progress: TrainingProgress): SafetensorsContents {
  assert(Number.isInteger(progress.step) && progress.step >= 0,
    () => `encodeTrainingCheckpoint: step must be a non-negative integer, got ${progress.step}`);
  const tensors: Record<string, RawTensor> = {};
  const add = (prefix: string, entries: Record<string, RawTensor>) => {
    for (const [key, raw] of Object.entries(entries)) tensors[prefix + key] = raw;
  };
  add(PREFIX.model, moduleToRaw(components.model));
  const optimizer: OptimizerMetadata = tidy(() => {
    const state = components.optimizer.state();
    const steps: Record<string, number> = {};
    for (const [name, { step, expAvg, expAvgSq }] of Object.entries(state.parameters)) {
      steps[name] = step;
      tensors[PREFIX.expAvg + name] = tensorToRaw(expAvg);
      tensors[PREFIX.expAvgSq + name] = tensorToRaw(expAvgSq);
    }
    return { hyper: state.hyper, steps };
  });
  const metadata: Record<string, string> = {
    format: TRAINING_CHECKPOINT_FORMAT,
    format_version: String(TRAINING_CHECKPOINT_VERSION),
    step: String(progress.step),
    config: JSON.stringify(progress.config ?? null),
    optimizer: JSON.stringify(optimizer),
  };
  if (components.ema !== undefined) {
    const ema = components.ema;
    const emaMetadata: EmaMetadata = tidy(() => {
      const state = ema.state();
      for (const [name, t] of Object.entries(state.shadow)) tensors[PREFIX.ema + name] = tensorToRaw(t);
      return { numUpdates: state.numUpdates };
    });
    metadata.ema = JSON.stringify(emaMetadata);
  }
  for (const [name, generator] of Object.entries(components.generators ?? {})) {
    const bytes = generator.getState();
    tensors[PREFIX.generator + name] = { dtype: 'U8', shape: [bytes.length], data: bytes };
  }
  return { tensors, metadata };
}

/**
 * Restores a checkpoint into live components and returns the step and config. The file must hold exactly
 * what `components` asks for — every section present, no tensor left over. Those checks run before any
 * component changes; each component then checks its own part (names, shapes) before it is written, so a
 * model that does not match the file is refused untouched, and so on down the list.
 */
export function restoreTrainingCheckpoint(contents: SafetensorsContents, components: TrainingComponents, source = 'checkpoint'): TrainingProgress {
  const where = `restoreTrainingCheckpoint(${source})`;
  const { tensors, metadata } = contents;
  assert(metadata.format === TRAINING_CHECKPOINT_FORMAT,
    () => `${where}: __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${TRAINING_CHECKPOINT_FORMAT}"`);
  assert(metadata.format_version === String(TRAINING_CHECKPOINT_VERSION),
    () => `${where}: format_version ${JSON.stringify(metadata.format_version)} is not supported (this build reads ${TRAINING_CHECKPOINT_VERSION})`);
  const step = Number(metadata.step);
  assert(Number.isInteger(step) && step >= 0, () => `${where}: step ${JSON.stringify(metadata.step)} is not a non-negative integer`);
  const config = parseJson(metadata.config, 'config', where);
  const optimizer = parseJson(metadata.optimizer, 'optimizer', where) as OptimizerMetadata;
  assert(components.ema === undefined || metadata.ema !== undefined, () => `${where}: an EMA was given but the checkpoint has none`);
  assert(components.ema !== undefined || metadata.ema === undefined, () => `${where}: the checkpoint has an EMA but none was given to restore it into`);

  const sections = {
    model: take(tensors, PREFIX.model), ema: take(tensors, PREFIX.ema), expAvg: take(tensors, PREFIX.expAvg),
    expAvgSq: take(tensors, PREFIX.expAvgSq), generator: take(tensors, PREFIX.generator),
  };
  const stray = Object.keys(tensors).filter((k) => !Object.values(PREFIX).some((p) => k.startsWith(p)));
  assert(stray.length === 0, () => `${where}: tensors outside every section: ${stray.join(', ')}`);
  const wanted = Object.keys(components.generators ?? {});
  const saved = Object.keys(sections.generator);
  assert(wanted.length === saved.length && wanted.every((n) => saved.includes(n)),
    () => `${where}: generators in the file [${saved.join(', ')}] differ from those to restore [${wanted.join(', ')}]`);
  for (const [name, raw] of Object.entries(sections.generator)) {
    assert(raw.dtype === 'U8' && raw.shape.length === 1, () => `${where}: generator '${name}' must be a U8 vector, got ${raw.dtype} [${raw.shape}]`);
  }
  const stepNames = Object.keys(optimizer.steps ?? {});
  assert(sameKeys(stepNames, Object.keys(sections.expAvg)) && sameKeys(stepNames, Object.keys(sections.expAvgSq)),
    () => `${where}: optimizer steps [${stepNames.join(', ')}] do not match its moments [${Object.keys(sections.expAvg).join(', ')}] / [${Object.keys(sections.expAvgSq).join(', ')}]`);

  loadRawIntoModule(components.model, sections.model);
  tidy(() => {
    const parameters = Object.fromEntries(stepNames.map((name) => [name, {
      step: optimizer.steps[name], expAvg: rawToTensor(sections.expAvg[name]), expAvgSq: rawToTensor(sections.expAvgSq[name]),
    }]));
    components.optimizer.loadState({ hyper: optimizer.hyper, parameters });
    if (components.ema !== undefined) {
      const ema = parseJson(metadata.ema, 'ema', where) as EmaMetadata;
      const shadow = Object.fromEntries(Object.entries(sections.ema).map(([name, raw]) => [name, rawToTensor(raw)]));
      components.ema.loadState({ numUpdates: ema.numUpdates, shadow });
    }
  });
  for (const [name, generator] of Object.entries(components.generators ?? {})) generator.setState(sections.generator[name].data);
  return { step, config };
}

function take(tensors: Record<string, RawTensor>, prefix: string): Record<string, RawTensor> {
  return Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((k) => b.includes(k));
}

function parseJson(text: string | undefined, field: string, where: string): unknown {
  assert(text !== undefined, () => `${where}: __metadata__ has no "${field}"`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: __metadata__.${field} is not JSON (${(error as Error).message})`);
  }
}

/** Writes a training checkpoint atomically. */
export async function saveTrainingCheckpoint(path: string, components: TrainingComponents, progress: TrainingProgress): Promise<void> {
  const { tensors, metadata } = encodeTrainingCheckpoint(components, progress);
  await saveSafetensors(path, tensors, metadata);
}

/** Synchronous twin of {@link saveTrainingCheckpoint}, for the Ctrl-C path where the event loop may not run again. */
export function saveTrainingCheckpointSync(path: string, components: TrainingComponents, progress: TrainingProgress): void {
  const { tensors, metadata } = encodeTrainingCheckpoint(components, progress);
  saveSafetensorsSync(path, tensors, metadata);
}

export async function loadTrainingCheckpoint(path: string, components: TrainingComponents): Promise<TrainingProgress> {
  return restoreTrainingCheckpoint(await loadSafetensors(path), components, path);
}

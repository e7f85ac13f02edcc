/**
 * Training checkpoints: everything needed to resume a run exactly — each network's weights, each optimiser's AdamW
 * moments and step counts, each EMA, the random generator states, the step and the run's config — in one
 * safetensors file. Networks, optimisers and EMAs are named (a method may train several, e.g. a generator and a
 * discriminator), and their tensors are grouped by key prefix: `network.NAME.`, `ema.NAME.`,
 * `optimizer.NAME.exp_avg.`, `optimizer.NAME.exp_avg_sq.`, `generator.NAME`; everything else is JSON in
 * `__metadata__` next to the format name and version, so the file stays readable by any safetensors tool and the
 * weights by PyTorch.
 *
 * Format 1 held exactly one network, optimiser and EMA, unnamed (`model.`, `ema.`, `optimizer.exp_avg.`, …);
 * {@link migrateTrainingCheckpoint} reads it as format 2 with all three under the one name a caller gives.
 */
import type { AdamW, AdamWHyperParameters } from '../optim/index.js';
import type { EMA } from '../optim/index.js';
import { rawToTensor, tensorToRaw, type RawTensor, type SafetensorsContents } from '../io/safetensors/index.js';
import { loadRawIntoModule, moduleToRaw, type Module } from '../nn/index.js';
import { tidy, type Generator } from '../tensor/index.js';
import { assert } from '../util/index.js';

export const TRAINING_CHECKPOINT_FORMAT = 'mrsynth-training-checkpoint';
export const TRAINING_CHECKPOINT_VERSION = 2;

/** The live objects a checkpoint is taken from and restored into, each by name. */
export interface TrainingComponents {
  /** Every network of the run (its float32 masters), trained or frozen. */
  readonly networks: Readonly<Record<string, Module>>;
  /** The optimiser of each trained network, by the network's name. */
  readonly optimizers: Readonly<Record<string, AdamW>>;
  /** The EMA of each averaged network, by the network's name. */
  readonly emas?: Readonly<Record<string, EMA>>;
  /** Generators by a name of the caller's choosing (e.g. `noise`, `data`); the global one is `Generator.global()`. */
  readonly generators?: Readonly<Record<string, Generator>>;
}

export interface TrainingProgress {
  /** Completed training steps. */
  readonly step: number;
  /** The run's configuration, stored as JSON. */
  readonly config: unknown;
}

const NAME = /^[a-z][A-Za-z0-9]*$/;
const prefix = {
  network: (name: string) => `network.${name}.`,
  ema: (name: string) => `ema.${name}.`,
  expAvg: (name: string) => `optimizer.${name}.exp_avg.`,
  expAvgSq: (name: string) => `optimizer.${name}.exp_avg_sq.`,
  generator: 'generator.',
};

interface OptimizerMetadata {
  hyper: AdamWHyperParameters;
  steps: Record<string, number>;
}

interface EmaMetadata {
  numUpdates: number;
}

function checkNames(components: TrainingComponents, where: string): void {
  const named = [components.networks, components.optimizers, components.emas ?? {}, components.generators ?? {}];
  for (const name of named.flatMap((group) => Object.keys(group))) {
    assert(NAME.test(name), () => `${where}: the name ${JSON.stringify(name)} must match ${NAME} (it becomes a key prefix)`);
  }
  for (const name of [...Object.keys(components.optimizers), ...Object.keys(components.emas ?? {})]) {
    assert(Object.hasOwn(components.networks, name), () => `${where}: an optimiser or EMA is named '${name}', which is no network's name`);
  }
}

/**
 * The checkpoint as safetensors contents (raw tensors and string metadata); `metadata` adds the caller's own
 * entries (e.g. the data order), which must not reuse the names this format writes.
 */
export function encodeTrainingCheckpoint(components: TrainingComponents, progress: TrainingProgress,
  metadata: Readonly<Record<string, string>> = {}): SafetensorsContents {
  const where = 'encodeTrainingCheckpoint';
  assert(Number.isInteger(progress.step) && progress.step >= 0, () => `${where}: step must be a non-negative integer, got ${progress.step}`);
  checkNames(components, where);
  const tensors: Record<string, RawTensor> = {};
  const add = (keyPrefix: string, entries: Record<string, RawTensor>) => {
    for (const [key, raw] of Object.entries(entries)) tensors[keyPrefix + key] = raw;
  };
  for (const [name, network] of Object.entries(components.networks)) add(prefix.network(name), moduleToRaw(network));
  const optimizers: Record<string, OptimizerMetadata> = {};
  for (const [name, optimizer] of Object.entries(components.optimizers)) {
    optimizers[name] = tidy(() => {
      const state = optimizer.state();
      const steps: Record<string, number> = {};
      for (const [parameter, { step, expAvg, expAvgSq }] of Object.entries(state.parameters)) {
        steps[parameter] = step;
        tensors[prefix.expAvg(name) + parameter] = tensorToRaw(expAvg);
        tensors[prefix.expAvgSq(name) + parameter] = tensorToRaw(expAvgSq);
      }
      return { hyper: state.hyper, steps };
    });
  }
  const emas: Record<string, EmaMetadata> = {};
  for (const [name, ema] of Object.entries(components.emas ?? {})) {
    emas[name] = tidy(() => {
      const state = ema.state();
      for (const [parameter, t] of Object.entries(state.shadow)) tensors[prefix.ema(name) + parameter] = tensorToRaw(t);
      return { numUpdates: state.numUpdates };
    });
  }
  for (const [name, generator] of Object.entries(components.generators ?? {})) {
    const bytes = generator.getState();
    tensors[prefix.generator + name] = { dtype: 'U8', shape: [bytes.length], data: bytes };
  }
  const own: Record<string, string> = {
    format: TRAINING_CHECKPOINT_FORMAT,
    format_version: String(TRAINING_CHECKPOINT_VERSION),
    step: String(progress.step),
    config: JSON.stringify(progress.config ?? null),
    optimizers: JSON.stringify(optimizers),
    emas: JSON.stringify(emas),
  };
  const clash = Object.keys(metadata).filter((key) => Object.hasOwn(own, key));
  assert(clash.length === 0, () => `${where}: the caller's metadata reuses ${clash.join(', ')}`);
  return { tensors, metadata: { ...own, ...metadata } };
}

/**
 * A format-1 checkpoint (one unnamed network, optimiser and EMA) as the format-2 contents that hold them under
 * `network`; format-2 contents are returned as they are. Only the names change: no tensor is touched.
 */
export function migrateTrainingCheckpoint(contents: SafetensorsContents, network: string, source = 'checkpoint'): SafetensorsContents {
  const { tensors, metadata } = contents;
  if (metadata.format !== TRAINING_CHECKPOINT_FORMAT || metadata.format_version !== '1') return contents;
  const where = `migrateTrainingCheckpoint(${source})`;
  assert(NAME.test(network), () => `${where}: the name ${JSON.stringify(network)} must match ${NAME}`);
  const renames: [string, string][] = [
    ['model.', prefix.network(network)], ['ema.', prefix.ema(network)], ['optimizer.exp_avg.', prefix.expAvg(network)],
    ['optimizer.exp_avg_sq.', prefix.expAvgSq(network)], [prefix.generator, prefix.generator],
  ];
  const renamed: Record<string, RawTensor> = {};
  for (const [key, raw] of Object.entries(tensors)) {
    const match = renames.find(([old]) => key.startsWith(old));
    assert(match !== undefined, () => `${where}: tensor '${key}' is in no section of format 1`);
    renamed[match[1] + key.slice(match[0].length)] = raw;
  }
  const { optimizer, ema, ...rest } = metadata;
  return {
    tensors: renamed,
    metadata: {
      ...rest,
      format_version: String(TRAINING_CHECKPOINT_VERSION),
      optimizers: JSON.stringify({ [network]: parseJson(optimizer, 'optimizer', where) }),
      emas: JSON.stringify(ema === undefined ? {} : { [network]: parseJson(ema, 'ema', where) }),
    },
  };
}

/**
 * Restores a checkpoint into live components and returns the step and config. The file must hold exactly what
 * `components` asks for — the same networks, optimisers, EMAs and generators, no tensor left over. Those checks run
 * before any component changes; each component then checks its own part (names, shapes) before it is written, so
 * a network that does not match the file is refused untouched, and so on down the list.
 */
export function restoreTrainingCheckpoint(contents: SafetensorsContents, components: TrainingComponents, source = 'checkpoint'): TrainingProgress {
  const where = `restoreTrainingCheckpoint(${source})`;
  checkNames(components, where);
  const { tensors, metadata } = contents;
  assert(metadata.format === TRAINING_CHECKPOINT_FORMAT,
    () => `${where}: __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${TRAINING_CHECKPOINT_FORMAT}"`);
  assert(metadata.format_version === String(TRAINING_CHECKPOINT_VERSION),
    () => `${where}: format_version ${JSON.stringify(metadata.format_version)} is not supported (this build reads ${TRAINING_CHECKPOINT_VERSION}; `
      + 'format 1 goes through migrateTrainingCheckpoint first)');
  const step = Number(metadata.step);
  assert(Number.isInteger(step) && step >= 0, () => `${where}: step ${JSON.stringify(metadata.step)} is not a non-negative integer`);
  const config = parseJson(metadata.config, 'config', where);
  const optimizers = parseRecord(metadata.optimizers, 'optimizers', where) as Record<string, OptimizerMetadata>;
  const emas = parseRecord(metadata.emas, 'emas', where) as Record<string, EmaMetadata>;
  const same = (what: string, inFile: string[], wanted: string[]) => assert(sameKeys(inFile, wanted),
    () => `${where}: ${what} in the file [${inFile.join(', ')}] differ from those to restore [${wanted.join(', ')}]`);
  same('optimisers', Object.keys(optimizers), Object.keys(components.optimizers));
  same('EMAs', Object.keys(emas), Object.keys(components.emas ?? {}));

  const claimed = new Set<string>();
  const take = (keyPrefix: string) => {
    const out: Record<string, RawTensor> = {};
    for (const [key, raw] of Object.entries(tensors)) {
      if (!key.startsWith(keyPrefix)) continue;
      out[key.slice(keyPrefix.length)] = raw;
      claimed.add(key);
    }
    return out;
  };
  const sections = {
    networks: Object.fromEntries(Object.keys(components.networks).map((name) => [name, take(prefix.network(name))])),
    emas: Object.fromEntries(Object.keys(emas).map((name) => [name, take(prefix.ema(name))])),
    optimizers: Object.fromEntries(Object.keys(optimizers).map((name) => [name, { expAvgSq: take(prefix.expAvgSq(name)), expAvg: take(prefix.expAvg(name)) }])),
    generators: take(prefix.generator),
  };
  const stray = Object.keys(tensors).filter((key) => !claimed.has(key));
  assert(stray.length === 0, () => `${where}: tensors outside every section to restore: ${stray.slice(0, 10).join(', ')}${stray.length > 10 ? ', …' : ''}`);
  same('generators', Object.keys(sections.generators), Object.keys(components.generators ?? {}));
  for (const [name, raw] of Object.entries(sections.generators)) {
    assert(raw.dtype === 'U8' && raw.shape.length === 1, () => `${where}: generator '${name}' must be a U8 vector, got ${raw.dtype} [${raw.shape}]`);
  }
  for (const [name, { steps }] of Object.entries(optimizers)) {
    const { expAvg, expAvgSq } = sections.optimizers[name];
    const stepNames = Object.keys(steps ?? {});
    assert(sameKeys(stepNames, Object.keys(expAvg)) && sameKeys(stepNames, Object.keys(expAvgSq)),
      () => `${where}: optimiser '${name}': steps [${stepNames.join(', ')}] do not match its moments [${Object.keys(expAvg).join(', ')}] / [${Object.keys(expAvgSq).join(', ')}]`);
  }

  for (const [name, network] of Object.entries(components.networks)) loadRawIntoModule(network, sections.networks[name]);
  tidy(() => {
    for (const [name, optimizer] of Object.entries(components.optimizers)) {
      const { hyper, steps } = optimizers[name];
      const { expAvg, expAvgSq } = sections.optimizers[name];
      optimizer.loadState({
        hyper,
        parameters: Object.fromEntries(Object.keys(steps).map((parameter) => [parameter, {
          step: steps[parameter], expAvg: rawToTensor(expAvg[parameter]), expAvgSq: rawToTensor(expAvgSq[parameter]),
        }])),
      });
    }
    for (const [name, ema] of Object.entries(components.emas ?? {})) {
      const shadow = Object.fromEntries(Object.entries(sections.emas[name]).map(([parameter, raw]) => [parameter, rawToTensor(raw)]));
      ema.loadState({ numUpdates: emas[name].numUpdates, shadow });
    }
  });
  for (const [name, generator] of Object.entries(components.generators ?? {})) generator.setState(sections.generators[name].data);
  return { step, config };
}

function parseRecord(text: string | undefined, field: string, where: string): Record<string, unknown> {
  const value = parseJson(text, field, where);
  assert(typeof value === 'object' && value !== null && !Array.isArray(value),
    () => `${where}: __metadata__.${field} must be a JSON object, got ${text}`);
  return value as Record<string, unknown>;
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

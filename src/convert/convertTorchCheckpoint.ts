/**
 * PyTorch checkpoint → our weights: the bytes of a `torch.save` file in, the network's float32 tensors under
 * its state-dict keys and the metadata of a weights file out. Nothing in the checkpoint is executed (see
 * {@link decodeTorchCheckpoint}); the weights are located and checked by {@link locateStateDict}, then loaded
 * into a freshly built network, so what is written is exactly what loads into it (half precision and
 * float64 checkpoints are converted to the network's float32 on the way).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { loadRawIntoModule, moduleToRaw, type Module } from '../nn/index.js';
import { decodeTorchCheckpoint } from '../io/pytorch/index.js';
import type { RawTensor } from '../io/safetensors/index.js';
import { isFloatingPoint, tidy } from '../tensor/index.js';
import { locateStateDict } from './locateStateDict.js';

/** `format` in the metadata of a weights file written here. */
export const WEIGHTS_FORMAT = 'mrsynth-weights';

export interface ConvertTorchCheckpointOptions {
  /** The checkpoint's file name, recorded in the metadata and quoted in messages. */
  source: string;
  /** The synthesis method the weights are for ('cwdm'), recorded in the metadata. */
  model: string;
  /** The network's checked config, recorded in the metadata as JSON. */
  config: unknown;
  /** Builds the network `config` describes, freshly initialised: the weights are checked against it and loaded into it. */
  network: () => Module;
  /** Read only this top-level entry of the checkpoint (when it holds the weights more than once, e.g. 'ema'). */
  entry?: string;
  /** Key prefixes within the state dict that belong to training, not to the network (see locateStateDict). */
  setAside?: readonly string[];
}

export interface ConvertedWeights {
  /** The network's weights, float32, under its state-dict keys. */
  tensors: Record<string, RawTensor>;
  /** model, config (JSON), source file name, its SHA-256 and where in it the weights were. */
  metadata: Record<string, string>;
  /** What was stripped from the checkpoint's keys ('' for a bare state dict). */
  prefix: string;
  /** Tensors of the checkpoint that are not the network's (e.g. an optimiser state saved alongside). */
  outside: string[];
  /** Non-tensor values of the checkpoint (step counters, hyper-parameters). */
  ignored: string[];
  /** Objects of other classes than tensors, dicts and lists (e.g. a framework's config objects), left as they are, never built. */
  skipped: string[];
}

export function convertTorchCheckpoint(bytes: Uint8Array, options: ConvertTorchCheckpointOptions): ConvertedWeights {
  const where = `convert(${options.source})`;
  // A training framework saves its own objects beside the weights (Lightning: hyper-parameters as omegaconf objects);
  // they are named and left out, never built.
  const { tensors: found, ignored, skipped } = decodeTorchCheckpoint(bytes, options.source, { entry: options.entry, foreignObjects: 'skip' });
  const model = options.network();
  try {
    const expected = tidy(() => new Map(Object.entries(model.stateDict()).map(([key, t]) => [key, t.shape])));
    const integerKeys = tidy(() => new Set(Object.entries(model.stateDict()).filter(([, t]) => !isFloatingPoint(t.dtype)).map(([key]) => key)));
    const { prefix, tensors, outside } = locateStateDict(found, expected, where, options.setAside, integerKeys);
    loadRawIntoModule(model, tensors);
    const entryPrefix = options.entry === undefined ? '' : `${options.entry}.`;
    return {
      tensors: moduleToRaw(model),
      metadata: {
        format: WEIGHTS_FORMAT,
        model: options.model,
        config: JSON.stringify(options.config),
        source: basename(options.source),
        source_sha256: createHash('sha256').update(bytes).digest('hex'),
        source_prefix: entryPrefix + prefix,
      },
      prefix: entryPrefix + prefix,
      outside: outside.map((key) => entryPrefix + key),
      ignored: ignored.map((key) => entryPrefix + key),
      skipped: skipped.map((key) => entryPrefix + key),
    };
  } finally {
    model.dispose();
  }
}

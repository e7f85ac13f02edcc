/**
 * A module's weights as a safetensors file, under PyTorch's state-dict keys, so the same file loads into
 * the PyTorch model of the same structure (`safetensors.torch.load_file` + `load_state_dict`) and back.
 */
import type { LoadStateDictResult, Module } from './module.js';
import { tidy } from '../tensor/index.js';
import type { RawTensor } from '../io/safetensors/index.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors/index.js';
import { rawToTensor, tensorToRaw } from '../io/safetensors/index.js';

export interface LoadModuleOptions {
  /** Refuse missing and unexpected keys (default true); shape mismatches are always refused. */
  strict?: boolean;
}

export interface LoadModuleResult extends LoadStateDictResult {
  /** The file's `__metadata__` (empty when it has none). */
  metadata: Record<string, string>;
}

/** The module's state dict as raw tensors. */
export function moduleToRaw(module: Module): Record<string, RawTensor> {
  return tidy(() => Object.fromEntries(Object.entries(module.stateDict()).map(([key, t]) => [key, tensorToRaw(t)])));
}

/** Loads raw tensors into the module with `Module.loadStateDict`'s checks; the temporary tensors are freed. */
export function loadRawIntoModule(module: Module, tensors: Record<string, RawTensor>, options: LoadModuleOptions = {}): LoadStateDictResult {
  return tidy(() => {
    const dict = Object.fromEntries(Object.entries(tensors).map(([key, raw]) => [key, rawToTensor(raw)]));
    return module.loadStateDict(dict, options);
  });
}

/** Writes the module's weights (and optional string metadata) atomically. */
export async function saveModule(path: string, module: Module, metadata?: Record<string, string>): Promise<void> {
  await saveSafetensors(path, moduleToRaw(module), metadata);
}

export async function loadModule(path: string, module: Module, options: LoadModuleOptions = {}): Promise<LoadModuleResult> {
  const { tensors, metadata } = await loadSafetensors(path);
  try {
    return { ...loadRawIntoModule(module, tensors, options), metadata };
  } catch (error) {
    throw new Error(`loadModule(${path}): ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Test support (not a test file): reads the cWDM oracle fixture from the repository copy. Kept beside the tests
 * that use it; imports only io and tensor, so the schedulers' dependency rule holds in tests too.
 */
import { join } from 'node:path';
import { loadSafetensors } from '../io/safetensors/index.js';
import type { SafetensorsContents } from '../io/safetensors/index.js';
import { Tensor, tensor } from '../tensor/index.js';
import { packageRoot } from '../util/index.js';

const FIXTURE = join(packageRoot(import.meta.url), 'test-fixtures', 'cwdm', 'cwdm-reference-tiny.safetensors');
let contents: Promise<SafetensorsContents> | undefined;

function load(): Promise<SafetensorsContents> {
  return (contents ??= loadSafetensors(FIXTURE));
}

/** `schedule.<name>` [1000] float64, as JS numbers. */
export async function readCwdmSchedule(name: string): Promise<Float64Array> {
  const raw = (await load()).tensors[`schedule.${name}`];
  return new Float64Array(raw.data.slice().buffer);
}

/** A float32 fixture tensor (`inputs.x_t`, `outputs.model_out`, …) and the fixture's timestep. */
export async function readCwdmTensors(names: readonly string[]): Promise<{ timestep: number; read: (name: string) => Tensor }> {
  const { tensors, metadata } = await load();
  for (const name of names) if (tensors[name] === undefined) throw new Error(`cWDM fixture: no tensor ${name}`);
  return {
    timestep: Number(metadata.timestep),
    read: (name) => tensor(new Float32Array(tensors[name].data.slice().buffer), { shape: tensors[name].shape }),
  };
}

/**
 * Test support (not a test file): reads the ALDM oracle fixture (test-fixtures/aldm/README.md) from the repository
 * copy: its tensors as engine tensors, a weight group as a state dict, and its `config` metadata.
 */
import { join } from 'node:path';
import { loadSafetensors, rawToTensor, type SafetensorsContents } from '../../io/safetensors/index.js';
import type { Tensor } from '../../tensor/index.js';
import { packageRoot } from '../../util/index.js';

export const ALDM_FIXTURE = join(packageRoot(import.meta.url), 'test-fixtures', 'aldm', 'aldm-reference-tiny.safetensors');
let contents: Promise<SafetensorsContents> | undefined;

function load(): Promise<SafetensorsContents> {
  return (contents ??= loadSafetensors(ALDM_FIXTURE));
}

/** The reference's configuration of the tiny modules (`__metadata__.config`), as the reference names its fields. */
export type AldmFixtureConfig = Readonly<Record<string, unknown>>;

export interface AldmFixture {
  readonly config: AldmFixtureConfig;
  /** A tensor by its fixture name (`outputs.encoder`, `inputs.target_class`, `schedule.betas`), in its stored dtype. */
  read(name: string): Tensor;
  /** The tensors under `prefix.` (`vqgan`, `disc1`, `unet`) with the prefix removed: a reference state dict. */
  stateDict(prefix: string): Record<string, Tensor>;
  /** A stored number: a 0-d tensor (`loss.s1.rec`) as a JS number. */
  scalar(name: string): number;
}

export async function readAldmFixture(): Promise<AldmFixture> {
  const { tensors, metadata } = await load();
  const raw = (name: string) => {
    const found = tensors[name];
    if (found === undefined) throw new Error(`ALDM fixture: no tensor ${name}`);
    return found;
  };
  return {
    config: JSON.parse(metadata.config) as AldmFixtureConfig,
    read: (name) => rawToTensor(raw(name)),
    stateDict: (prefix) => Object.fromEntries(Object.keys(tensors).filter((key) => key.startsWith(`${prefix}.`))
      .map((key) => [key.slice(prefix.length + 1), rawToTensor(tensors[key])])),
    scalar: (name) => {
      const t = rawToTensor(raw(name));
      try {
        return t.item();
      } finally {
        t.dispose();
      }
    },
  };
}

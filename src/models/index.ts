/**
 * The model families, by the name the command line uses for them. A family turns raw config input into a
 * checked config, builds the network from it and says how its parameters split into parts, so that
 * commands (`models info`, `convert`) serve every family through this one contract instead of knowing each.
 */
import type { Module } from '../nn/index.js';
import { assert } from '../util/assert.js';
import { CWDM_UNET_PRESET_NAMES, CwdmUNet, parameterCounts, parseCwdmUNetConfig } from './wdm/index.js';

/** One part of a network (e.g. its input blocks) and how many parameters it holds. */
export interface ParameterPart {
  readonly part: string;
  readonly parameters: number;
}

export interface ModelFamily<Config = unknown, Model extends Module = Module> {
  readonly description: string;
  /** Names `parseConfig` accepts as a whole config. */
  readonly presets: readonly string[];
  /** Checks raw input (a preset name, a config object, `{ preset, ...changes }`) and returns a frozen, JSON-serialisable config. */
  parseConfig(raw: unknown): Config;
  build(config: Config): Model;
  /** The network's parameters per part, in the order the reference reports them; every parameter is in exactly one part. */
  parameterCounts(model: Model): ParameterPart[];
}

const cwdm: ModelFamily<ReturnType<typeof parseCwdmUNetConfig>, CwdmUNet> = {
  description: 'cWDM: the 3-D U-Net denoiser over Haar wavelet bands (Friedrich et al.)',
  presets: CWDM_UNET_PRESET_NAMES,
  parseConfig: parseCwdmUNetConfig,
  build: (config) => new CwdmUNet(config),
  parameterCounts(model) {
    const counts = parameterCounts(model);
    return [
      { part: 'input blocks', parameters: counts.inputBlocks },
      { part: 'middle', parameters: counts.middle },
      { part: 'output blocks', parameters: counts.outputBlocks },
      { part: 'time embedding', parameters: counts.timeEmbedding },
      { part: 'head', parameters: counts.head },
    ];
  },
};

export const MODEL_FAMILIES = { cwdm } as const;
export type ModelFamilyName = keyof typeof MODEL_FAMILIES;
export const MODEL_FAMILY_NAMES = Object.keys(MODEL_FAMILIES) as ModelFamilyName[];

/** The family registered under `name`; an unknown name is refused with the list of known ones. */
export function modelFamily(name: string): ModelFamily {
  assert(Object.hasOwn(MODEL_FAMILIES, name),
    () => `modelFamily: unknown model '${name}'; expected one of ${MODEL_FAMILY_NAMES.join(', ')}`);
  // Method parameters are bivariant, so each family reads as the general contract; configs only ever
  // reach `build` through the same family's `parseConfig`.
  return MODEL_FAMILIES[name as ModelFamilyName];
}

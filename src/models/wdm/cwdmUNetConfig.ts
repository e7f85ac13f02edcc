/**
 * Configuration of the cWDM denoiser (spec §4.1): the reference's `UNetModel` hyper-parameters that change
 * the network, named presets, and `parseCwdmUNetConfig`, the one place raw input (JSON, CLI) is checked.
 * The reference's fixed choices are not options here: 3-D, concatenation skips, resblock up/down, no
 * attention, no scale-shift norm, x̂₀ prediction.
 */
import { assert } from '../../util/index.js';

/** A 3-D Haar DWT splits one volume into 8 subbands (spec §2), so every contrast is 8 channels in and out. */
export const WAVELET_BANDS = 8;

export interface CwdmUNetConfig {
  /** Conditioning contrasts: the N−1 other contrasts of the dataset (BraTS 3, IXI 2), 8 bands each. */
  readonly conditions: number;
  /** Channels at the first level (the reference's `num_channels`); the time embedding is 4× this. */
  readonly modelChannels: number;
  /** Channels of each level as a multiple of `modelChannels`; every level but the last ends in a down ResBlock. */
  readonly channelMult: readonly number[];
  /** ResBlocks per level on the way down; the way up has one more per level. */
  readonly numResBlocks: number;
  /** GroupNorm groups; every level's channel count must divide by it. */
  readonly numGroups: number;
  /** Dropout before each ResBlock's second convolution while training. */
  readonly dropout: number;
}

export const CWDM_UNET_PRESET_NAMES = ['paper', 'cpu', 'tiny', 'reference-tiny'] as const;
export type CwdmUNetPresetName = (typeof CWDM_UNET_PRESET_NAMES)[number];

export const CWDM_UNET_PRESETS: Readonly<Record<CwdmUNetPresetName, CwdmUNetConfig>> = Object.freeze({
  // run.sh of the reference (spec §4.1): 81,511,048 parameters.
  paper: freezeConfig({ conditions: 3, modelChannels: 64, channelMult: [1, 2, 2, 4, 4], numResBlocks: 2, numGroups: 32, dropout: 0 }),
  // For training on a 2-core CPU at a 2 mm grid (96×96×64 image, 48×48×32 wavelet). There the paper network
  // costs ≈ 263 G multiply-adds per forward pass (11.4 s per training step, spec §15); this one ≈ 17 G, and
  // on such a machine (shared, under load) it took 0.6–0.9 s per forward pass and ≈ 2 s per training step,
  // so thousands of steps fit in a day and a 1000-step sampling run in 10–15 minutes. Four levels (three halvings)
  // leave a 6×6×4 bottleneck, about the paper's 7×7×5 at full size; a fifth level would shrink it to 3×3×2.
  // Two ResBlocks per level as in the paper keep the depth; 8 groups keep its 2 channels per group at the
  // first level. ≈ 3.2 M parameters.
  cpu: freezeConfig({ conditions: 3, modelChannels: 16, channelMult: [1, 2, 2, 4], numResBlocks: 2, numGroups: 8, dropout: 0 }),
  // For the test suite: every kind of block (1×1 skip projections, down and up ResBlocks, three levels) in
  // ≈ 56 k parameters, fast at 16³ wavelet grids.
  tiny: freezeConfig({ conditions: 3, modelChannels: 4, channelMult: [1, 2, 2], numResBlocks: 1, numGroups: 2, dropout: 0 }),
  // The oracle fixture's network (test-fixtures/cwdm/README.md).
  'reference-tiny': freezeConfig({ conditions: 3, modelChannels: 32, channelMult: [1, 2], numResBlocks: 1, numGroups: 32, dropout: 0 }),
});

const FIELDS = ['conditions', 'modelChannels', 'channelMult', 'numResBlocks', 'numGroups', 'dropout'] as const;

/** Noisy target bands first, then each condition's bands (spec §1). */
export function cwdmInChannels(config: CwdmUNetConfig): number {
  return WAVELET_BANDS * (1 + config.conditions);
}

/** Every spatial axis of the input must divide by this: one halving per level but the last. */
export function cwdmSpatialMultiple(config: CwdmUNetConfig): number {
  return 2 ** (config.channelMult.length - 1);
}

/**
 * Accepts a preset name ('paper'), a complete config object (what a serialised config holds), or
 * `{ preset, ...fields }` to change some fields of a preset (e.g. `{ preset: 'paper', conditions: 2 }` for IXI).
 * Returns a frozen config that serialises to JSON and parses back to an equal object.
 */
export function parseCwdmUNetConfig(raw: unknown): CwdmUNetConfig {
  const where = 'parseCwdmUNetConfig';
  const obj = typeof raw === 'string' ? { preset: raw } : raw;
  assert(typeof obj === 'object' && obj !== null && !Array.isArray(obj),
    () => `${where}: expected a preset name (${CWDM_UNET_PRESET_NAMES.join(', ')}) or a config object, got ${JSON.stringify(raw)}`);
  const given = obj as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    assert(key === 'preset' || (FIELDS as readonly string[]).includes(key),
      () => `${where}: unknown key '${key}'; expected only preset, ${FIELDS.join(', ')}`);
  }
  let base: Partial<CwdmUNetConfig> = {};
  if ('preset' in given) {
    const name = given.preset;
    assert(typeof name === 'string' && (CWDM_UNET_PRESET_NAMES as readonly string[]).includes(name),
      () => `${where}: preset must be one of ${CWDM_UNET_PRESET_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
    base = CWDM_UNET_PRESETS[name as CwdmUNetPresetName];
  }
  const merged: Record<string, unknown> = { ...base, ...given };
  for (const key of FIELDS) {
    assert(key in merged, () => `${where}: missing '${key}' (give every field or start from a preset)`);
  }
  const { conditions, modelChannels, channelMult, numResBlocks, numGroups, dropout } = merged;
  const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
  assert(positiveInt(conditions), () => `${where}: conditions must be a positive integer, got ${JSON.stringify(conditions)}`);
  assert(positiveInt(modelChannels), () => `${where}: modelChannels must be a positive integer, got ${JSON.stringify(modelChannels)}`);
  assert(Array.isArray(channelMult) && channelMult.length > 0 && channelMult.every(positiveInt),
    () => `${where}: channelMult must be a non-empty list of positive integers, got ${JSON.stringify(channelMult)}`);
  assert(positiveInt(numResBlocks), () => `${where}: numResBlocks must be a positive integer, got ${JSON.stringify(numResBlocks)}`);
  assert(positiveInt(numGroups), () => `${where}: numGroups must be a positive integer, got ${JSON.stringify(numGroups)}`);
  assert(typeof dropout === 'number' && dropout >= 0 && dropout < 1, () => `${where}: dropout must be in [0, 1), got ${JSON.stringify(dropout)}`);
  // Skip concatenations add two level widths, so checking each level's width covers every GroupNorm.
  const bad = (channelMult as number[]).find((m) => (m * modelChannels) % numGroups !== 0);
  assert(bad === undefined,
    () => `${where}: every level's channels (modelChannels ${modelChannels} × channelMult ${JSON.stringify(channelMult)}) must divide by numGroups ${numGroups}; ${bad! * modelChannels} does not`);
  return freezeConfig({ conditions, modelChannels, channelMult: channelMult as number[], numResBlocks, numGroups, dropout });
}

function freezeConfig(config: CwdmUNetConfig): CwdmUNetConfig {
  return Object.freeze({ ...config, channelMult: Object.freeze([...config.channelMult]) });
}

/**
 * Configuration of ALDM's denoiser (spec §3): the reference's `UNetModel` hyper-parameters that change the
 * network, named presets, `parseAldmUNetConfig`, the one place raw input (JSON, CLI) is checked, and
 * `aldmUNetConfigFromReference`, which reads the oracle fixture's `config` metadata. The reference's fixed
 * choices are not options here: 3-D, GroupNorm of 32 groups (eps 1e-5), convolutional up/down sampling,
 * concatenation skips, legacy QKV attention, no scale-shift norm, ε prediction.
 */
import { assert } from '../../util/index.js';

export const ALDM_CONDITIONINGS = ['class', 'crossattn'] as const;
/**
 * How the target contrast y reaches the network. 'class' (the code): a learned embedding of y added to the time
 * embedding. 'crossattn' (the paper's Eq. 3): one-hot y as the keys and values of cross-attention.
 */
export type AldmConditioning = (typeof ALDM_CONDITIONINGS)[number];

export const ALDM_CONCATS = ['code', 'paper'] as const;
/**
 * What is stacked on the channels of the input: 'code' is [x_t, z_src, z_st] (3 latents, as the reference's
 * "hybrid" wrapper does); 'paper' is [x_t, z_st] (2 latents, as the paper says).
 */
export type AldmConcat = (typeof ALDM_CONCATS)[number];

export interface AldmUNetConfig {
  /** Input channels: the latents of `concat`, each `outChannels` wide. */
  readonly inChannels: number;
  /** Output channels: one latent (ε̂). */
  readonly outChannels: number;
  /** Channels at the first level (`model_channels`); the time embedding is 4× this. */
  readonly modelChannels: number;
  /** Channels of each level as a multiple of `modelChannels`, the first 1; every level but the last ends in a Downsample. */
  readonly channelMult: readonly number[];
  /** ResBlocks per level on the way down; the way up has one more per level. */
  readonly numResBlocks: number;
  /**
   * Downsampling factors (1 at the first level, 2 at the second, …) whose blocks are followed by an attention
   * block, as the reference's `attention_resolutions`. The middle block always has one.
   */
  readonly attentionResolutions: readonly number[];
  /** Channels per attention head; a block of C channels has C / this many heads. */
  readonly numHeadChannels: number;
  /** Target contrasts y can name (0 … numClasses − 1). */
  readonly numClasses: number;
  /** Dropout before each ResBlock's second convolution while training. */
  readonly dropout: number;
  readonly conditioning: AldmConditioning;
  readonly concat: AldmConcat;
}

/** The reference's `normalization()` hard-codes GroupNorm(32, C). */
export const UNET_NORM_GROUPS = 32;

export const ALDM_UNET_PRESET_NAMES = ['code', 'paper-unet', 'cpu', 'cpu-f2', 'reference-tiny'] as const;
export type AldmUNetPresetName = (typeof ALDM_UNET_PRESET_NAMES)[number];

const CODE: AldmUNetConfig = {
  inChannels: 12, outChannels: 4, modelChannels: 128, channelMult: [1, 1, 2], numResBlocks: 1, attentionResolutions: [4, 2],
  numHeadChannels: 32, numClasses: 4, dropout: 0, conditioning: 'class', concat: 'code',
};

export const ALDM_UNET_PRESETS: Readonly<Record<AldmUNetPresetName, AldmUNetConfig>> = Object.freeze({
  // The released yaml (brats-ldm-vq-4.yaml): 33,197,316 parameters.
  code: freezeConfig(CODE),
  // The paper's Table C ("[128, 256, 512]", 658 MB of float32 ≈ 164.5 M parameters) read as 128×[1,2,4] with two
  // ResBlocks per level and attention at ×2 and ×4: 166,528,516 parameters (spec §7), on the code's 12-channel input.
  'paper-unet': freezeConfig({ ...CODE, channelMult: [1, 2, 4], numResBlocks: 2, attentionResolutions: [2, 4] }),
  // For training on a 2-core CPU (issue 19's candidate, beside the autoencoder's `cpu`): the code's layout at half
  // the width, so a quarter of its parameters and multiply-adds; 64 channels keep 32 groups and 2 heads of 32.
  cpu: freezeConfig({ ...CODE, modelChannels: 64 }),
  // For the `cpu-f2` autoencoder's latent, 8 times the voxels of `cpu`'s: one level more, starting at half `cpu`'s width
  // (32, 64, 128 channels at 1, 1/2 and 1/4 of the latent), attention at the coarsest level and the middle only, so
  // that no attention runs over the 12×16×12 level's 2,304 positions. At the 24×32×24 latent of 3 mm phantoms a
  // training step takes 0.97 CPU s against `cpu`'s 2.53, a denoising step 0.35 against 0.79 (npm run bench:aldm);
  // 7,209,252 parameters.
  'cpu-f2': freezeConfig({ ...CODE, modelChannels: 32, channelMult: [1, 2, 4], attentionResolutions: [4] }),
  // The oracle fixture's network (test-fixtures/aldm/README.md); equal to what aldmUNetConfigFromReference reads
  // from its metadata.
  'reference-tiny': freezeConfig({ ...CODE, modelChannels: 32, channelMult: [1, 1, 1], numHeadChannels: 16 }),
});

const FIELDS = [
  'inChannels', 'outChannels', 'modelChannels', 'channelMult', 'numResBlocks', 'attentionResolutions', 'numHeadChannels', 'numClasses',
  'dropout', 'conditioning', 'concat',
] as const;

/** Latents stacked on the input's channels. */
const CONCAT_LATENTS: Readonly<Record<AldmConcat, number>> = { code: 3, paper: 2 };

/** Every spatial axis of the input must divide by this: one halving per level but the last. */
export function aldmUNetSpatialMultiple(config: AldmUNetConfig): number {
  return 2 ** (config.channelMult.length - 1);
}

/**
 * Accepts a preset name ('code'), a complete config object (what a serialised config holds), or
 * `{ preset, ...fields }` to change some fields of a preset (e.g. `{ preset: 'code', concat: 'paper', inChannels: 8 }`).
 * Returns a frozen config that serialises to JSON and parses back to an equal object.
 */
export function parseAldmUNetConfig(raw: unknown): AldmUNetConfig {
  const where = 'parseAldmUNetConfig';
  const obj = typeof raw === 'string' ? { preset: raw } : raw;
  assert(typeof obj === 'object' && obj !== null && !Array.isArray(obj),
    () => `${where}: expected a preset name (${ALDM_UNET_PRESET_NAMES.join(', ')}) or a config object, got ${JSON.stringify(raw)}`);
  const given = obj as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    assert(key === 'preset' || (FIELDS as readonly string[]).includes(key),
      () => `${where}: unknown key '${key}'; expected only preset, ${FIELDS.join(', ')}`);
  }
  let base: Partial<AldmUNetConfig> = {};
  if ('preset' in given) {
    const name = given.preset;
    assert(typeof name === 'string' && (ALDM_UNET_PRESET_NAMES as readonly string[]).includes(name),
      () => `${where}: preset must be one of ${ALDM_UNET_PRESET_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
    base = ALDM_UNET_PRESETS[name as AldmUNetPresetName];
  }
  const merged: Record<string, unknown> = { ...base, ...given };
  for (const key of FIELDS) {
    assert(key in merged, () => `${where}: missing '${key}' (give every field or start from a preset)`);
  }
  const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
  for (const key of ['inChannels', 'outChannels', 'modelChannels', 'numResBlocks', 'numHeadChannels', 'numClasses'] as const) {
    assert(positiveInt(merged[key]), () => `${where}: ${key} must be a positive integer, got ${JSON.stringify(merged[key])}`);
  }
  const config = merged as unknown as AldmUNetConfig;
  const { inChannels, outChannels, modelChannels, channelMult, attentionResolutions, numHeadChannels, dropout, conditioning, concat } = config;
  assert(Array.isArray(channelMult) && channelMult.length > 0 && channelMult.every(positiveInt),
    () => `${where}: channelMult must be a non-empty list of positive integers, got ${JSON.stringify(channelMult)}`);
  // The reference's first conv makes modelChannels and its head conv takes modelChannels: the first level is 1×.
  assert(channelMult[0] === 1, () => `${where}: channelMult must start with 1 (the first and last convs work at modelChannels), got ${JSON.stringify(channelMult)}`);
  assert(typeof dropout === 'number' && dropout >= 0 && dropout < 1, () => `${where}: dropout must be in [0, 1), got ${JSON.stringify(dropout)}`);
  assert((ALDM_CONDITIONINGS as readonly unknown[]).includes(conditioning),
    () => `${where}: conditioning must be one of ${ALDM_CONDITIONINGS.join(', ')}, got ${JSON.stringify(conditioning)}`);
  assert((ALDM_CONCATS as readonly unknown[]).includes(concat),
    () => `${where}: concat must be one of ${ALDM_CONCATS.join(', ')}, got ${JSON.stringify(concat)}`);
  const latents = CONCAT_LATENTS[concat];
  assert(inChannels === latents * outChannels,
    () => `${where}: concat '${concat}' stacks ${latents} latents of outChannels ${outChannels}, so inChannels must be ${latents * outChannels}, got ${inChannels}`);
  // The factor each level runs at: 1, 2, 4, … Attention elsewhere would silently never be built, as in the reference.
  const factors = channelMult.map((_, level) => 2 ** level);
  assert(Array.isArray(attentionResolutions) && attentionResolutions.every((ds) => factors.includes(ds as number)),
    () => `${where}: attentionResolutions must list downsampling factors of this network's levels (${factors.join(', ')}), got ${JSON.stringify(attentionResolutions)}`);
  // Skip concatenations add two level widths, so checking each level's width covers every GroupNorm.
  const widths = channelMult.map((m) => m * modelChannels);
  const badGroups = widths.find((w) => w % UNET_NORM_GROUPS !== 0);
  assert(badGroups === undefined,
    () => `${where}: every level's channels (modelChannels ${modelChannels} × channelMult ${JSON.stringify(channelMult)}) must divide by the `
      + `${UNET_NORM_GROUPS} GroupNorm groups; ${badGroups} does not`);
  // Attention sits at the listed levels and in the middle (the last level's width).
  const attended = [...widths.filter((_, level) => attentionResolutions.includes(factors[level])), widths[widths.length - 1]];
  const badHeads = attended.find((w) => w % numHeadChannels !== 0);
  assert(badHeads === undefined,
    () => `${where}: numHeadChannels ${numHeadChannels} must divide the channels of every attention block (${[...new Set(attended)].join(', ')}); ${badHeads} does not`);
  return freezeConfig(Object.fromEntries(FIELDS.map((key) => [key, merged[key]])) as unknown as AldmUNetConfig);
}

/**
 * The U-Net part of the oracle fixture's `__metadata__.config` (the reference's own names: `unet_model_channels`,
 * `unet_channel_mult`, `z_channels`, `num_classes`, …), parsed. Fields the fixture does not vary are the code's:
 * the 12-channel [x_t, z_src, z_st] input, class conditioning, no dropout.
 */
export function aldmUNetConfigFromReference(metadata: Readonly<Record<string, unknown>>): AldmUNetConfig {
  const take = (key: string) => {
    assert(Object.hasOwn(metadata, key), () => `aldmUNetConfigFromReference: the reference config has no '${key}'`);
    return metadata[key];
  };
  const zChannels = take('z_channels');
  return parseAldmUNetConfig({
    inChannels: CONCAT_LATENTS.code * (zChannels as number), outChannels: zChannels, modelChannels: take('unet_model_channels'),
    channelMult: take('unet_channel_mult'), numResBlocks: take('unet_num_res_blocks'), attentionResolutions: take('unet_attention_resolutions'),
    numHeadChannels: take('unet_num_head_channels'), numClasses: take('num_classes'), dropout: 0, conditioning: 'class', concat: 'code',
  });
}

function freezeConfig(config: AldmUNetConfig): AldmUNetConfig {
  return Object.freeze({
    ...config, channelMult: Object.freeze([...config.channelMult]), attentionResolutions: Object.freeze([...config.attentionResolutions]),
  });
}

/**
 * Configuration of ALDM's first stage, the VQ-GAN (spec §2): autoencoder, codebook, MS-SPADE and the two PatchGAN
 * discriminators of its training losses; named presets; `parseAutoencoderConfig`, the one place raw input (JSON,
 * CLI) is checked; and `autoencoderConfigFromReference`, which reads the oracle fixture's `config` metadata. The
 * reference's fixed choices are not options here: 3-D, swish, GroupNorm eps 1e-6 in the autoencoder, no attention,
 * `embed_dim` = `z_channels`, instance-normalised self-modulated SPADE, GroupNorm of 32 groups in the discriminator.
 */
import { assert } from '../../util/index.js';

export interface AutoencoderConfig {
  /** Image channels in (the reference's `in_channels`); one contrast at a time. */
  readonly inChannels: number;
  /** Image channels out (`out_ch`). */
  readonly outChannels: number;
  /** Channels at the first level (`ch`). */
  readonly ch: number;
  /** Channels of each level as a multiple of `ch` (`ch_mult`); every level but the last halves the grid. */
  readonly chMult: readonly number[];
  /** ResBlocks per level in the encoder; the decoder has one more per level. */
  readonly numResBlocks: number;
  /** GroupNorm groups of the autoencoder (`num_groups`); every level's channels must divide by it. */
  readonly numGroups: number;
  /** Latent channels (`z_channels`, also the codebook's vector length `embed_dim`). */
  readonly zChannels: number;
  /** Codebook entries (`n_embed`). */
  readonly nEmbed: number;
  /** Weight of the quantiser's second term (`beta`). */
  readonly beta: number;
  /**
   * The reference's (taming's "legacy") loss: mean‖sg[z_q] − z‖² + β·mean‖z_q − sg[z]‖², so β weights the
   * codebook term, not the commitment term. false swaps them, as VQ-VAE defines it.
   */
  readonly legacyLoss: boolean;
  /** MS-SPADE width (`nf`): its blocks run z → nf → 2nf → nf → z. */
  readonly spadeNf: number;
  /** Hidden width of each SPADE layer's γ/β generator (hard-coded 64 in the reference). */
  readonly spadeHidden: number;
  /** Target contrasts: one set of SPADE γ/β generators each; the stage-2 discriminator has one more output. */
  readonly numClasses: number;
  /** Discriminator width at its first layer (`disc_ndf`). */
  readonly discNdf: number;
  /** Strided discriminator layers (`disc_num_layers`); each one's width must divide by its 32 GroupNorm groups. */
  readonly discLayers: number;
}

/** The reference's discriminator hard-codes GroupNorm(num_groups=32). */
export const DISCRIMINATOR_GROUPS = 32;

export const AUTOENCODER_PRESET_NAMES = ['code', 'cpu', 'cpu-f2', 'reference-tiny'] as const;
export type AutoencoderPresetName = (typeof AUTOENCODER_PRESET_NAMES)[number];

const CODE: AutoencoderConfig = {
  inChannels: 1, outChannels: 1, ch: 64, chMult: [1, 1, 2], numResBlocks: 1, numGroups: 32, zChannels: 4, nEmbed: 8192, beta: 0.25,
  legacyLoss: true, spadeNf: 128, spadeHidden: 64, numClasses: 4, discNdf: 32, discLayers: 3,
};

export const AUTOENCODER_PRESETS: Readonly<Record<AutoencoderPresetName, AutoencoderConfig>> = Object.freeze({
  // The released yamls (brats_vqgan_stage{1,2}.yaml): 25,434,297 parameters without the discriminators.
  code: freezeConfig(CODE),
  // For training on a 2-core CPU (issue 19's candidate): half the autoencoder's width and a quarter of SPADE's,
  // 6,071,705 parameters; issue 19 budgets 3.2 CPU s per stage-1 step against the code's 6.5, and 1.7 per
  // stage-2 step. 16 groups keep the code's 2 channels per group; codebook and discriminators are the code's.
  cpu: freezeConfig({ ...CODE, ch: 32, numGroups: 16, spadeNf: 32 }),
  // `cpu` halving each axis once, not twice: a latent cell of 2×2×2 voxels instead of 4×4×4, for 2–3 mm grids, where
  // a cell of four voxels covers 8–12 mm of anatomy (the reference's 4 mm cells are 4 voxels of its 1 mm scans). On
  // issue 19's 3 mm phantoms it reconstructed 2.9 dB better than `cpu` after 400 steps (docs/aldm-quality.md); the
  // U-Net then works on 8 times the latent voxels.
  'cpu-f2': freezeConfig({ ...CODE, ch: 32, numGroups: 16, spadeNf: 32, chMult: [1, 2] }),
  // The oracle fixture's modules (test-fixtures/aldm/README.md); equal to what autoencoderConfigFromReference
  // reads from its metadata.
  'reference-tiny': freezeConfig({ ...CODE, ch: 16, numGroups: 8, nEmbed: 64, spadeNf: 8, discNdf: 16, discLayers: 2 }),
});

const FIELDS = [
  'inChannels', 'outChannels', 'ch', 'chMult', 'numResBlocks', 'numGroups', 'zChannels', 'nEmbed', 'beta', 'legacyLoss', 'spadeNf',
  'spadeHidden', 'numClasses', 'discNdf', 'discLayers',
] as const;

/** Every spatial axis of an image must divide by this: one halving per level but the last (latent = image / this). */
export function autoencoderSpatialMultiple(config: AutoencoderConfig): number {
  return 2 ** (config.chMult.length - 1);
}

/** The discriminators' widths after each GroupNorm'd layer: ndf·min(2ⁿ, 8) for n = 1…layers. */
export function discriminatorWidths(config: Pick<AutoencoderConfig, 'discNdf' | 'discLayers'>): number[] {
  return Array.from({ length: config.discLayers }, (_, i) => config.discNdf * Math.min(2 ** (i + 1), 8));
}

/**
 * Accepts a preset name ('code'), a complete config object (what a serialised config holds), or
 * `{ preset, ...fields }` to change some fields of a preset. Returns a frozen config that serialises to JSON
 * and parses back to an equal object.
 */
export function parseAutoencoderConfig(raw: unknown): AutoencoderConfig {
  const where = 'parseAutoencoderConfig';
  const obj = typeof raw === 'string' ? { preset: raw } : raw;
  assert(typeof obj === 'object' && obj !== null && !Array.isArray(obj),
    () => `${where}: expected a preset name (${AUTOENCODER_PRESET_NAMES.join(', ')}) or a config object, got ${JSON.stringify(raw)}`);
  const given = obj as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    assert(key === 'preset' || (FIELDS as readonly string[]).includes(key),
      () => `${where}: unknown key '${key}'; expected only preset, ${FIELDS.join(', ')}`);
  }
  let base: Partial<AutoencoderConfig> = {};
  if ('preset' in given) {
    const name = given.preset;
    assert(typeof name === 'string' && (AUTOENCODER_PRESET_NAMES as readonly string[]).includes(name),
      () => `${where}: preset must be one of ${AUTOENCODER_PRESET_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
    base = AUTOENCODER_PRESETS[name as AutoencoderPresetName];
  }
  const merged: Record<string, unknown> = { ...base, ...given };
  delete merged.preset;
  for (const key of FIELDS) {
    assert(key in merged, () => `${where}: missing '${key}' (give every field or start from a preset)`);
  }
  const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
  for (const key of ['inChannels', 'outChannels', 'ch', 'numResBlocks', 'numGroups', 'zChannels', 'nEmbed', 'spadeNf', 'spadeHidden',
    'numClasses', 'discNdf', 'discLayers'] as const) {
    assert(positiveInt(merged[key]), () => `${where}: ${key} must be a positive integer, got ${JSON.stringify(merged[key])}`);
  }
  const config = merged as unknown as AutoencoderConfig;
  const { chMult, beta, legacyLoss } = config;
  assert(Array.isArray(chMult) && chMult.length > 0 && chMult.every(positiveInt),
    () => `${where}: chMult must be a non-empty list of positive integers, got ${JSON.stringify(chMult)}`);
  assert(typeof beta === 'number' && Number.isFinite(beta) && beta >= 0,
    () => `${where}: beta must be a finite number ≥ 0, got ${JSON.stringify(beta)}`);
  assert(typeof legacyLoss === 'boolean', () => `${where}: legacyLoss must be true or false, got ${JSON.stringify(legacyLoss)}`);
  // Every GroupNorm of either half normalises some level's ch·chMult[l], or ch itself (the encoder's first block
  // takes conv_in's ch channels whatever chMult[0] is).
  const bad = [1, ...chMult].find((m) => (m * config.ch) % config.numGroups !== 0);
  assert(bad === undefined, () => `${where}: ch ${config.ch} and every level's channels (ch × chMult ${JSON.stringify(chMult)}) `
    + `must divide by numGroups ${config.numGroups}; ${bad! * config.ch} does not`);
  const badDisc = discriminatorWidths(config).find((w) => w % DISCRIMINATOR_GROUPS !== 0);
  assert(badDisc === undefined,
    () => `${where}: the discriminator's GroupNorm'd widths (discNdf ${config.discNdf} × 2, 4, …, at most 8, for ${config.discLayers} layers: `
      + `${JSON.stringify(discriminatorWidths(config))}) must divide by its ${DISCRIMINATOR_GROUPS} groups; ${badDisc} does not`);
  return freezeConfig(Object.fromEntries(FIELDS.map((key) => [key, merged[key]])) as unknown as AutoencoderConfig);
}

/**
 * The VQ-GAN part of the oracle fixture's `__metadata__.config` (the reference's own names: `ae_ch`,
 * `ae_ch_mult`, `z_channels`, `n_embed`, `spade_nf`, `disc_ndf`, …), parsed. Fields the fixture does not vary
 * are the reference's: one image channel in and out, the legacy loss.
 */
export function autoencoderConfigFromReference(metadata: Readonly<Record<string, unknown>>): AutoencoderConfig {
  const take = (key: string) => {
    assert(Object.hasOwn(metadata, key), () => `autoencoderConfigFromReference: the reference config has no '${key}'`);
    return metadata[key];
  };
  return parseAutoencoderConfig({
    inChannels: 1, outChannels: 1, legacyLoss: true,
    ch: take('ae_ch'), chMult: take('ae_ch_mult'), numResBlocks: take('ae_num_res_blocks'), numGroups: take('ae_groups'),
    zChannels: take('z_channels'), nEmbed: take('n_embed'), beta: take('vq_beta'), spadeNf: take('spade_nf'),
    spadeHidden: take('spade_hidden'), numClasses: take('num_classes'), discNdf: take('disc_ndf'), discLayers: take('disc_layers'),
  });
}

function freezeConfig(config: AutoencoderConfig): AutoencoderConfig {
  return Object.freeze({ ...config, chMult: Object.freeze([...config.chMult]) });
}

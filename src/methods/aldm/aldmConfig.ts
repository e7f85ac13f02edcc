/**
 * What an ALDM run's `methodConfig` is: the first stage (VQ-GAN with MS-SPADE), the latent U-Net, and the contrasts
 * the model translates between, in the order of their class labels (the reference's t1, t1ce, t2, flair = 0–3).
 */
import { CONTRASTS, type Contrast } from '../../data/index.js';
import {
  AUTOENCODER_PRESETS, ALDM_UNET_PRESETS, parseAldmUNetConfig, parseAutoencoderConfig, type AldmUNetConfig, type AutoencoderConfig,
} from '../../models/aldm/index.js';
import type { RunSchedule } from '../../runs/index.js';
import { assert } from '../../util/index.js';

/** The method's registered name. */
export const ALDM = 'aldm';

/** The networks of an ALDM run, and the names their weights go by. */
export const UNET = 'unet';
export const AUTOENCODER = 'autoencoder';

/** The reference's class order: its data loader numbers the BraTS contrasts so. */
export const REFERENCE_CONTRASTS: readonly Contrast[] = Object.freeze(['t1', 't1ce', 't2', 'flair']);

/** The reference's noise schedule: latent diffusion's scaled-linear β over 1000 steps, ε-prediction, its DDIM spacing. */
export const REFERENCE_SCHEDULE: RunSchedule = Object.freeze({
  betaSchedule: 'scaledLinear', numTrainTimesteps: 1000, predictionType: 'epsilon', timestepSpacing: 'ldm',
});

export interface AldmConfig {
  readonly autoencoder: AutoencoderConfig;
  readonly unet: AldmUNetConfig;
  /** Class label k translates into contrasts[k]. */
  readonly contrasts: readonly Contrast[];
}

export const ALDM_PRESET_NAMES = ['code', 'paper-unet', 'cpu', 'tiny', 'reference-tiny'] as const;
export type AldmPresetName = (typeof ALDM_PRESET_NAMES)[number];

/** Each preset as the autoencoder and U-Net configs (or presets) it combines. */
const PRESETS: Readonly<Record<AldmPresetName, { autoencoder: unknown; unet: unknown }>> = {
  // The reference code's released configs (brats_vqgan_stage{1,2}.yaml, brats_ldm.yaml).
  code: { autoencoder: 'code', unet: 'code' },
  // The paper's U-Net (128 × [1, 2, 4], 2 blocks, attention at 2 and 4) on the code's first stage.
  'paper-unet': { autoencoder: 'code', unet: 'paper-unet' },
  // Narrower everywhere, for training on a few CPU cores.
  cpu: { autoencoder: 'cpu', unet: 'cpu' },
  // For the test suite and quick checks: the fixture's layout with an 8-wide autoencoder and a 256-code book, so that a
  // whole train-and-sample round trip takes seconds; not a model to synthesise with.
  tiny: {
    autoencoder: { ...AUTOENCODER_PRESETS['reference-tiny'], ch: 8, numGroups: 4, nEmbed: 256 },
    unet: ALDM_UNET_PRESETS['reference-tiny'],
  },
  // The oracle fixture's modules (test-fixtures/aldm/README.md).
  'reference-tiny': { autoencoder: 'reference-tiny', unet: 'reference-tiny' },
};

/**
 * Accepts a preset name, `{ preset, autoencoder?, unet?, contrasts? }` (a part given as an object changes that part of
 * the preset, e.g. `{ preset: 'code', unet: { preset: 'code', concat: 'paper', inChannels: 8 } }`), or a complete
 * config as run.json holds it. With `conditions`, also checks that the run translates from one of the contrasts.
 */
export function parseAldmConfig(raw: unknown, conditions?: readonly Contrast[]): AldmConfig {
  const where = 'parseAldmConfig';
  const obj = typeof raw === 'string' ? { preset: raw } : raw;
  assert(typeof obj === 'object' && obj !== null && !Array.isArray(obj),
    () => `${where}: expected a preset name (${ALDM_PRESET_NAMES.join(', ')}) or a config object, got ${JSON.stringify(raw)}`);
  const given = obj as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    assert(['preset', 'autoencoder', 'unet', 'contrasts'].includes(key), () => `${where}: unknown key '${key}'; expected preset, autoencoder, unet, contrasts`);
  }
  let base: { autoencoder?: unknown; unet?: unknown } = {};
  if (given.preset !== undefined) {
    assert(typeof given.preset === 'string' && (ALDM_PRESET_NAMES as readonly string[]).includes(given.preset),
      () => `${where}: preset must be one of ${ALDM_PRESET_NAMES.join(', ')}, got ${JSON.stringify(given.preset)}`);
    base = PRESETS[given.preset as AldmPresetName];
  }
  const autoencoderRaw = given.autoencoder ?? base.autoencoder;
  const unetRaw = given.unet ?? base.unet;
  assert(autoencoderRaw !== undefined && unetRaw !== undefined, () => `${where}: give a preset, or both 'autoencoder' and 'unet'`);
  const autoencoder = parseAutoencoderConfig(autoencoderRaw);
  const unet = parseAldmUNetConfig(unetRaw);
  const contrasts = parseContrasts(given.contrasts ?? REFERENCE_CONTRASTS, `${where}: contrasts`);
  assert(autoencoder.numClasses === contrasts.length && unet.numClasses === contrasts.length,
    () => `${where}: ${contrasts.length} contrasts (${contrasts.join(', ')}) need ${contrasts.length} classes, but the autoencoder's MS-SPADE has `
      + `${autoencoder.numClasses} and the U-Net ${unet.numClasses}`);
  assert(unet.outChannels === autoencoder.zChannels,
    () => `${where}: the U-Net denoises ${unet.outChannels}-channel latents, but the autoencoder makes ${autoencoder.zChannels}-channel ones`);
  assert(autoencoder.inChannels === 1 && autoencoder.outChannels === 1,
    () => `${where}: ALDM translates one contrast at a time: the autoencoder must take and give 1 channel, got ${autoencoder.inChannels} → ${autoencoder.outChannels}`);
  if (conditions !== undefined) {
    assert(conditions.length === 1, () => `methodConfig: an ALDM run translates one source contrast, but ${conditions.length} conditions are listed (${conditions.join(', ')})`);
    assert(contrasts.includes(conditions[0]), () => `methodConfig: the source ${conditions[0]} is not one of the model's contrasts (${contrasts.join(', ')})`);
  }
  return deepFreeze({ autoencoder, unet, contrasts });
}

function parseContrasts(raw: unknown, where: string): Contrast[] {
  assert(Array.isArray(raw) && raw.length >= 2 && raw.every((c) => (CONTRASTS as readonly unknown[]).includes(c)) && new Set(raw).size === raw.length,
    () => `${where} must list at least two distinct contrasts of ${CONTRASTS.join(', ')}, got ${JSON.stringify(raw)}`);
  return [...raw] as Contrast[];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

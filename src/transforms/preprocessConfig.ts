/**
 * Preprocessing configuration: an ordered list of steps, either one of the named presets or a custom
 * list. `parsePreprocessConfig` is the one place where raw input (JSON, CLI) is checked; it fills in
 * presets and returns a frozen object that serialises to JSON and parses back to an equal object.
 */
import type { Shape3 } from '../volume/index.js';
import type { Vec3 } from '../volume/index.js';
import { INTERPOLATIONS, type Interpolation } from '../volume/index.js';
import { assert } from '../util/index.js';
import { castTuple } from '../util/index.js';

export const PRESET_NAMES = ['cwdm', 'cwdm-brainbox', 'aldm', 'aldm-brainbox', 'reference', 'custom'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const STEP_KINDS = ['reorient', 'intensity', 'crop', 'pad', 'window', 'resample'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Percentiles `lower`/`upper` (0–100) of each contrast map linearly to `range`; `clip` first clips to them. */
export interface IntensityParams {
  readonly lower: number;
  readonly upper: number;
  readonly range: readonly [number, number];
  readonly clip: boolean;
}

export const INTENSITY_PRESETS = {
  // cWDM `clip_and_normalize`: np.quantile 0.001/0.999 over the whole volume, clip, min–max to [0, 1].
  cwdm: { lower: 0.1, upper: 99.9, range: [0, 1], clip: true },
  // ALDM: MONAI ScaleIntensityRangePercentilesd(0.5, 99.5, b_min −1, b_max 1) with its default clip=False.
  aldm: { lower: 0.5, upper: 99.5, range: [-1, 1], clip: false },
} as const satisfies Record<string, IntensityParams>;

/** Reorder voxels to RAS+ by permutation and flips only. */
export interface ReorientConfig { readonly kind: 'reorient' }
export interface IntensityConfig extends IntensityParams { readonly kind: 'intensity' }
/** Crop to the bounding box of voxels that are nonzero in any contrast. */
export interface CropConfig { readonly kind: 'crop' }
/**
 * What `pad` to a shape does with a volume larger than the shape on some axis: 'refuse' it, naming the axis, or
 * 'centreCrop' it to the shape (MONAI's SpatialPad then CenterSpatialCrop, which ALDM's reference runs), dropping the
 * foreground voxels outside, which the step's record counts.
 */
export const PAD_OVERFLOWS = ['refuse', 'centreCrop'] as const;
export type PadOverflow = (typeof PAD_OVERFLOWS)[number];

/** Pad symmetrically (extra voxel after) to `shape`, or to the next multiple of `multiple` per axis. */
export type PadConfig =
  | { readonly kind: 'pad'; readonly shape: Shape3; readonly overflow?: 'centreCrop' }
  | { readonly kind: 'pad'; readonly multiple: Shape3 };
/** A fixed window: voxel 0 of the output is input voxel `start`; outside the input is zero. */
export interface WindowConfig { readonly kind: 'window'; readonly start: Shape3; readonly shape: Shape3 }
/** Resample to voxel size `spacing` (mm). */
export interface ResampleConfig { readonly kind: 'resample'; readonly spacing: Vec3; readonly interpolation: Interpolation }

export type StepConfig = ReorientConfig | IntensityConfig | CropConfig | PadConfig | WindowConfig | ResampleConfig;

export interface PreprocessConfig {
  readonly preset: PresetName;
  readonly steps: readonly StepConfig[];
}

const PRESET_STEPS: Record<Exclude<PresetName, 'custom'>, readonly unknown[]> = {
  cwdm: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'crop' }, { kind: 'pad', shape: [224, 224, 160] }],
  // The brain's own box, padded only to the next multiple of 32 (what the paper network needs): a BraTS brain
  // gives 160×192×160, 61 % of the 224×224×160 box's voxels and of its compute, at the same resolution.
  // GroupNorm statistics include the padding, so a model should be sampled with the geometry it was trained on.
  'cwdm-brainbox': [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'crop' }, { kind: 'pad', multiple: [32, 32, 32] }],
  // ALDM normalises after the crop, over the padded 144×192×144 box including its zero background. A brain larger than
  // the box on an axis (145×171×130 happens in TCGA cases) is centre-cropped, as the reference does.
  aldm: [{ kind: 'reorient' }, { kind: 'crop' }, { kind: 'pad', shape: [144, 192, 144], overflow: 'centreCrop' }, { kind: 'intensity', preset: 'aldm' }],
  // The brain's own box padded to the next multiple of 16 (what the code-config autoencoder and U-Net need together):
  // nothing is cut off, and a smaller brain costs less. The box differs per case, so does the percentile sample.
  'aldm-brainbox': [{ kind: 'reorient' }, { kind: 'crop' }, { kind: 'pad', multiple: [16, 16, 16] }, { kind: 'intensity', preset: 'aldm' }],
  // cWDM's bratsloader: stored voxel order, normalise, pad a2 155 → 160 at the end, crop a0 and a1 to 8:232.
  reference: [{ kind: 'intensity', preset: 'cwdm' }, { kind: 'window', start: [8, 8, 0], shape: [224, 224, 160] }],
};

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(raw: Raw, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(raw)) {
    assert(allowed.includes(key), () => `${where}: unknown key '${key}'; expected only ${allowed.join(', ')}`);
  }
}

function oneOf<T extends string>(value: unknown, options: readonly T[], where: string): T {
  assert(
    typeof value === 'string' && (options as readonly string[]).includes(value),
    () => `${where} must be one of ${options.join(', ')}, got ${JSON.stringify(value)}`,
  );
  return value as T;
}

function triple(value: unknown, where: string, ok: (n: number) => boolean, expected: string): Vec3 {
  assert(typeof value === 'number' || Array.isArray(value), () => `${where} must be a number or 3 numbers, got ${JSON.stringify(value)}`);
  const t = castTuple(value as number | number[], 3, where);
  assert(t.every((n) => typeof n === 'number' && ok(n)), () => `${where} must be ${expected}, got ${JSON.stringify(value)}`);
  return t as Vec3;
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

function parseIntensity(raw: Raw, where: string): IntensityConfig {
  if ('preset' in raw) {
    checkKeys(raw, ['kind', 'preset'], where);
    const name = oneOf(raw.preset, Object.keys(INTENSITY_PRESETS) as (keyof typeof INTENSITY_PRESETS)[], `${where}.preset`);
    const p = INTENSITY_PRESETS[name];
    return { kind: 'intensity', lower: p.lower, upper: p.upper, range: [p.range[0], p.range[1]], clip: p.clip };
  }
  checkKeys(raw, ['kind', 'lower', 'upper', 'range', 'clip'], where);
  const { lower, upper, range, clip } = raw;
  assert(typeof lower === 'number' && lower >= 0 && lower <= 100, () => `${where}.lower must be a percentile in [0, 100], got ${JSON.stringify(lower)}`);
  assert(
    typeof upper === 'number' && upper > lower && upper <= 100,
    () => `${where}.upper must be a percentile in (lower = ${lower}, 100], got ${JSON.stringify(upper)}`,
  );
  assert(
    Array.isArray(range) && range.length === 2 && range.every(Number.isFinite) && range[0] < range[1],
    () => `${where}.range must be [low, high] with low < high, got ${JSON.stringify(range)}`,
  );
  assert(typeof clip === 'boolean', () => `${where}.clip must be true or false, got ${JSON.stringify(clip)}`);
  return { kind: 'intensity', lower, upper, range: [range[0], range[1]], clip };
}

function parseStep(raw: unknown, where: string): StepConfig {
  assert(isObject(raw), () => `${where} must be an object with a 'kind', got ${JSON.stringify(raw)}`);
  const kind = oneOf(raw.kind, STEP_KINDS, `${where}.kind`);
  switch (kind) {
    case 'reorient':
    case 'crop':
      checkKeys(raw, ['kind'], where);
      return { kind };
    case 'intensity':
      return parseIntensity(raw, where);
    case 'pad': {
      checkKeys(raw, ['kind', 'shape', 'multiple', 'overflow'], where);
      assert(('shape' in raw) !== ('multiple' in raw), () => `${where}: give exactly one of 'shape' and 'multiple', got ${JSON.stringify(raw)}`);
      if ('shape' in raw) {
        const shape = triple(raw.shape, `${where}.shape`, positiveInt, 'positive integers');
        // 'refuse' is the default and is not written, so configs written before the option existed read back equal.
        const overflow = oneOf(raw.overflow ?? 'refuse', PAD_OVERFLOWS, `${where}.overflow`);
        return overflow === 'refuse' ? { kind, shape } : { kind, shape, overflow };
      }
      assert(!('overflow' in raw), () => `${where}: 'overflow' applies to a pad to a 'shape'; a pad to a 'multiple' never overflows`);
      return { kind, multiple: triple(raw.multiple, `${where}.multiple`, positiveInt, 'positive integers') };
    }
    case 'window':
      checkKeys(raw, ['kind', 'start', 'shape'], where);
      return {
        kind,
        start: triple(raw.start, `${where}.start`, Number.isInteger, 'integers'),
        shape: triple(raw.shape, `${where}.shape`, positiveInt, 'positive integers'),
      };
    case 'resample':
      checkKeys(raw, ['kind', 'spacing', 'interpolation'], where);
      return {
        kind,
        spacing: triple(raw.spacing, `${where}.spacing`, (n) => Number.isFinite(n) && n > 0, 'positive voxel sizes in mm'),
        interpolation: oneOf(raw.interpolation ?? 'linear', INTERPOLATIONS, `${where}.interpolation`),
      };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Accepts a preset name ('cwdm'), `{ preset }`, `{ steps }` (custom) or `{ preset, steps }`. A named
 * preset given with steps must list exactly that preset's steps, which is what a serialised config holds.
 */
export function parsePreprocessConfig(raw: unknown): PreprocessConfig {
  const where = 'parsePreprocessConfig';
  const obj: Raw = typeof raw === 'string' ? { preset: raw } : (raw as Raw);
  assert(isObject(obj), () => `${where}: expected a preset name or an object with 'preset' and/or 'steps', got ${JSON.stringify(raw)}`);
  checkKeys(obj, ['preset', 'steps'], where);
  const preset = oneOf(obj.preset ?? 'custom', PRESET_NAMES, `${where}: preset`);
  const parseSteps = (list: unknown): StepConfig[] => {
    assert(Array.isArray(list) && list.length > 0, () => `${where}: steps must be a non-empty list, got ${JSON.stringify(list)}`);
    return list.map((s, i) => parseStep(s, `${where}: steps[${i}]`));
  };
  if (preset === 'custom') {
    assert('steps' in obj, () => `${where}: preset 'custom' needs a 'steps' list`);
    return deepFreeze({ preset, steps: parseSteps(obj.steps) });
  }
  const steps = parseSteps(PRESET_STEPS[preset]);
  if ('steps' in obj) {
    assert(
      JSON.stringify(parseSteps(obj.steps)) === JSON.stringify(steps),
      () => `${where}: the steps given differ from preset '${preset}'; use preset 'custom' to change them`,
    );
  }
  return deepFreeze({ preset, steps });
}

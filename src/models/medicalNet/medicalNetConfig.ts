/**
 * Configuration of MedicalNet's ResNet-10 feature network (Chen et al., "Med3D", github.com/Tencent/MedicalNet): the
 * width, which the test checkpoint divides by 8 to stay small, and whether its BatchNorms keep PyTorch's batch
 * counters; named presets; and `parseMedicalNetConfig`, the one place raw input (JSON, CLI) is checked. The layout
 * itself — the stem, one BasicBlock per stage, strides and dilations, shortcut B — is MedicalNet's and no option.
 */
import { assert } from '../../util/index.js';

export interface MedicalNetConfig {
  /** Channels of the stem and of layer1; layer2–4 have 2×, 4× and 8× as many (MedicalNet: 64, so 512 features). */
  readonly width: number;
  /**
   * Give every BatchNorm its `num_batches_tracked` counter, so that the state dict holds exactly the keys of a
   * MedicalNet checkpoint (after `module.`). Off by default: the network only ever runs in eval mode, where the
   * counters are never read, and `mrsynth convert` takes floating-point tensors only, so it sets them aside.
   */
  readonly batchCounters: boolean;
}

export const MEDICALNET_PRESET_NAMES = ['pretrained', 'tiny'] as const;
export type MedicalNetPresetName = (typeof MEDICALNET_PRESET_NAMES)[number];

export const MEDICALNET_PRESETS: Readonly<Record<MedicalNetPresetName, MedicalNetConfig>> = Object.freeze({
  // The published weights (resnet_10.pth, resnet_10_23dataset.pth, both shortcut B): 14,355,520 parameters, the
  // 14.36 M MedicalNet's README gives for 3D-ResNet10.
  pretrained: Object.freeze({ width: 64, batchCounters: false }),
  // The test checkpoint (test-fixtures/medicalNet/README.md): every width divided by 8, 227,336 parameters.
  tiny: Object.freeze({ width: 8, batchCounters: false }),
});

const FIELDS = ['width', 'batchCounters'] as const;

/**
 * Accepts a preset name ('pretrained'), a complete config object (what a weights file's metadata holds), or
 * `{ preset, ...fields }` to change some fields of a preset. Returns a frozen config that round-trips through JSON.
 */
export function parseMedicalNetConfig(raw: unknown): MedicalNetConfig {
  const where = 'parseMedicalNetConfig';
  const obj = typeof raw === 'string' ? { preset: raw } : raw;
  assert(typeof obj === 'object' && obj !== null && !Array.isArray(obj),
    () => `${where}: expected a preset name (${MEDICALNET_PRESET_NAMES.join(', ')}) or a config object, got ${JSON.stringify(raw)}`);
  const given = obj as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    assert(key === 'preset' || (FIELDS as readonly string[]).includes(key),
      () => `${where}: unknown key '${key}'; expected only preset, ${FIELDS.join(', ')}`);
  }
  let base: Partial<MedicalNetConfig> = {};
  if ('preset' in given) {
    const name = given.preset;
    assert(typeof name === 'string' && (MEDICALNET_PRESET_NAMES as readonly string[]).includes(name),
      () => `${where}: preset must be one of ${MEDICALNET_PRESET_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
    base = MEDICALNET_PRESETS[name as MedicalNetPresetName];
  }
  const merged: Record<string, unknown> = { ...base, ...given };
  for (const key of FIELDS) assert(key in merged, () => `${where}: missing '${key}' (give every field or start from a preset)`);
  const { width, batchCounters } = merged;
  assert(Number.isInteger(width) && (width as number) > 0, () => `${where}: width must be a positive integer, got ${JSON.stringify(width)}`);
  assert(typeof batchCounters === 'boolean', () => `${where}: batchCounters must be true or false, got ${JSON.stringify(batchCounters)}`);
  return Object.freeze({ width: width as number, batchCounters });
}

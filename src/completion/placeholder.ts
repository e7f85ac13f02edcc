/**
 * What stands in for a condition the case lacks while another missing contrast is synthesised first. The affine
 * baseline cannot serve: it is fitted to the very contrast it predicts, and a missing condition has no such
 * target. Both choices here are defined from the available contrasts alone, on the model grid, after
 * normalisation (so in the [0, 1] units the model was trained on):
 * - 'mean-of-available': the voxel-wise mean of the available normalised contrasts. It keeps the anatomy and
 *   the zero background a real contrast has, with a plausible intensity level; the default.
 * - 'zeros': an all-zero volume, i.e. "no information", as in modality-dropout training.
 * Only the first contrasts of a completion order ever see a placeholder: later ones are conditioned on the
 * syntheses made before them.
 */
import { assert } from '../util/index.js';

export const PLACEHOLDERS = ['mean-of-available', 'zeros'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export function parsePlaceholder(name: string): Placeholder {
  assert((PLACEHOLDERS as readonly string[]).includes(name),
    () => `parsePlaceholder: placeholder must be one of ${PLACEHOLDERS.join(', ')}, got '${name}'`);
  return name as Placeholder;
}

/** The placeholder volume from the available normalised contrasts (all on one grid). */
export function placeholderVolume(kind: Placeholder, available: readonly Float32Array[]): Float32Array {
  assert(available.length > 0, () => 'placeholderVolume: needs at least one available contrast, got none');
  const n = available[0].length;
  assert(available.every((a) => a.length === n),
    () => `placeholderVolume: available contrasts must share one grid, got ${available.map((a) => a.length).join(', ')} voxels`);
  const out = new Float32Array(n);
  if (kind === 'zeros') return out;
  for (const a of available) for (let v = 0; v < n; v++) out[v] += a[v];
  for (let v = 0; v < n; v++) out[v] /= available.length;
  return out;
}

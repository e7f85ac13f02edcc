import { assert } from '../util/index.js';

/**
 * The regions BraSyn reports scores over. 'whole' is the full grid; 'brain' the nonzero reference (the volumes
 * are skull-stripped, so background is exactly 0); 'tumour' every voxel with a segmentation label > 0;
 * 'nontumour' the brain outside the tumour.
 */
export const REGIONS = ['whole', 'brain', 'tumour', 'nontumour'] as const;
export type Region = (typeof REGIONS)[number];

/** Regions that need a segmentation. */
export function needsSegmentation(region: Region): boolean {
  return region === 'tumour' || region === 'nontumour';
}

/**
 * The mask of each requested region (undefined for 'whole': no mask). `ref` must be the reference in its
 * stored units, before any normalisation that could move its zero background (ALDM's maps it to −1).
 */
export function regionMasks(
  regions: readonly Region[], ref: Float32Array, seg?: Float32Array, context = 'regionMasks',
): Map<Region, Uint8Array | undefined> {
  assert(seg === undefined || seg.length === ref.length, () =>
    `${context}: the segmentation has ${seg!.length} voxels, the reference ${ref.length}; they must share a grid`);
  const masks = new Map<Region, Uint8Array | undefined>();
  for (const region of regions) {
    assert(REGIONS.includes(region), () => `${context}: unknown region '${region}', expected one of ${REGIONS.join(', ')}`);
    assert(!needsSegmentation(region) || seg !== undefined, () =>
      `${context}: region '${region}' needs a tumour segmentation (--seg, or the case's _seg/-seg file), and none was found`);
    masks.set(region, region === 'whole' ? undefined : regionMask(region, ref, seg));
  }
  return masks;
}

function regionMask(region: Exclude<Region, 'whole'>, ref: Float32Array, seg: Float32Array | undefined): Uint8Array {
  const mask = new Uint8Array(ref.length);
  // One plain loop per region: these run over every voxel of every case, so no per-voxel dispatch.
  if (region === 'brain') {
    for (let v = 0; v < ref.length; v++) mask[v] = ref[v] !== 0 ? 1 : 0;
  } else if (region === 'tumour') {
    for (let v = 0; v < ref.length; v++) mask[v] = seg![v] > 0 ? 1 : 0;
  } else {
    for (let v = 0; v < ref.length; v++) mask[v] = ref[v] !== 0 && !(seg![v] > 0) ? 1 : 0;
  }
  return mask;
}

import { fileURLToPath } from 'node:url';
import { assert, fmtShape } from '../util/index.js';
import { checkAffine, invertAffine } from '../volume/index.js';
import { voxelCount, type Affine, type Shape3, type Volume } from '../volume/index.js';

/** Labels of the SRI24 tissue map: 0 background, 1 CSF, 2 grey matter, 3 white matter. */
export const ANATOMY_LABELS = { background: 0, csf: 1, gm: 2, wm: 3 } as const;

/**
 * The template anatomy every phantom deforms: a tissue label map on its own grid, plus what the generator
 * needs from it once (the world→voxel map and a summed-area table of the brain, to skip empty blocks fast).
 */
export interface Anatomy {
  readonly labels: Uint8Array;
  readonly shape: Shape3;
  readonly affine: Affine;
  /** World (mm) → voxel index of this grid. */
  readonly worldToVoxel: Affine;
  /** World position (mm) of the grid's centre, around which phantom grids are centred. */
  readonly centre: readonly [number, number, number];
  /**
   * Inclusive prefix sums of the brain indicator (label > 0) over an (nx+1)·(ny+1)·(nz+1) grid with a zero
   * first plane on each axis, so any box's brain voxel count takes eight reads.
   */
  readonly brainPrefix: Int32Array;
}

/** Where the SRI24 tissue map ships with the package (see assets/sri24/README.md for its licence). */
export const SRI24_TISSUES_PATH = fileURLToPath(new URL('../../assets/sri24/tissues.nii.gz', import.meta.url));

/** Builds an anatomy from a label volume (labels 0–3 as in {@link ANATOMY_LABELS}; `source` names it in errors). */
export function anatomyFromVolume(volume: Volume, source: string): Anatomy {
  const who = `anatomyFromVolume: ${source}`;
  checkAffine(volume.affine, who);
  const n = voxelCount(volume.shape);
  assert(volume.data.length === n, () => `${who}: ${volume.data.length} values for shape ${fmtShape(volume.shape)} (${n} voxels)`);
  const labels = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const label = volume.data[v];
    assert(label === 0 || label === 1 || label === 2 || label === 3, () =>
      `${who}: voxel ${v} has label ${label}; expected 0 background, 1 CSF, 2 GM or 3 WM`);
    labels[v] = label;
  }
  const [nx, ny, nz] = volume.shape;
  const a = volume.affine;
  const centreIndex = [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2];
  const centre: [number, number, number] = [0, 1, 2].map((r) =>
    a[r * 4] * centreIndex[0] + a[r * 4 + 1] * centreIndex[1] + a[r * 4 + 2] * centreIndex[2] + a[r * 4 + 3]) as [number, number, number];
  return {
    labels, shape: volume.shape, affine: volume.affine, worldToVoxel: invertAffine(volume.affine), centre,
    brainPrefix: brainPrefixSums(labels, volume.shape),
  };
}

function brainPrefixSums(labels: Uint8Array, [nx, ny, nz]: Shape3): Int32Array {
  const sx = nx + 1, sxy = (nx + 1) * (ny + 1);
  const p = new Int32Array(sxy * (nz + 1));
  for (let k = 1; k <= nz; k++) {
    for (let j = 1; j <= ny; j++) {
      let row = 0;
      const src = (j - 1) * nx + (k - 1) * nx * ny;
      const dst = j * sx + k * sxy;
      for (let i = 1; i <= nx; i++) {
        row += labels[src + i - 1] > 0 ? 1 : 0;
        p[dst + i] = row + p[dst + i - sx] + p[dst + i - sxy] - p[dst + i - sx - sxy];
      }
    }
  }
  return p;
}

/**
 * Number of brain voxels of `anatomy` in the index box [lo, hi] (inclusive, clipped to the grid): the
 * inclusion–exclusion of eight prefix sums.
 */
export function brainVoxelsInBox(anatomy: Anatomy, lo: readonly number[], hi: readonly number[]): number {
  const [nx, ny, nz] = anatomy.shape;
  const x0 = Math.max(0, lo[0]), y0 = Math.max(0, lo[1]), z0 = Math.max(0, lo[2]);
  const x1 = Math.min(nx - 1, hi[0]), y1 = Math.min(ny - 1, hi[1]), z1 = Math.min(nz - 1, hi[2]);
  if (x0 > x1 || y0 > y1 || z0 > z1) return 0;
  const sx = nx + 1, sxy = (nx + 1) * (ny + 1), p = anatomy.brainPrefix;
  const at = (i: number, j: number, k: number) => p[i + j * sx + k * sxy];
  return at(x1 + 1, y1 + 1, z1 + 1) - at(x0, y1 + 1, z1 + 1) - at(x1 + 1, y0, z1 + 1) - at(x1 + 1, y1 + 1, z0)
    + at(x0, y0, z1 + 1) + at(x0, y1 + 1, z0) + at(x1 + 1, y0, z0) - at(x0, y0, z0);
}

/**
 * The template as a skull-stripped scan shows it: CSF outside the brain that lies more than `margin` voxels
 * (chessboard distance) from grey or white matter and is connected to the background through such voxels
 * becomes background. Skull stripping (BraTS uses HD-BET/ROBEX-style masks) cuts through the subarachnoid
 * space, keeping only a thin CSF rim; the SRI24 map keeps all of it (~19 % of its brain volume). Ventricles
 * are enclosed by tissue, so the connectivity requirement keeps them whole.
 */
export function stripExtracerebralCsf(anatomy: Anatomy, margin: number): Anatomy {
  assert(Number.isInteger(margin) && margin >= 0, () => `stripExtracerebralCsf: margin must be a non-negative integer, got ${margin}`);
  const { labels, shape } = anatomy;
  const [nx, ny, nz] = shape;
  const n = labels.length;
  // Tissue dilated by `margin` along each axis in turn (a separable chessboard dilation).
  let near = new Uint8Array(n);
  for (let v = 0; v < n; v++) near[v] = labels[v] >= ANATOMY_LABELS.gm ? 1 : 0;
  const strides = [1, nx, nx * ny];
  for (let axis = 0; axis < 3; axis++) {
    const size = shape[axis], stride = strides[axis];
    const next = new Uint8Array(n);
    for (let v = 0; v < n; v++) {
      if (!near[v]) continue;
      const p = ((v - (v % stride)) / stride) % size;
      for (let d = -margin; d <= margin; d++) if (p + d >= 0 && p + d < size) next[v + d * stride] = 1;
    }
    near = next;
  }
  // Flood the background into CSF voxels that are far from tissue (6-connected), starting from those that touch it.
  const out = labels.slice();
  const far = (v: number) => out[v] === ANATOMY_LABELS.csf && !near[v];
  const queue = new Int32Array(n);
  let head = 0, tail = 0;
  const visit = (v: number, i: number, j: number, k: number, test: (w: number) => boolean): boolean => {
    let hit = false;
    if (i > 0) hit = test(v - 1) || hit;
    if (i < nx - 1) hit = test(v + 1) || hit;
    if (j > 0) hit = test(v - nx) || hit;
    if (j < ny - 1) hit = test(v + nx) || hit;
    if (k > 0) hit = test(v - nx * ny) || hit;
    if (k < nz - 1) hit = test(v + nx * ny) || hit;
    return hit;
  };
  const isBackground = (w: number) => out[w] === ANATOMY_LABELS.background;
  const strip = (w: number) => {
    if (!far(w)) return false;
    out[w] = ANATOMY_LABELS.background;
    queue[tail++] = w;
    return true;
  };
  for (let v = 0; v < n; v++) {
    if (!far(v)) continue;
    const i = v % nx, j = ((v - i) / nx) % ny, k = Math.floor(v / (nx * ny));
    if (visit(v, i, j, k, isBackground)) queue[tail++] = v;
  }
  for (let q = 0; q < tail; q++) out[queue[q]] = ANATOMY_LABELS.background;
  while (head < tail) {
    const v = queue[head++];
    const i = v % nx, j = ((v - i) / nx) % ny, k = Math.floor(v / (nx * ny));
    visit(v, i, j, k, strip);
  }
  return { ...anatomy, labels: out, brainPrefix: brainPrefixSums(out, shape) };
}

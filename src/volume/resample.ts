/**
 * Resampling between grids that share their axes and differ by a per-axis scale: a coarser grid for
 * CPU-sized models, and the way back. Grids are related by `scaleIndexMap(factors)` (new voxel n has its
 * centre at old index f·n + (f − 1)/2), so each axis can be resampled on its own: trilinear, nearest and
 * box averaging are all tensor products of 1D kernels, applied here as three 1D passes.
 */
import type { Shape3, Volume } from './volume.js';
import { multiplyAffine, scaleIndexMap, voxelSizes, type Vec3 } from './affine.js';
import { assert, fmtShape } from '../util/index.js';

export const INTERPOLATIONS = ['linear', 'nearest', 'area'] as const;
export type Interpolation = (typeof INTERPOLATIONS)[number];

/** A target grid: its shape and the index scale from it to the source grid. */
export interface ScaledGrid {
  readonly shape: Shape3;
  readonly factors: Vec3;
}

/**
 * The grid with voxel size `spacing` (mm) covering the source grid: factor = spacing / source voxel size,
 * and ⌈n / f⌉ voxels per axis so that no source voxel is left out.
 */
export function gridForSpacing(shape: Shape3, affine: Float64Array, spacing: readonly number[]): ScaledGrid {
  assert(spacing.length === 3 && spacing.every((s) => s > 0), () => `gridForSpacing: spacing must be 3 positive numbers, got ${fmtShape(spacing)}`);
  const sizes = voxelSizes(affine);
  const factors = sizes.map((s, a) => spacing[a] / s) as Vec3;
  // A factor within 1e-6 of an integer is that integer, so 2 mm over 1 mm voxels stays an exact 2 even when the
  // voxel size comes from a rotated affine stored in float32 (column norms off by ~1e-7).
  for (let a = 0; a < 3; a++) if (Math.abs(factors[a] - Math.round(factors[a])) < 1e-6) factors[a] = Math.round(factors[a]);
  const out = shape.map((n, a) => Math.max(1, Math.ceil(n / factors[a] - 1e-9))) as unknown as Shape3;
  return { shape: out, factors };
}

/** Per output index, `taps` source indices and weights along one axis. */
interface Kernel1D {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

function kernel1D(nIn: number, nOut: number, f: number, interpolation: Interpolation): Kernel1D {
  if (interpolation === 'area') {
    const taps = Math.round(f);
    const index = new Int32Array(nOut * taps);
    const weight = new Float64Array(nOut * taps);
    for (let n = 0; n < nOut; n++) {
      // A block cut by the end of the grid averages only the voxels that exist.
      const count = Math.max(1, Math.min(taps, nIn - n * taps));
      for (let t = 0; t < taps; t++) {
        index[n * taps + t] = Math.min(n * taps + t, nIn - 1);
        weight[n * taps + t] = t < count ? 1 / count : 0;
      }
    }
    return { taps, index, weight };
  }
  const taps = interpolation === 'linear' ? 2 : 1;
  const index = new Int32Array(nOut * taps);
  const weight = new Float64Array(nOut * taps);
  for (let n = 0; n < nOut; n++) {
    // Positions beyond the first or last voxel centre take the edge value.
    const s = Math.min(Math.max(f * n + (f - 1) / 2, 0), nIn - 1);
    if (interpolation === 'nearest') {
      index[n] = Math.min(Math.floor(s + 0.5), nIn - 1);
      weight[n] = 1;
    } else {
      const i0 = Math.floor(s);
      const g = s - i0;
      index[2 * n] = i0;
      index[2 * n + 1] = Math.min(i0 + 1, nIn - 1);
      weight[2 * n] = 1 - g;
      weight[2 * n + 1] = g;
    }
  }
  return { taps, index, weight };
}

/** One 1D pass along `axis`: the data viewed as [outer][n][inner] with inner the faster axes. */
function pass(src: Float32Array, shape: Shape3, axis: number, nOut: number, k: Kernel1D): Float32Array {
  const inner = axis === 0 ? 1 : axis === 1 ? shape[0] : shape[0] * shape[1];
  const nIn = shape[axis];
  const outer = src.length / (inner * nIn);
  const out = new Float32Array(outer * nOut * inner);
  const acc = new Float64Array(inner);
  if (inner === 1) {
    // Along the fastest axis each output is a short dot product; no row accumulator is needed.
    for (let o = 0; o < outer; o++) {
      for (let n = 0; n < nOut; n++) {
        let s = 0;
        for (let t = 0; t < k.taps; t++) s += k.weight[n * k.taps + t] * src[o * nIn + k.index[n * k.taps + t]];
        out[o * nOut + n] = s;
      }
    }
    return out;
  }
  for (let o = 0; o < outer; o++) {
    for (let n = 0; n < nOut; n++) {
      acc.fill(0);
      for (let t = 0; t < k.taps; t++) {
        const w = k.weight[n * k.taps + t];
        if (w === 0) continue;
        const from = (o * nIn + k.index[n * k.taps + t]) * inner;
        for (let r = 0; r < inner; r++) acc[r] += w * src[from + r];
      }
      out.set(acc, (o * nOut + n) * inner);
    }
  }
  return out;
}

/**
 * Resamples onto the grid `target` (shape and factors relative to this volume's grid). 'area' averages
 * blocks and so needs integer factors ≥ 1; 'nearest' copies values, so labels stay labels.
 */
export function resample(volume: Volume, target: ScaledGrid, interpolation: Interpolation): Volume {
  assert(
    (INTERPOLATIONS as readonly string[]).includes(interpolation),
    () => `resample: interpolation must be one of ${INTERPOLATIONS.join(', ')}, got '${interpolation}'`,
  );
  const { factors } = target;
  assert(factors.every((f) => f > 0 && Number.isFinite(f)), () => `resample: factors must be positive, got ${fmtShape(factors)}`);
  if (interpolation === 'area') {
    assert(
      factors.every((f) => Number.isInteger(f)),
      () => `resample: 'area' needs integer downsampling factors, got ${fmtShape(factors)}; use 'linear' instead`,
    );
  }
  let data = volume.data;
  let shape: Shape3 = volume.shape;
  for (let axis = 0; axis < 3; axis++) {
    if (factors[axis] === 1 && target.shape[axis] === shape[axis]) continue;
    data = pass(data, shape, axis, target.shape[axis], kernel1D(shape[axis], target.shape[axis], factors[axis], interpolation));
    shape = shape.map((n, a) => (a === axis ? target.shape[axis] : n)) as unknown as Shape3;
  }
  if (data === volume.data) data = data.slice();
  return { data, shape: target.shape, affine: multiplyAffine(volume.affine, scaleIndexMap(factors)) };
}

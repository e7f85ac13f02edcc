import { assert, fmtShape } from '../util/index.js';
import { voxelCount, type Shape3 } from '../volume/index.js';
import { COMBINE_PAIRS, combineWorkspace } from './symmetricCombine.js';

/**
 * 3D structural similarity (Wang et al. 2004), computed exactly as scikit-image 0.19's
 * `structural_similarity` does on float64 input:
 *
 *   μx, μy, E[x²], E[y²], E[xy]  = the five fields filtered by one separable window w
 *   σx² = c·(E[x²] − μx²),  σy² = c·(E[y²] − μy²),  σxy = c·(E[xy] − μx·μy)
 *   S = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),  C1 = (K1·R)², C2 = (K2·R)²
 *
 * with c = N/(N−1) (N = taps³) for the sample covariance and 1 for the biased one. The filters are those of
 * scipy.ndimage (`gaussian_filter` σ 1.5 truncated at 3.5σ → radius 5; `uniform_filter` size 7), both with mode
 * 'reflect': the line is mirrored about its edge, the edge voxel repeated (d c b a | a b c d | d c b a).
 * skimage's mean SSIM averages S over the grid cropped by pad = (taps − 1)/2 on every side, where the window
 * never reaches past the edge; regional means here use the same crop.
 */

export const SSIM_WINDOWS = ['gaussian', 'uniform'] as const;
export type SsimWindow = (typeof SSIM_WINDOWS)[number];

export interface SsimOptions {
  /** R, the span of possible intensities (1 for volumes in [0, 1]). */
  readonly dataRange: number;
  /** Default 'gaussian' (σ 1.5, 11 taps); 'uniform' is skimage's default 7-voxel box. */
  readonly window?: SsimWindow;
  /**
   * Default: false for 'gaussian' (Wang et al.'s biased covariance, skimage's `use_sample_covariance=False`),
   * true for 'uniform' (skimage's default for that window).
   */
  readonly sampleCovariance?: boolean;
}

export interface SsimMap {
  /** S at every voxel of the grid, NIfTI order (i fastest), boundary voxels included. */
  readonly values: Float64Array;
  readonly shape: Shape3;
  /** Width of the border excluded from means: (taps − 1)/2. */
  readonly pad: number;
}

const K1 = 0.01;
const K2 = 0.03;
const GAUSSIAN_SIGMA = 1.5;
const GAUSSIAN_TRUNCATE = 3.5;
const UNIFORM_SIZE = 7;
/** μx, μy, E[x²], E[y²], E[xy]. */
const FIELDS = 5;

/** The normalised 1D window, taps = 2·radius + 1, as scipy.ndimage builds it. */
export function ssimKernel(window: SsimWindow): Float64Array {
  assert(SSIM_WINDOWS.includes(window), () => `ssimKernel: unknown window '${window}', expected one of ${SSIM_WINDOWS.join(', ')}`);
  if (window === 'uniform') return new Float64Array(UNIFORM_SIZE).fill(1 / UNIFORM_SIZE);
  // scipy: radius = int(truncate·σ + 0.5); weights exp(−x²/2σ²) for x = −radius…radius, divided by their sum.
  const radius = Math.trunc(GAUSSIAN_TRUNCATE * GAUSSIAN_SIGMA + 0.5);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let t = 0; t < kernel.length; t++) {
    const x = t - radius;
    kernel[t] = Math.exp((-0.5 / (GAUSSIAN_SIGMA * GAUSSIAN_SIGMA)) * x * x);
    sum += kernel[t];
  }
  for (let t = 0; t < kernel.length; t++) kernel[t] /= sum;
  return kernel;
}

/**
 * The SSIM map of `pred` against `ref` on their common grid. The volume is swept one z-plane at a time: each
 * plane's five products are filtered along x and y into a ring of planes, and the z filter combines the ring,
 * so memory stays at a few planes besides the map. The five fields are interleaved per voxel (x, y, x², y², xy),
 * so every pass is one long loop (symmetricCombine.ts) over a contiguous row of 5·nx numbers.
 */
export function ssimMap(pred: Float32Array, ref: Float32Array, shape: Shape3, options: SsimOptions): SsimMap {
  const n = voxelCount(shape);
  assert(pred.length === n && ref.length === n, () =>
    `ssimMap: pred has ${pred.length} voxels and ref ${ref.length}, expected ${n} for shape ${fmtShape(shape)}`);
  const { dataRange } = options;
  assert(Number.isFinite(dataRange) && dataRange > 0, () => `ssimMap: dataRange must be a positive finite number, got ${dataRange}`);
  const window = options.window ?? 'gaussian';
  const kernel = ssimKernel(window);
  const taps = kernel.length;
  // skimage refuses the same: a window wider than the volume leaves no interior to average.
  assert(shape.every((d) => d >= taps), () =>
    `ssimMap: every axis must be at least the window's ${taps} taps (${window}), got shape ${fmtShape(shape)}`);
  const sampleCovariance = options.sampleCovariance ?? window === 'uniform';
  const taps3 = taps ** 3;
  const covNorm = sampleCovariance ? taps3 / (taps3 - 1) : 1;
  const c1 = (K1 * dataRange) ** 2;
  const c2 = (K2 * dataRange) ** 2;

  const [nx, ny, nz] = shape;
  const row = FIELDS * nx;
  // Rows start at even offsets because the SIMD loop writes whole pairs (one spare element after an odd row).
  const stride = row + (row & 1);
  const plane = stride * ny;
  const LINE = 0;
  const ROWS = LINE + row + 2 * FIELDS * MAX_RADIUS + 2;
  const RING = ROWS + plane;
  const MEANS = RING + RING_PLANES * plane;
  const ws = combineWorkspace(MEANS + stride, pairWeights(kernel));
  const f64 = ws.f64;
  const values = new Float64Array(n);
  const lower = new Int32Array(MAX_RADIUS);
  const upper = new Int32Array(MAX_RADIUS);

  const filterPlane = (z: number): void => {
    // x: the five products of each row, padded by 5 mirrored voxels per side, then filtered.
    for (let t = 0; t < MAX_RADIUS; t++) {
      lower[t] = LINE + t * FIELDS;
      upper[t] = LINE + (2 * MAX_RADIUS - t) * FIELDS;
    }
    for (let y = 0; y < ny; y++) {
      const src = nx * (y + ny * z);
      for (let i = 0, j = LINE; i < nx + 2 * MAX_RADIUS; i++, j += FIELDS) {
        const k = i - MAX_RADIUS;
        const v = src + (k >= 0 && k < nx ? k : reflect(k, nx));
        const x = pred[v];
        const r = ref[v];
        f64[j] = x;
        f64[j + 1] = r;
        f64[j + 2] = x * x;
        f64[j + 3] = r * r;
        f64[j + 4] = x * r;
      }
      ws.combine(ROWS + y * stride, LINE + MAX_RADIUS * FIELDS, lower, upper, row);
    }
    // y: whole rows of the plane, mirrored at its edges, into the ring.
    const slot = RING + (z % RING_PLANES) * plane;
    for (let y = 0; y < ny; y++) {
      for (let t = 0; t < MAX_RADIUS; t++) {
        lower[t] = ROWS + reflect(y - MAX_RADIUS + t, ny) * stride;
        upper[t] = ROWS + reflect(y + MAX_RADIUS - t, ny) * stride;
      }
      ws.combine(slot + y * stride, ROWS + y * stride, lower, upper, row);
    }
  };

  let filtered = 0;
  for (let z = 0; z < nz; z++) {
    for (; filtered <= Math.min(z + MAX_RADIUS, nz - 1); filtered++) filterPlane(filtered);
    for (let y = 0; y < ny; y++) {
      // z: planes z−5…z+5, mirrored at the volume's faces (the ring still holds every plane needed).
      for (let t = 0; t < MAX_RADIUS; t++) {
        lower[t] = RING + (reflect(z - MAX_RADIUS + t, nz) % RING_PLANES) * plane + y * stride;
        upper[t] = RING + (reflect(z + MAX_RADIUS - t, nz) % RING_PLANES) * plane + y * stride;
      }
      ws.combine(MEANS, RING + (z % RING_PLANES) * plane + y * stride, lower, upper, row);
      const base = nx * (y + ny * z);
      for (let x = 0, j = MEANS; x < nx; x++, j += FIELDS) {
        const ux = f64[j];
        const uy = f64[j + 1];
        const vx = covNorm * (f64[j + 2] - ux * ux);
        const vy = covNorm * (f64[j + 3] - uy * uy);
        const vxy = covNorm * (f64[j + 4] - ux * uy);
        values[base + x] = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      }
    }
  }
  return { values, shape, pad: (taps - 1) / 2 };
}

/**
 * Mean of the map over the cropped interior, optionally only where `mask` is nonzero: the mean SSIM of skimage
 * (no mask) and the regional score (mask). NaN when no voxel qualifies.
 */
export function meanSsim(map: SsimMap, mask?: Uint8Array): number {
  const [nx, ny, nz] = map.shape;
  assert(mask === undefined || mask.length === map.values.length, () =>
    `meanSsim: mask has ${mask!.length} voxels, the map ${map.values.length} (shape ${fmtShape(map.shape)})`);
  const p = map.pad;
  let sum = 0;
  let count = 0;
  for (let z = p; z < nz - p; z++) {
    for (let y = p; y < ny - p; y++) {
      const row = nx * (y + ny * z);
      for (let x = row + p; x < row + nx - p; x++) {
        if (mask !== undefined && mask[x] === 0) continue;
        sum += map.values[x];
        count++;
      }
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** Mean SSIM over the cropped interior, skimage's `structural_similarity` figure. */
export function ssim(pred: Float32Array, ref: Float32Array, shape: Shape3, options: SsimOptions): number {
  return meanSsim(ssimMap(pred, ref, shape, options));
}

// Both windows are run as one 11-tap symmetric filter (the 7-tap box padded with zero weights): adding exact
// zeros changes no rounding, and one fixed loop serves both.
const MAX_RADIUS = COMBINE_PAIRS;
const RING_PLANES = 2 * MAX_RADIUS + 1;

/** Weights by distance from the centre: entry t (t < 5) multiplies the pair at distance 5 − t; entry 5 the centre. */
function pairWeights(kernel: Float64Array): Float64Array {
  const radius = (kernel.length - 1) / 2;
  const weights = new Float64Array(MAX_RADIUS + 1);
  for (let t = 0; t <= MAX_RADIUS; t++) {
    const offset = MAX_RADIUS - t;
    weights[t] = offset <= radius ? kernel[radius - offset] : 0;
  }
  return weights;
}

/** scipy.ndimage 'reflect': index i of a line of length n, mirrored (edge repeated) as often as needed. */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

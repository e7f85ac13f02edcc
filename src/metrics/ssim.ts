import { assert, fmtShape } from '../util/assert.js';
import { voxelCount, type Shape3 } from '../volume/volume.js';

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
 * so every pass is one long loop over a contiguous row of 5·nx numbers.
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
  const weights = pairWeights(kernel);

  const [nx, ny, nz] = shape;
  const row = FIELDS * nx;
  const plane = row * ny;
  const ring = new Float64Array(RING * plane);
  const rowsFiltered = new Float64Array(plane);
  const line = new Float64Array(FIELDS * (nx + 2 * MAX_RADIUS));
  const means = new Float64Array(row);
  const values = new Float64Array(n);
  const lower = new Int32Array(MAX_RADIUS);
  const upper = new Int32Array(MAX_RADIUS);

  const filterPlane = (z: number): void => {
    filterAlongX(pred, ref, z * nx * ny, nx, ny, weights, line, rowsFiltered, lower, upper);
    filterAlongY(rowsFiltered, ring, (z % RING) * plane, row, ny, weights, lower, upper);
  };

  let filtered = 0;
  for (let z = 0; z < nz; z++) {
    for (; filtered <= Math.min(z + MAX_RADIUS, nz - 1); filtered++) filterPlane(filtered);
    for (let y = 0; y < ny; y++) {
      // z filter over planes z−5…z+5, mirrored at the volume's faces (the ring still holds every plane needed).
      for (let t = 0; t < MAX_RADIUS; t++) {
        lower[t] = (reflect(z - MAX_RADIUS + t, nz) % RING) * plane + y * row;
        upper[t] = (reflect(z + MAX_RADIUS - t, nz) % RING) * plane + y * row;
      }
      combineSymmetric(means, 0, ring, (z % RING) * plane + y * row, lower, upper, weights, row);
      const base = nx * (y + ny * z);
      for (let x = 0, j = 0; x < nx; x++, j += FIELDS) {
        const ux = means[j];
        const uy = means[j + 1];
        const vx = covNorm * (means[j + 2] - ux * ux);
        const vy = covNorm * (means[j + 3] - uy * uy);
        const vxy = covNorm * (means[j + 4] - ux * uy);
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
// zeros changes no rounding, and one fully unrolled loop runs several times faster in V8 than a nested tap loop.
const MAX_RADIUS = 5;
const RING = 2 * MAX_RADIUS + 1;

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

/** dst[d + j] = w₅·src[c + j] + Σₜ wₜ·(src[lowerₜ + j] + src[upperₜ + j]) for j < length, the five pairs spelled out. */
function combineSymmetric(
  dst: Float64Array, d: number, src: Float64Array, c: number,
  lower: Int32Array, upper: Int32Array, weights: Float64Array, length: number,
): void {
  const [a0, a1, a2, a3, a4] = lower;
  const [b0, b1, b2, b3, b4] = upper;
  const [w0, w1, w2, w3, w4, wc] = weights;
  for (let j = 0; j < length; j++) {
    dst[d + j] = wc * src[c + j] + w0 * (src[a0 + j] + src[b0 + j]) + w1 * (src[a1 + j] + src[b1 + j]) +
      w2 * (src[a2 + j] + src[b2 + j]) + w3 * (src[a3 + j] + src[b3 + j]) + w4 * (src[a4 + j] + src[b4 + j]);
  }
}

/**
 * Forms the five products of one z-plane and filters each row along x. Each row is first copied into a line
 * padded by 5 mirrored voxels per side, so the convolution itself has no boundary cases.
 */
function filterAlongX(
  pred: Float32Array, ref: Float32Array, offset: number, nx: number, ny: number,
  weights: Float64Array, line: Float64Array, out: Float64Array, lower: Int32Array, upper: Int32Array,
): void {
  const row = FIELDS * nx;
  for (let t = 0; t < MAX_RADIUS; t++) {
    lower[t] = t * FIELDS;
    upper[t] = (2 * MAX_RADIUS - t) * FIELDS;
  }
  for (let y = 0; y < ny; y++) {
    const src = offset + y * nx;
    for (let i = 0, j = 0; i < nx + 2 * MAX_RADIUS; i++, j += FIELDS) {
      const k = i - MAX_RADIUS;
      const v = src + (k >= 0 && k < nx ? k : reflect(k, nx));
      const x = pred[v];
      const r = ref[v];
      line[j] = x;
      line[j + 1] = r;
      line[j + 2] = x * x;
      line[j + 3] = r * r;
      line[j + 4] = x * r;
    }
    combineSymmetric(out, y * row, line, MAX_RADIUS * FIELDS, lower, upper, weights, row);
  }
}

/** Filters a plane of interleaved fields along y, row by row, mirrored at the edges. */
function filterAlongY(
  src: Float64Array, dst: Float64Array, dstOffset: number, row: number, ny: number,
  weights: Float64Array, lower: Int32Array, upper: Int32Array,
): void {
  for (let y = 0; y < ny; y++) {
    for (let t = 0; t < MAX_RADIUS; t++) {
      lower[t] = reflect(y - MAX_RADIUS + t, ny) * row;
      upper[t] = reflect(y + MAX_RADIUS - t, ny) * row;
    }
    combineSymmetric(dst, dstOffset + y * row, src, y * row, lower, upper, weights, row);
  }
}

import { assert } from '../util/index.js';
import type { Shape3 } from '../volume/index.js';
import type { Random } from './random.js';

/**
 * Smooth random fields of the phantom. Every field lives on a coarse lattice of nodes placed every `step`
 * voxels of the output grid and is read back by trilinear interpolation: smooth fields need few samples,
 * and interpolating between nodes is far cheaper than evaluating a field at 9 million voxels.
 */
export interface CoarseGrid {
  /** Node counts per axis; node (a, b, c) sits at voxel (a·step, b·step, c·step). */
  readonly nodes: Shape3;
  readonly step: number;
  /** Values per node, interleaved: node n, channel ch at `n·channels + ch`. */
  readonly channels: number;
  readonly data: Float32Array;
}

/** A zero lattice covering a grid of `shape` voxels, with one spare node past the last voxel on each axis. */
export function coarseGrid(shape: Shape3, step: number, channels: number): CoarseGrid {
  assert(Number.isInteger(step) && step >= 1, () => `coarseGrid: step must be a positive integer, got ${step}`);
  assert(Number.isInteger(channels) && channels >= 1, () => `coarseGrid: channels must be a positive integer, got ${channels}`);
  const nodes: Shape3 = [0, 1, 2].map((a) => Math.floor((shape[a] - 1) / step) + 2) as unknown as Shape3;
  return { nodes, step, channels, data: new Float32Array(nodes[0] * nodes[1] * nodes[2] * channels) };
}

/**
 * Fills every channel of `grid` with unit-variance Gaussian noise smoothed by a Gaussian of `sigma` nodes,
 * i.e. a stationary random field whose correlation length is about sigma·step voxels.
 */
export function fillSmoothNoise(grid: CoarseGrid, rng: Random, sigma: number): void {
  const { data } = grid;
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  blurNodes(grid, sigma);
  standardiseChannels(grid);
}

/**
 * Separable Gaussian blur along each lattice axis. The kernel is cut at 3σ and renormalised where it leaves
 * the lattice, so the edges keep the same mean.
 */
function blurNodes(grid: CoarseGrid, sigma: number): void {
  assert(sigma > 0, () => `fillSmoothNoise: sigma must be positive, got ${sigma}`);
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float64Array(2 * radius + 1);
  for (let t = -radius; t <= radius; t++) kernel[t + radius] = Math.exp((-0.5 * t * t) / (sigma * sigma));
  const [na, nb, nc] = grid.nodes;
  const C = grid.channels;
  const strides = [C, na * C, na * nb * C];
  const counts = [na, nb, nc];
  const line = new Float64Array(Math.max(na, nb, nc));
  for (let axis = 0; axis < 3; axis++) {
    const n = counts[axis], stride = strides[axis];
    const others = (na * nb * nc) / n;
    for (let o = 0; o < others; o++) {
      // The node where this line starts: decompose `o` over the two other axes.
      let base: number;
      if (axis === 0) base = o * na * C;
      else if (axis === 1) base = ((o % na) + Math.floor(o / na) * na * nb) * C;
      else base = o * C;
      for (let ch = 0; ch < C; ch++) {
        for (let p = 0; p < n; p++) line[p] = grid.data[base + ch + p * stride];
        for (let p = 0; p < n; p++) {
          let sum = 0, weight = 0;
          const lo = Math.max(0, p - radius), hi = Math.min(n - 1, p + radius);
          for (let q = lo; q <= hi; q++) {
            const w = kernel[q - p + radius];
            sum += w * line[q];
            weight += w;
          }
          grid.data[base + ch + p * stride] = sum / weight;
        }
      }
    }
  }
}

function standardiseChannels(grid: CoarseGrid): void {
  const { data, channels: C } = grid;
  const count = data.length / C;
  for (let ch = 0; ch < C; ch++) {
    let sum = 0, sum2 = 0;
    for (let i = ch; i < data.length; i += C) {
      sum += data[i];
      sum2 += data[i] * data[i];
    }
    const mean = sum / count;
    const sd = Math.sqrt(Math.max(sum2 / count - mean * mean, 1e-20));
    for (let i = ch; i < data.length; i += C) data[i] = (data[i] - mean) / sd;
  }
}

/**
 * A smooth random function of position as a sum of plane waves, Σ a_m·sin(k_m·x + φ_m): the low-frequency
 * building block of displacements and bias fields (a few waves give smooth, non-periodic-looking variation).
 */
export interface PlaneWaves {
  /** Per wave: kx, ky, kz (rad/mm), phase, amplitude. */
  readonly waves: Float64Array;
}

/**
 * `count` waves of wavelength uniform in [minWavelength, maxWavelength] mm, random directions and phases,
 * amplitudes scaled so the field's standard deviation is `sd` (each wave of amplitude a contributes a²/2).
 */
export function randomPlaneWaves(rng: Random, count: number, minWavelength: number, maxWavelength: number, sd: number): PlaneWaves {
  const waves = new Float64Array(count * 5);
  let power = 0;
  for (let m = 0; m < count; m++) {
    const k = (2 * Math.PI) / rng.uniform(minWavelength, maxWavelength);
    // A uniformly random direction: a normalised Gaussian vector.
    let dx = rng.normal(), dy = rng.normal(), dz = rng.normal();
    const norm = Math.hypot(dx, dy, dz) || 1;
    dx /= norm; dy /= norm; dz /= norm;
    const amplitude = rng.uniform(0.5, 1);
    waves.set([k * dx, k * dy, k * dz, rng.uniform(0, 2 * Math.PI), amplitude], m * 5);
    power += (amplitude * amplitude) / 2;
  }
  const scale = sd / Math.sqrt(power);
  for (let m = 0; m < count; m++) waves[m * 5 + 4] *= scale;
  return { waves };
}

export function evaluatePlaneWaves(field: PlaneWaves, x: number, y: number, z: number): number {
  const w = field.waves;
  let sum = 0;
  for (let m = 0; m < w.length; m += 5) sum += w[m + 4] * Math.sin(w[m] * x + w[m + 1] * y + w[m + 2] * z + w[m + 3]);
  return sum;
}

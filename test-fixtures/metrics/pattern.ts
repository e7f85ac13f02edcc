import type { Shape3 } from '../../src/volume/volume.js';

/**
 * Test volumes that Python rebuilds bit for bit (make_expected.py, `pattern`): a smooth quadratic bowl plus
 * hash noise, where every step is an integer operation or one correctly rounded float64 operation, so NumPy
 * and V8 produce the same float32 values. `centre` moves the bowl; `seed` changes the noise.
 */
export function patternVolume(shape: Shape3, seed: number, centre: Shape3): Float32Array {
  const [nx, ny, nz] = shape;
  const [cx, cy, cz] = centre;
  const scale = nx * nx + 2 * ny * ny + 3 * nz * nz;
  const data = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const index = i + nx * (j + ny * k);
        const bowl = ((i - cx) ** 2 + 2 * (j - cy) ** 2 + 3 * (k - cz) ** 2) / scale;
        const noise = (hash32(index, seed) & 1023) / 1024;
        data[index] = 0.75 * (1 - bowl) + 0.25 * noise;
      }
    }
  }
  return data;
}

/** The murmur3 finaliser over index·φ + seed (mod 2³²). */
function hash32(index: number, seed: number): number {
  let h = (Math.imul(index, 0x9e3779b1) + seed) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A ball of voxels (1 inside), the stand-in region for masked scores. */
export function ballMask(shape: Shape3, centre: Shape3, radius: number): Uint8Array {
  const [nx, ny, nz] = shape;
  const mask = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const d2 = (i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2;
        if (d2 <= radius * radius) mask[i + nx * (j + ny * k)] = 1;
      }
    }
  }
  return mask;
}

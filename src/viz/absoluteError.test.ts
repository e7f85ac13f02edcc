import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { absoluteError } from './absoluteError.js';
import { affineFrom } from '../volume/index.js';
import type { Volume } from '../volume/index.js';

// A 3x2x2 RAS volume and the same content stored LPS (x and y reversed, origin moved to match).
const ras: Volume = {
  data: Float32Array.from({ length: 12 }, (_, i) => i),
  shape: [3, 2, 2],
  affine: affineFrom([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]),
};
function asLps(volume: Volume): Volume {
  const [nx, ny, nz] = volume.shape;
  const data = new Float32Array(volume.data.length);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    data[i + nx * (j + ny * k)] = volume.data[nx - 1 - i + nx * (ny - 1 - j + ny * k)];
  }
  return { data, shape: volume.shape, affine: affineFrom([[-1, 0, 0, nx - 1], [0, -1, 0, ny - 1], [0, 0, 1, 0], [0, 0, 0, 1]]) };
}

describe('absoluteError', () => {
  test('compares at the same anatomy when the prediction is stored in another orientation', () => {
    const prediction = asLps({ ...ras, data: ras.data.map((v, i) => v + (i % 2 === 0 ? 2 : -3)) });
    const error = absoluteError(ras, prediction);
    assert.deepEqual(Array.from(error.data), Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 2 : 3)));
    assert.deepEqual(Array.from(error.affine), Array.from(ras.affine));
  });

  test('refuses volumes on different grids, quoting both', () => {
    const shifted = { ...ras, affine: affineFrom([[1, 0, 0, 5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]) };
    assert.throws(() => absoluteError(ras, shifted), /absoluteError: prediction and reference are on different grids in RAS\+: shape \[3,2,2\] vs \[3,2,2\], affine \[1,0,0,5,.*stored as RAS and RAS/);
  });
});

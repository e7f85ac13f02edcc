import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from './random.js';
import { coarseGrid, evaluatePlaneWaves, fillSmoothNoise, randomPlaneWaves } from './smoothField.js';

describe('coarseGrid / fillSmoothNoise', () => {
  test('covers the grid with a spare node and fills standardised, spatially correlated noise per channel', () => {
    const grid = coarseGrid([20, 30, 9], 4, 2);
    assert.deepEqual(grid.nodes, [6, 9, 4]);
    fillSmoothNoise(grid, new Random(1), 1.5);
    for (let ch = 0; ch < 2; ch++) {
      let sum = 0, sum2 = 0, lagged = 0, pairs = 0;
      const [na, nb, nc] = grid.nodes;
      for (let c = 0; c < nc; c++) for (let b = 0; b < nb; b++) for (let a = 0; a < na; a++) {
        const v = grid.data[(a + na * (b + nb * c)) * 2 + ch];
        sum += v; sum2 += v * v;
        if (b + 1 < nb) { lagged += v * grid.data[(a + na * (b + 1 + nb * c)) * 2 + ch]; pairs++; }
      }
      const n = na * nb * nc;
      assert.ok(Math.abs(sum / n) < 1e-6 && Math.abs(sum2 / n - 1) < 1e-6, 'zero mean, unit variance');
      // A Gaussian blur of σ = 1.5 nodes leaves neighbours strongly correlated (exp(-1/(4σ²)) ≈ 0.89 in theory).
      assert.ok(lagged / pairs > 0.6, `lag-1 correlation ${lagged / pairs}`);
    }
  });

  test('rejects a non-integer step', () => {
    assert.throws(() => coarseGrid([8, 8, 8], 2.5, 1), /coarseGrid: step must be a positive integer, got 2.5/);
  });
});

describe('randomPlaneWaves', () => {
  test('has the requested standard deviation over space and the requested wavelengths', () => {
    const field = randomPlaneWaves(new Random(4), 4, 60, 160, 2);
    let sum2 = 0, n = 0;
    for (let x = 0; x < 600; x += 7) for (let y = 0; y < 600; y += 7) for (let z = 0; z < 600; z += 37) {
      sum2 += evaluatePlaneWaves(field, x, y, z) ** 2;
      n++;
    }
    assert.ok(Math.abs(Math.sqrt(sum2 / n) - 2) < 0.3, `rms ${Math.sqrt(sum2 / n)}`);
    for (let m = 0; m < 4; m++) {
      const k = Math.hypot(field.waves[m * 5], field.waves[m * 5 + 1], field.waves[m * 5 + 2]);
      assert.ok(2 * Math.PI / k >= 60 && 2 * Math.PI / k <= 160);
    }
  });
});

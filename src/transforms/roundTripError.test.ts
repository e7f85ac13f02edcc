import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatRoundTripError, roundTripError } from './roundTripError.js';
import { parsePreprocessConfig } from './preprocessConfig.js';
import { invertPreprocess, preprocess } from './preprocess.js';
import { affineFrom } from '../volume/index.js';
import type { Shape3, Volume } from '../volume/index.js';

const lps = affineFrom([[-1, 0, 0, 30], [0, -1, 0, 30], [0, 0, 1, -10], [0, 0, 0, 1]]);

function makeVolume(shape: Shape3, f: (i: number, j: number, k: number) => number): Volume {
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  let o = 0;
  for (let k = 0; k < shape[2]; k++) for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) data[o++] = f(i, j, k);
  return { data, shape, affine: lps };
}

describe('roundTripError', () => {
  test('lossless geometry plus an unclipped intensity map: only float rounding', () => {
    const v = makeVolume([9, 8, 7], (i, j, k) => (i > 1 && i < 7 && j > 2 && k > 0 ? 100 + i * j * k : 0));
    const config = parsePreprocessConfig({ steps: [{ kind: 'reorient' }, { kind: 'crop' }, { kind: 'pad', multiple: 8 }, { kind: 'intensity', preset: 'aldm' }] });
    const { t1 } = roundTripError({ t1: v }, config);
    assert.ok(t1.maxRelative < 1e-6, formatRoundTripError({ t1 }));
  });

  test('2 mm linear resampling of a smooth blob stays within the interpolation bound', () => {
    // A = 1000, σ = 4 voxels: see resample.test.ts for the bound (⅛ + ½)·3·A/σ²
    const v = makeVolume([24, 20, 16], (i, j, k) => 1000 * Math.exp(-((i - 12) ** 2 + (j - 9.5) ** 2 + (k - 8) ** 2) / 32));
    const config = parsePreprocessConfig({ steps: [{ kind: 'reorient' }, { kind: 'resample', spacing: 2, interpolation: 'linear' }] });
    const { t2 } = roundTripError({ t2: v }, config);
    assert.ok(t2.maxAbs > 0 && t2.maxAbs < (1 / 8 + 1 / 2) * 3 * (1000 / 16), formatRoundTripError({ t2 }));
    assert.match(formatRoundTripError({ t2 }), /^t2: max \|error\| [\d.]+ \([\d.]+ % of range\), rms [\d.e-]+$/);
  });

  test('nearest resampling by 2 is exact on labels constant on 2×2×2 blocks', () => {
    const labels = makeVolume([8, 6, 4], (i, j, k) => (Math.floor(i / 2) + 2 * Math.floor(j / 2) + 3 * Math.floor(k / 2)) % 4);
    const config = parsePreprocessConfig({ steps: [{ kind: 'resample', spacing: 2, interpolation: 'nearest' }] });
    const { volumes, record } = preprocess({ seg: labels }, config);
    assert.deepEqual(record.preprocessed.shape, [4, 3, 2]);
    assert.deepEqual(invertPreprocess(record, volumes.seg).data, labels.data);
    assert.equal(roundTripError({ seg: labels }, config).seg.maxAbs, 0);
  });

  test('area downsampling by 2 inverts with linear interpolation', () => {
    const v = makeVolume([8, 8, 8], (i, j, k) => i + 2 * j - k);
    const config = parsePreprocessConfig({ steps: [{ kind: 'resample', spacing: [2, 2, 2], interpolation: 'area' }] });
    const { volumes, record } = preprocess({ t1: v }, config);
    // a block mean of a linear function is its value at the block centre
    assert.equal(volumes.t1.data[1 + 4 * (1 + 4 * 1)], 2.5 + 2 * 2.5 - 2.5);
    // the ramp is reproduced away from the clamped edges
    const back = invertPreprocess(record, volumes.t1);
    assert.equal(back.data[3 + 8 * (4 + 8 * 3)], 3 + 8 - 3);
  });
});

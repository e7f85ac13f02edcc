import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readNifti } from '../io/nifti/index.js';
import type { Shape3 } from '../volume/index.js';
import { patternVolume } from '../../test-fixtures/metrics/pattern.js';
import { meanSsim, ssim, ssimKernel, ssimMap } from './ssim.js';

const fixtures = fileURLToPath(new URL('../../test-fixtures/metrics/', import.meta.url));
const expected = JSON.parse(readFileSync(`${fixtures}expected.json`, 'utf8'));
const TOLERANCE = 1e-6;

const ODD: Shape3 = [23, 17, 31];
const TINY: Shape3 = [11, 12, 13];

function close(actual: number, wanted: number, what: string): void {
  assert.ok(Math.abs(actual - wanted) <= TOLERANCE, `${what}: got ${actual}, skimage ${wanted} (|diff| ${Math.abs(actual - wanted)})`);
}

/** Min-max to [0, 1] in float64, stored as float32, exactly as make_expected.py does. */
function minmax(data: Float32Array): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) { min = Math.min(min, v); max = Math.max(max, v); }
  return data.map((v) => (v - min) / (max - min));
}

describe('ssimKernel', () => {
  test('gaussian: 11 taps (σ 1.5 truncated at 3.5σ), symmetric, summing to 1, exp(−x²/2σ²) ratios', () => {
    const k = ssimKernel('gaussian');
    assert.equal(k.length, 11);
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-15);
    for (let t = 0; t < 11; t++) assert.equal(k[t], k[10 - t]);
    assert.ok(Math.abs(k[4] / k[5] - Math.exp(-1 / 4.5)) < 1e-15);
  });
  test('uniform: 7 equal taps', () => {
    assert.deepEqual([...ssimKernel('uniform')], new Array(7).fill(1 / 7));
  });
});

describe('ssim against scikit-image 0.19 (make_expected.py)', () => {
  const pairs = {
    odd: { shape: ODD, pred: patternVolume(ODD, 1, [10, 8, 15]), ref: patternVolume(ODD, 2, [12, 7, 14]) },
    tiny: { shape: TINY, pred: patternVolume(TINY, 3, [5, 6, 6]), ref: patternVolume(TINY, 4, [6, 5, 7]) },
  };
  for (const [name, { shape, pred, ref }] of Object.entries(pairs)) {
    const want = expected[name].whole;
    test(`${name} ${shape.join('x')}: gaussian biased, gaussian sample, uniform sample, uniform biased`, () => {
      close(ssim(pred, ref, shape, { dataRange: 1 }), want.ssim, 'gaussian');
      close(ssim(pred, ref, shape, { dataRange: 1, sampleCovariance: true }), want.ssim_gaussian_sample, 'gaussian sample');
      close(ssim(pred, ref, shape, { dataRange: 1, window: 'uniform' }), want.ssim_uniform, 'uniform');
      close(ssim(pred, ref, shape, { dataRange: 1, window: 'uniform', sampleCovariance: false }), want.ssim_uniform_biased, 'uniform biased');
    });
  }

  test('tiny 11x12x13: the whole map, boundary voxels included, matches skimage full=True (scipy reflect mode)', () => {
    const { shape, pred, ref } = pairs.tiny;
    for (const [window, key] of [['gaussian', 'map_gaussian'], ['uniform', 'map_uniform']] as const) {
      const map = ssimMap(pred, ref, shape, { dataRange: 1, window });
      const want: number[] = expected.tiny[key];
      assert.equal(map.values.length, want.length);
      let worst = 0;
      for (let v = 0; v < want.length; v++) worst = Math.max(worst, Math.abs(map.values[v] - want[v]));
      assert.ok(worst <= TOLERANCE, `${window} map: largest |diff| ${worst}`);
    }
  });

  test('real 240x240x155 pair: TCGA-DU-7294 t1 vs t2, min-max normalised', async () => {
    const t1 = await readNifti(`${fixtures}TCGA-DU-7294_t1.nii.gz`);
    const t2 = await readNifti(`${fixtures}TCGA-DU-7294_t2.nii.gz`);
    const shape = t2.volume.shape;
    assert.deepEqual([...shape], [240, 240, 155]);
    const pred = minmax(t1.volume.data);
    const ref = minmax(t2.volume.data);
    const want = expected.real.whole;
    close(ssim(pred, ref, shape, { dataRange: 1 }), want.ssim, 'gaussian');
    close(ssim(pred, ref, shape, { dataRange: 1, window: 'uniform' }), want.ssim_uniform, 'uniform');
  });
});

describe('ssim closed forms and refusals', () => {
  test('identical volumes give exactly 1 for both windows', () => {
    const a = patternVolume(ODD, 9, [3, 4, 5]);
    assert.equal(ssim(a, a, ODD, { dataRange: 1 }), 1);
    assert.equal(ssim(a, a, ODD, { dataRange: 1, window: 'uniform' }), 1);
  });
  test('two constant volumes: S = (2ab + C1)/(a² + b² + C1), variances vanish', () => {
    const a = new Float32Array(11 * 11 * 11).fill(0.25);
    const b = new Float32Array(11 * 11 * 11).fill(0.75);
    const c1 = 0.01 ** 2;
    const want = (2 * 0.25 * 0.75 + c1) / (0.25 ** 2 + 0.75 ** 2 + c1);
    assert.ok(Math.abs(ssim(a, b, [11, 11, 11], { dataRange: 1 }) - want) < 1e-12);
  });
  test('a mask restricts the mean to mask ∩ interior; an empty one gives NaN', () => {
    const shape: Shape3 = [12, 12, 12];
    const map = ssimMap(patternVolume(shape, 1, [6, 6, 6]), patternVolume(shape, 2, [5, 6, 7]), shape, { dataRange: 1 });
    const only = new Uint8Array(12 * 12 * 12);
    const voxel = 5 + 12 * (6 + 12 * 5);
    only[voxel] = 1;
    only[0] = 1; // a boundary voxel: outside the interior, so ignored
    assert.equal(meanSsim(map, only), map.values[voxel]);
    assert.ok(Number.isNaN(meanSsim(map, new Uint8Array(12 * 12 * 12))));
  });
  test('refuses a volume smaller than the window, naming the shape', () => {
    const a = new Float32Array(10 * 12 * 12);
    assert.throws(() => ssim(a, a, [10, 12, 12], { dataRange: 1 }), /ssimMap: every axis must be at least the window's 11 taps \(gaussian\), got shape \[10,12,12\]/);
    assert.doesNotThrow(() => ssim(a, a, [10, 12, 12], { dataRange: 1, window: 'uniform' }));
  });
  test('refuses mismatched lengths and a bad data range', () => {
    const a = new Float32Array(11 ** 3);
    assert.throws(() => ssim(a, new Float32Array(5), [11, 11, 11], { dataRange: 1 }), /ssimMap: pred has 1331 voxels and ref 5/);
    assert.throws(() => ssim(a, a, [11, 11, 11], { dataRange: 0 }), /dataRange must be a positive finite number, got 0/);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Volume } from '../volume/index.js';
import { comparableIntensities, valueRange } from './intensityRange.js';

const identity = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const vol = (values: number[]): Volume => ({ data: Float32Array.from(values), shape: [values.length, 1, 1], affine: identity });
/** 0 background then 1…1000, the shape of a raw scanner volume. */
const raw = vol([0, ...Array.from({ length: 1000 }, (_, i) => i + 1)]);
const unit = vol(Array.from({ length: 1001 }, (_, i) => i / 1000));

describe('comparableIntensities', () => {
  test('both in [0, 1]: R = 1, the reference untouched', () => {
    const { ref, dataRange } = comparableIntensities(unit, unit, {}, 'eval');
    assert.equal(dataRange, 1);
    assert.equal(ref, unit);
  });
  test('a [0, 1] synthesis against a raw reference is refused, naming both ranges and the two ways out', () => {
    assert.throws(() => comparableIntensities(unit, raw, {}, 'eval case A t2'),
      /eval case A t2: cannot choose a data range: the prediction lies in \[0, 1\] and the reference in \[0, 1000\]; .*--data-range R.*--normalise cwdm\|aldm/);
  });
  test('an explicit data range is used as given', () => {
    assert.equal(comparableIntensities(raw, raw, { dataRange: 1000 }, 'eval').dataRange, 1000);
    assert.throws(() => comparableIntensities(raw, raw, { dataRange: 0 }, 'eval'), /eval: the data range must be a positive number, got 0/);
  });
  test('cwdm: the reference is clipped at its 0.1/99.9 percentiles and mapped to [0, 1]; R = 1', () => {
    const { ref, dataRange } = comparableIntensities(unit, raw, { normalise: 'cwdm' }, 'eval');
    assert.equal(dataRange, 1);
    assert.deepEqual(valueRange(ref.data, 'ref'), { min: 0, max: 1 });
    // numpy.quantile(0…1000, 0.001) = 1.0 and (…, 0.999) = 999.0: voxel 500 lands on (500 − 1)/998.
    assert.ok(Math.abs(ref.data[500] - 499 / 998) < 1e-7);
  });
  test('cwdm: a prediction outside [0, 1] is refused', () => {
    assert.throws(() => comparableIntensities(raw, raw, { normalise: 'cwdm' }, 'eval'),
      /eval: --normalise cwdm maps the reference to \[0, 1\], but the prediction lies in \[0, 1000\]/);
  });
  test('aldm: 0.5/99.5 percentiles to −1/+1, not clipped; R = 2', () => {
    const pred = vol(Array.from({ length: 1001 }, (_, i) => i / 500 - 1));
    const { ref, dataRange } = comparableIntensities(pred, raw, { normalise: 'aldm' }, 'eval');
    assert.equal(dataRange, 2);
    const { min, max } = valueRange(ref.data, 'ref');
    assert.ok(min < -1 && max > 1, `unclipped: [${min}, ${max}]`);
  });
  test('aldm: a prediction left in scanner units is refused', () => {
    assert.throws(() => comparableIntensities(raw, raw, { normalise: 'aldm' }, 'eval'),
      /eval: --normalise aldm maps the reference to \[-1\.\d+, 1\.\d+\], but the prediction lies in \[0, 1000\], far outside it/);
  });
  test('NaN voxels are refused', () => {
    assert.throws(() => valueRange(Float32Array.of(0, Number.NaN), 'the prediction'), /the prediction holds NaN or infinite values/);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parsePreprocessConfig } from '../transforms/index.js';
import { percentiles, type Volume } from '../volume/index.js';
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

describe("normaliseAs: a run's preprocessing, percentiles over its box", () => {
  // A 40³ RAS scan with a 20³ brain at [5, 25)³ holding 1…8000; aldm-brainbox crops to it and pads to 32³ (16-multiples).
  const n = 40;
  const data = new Float32Array(n ** 3);
  let next = 1;
  for (let z = 5; z < 25; z++) for (let y = 5; y < 25; y++) for (let x = 5; x < 25; x++) data[x + n * (y + n * z)] = next++;
  const scan: Volume = { data, shape: [n, n, n], affine: identity };
  const units = { preprocess: parsePreprocessConfig('aldm-brainbox'), source: 'runs/aldm' };

  test('maps the reference as the run does: p0.5/p99.5 of the 32³ box (brain plus its zero padding) to −1/+1; the floor −1 outside the brain\'s box, as syntheses are written; R = 2', () => {
    // numpy.quantile over the box: 24,768 zeros and 1…8000, by the linear rule (what percentiles implements, tested against numpy).
    const box = new Float32Array(32 ** 3);
    box.set(Float32Array.from({ length: 8000 }, (_, i) => i + 1), 32 ** 3 - 8000);
    const [low, high] = percentiles(box, [0.5, 99.5]);
    assert.equal(low, 0);
    const { ref, dataRange } = comparableIntensities(vol([-1, 1]), scan, { normaliseAs: units }, 'eval');
    assert.equal(dataRange, 2);
    assert.deepEqual(ref.shape, scan.shape);
    // Mapped back, the crop's inverse fills everything outside the brain's box [5, 25)³ with the floor of [−1, 1].
    for (const [x, y, z] of [[5, 5, 5], [24, 24, 24], [10, 20, 15], [0, 0, 0], [4, 10, 10], [25, 10, 10], [39, 39, 39]]) {
      const at = x + n * (y + n * z);
      const insideBox = [x, y, z].every((c) => c >= 5 && c < 25);
      const expected = insideBox ? -1 + (2 * (data[at] - low)) / (high - low) : -1;
      assert.ok(Math.abs(ref.data[at] - expected) < 1e-5, `voxel ${x},${y},${z}: ${ref.data[at]} vs ${expected}`);
    }
  });

  test("differs from --normalise aldm, whose percentiles are over the whole stored grid (more background)", () => {
    const asRun = comparableIntensities(vol([-1, 1]), scan, { normaliseAs: units }, 'eval').ref;
    const asLoader = comparableIntensities(vol([-1, 1]), scan, { normalise: 'aldm' }, 'eval').ref;
    const at = 24 + n * (24 + n * 24);
    assert.ok(Math.abs(asRun.data[at] - asLoader.data[at]) > 0.01, `${asRun.data[at]} vs ${asLoader.data[at]}`);
  });

  test('refuses a prediction far outside the run units, both options together, and a preprocessing without an intensity step', () => {
    assert.throws(() => comparableIntensities(vol([0, 5000]), scan, { normaliseAs: units }, 'eval c1'),
      /eval c1: the preprocessing of runs\/aldm maps the reference to \[.*\], but the prediction lies in \[0, 5000\]/);
    assert.throws(() => comparableIntensities(vol([0, 1]), scan, { normaliseAs: units, normalise: 'aldm' }, 'eval'), /not both/);
    const plain = { preprocess: parsePreprocessConfig({ steps: [{ kind: 'crop' }] }), source: 'runs/raw' };
    assert.throws(() => comparableIntensities(vol([0, 1]), scan, { normaliseAs: plain }, 'eval'), /runs\/raw: its preprocessing maps no intensities/);
  });
});

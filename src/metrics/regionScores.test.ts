import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readNifti } from '../io/nifti/index.js';
import type { Shape3, Volume } from '../volume/index.js';
import { ballMask, patternVolume } from '../../test-fixtures/metrics/pattern.js';
import { regionMasks, type Region } from './masks.js';
import { scoreRegions } from './regionScores.js';

const fixtures = fileURLToPath(new URL('../../test-fixtures/metrics/', import.meta.url));
const expected = JSON.parse(readFileSync(`${fixtures}expected.json`, 'utf8'));
const identity = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const vol = (data: Float32Array, shape: Shape3): Volume => ({ data, shape, affine: identity });

function near(actual: number, wanted: number, what: string, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - wanted) <= tolerance, `${what}: got ${actual}, expected ${wanted}`);
}

describe('regionMasks', () => {
  const ref = Float32Array.of(0, 5, 7, 9, 0);
  const seg = Float32Array.of(0, 0, 1, 4, 2);
  test('brain = nonzero reference, tumour = label > 0, non-tumour = brain minus tumour', () => {
    const masks = regionMasks(['whole', 'brain', 'tumour', 'nontumour'], ref, seg);
    assert.equal(masks.get('whole'), undefined);
    assert.deepEqual([...masks.get('brain')!], [0, 1, 1, 1, 0]);
    assert.deepEqual([...masks.get('tumour')!], [0, 0, 1, 1, 1]);
    assert.deepEqual([...masks.get('nontumour')!], [0, 1, 0, 0, 0]);
  });
  test('tumour regions without a segmentation: a clear error', () => {
    assert.throws(() => regionMasks(['tumour'], ref, undefined, 'eval case X'),
      /eval case X: region 'tumour' needs a tumour segmentation \(--seg, or the case's _seg\/-seg file\), and none was found/);
    assert.throws(() => regionMasks(['brain'], ref, Float32Array.of(1)), /segmentation has 1 voxels, the reference 5/);
    assert.throws(() => regionMasks(['lesion' as Region], ref), /unknown region 'lesion', expected one of whole, brain, tumour, nontumour/);
  });
});

describe('scoreRegions against skimage/NumPy', () => {
  test('23x17x31 pair: whole and a ball region, SSIM map on the unmasked volumes and masked first', () => {
    const shape: Shape3 = [23, 17, 31];
    const pred = vol(patternVolume(shape, 1, [10, 8, 15]), shape);
    const ref = vol(patternVolume(shape, 2, [12, 7, 14]), shape);
    // The ball stands in for the tumour: a label volume with 1 inside it.
    const seg = Float32Array.from(ballMask(shape, [11, 8, 15], 6));
    const masks = regionMasks(['whole', 'tumour'], ref.data, seg);
    const scores = scoreRegions(pred, ref, masks, { dataRange: 1 });
    const first = scoreRegions(pred, ref, masks, { dataRange: 1, maskBeforeSsim: true });
    for (const [region, key] of [['whole', 'whole'], ['tumour', 'ball']] as const) {
      const want = expected.odd[key];
      for (const m of ['mse', 'mae', 'psnr', 'nmse', 'ssim'] as const) near(scores.get(region)![m], want[m], `${region} ${m}`);
    }
    near(first.get('tumour')!.ssim, expected.odd.ball.ssim_masked_first, 'masked-first ssim');
    // Masking first changes nothing for the whole volume, and a lot for a small region.
    assert.equal(first.get('whole')!.ssim, scores.get('whole')!.ssim);
  });

  test('11x12x13 pair: a region that covers part of the 1x2x3 interior', () => {
    const shape: Shape3 = [11, 12, 13];
    const seg = Float32Array.from(ballMask(shape, [5, 5, 5], 1.5));
    const ref = vol(patternVolume(shape, 4, [6, 5, 7]), shape);
    const scores = scoreRegions(vol(patternVolume(shape, 3, [5, 6, 6]), shape), ref, regionMasks(['tumour'], ref.data, seg), { dataRange: 1 });
    for (const m of ['mse', 'mae', 'psnr', 'nmse', 'ssim'] as const) near(scores.get('tumour')![m], expected.tiny.ball[m], `ball ${m}`);
  });

  test('real pair (t1 as a synthesis of t2): brain region and a ball', async () => {
    const t1 = (await readNifti(`${fixtures}TCGA-DU-7294_t1.nii.gz`)).volume;
    const t2 = (await readNifti(`${fixtures}TCGA-DU-7294_t2.nii.gz`)).volume;
    const unit = (d: Float32Array) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of d) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      return d.map((v) => (v - lo) / (hi - lo));
    };
    const seg = Float32Array.from(ballMask(t2.shape, [120, 120, 77], 30));
    const masks = regionMasks(['brain', 'tumour'], t2.data, seg);
    const scores = scoreRegions(vol(unit(t1.data), t1.shape), vol(unit(t2.data), t2.shape), masks, { dataRange: 1 });
    for (const m of ['mse', 'mae', 'psnr', 'nmse', 'ssim'] as const) {
      near(scores.get('brain')![m], expected.real.brain[m], `brain ${m}`);
      near(scores.get('tumour')![m], expected.real.ball[m], `ball ${m}`);
    }
  });

  test('refuses volumes on different shapes', () => {
    const a = vol(new Float32Array(11 ** 3), [11, 11, 11]);
    const c = vol(new Float32Array(11 * 11 * 12), [11, 11, 12]);
    assert.throws(() => scoreRegions(a, c, new Map(), { dataRange: 1 }), /pred shape \[11,11,11\] differs from ref shape \[11,11,12\]/);
  });
});

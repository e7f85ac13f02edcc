import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encodeNifti, parseNifti } from '../io/nifti/index.js';
import type { Volume } from '../volume/index.js';
import { anatomyFromVolume, SRI24_TISSUES_PATH } from './anatomy.js';
import { PhantomGenerator, type PhantomCase } from './generator.js';
import { phantomGrid } from './grid.js';
import { TISSUES } from './relaxation.js';

// The shipped SRI24 map on the 2 mm demo grid: small enough for fast tests, fine enough for the anatomy.
const anatomy = anatomyFromVolume(parseNifti(readFileSync(SRI24_TISSUES_PATH), SRI24_TISSUES_PATH).volume, SRI24_TISSUES_PATH);
const grid = phantomGrid(anatomy, [96, 96, 64], 2);
const generator = new PhantomGenerator(anatomy, grid);

function brainContent(c: PhantomCase): Float32Array {
  const total = new Float32Array(c.seg!.data.length);
  for (const t of TISSUES) c.fractions![t].data.forEach((f, v) => { total[v] += f; });
  return total;
}

/** Mean of `volume` over voxels where `inside` holds. */
function meanWhere(volume: Volume, inside: (v: number) => boolean): number {
  let sum = 0, n = 0;
  for (let v = 0; v < volume.data.length; v++) if (inside(v)) { sum += volume.data[v]; n++; }
  assert.ok(n > 20, `region has only ${n} voxels`);
  return sum / n;
}

/** `pure` holds at a voxel and at every voxel its acquisition's slice profile (along k) reaches. */
function pureThroughSlab(c: PhantomCase, contrast: 'flair' | 't2'): (pure: (v: number) => boolean) => (v: number) => boolean {
  const reach = Math.ceil(c.parameters.sliceThickness[contrast]! / grid.spacing / 2 - 0.5);
  const plane = grid.shape[0] * grid.shape[1];
  return (pure) => (v) => {
    for (let d = -reach; d <= reach; d++) if (!pure(v + d * plane)) return false;
    return true;
  };
}

describe('PhantomGenerator physics (BraTS style)', () => {
  const cases = [0, 1, 2].flatMap((index) => [
    generator.generate(17, index, 'brats', { noise: false, fractions: true }),
    generator.generate(17, index, 'brats', { fractions: true }),
  ]);

  test('FLAIR suppresses CSF (CSF/WM < 0.3) and T2 makes it bright (CSF/WM > 2)', () => {
    for (const c of cases) {
      const { csf, wm } = c.fractions!;
      for (const name of ['flair', 't2'] as const) {
        // Pure tissue over the whole slice profile: thick 2D slices mix a voxel with its neighbours along k.
        const slab = pureThroughSlab(c, name);
        const pureCsf = slab((v) => csf.data[v] > 0.9 && c.seg!.data[v] === 0);
        const pureWm = slab((v) => wm.data[v] > 0.9 && c.seg!.data[v] === 0);
        const ratio = meanWhere(c.contrasts[name]!, pureCsf) / meanWhere(c.contrasts[name]!, pureWm);
        if (name === 'flair') assert.ok(ratio < 0.3, `${c.id}: FLAIR CSF/WM ${ratio}`);
        else assert.ok(ratio > 2, `${c.id}: T2 CSF/WM ${ratio}`);
      }
    }
  });

  test('T1ce brightens the enhancing rim (T1ce/T1 ≥ 1.3) and nothing else (within 5 %)', () => {
    for (const c of cases) {
      const seg = c.seg!.data;
      const content = brainContent(c);
      const rim = (v: number) => seg[v] === 4;
      const elsewhere = (v: number) => content[v] >= 0.5 && seg[v] !== 4;
      const inRim = meanWhere(c.contrasts.t1ce!, rim) / meanWhere(c.contrasts.t1!, rim);
      const outside = meanWhere(c.contrasts.t1ce!, elsewhere) / meanWhere(c.contrasts.t1!, elsewhere);
      assert.ok(inRim >= 1.3, `${c.id}: rim T1ce/T1 ${inRim}`);
      assert.ok(Math.abs(outside - 1) <= 0.05, `${c.id}: elsewhere T1ce/T1 ${outside}`);
      // Necrosis holds no contrast agent.
      const necrosis = (v: number) => c.fractions!.necrosis.data[v] > 0.95;
      const core = meanWhere(c.contrasts.t1ce!, necrosis) / meanWhere(c.contrasts.t1!, necrosis);
      assert.ok(core < inRim, `${c.id}: necrosis T1ce/T1 ${core} vs rim ${inRim}`);
    }
  });

  test('the noise-free case is the noisy one without its noise', () => {
    const [clean, noisy] = cases;
    let sum = 0, sum2 = 0, n = 0;
    clean.contrasts.t2!.data.forEach((x, v) => {
      if (x === 0) return;
      const d = noisy.contrasts.t2!.data[v] - x;
      sum += d; sum2 += d * d; n++;
    });
    const sd = Math.sqrt(sum2 / n - (sum / n) ** 2);
    const sigma = noisy.parameters.noiseSigma.t2!;
    // At brain signal levels Rician noise is nearly Gaussian with sd σ.
    assert.ok(Math.abs(sd / sigma - 1) < 0.15, `residual sd ${sd}, σ ${sigma}`);
    assert.deepEqual(clean.seg!.data, noisy.seg!.data);
  });
});

describe('PhantomGenerator volumes and labels', () => {
  const c = generator.generate(23, 4, 'brats', { fractions: true });
  const content = brainContent(c);

  test('background is 0 in every contrast (skull-stripped), intensities are int16 integers inside', () => {
    let brain = 0;
    for (let v = 0; v < content.length; v++) {
      const inBrain = content[v] >= 0.5;
      if (inBrain) brain++;
      for (const name of ['t1', 't1ce', 't2', 'flair'] as const) {
        const x = c.contrasts[name]!.data[v];
        if (!inBrain) assert.equal(x, 0, `${name} voxel ${v} outside the brain is ${x}`);
        else assert.ok(Number.isInteger(x) && x >= 0 && x <= 32767, `${name} voxel ${v} is ${x}`);
      }
    }
    // A brain of roughly 1.1–1.7 litres in 8 mm³ voxels.
    assert.ok(brain > 140_000 && brain < 210_000, `brain voxels ${brain}`);
    assert.deepEqual(Array.from(c.contrasts.t1!.affine), Array.from(grid.affine));
  });

  test('labels are BraTS labels, only in the brain, and nested: the tumour core never borders normal tissue', () => {
    const seg = c.seg!.data;
    const [nx, ny] = grid.shape;
    const counts = new Map<number, number>();
    for (let v = 0; v < seg.length; v++) {
      const label = seg[v];
      counts.set(label, (counts.get(label) ?? 0) + 1);
      if (label === 0) continue;
      assert.ok(content[v] >= 0.5, `label ${label} at voxel ${v} outside the brain`);
      if (label === 1 || label === 4) {
        for (const d of [1, -1, nx, -nx, nx * ny, -nx * ny]) {
          assert.ok(seg[v + d] !== 0 || content[v + d] < 0.5, `tumour core voxel ${v} (label ${label}) touches normal tissue at ${v + d}`);
        }
      }
    }
    assert.deepEqual([...counts.keys()].sort(), [0, 1, 2, 4]);
    assert.ok(counts.get(2)! > counts.get(4)! / 4 && counts.get(1)! > 0);
  });
});

describe('PhantomGenerator determinism', () => {
  test('same seed and index give identical bytes whatever was generated before; another seed differs', () => {
    const fresh = new PhantomGenerator(anatomy, grid);
    const first = fresh.generate(5, 2, 'brats');
    generator.generate(5, 0, 'brats');
    generator.generate(5, 7, 'ixi');
    const again = generator.generate(5, 2, 'brats');
    for (const name of ['t1', 't1ce', 't2', 'flair'] as const) {
      assert.deepEqual(encodeNifti(again.contrasts[name]!, { datatype: 'int16' }), encodeNifti(first.contrasts[name]!, { datatype: 'int16' }));
    }
    assert.deepEqual(again.seg!.data, first.seg!.data);
    const other = generator.generate(6, 2, 'brats');
    assert.notDeepEqual(other.contrasts.t1!.data, first.contrasts.t1!.data);
    assert.notDeepEqual(generator.generate(5, 3, 'brats').contrasts.t1!.data, first.contrasts.t1!.data);
  });
});

describe('PhantomGenerator T1ce redraws', () => {
  const own = generator.generate(5, 2, 'brats');
  const redraws = [1, 2].map((k) => generator.generate(5, 2, 'brats', { t1ceDraw: k }));

  test('keep T1, T2, FLAIR and the labels byte for byte; T1ce and its agent differ from draw to draw', () => {
    for (const redraw of redraws) {
      for (const name of ['t1', 't2', 'flair'] as const) assert.deepEqual(redraw.contrasts[name]!.data, own.contrasts[name]!.data, name);
      assert.deepEqual(redraw.seg!.data, own.seg!.data);
      assert.notDeepEqual(redraw.contrasts.t1ce!.data, own.contrasts.t1ce!.data);
      assert.notEqual(redraw.parameters.gadolinium!.rim, own.parameters.gadolinium!.rim);
    }
    assert.notDeepEqual(redraws[0].contrasts.t1ce!.data, redraws[1].contrasts.t1ce!.data);
    assert.deepEqual(generator.generate(5, 2, 'brats', { t1ceDraw: 1 }).contrasts.t1ce!.data, redraws[0].contrasts.t1ce!.data);
    assert.deepEqual(generator.generate(5, 2, 'brats', { t1ceDraw: 0 }).contrasts.t1ce!.data, own.contrasts.t1ce!.data);
  });

  test('a redrawn T1ce is still T1w plus gadolinium: the rim enhanced, normal tissue within the residual bias of T1', () => {
    const seg = own.seg!.data;
    for (const redraw of redraws) {
      const rim = (v: number) => seg[v] === 4;
      const normal = (v: number) => seg[v] === 0 && own.contrasts.t1!.data[v] > 0;
      assert.ok(meanWhere(redraw.contrasts.t1ce!, rim) / meanWhere(own.contrasts.t1!, rim) >= 1.3);
      const outside = meanWhere(redraw.contrasts.t1ce!, normal) / meanWhere(own.contrasts.t1!, normal);
      assert.ok(Math.abs(outside - 1) <= 0.05, `normal tissue T1ce/T1 ${outside}`);
    }
  });

  test('refuses a negative or fractional draw, and any redraw of an IXI case', () => {
    assert.throws(() => generator.generate(5, 2, 'brats', { t1ceDraw: -1 }), /t1ceDraw must be a non-negative integer, got -1/);
    assert.throws(() => generator.generate(5, 2, 'brats', { t1ceDraw: 1.5 }), /t1ceDraw must be a non-negative integer, got 1.5/);
    assert.throws(() => generator.generate(5, 2, 'ixi', { t1ceDraw: 1 }), /only BraTS-style cases have; this case is 'ixi'/);
  });
});

describe('PhantomGenerator IXI style', () => {
  test('T1, T2 and PD with PD contrast (GM > WM, CSF bright), no lesion and no labels', () => {
    const c = generator.generate(3, 0, 'ixi', { noise: false, fractions: true });
    assert.deepEqual(Object.keys(c.contrasts).sort(), ['pd', 't1', 't2']);
    assert.equal(c.seg, undefined);
    assert.equal(c.parameters.lesion, undefined);
    const { csf, gm, wm } = c.fractions!;
    const pd = c.contrasts.pd!;
    const gmMean = meanWhere(pd, (v) => gm.data[v] > 0.9), wmMean = meanWhere(pd, (v) => wm.data[v] > 0.9);
    assert.ok(gmMean > wmMean, `PD GM ${gmMean} vs WM ${wmMean}`);
    assert.ok(meanWhere(pd, (v) => csf.data[v] > 0.9) > 0.8 * wmMean);
    assert.equal(c.id, 'IXI001-Phantom-0003');
  });

  test('rejects bad seeds, indices and styles', () => {
    assert.throws(() => generator.generate(-1, 0, 'brats'), /PhantomGenerator.generate: seed must be a non-negative integer, got -1/);
    assert.throws(() => generator.generate(0, 0.5, 'brats'), /index must be a non-negative integer, got 0.5/);
    assert.throws(() => generator.generate(0, 0, 'adni' as 'brats'), /style must be one of brats, ixi, got 'adni'/);
  });
});

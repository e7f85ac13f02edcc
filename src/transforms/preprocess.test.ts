import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { invertPreprocess, preprocess, preprocessedAffine, type InverseRecord } from './preprocess.js';
import { parsePreprocessConfig } from './preprocessConfig.js';
import type { WindowRecord } from './preprocessStep.js';
import { affineFrom, applyAffine, invertAffine, multiplyAffine, translationIndexMap } from '../volume/index.js';
import { orientationCodes } from '../volume/index.js';
import { percentiles } from '../volume/index.js';
import type { Shape3, Volume } from '../volume/index.js';

function makeVolume(shape: Shape3, affine: Float64Array, f: (i: number, j: number, k: number) => number): Volume {
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  let o = 0;
  for (let k = 0; k < shape[2]; k++) for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) data[o++] = f(i, j, k);
  return { data, shape, affine };
}

const diag = (x: number, y: number, z: number, t: number[]) => affineFrom([[x, 0, 0, t[0]], [0, y, 0, t[1]], [0, 0, z, t[2]], [0, 0, 0, 1]]);
const jsonCopy = (r: InverseRecord): InverseRecord => JSON.parse(JSON.stringify(r));

function indexOfValue(v: Volume, value: number): number[] {
  const at = v.data.indexOf(value);
  assert.ok(at >= 0, `value ${value} not found`);
  const [nx, ny] = v.shape;
  return [at % nx, Math.floor(at / nx) % ny, Math.floor(at / (nx * ny))];
}

describe('preprocess/invertPreprocess geometry on LPS, LAS and RAS storage', () => {
  const shape: Shape3 = [7, 6, 5];
  const marker = 1000;
  const stored: [string, Float64Array, number[]][] = [
    // codes, affine, expected RAS index of the marker stored at (1, 2, 3)
    ['LPS', diag(-2, -2, 3, [20, 30, -10]), [5, 3, 3]],
    ['LAS', diag(-2, 2, 3, [20, -30, -10]), [5, 2, 3]],
    ['RAS', diag(2, 2, 3, [-20, -30, -10]), [1, 2, 3]],
  ];
  const geometry = parsePreprocessConfig({ steps: [{ kind: 'reorient' }, { kind: 'crop' }, { kind: 'pad', multiple: 4 }] });

  for (const [codes, affine, rasIndex] of stored) {
    const a = makeVolume(shape, affine, (i, j, k) =>
      i === 1 && j === 2 && k === 3 ? marker : i >= 1 && i <= 5 && j >= 2 && j <= 4 && k >= 1 && k <= 3 ? 1 + i + 10 * j + 100 * k : 0);
    const b = makeVolume(shape, affine, (i, j, k) => (i === 6 && j === 1 && k === 1 ? -3.5 : 0));
    const volumes = { a, b };

    test(`${codes}: reorientation puts the marker at its RAS index and the grid reads RAS`, () => {
      const { volumes: ras, record } = preprocess(volumes, parsePreprocessConfig({ steps: [{ kind: 'reorient' }] }));
      assert.equal(orientationCodes(affine), codes);
      assert.equal(record.steps[0].kind === 'reorient' && record.steps[0].codes, codes);
      assert.deepEqual(indexOfValue(ras.a, marker), rasIndex);
      assert.equal(orientationCodes(ras.a.affine), 'RAS');
      assert.deepEqual(applyAffine(ras.a.affine, rasIndex), applyAffine(affine, [1, 2, 3]));
    });

    test(`${codes}: after reorient, crop and pad the marker keeps its world position, and the inverse restores the case`, () => {
      const { volumes: pre, record } = preprocess(volumes, geometry);
      // foreground box i 1..6, j 1..4, k 1..3 → sizes 6, 4, 3 permuted to RAS then padded to multiples of 4
      assert.deepEqual(record.preprocessed.shape, [8, 4, 4]);
      assert.deepEqual(Array.from(preprocessedAffine(record)), Array.from(pre.a.affine));
      assert.deepEqual(applyAffine(pre.a.affine, indexOfValue(pre.a, marker)), applyAffine(affine, [1, 2, 3]));
      for (const name of ['a', 'b'] as const) {
        const back = invertPreprocess(jsonCopy(record), pre[name]);
        assert.deepEqual(back.shape, shape);
        assert.deepEqual(Array.from(back.affine), Array.from(affine));
        assert.deepEqual(back.data, volumes[name].data);
      }
    });

    test(`${codes}: a model output maps back bit for bit inside the crop and to the fill value outside`, () => {
      const { record } = preprocess(volumes, geometry);
      const [mx, my, mz] = record.preprocessed.shape;
      const output = new Float32Array(mx * my * mz).map((_, i) => Math.fround(Math.sin(i) * 7));
      const back = invertPreprocess(record, output, { fill: -1 });
      const toModel = invertAffine(preprocessedAffine(record));
      const pad = record.steps[2] as WindowRecord;
      let inside = 0;
      for (let k = 0; k < 5; k++) for (let j = 0; j < 6; j++) for (let i = 0; i < 7; i++) {
        const n = applyAffine(toModel, applyAffine(affine, [i, j, k])).map(Math.round);
        const inCrop = n.every((x, ax) => x >= -pad.start[ax] && x < -pad.start[ax] + pad.input.shape[ax]);
        const got = back.data[i + 7 * (j + 6 * k)];
        if (inCrop) {
          inside++;
          assert.equal(got, output[n[0] + mx * (n[1] + my * n[2])]);
        } else assert.equal(got, -1);
      }
      assert.equal(inside, 6 * 4 * 3);
    });
  }
});

describe('intensity maps', () => {
  const affine = diag(1, 1, 1, [0, 0, 0]);
  // values 0…999 in order: numpy-linear p0.1 = 0.999 and p99.9 = 998.001, hand-computed from h = q·999
  const ramp = makeVolume([10, 10, 10], affine, (i, j, k) => i + 10 * j + 100 * k);

  test('cwdm: clip to p0.1/p99.9 and map to [0, 1]', () => {
    const { volumes, record } = preprocess({ t1n: ramp }, parsePreprocessConfig({ steps: [{ kind: 'intensity', preset: 'cwdm' }] }));
    const step = record.steps[0];
    assert.ok(step.kind === 'intensity');
    assert.ok(Math.abs(step.maps.t1n.low - 0.999) < 1e-12 && Math.abs(step.maps.t1n.high - 998.001) < 1e-12);
    const d = volumes.t1n.data;
    assert.equal(d[0], 0);
    assert.equal(d[999], 1);
    assert.equal(d[500], Math.fround((500 - step.maps.t1n.low) / (step.maps.t1n.high - step.maps.t1n.low)));
  });

  test('aldm: p0.5/p99.5 to [−1, 1] without clipping', () => {
    const { volumes } = preprocess({ t1: ramp }, parsePreprocessConfig({ steps: [{ kind: 'intensity', preset: 'aldm' }] }));
    const [lo, hi] = [0.005 * 999, 0.995 * 999];
    assert.ok(Math.abs(volumes.t1.data[999] - (-1 + (2 * (999 - lo)) / (hi - lo))) < 1e-6);
    assert.ok(volumes.t1.data[999] > 1 && volumes.t1.data[0] < -1);
  });

  test('the scanner-unit inverse undoes the map within 1e-6 relative, the model-unit inverse leaves values alone', () => {
    const noisy = makeVolume([9, 8, 7], affine, (i, j, k) => (i + j + k) % 4 === 0 ? 0 : 300 + 250 * Math.sin(i * 1.3 + j * 0.7 - k));
    const cases: [string, unknown][] = [
      ['custom no clip', { kind: 'intensity', lower: 2, upper: 97, range: [-3, 5], clip: false }],
      ['aldm', { kind: 'intensity', preset: 'aldm' }],
    ];
    for (const [name, step] of cases) {
      const { volumes, record } = preprocess({ t2w: noisy }, parsePreprocessConfig({ steps: [{ kind: 'reorient' }, step, { kind: 'pad', multiple: 4 }] }));
      const scanner = invertPreprocess(record, volumes.t2w, { contrast: 't2w', units: 'scanner' });
      for (let i = 0; i < noisy.data.length; i++) {
        assert.ok(Math.abs(scanner.data[i] - noisy.data[i]) <= 1e-6 * Math.max(1, Math.abs(noisy.data[i])), `${name}: voxel ${i}`);
      }
      const model = invertPreprocess(record, volumes.t2w);
      const direct = preprocess({ t2w: noisy }, parsePreprocessConfig({ steps: [step] })).volumes.t2w;
      assert.deepEqual(model.data, direct.data);
    }
  });

  test('with clipping, values between the percentiles come back within 1e-6 relative', () => {
    const v = makeVolume([10, 10, 10], affine, (i, j, k) => ((i * 37 + j * 11 + k * 5) % 101) * 3.7);
    const { volumes, record } = preprocess({ t1c: v }, parsePreprocessConfig({ steps: [{ kind: 'intensity', preset: 'cwdm' }] }));
    const [lo, hi] = percentiles(v.data, [0.1, 99.9]);
    const back = invertPreprocess(record, volumes.t1c, { contrast: 't1c', units: 'scanner' });
    for (let i = 0; i < v.data.length; i++) {
      const expected = Math.min(Math.max(v.data[i], lo), hi);
      assert.ok(Math.abs(back.data[i] - expected) <= 1e-6 * Math.max(1, Math.abs(expected)));
    }
  });

  test('a constant or nearly empty contrast is an error that names it; unknown contrasts cannot go to scanner units', () => {
    const zeros = makeVolume([4, 4, 4], affine, () => 0);
    // one nonzero voxel in 8000: p99.9 sits at h = 0.999·7999 ≈ 7991, still among the zeros
    const almostEmpty = makeVolume([20, 20, 20], affine, (i, j, k) => (i + j + k === 0 ? 5 : 0));
    const config = parsePreprocessConfig({ steps: [{ kind: 'intensity', preset: 'cwdm' }] });
    assert.throws(() => preprocess({ t1n: zeros }, config), /intensity: contrast 't1n' has p0.1 = p99.9 = 0 \(a constant or nearly empty volume\)/);
    assert.throws(() => preprocess({ t2f: almostEmpty }, config), /contrast 't2f' has p0.1 = p99.9 = 0/);
    const { volumes, record } = preprocess({ t1n: ramp }, config);
    assert.throws(() => invertPreprocess(record, volumes.t1n, { contrast: 't2f', units: 'scanner' }), /contrast 't2f' was not among the preprocessed contrasts \(t1n\)/);
  });
});

describe('reference preset (cWDM bratsloader geometry)', () => {
  test('240×240×155 → 224×224×160: crop 8:232 on a0 and a1, pad a2 at the end, affine shifted by (8, 8, 0)', () => {
    // a BraTS-like LPS affine
    const affine = diag(-1, -1, 1, [0, 239, 0]);
    const v = makeVolume([240, 240, 155], affine, (i, j, k) => (i > 20 && i < 220 && j > 30 && j < 200 && k > 5 ? ((i + 2 * j + 3 * k) % 97) + 1 : 0));
    const { volumes, record } = preprocess({ t1n: v }, parsePreprocessConfig('reference'));
    const out = volumes.t1n;
    assert.deepEqual(out.shape, [224, 224, 160]);
    assert.deepEqual(Array.from(out.affine), Array.from(multiplyAffine(affine, translationIndexMap([8, 8, 0]))));
    assert.deepEqual([out.affine[3], out.affine[7], out.affine[11]], [-8, 231, 0]);
    const step = record.steps[0];
    assert.ok(step.kind === 'intensity');
    const { low, high } = step.maps.t1n;
    for (const [i, j, k] of [[0, 0, 0], [100, 50, 20], [211, 190, 154], [150, 60, 100]]) {
      const x = Math.min(Math.max(v.data[i + 8 + 240 * (j + 8 + 240 * k)], low), high);
      assert.equal(out.data[i + 224 * (j + 224 * k)], Math.fround((x - low) / (high - low)));
    }
    for (let k = 155; k < 160; k++) assert.ok(out.data.subarray(224 * 224 * k, 224 * 224 * (k + 1)).every((x) => x === 0));
    const back = invertPreprocess(record, out, { fill: 0.25 });
    assert.deepEqual(back.shape, [240, 240, 155]);
    assert.deepEqual(Array.from(back.affine), Array.from(affine));
    assert.equal(back.data[7 + 240 * (100 + 240 * 50)], 0.25);
    assert.equal(back.data[232 + 240 * (100 + 240 * 50)], 0.25);
    assert.equal(back.data[8 + 240 * (8 + 240 * 154)], out.data[224 * 224 * 154]);
  });
});

describe('cwdm-brainbox preset', () => {
  test('a 129×162×131 brain in a 240×240×155 LPS case → 160×192×160 around it, and back onto the case grid', () => {
    const affine = diag(-1, -1, 1, [0, 239, 0]);
    // brain voxels i 50..178, j 40..201, k 10..140 (stored LPS): 129×162×131, the size of a shared BraTS case's brain
    const inBrain = (i: number, j: number, k: number) => i >= 50 && i < 179 && j >= 40 && j < 202 && k >= 10 && k < 141;
    const v = makeVolume([240, 240, 155], affine, (i, j, k) => (inBrain(i, j, k) ? ((i + 2 * j + 3 * k) % 97) + 1 : 0));
    const { volumes, record } = preprocess({ t1: v }, parsePreprocessConfig('cwdm-brainbox'));
    const out = volumes.t1;
    assert.deepEqual(out.shape, [160, 192, 160]);
    // Symmetric padding (the extra voxel after): 31 = 15 + 16 on a0, 30 = 15 + 15 on a1, 29 = 14 + 15 on a2.
    const nonzero = [0, 1, 2].map(() => [Infinity, -Infinity]);
    for (let k = 0; k < 160; k++) for (let j = 0; j < 192; j++) for (let i = 0; i < 160; i++) {
      if (out.data[i + 160 * (j + 192 * k)] === 0) continue;
      [i, j, k].forEach((x, a) => { nonzero[a][0] = Math.min(nonzero[a][0], x); nonzero[a][1] = Math.max(nonzero[a][1], x); });
    }
    assert.deepEqual(nonzero, [[15, 143], [15, 176], [14, 144]]);
    const back = invertPreprocess(record, out, { contrast: 't1', units: 'scanner' });
    assert.deepEqual(back.shape, [240, 240, 155]);
    assert.deepEqual(Array.from(back.affine), Array.from(affine));
    let worst = 0;
    for (let n = 0; n < v.data.length; n++) worst = Math.max(worst, Math.abs(back.data[n] - v.data[n]) / 97);
    assert.ok(worst < 1e-6, `round trip off by ${worst} of the range`);
  });
});

describe('errors', () => {
  const affine = diag(1, 1, 1, [0, 0, 0]);
  const blob = makeVolume([8, 8, 8], affine, (i, j, k) => (i >= 2 && i < 5 && j >= 1 && j < 7 && k >= 3 && k < 6 ? 1 : 0));

  test('a foreground larger than the target shape says both sizes', () => {
    const config = parsePreprocessConfig({ steps: [{ kind: 'crop' }, { kind: 'pad', shape: [4, 4, 4] }] });
    assert.throws(() => preprocess({ t1: blob }, config), /pad: the volume \(the foreground after a crop\) has size \[3,6,3\], which does not fit the target shape \[4,4,4\] \(axis 1: 6 > 4\)/);
  });

  test('an all-zero case has no foreground to crop to', () => {
    const zero = makeVolume([4, 4, 4], affine, () => 0);
    assert.throws(() => preprocess({ t1: zero, t2: zero }, parsePreprocessConfig({ steps: [{ kind: 'crop' }] })), /crop: every voxel of every contrast \(t1, t2\) is zero/);
  });

  test('contrasts on different grids and outputs on the wrong grid are rejected', () => {
    const shifted = { ...blob, affine: diag(1, 1, 1, [0, 0, 1]) };
    const config = parsePreprocessConfig({ steps: [{ kind: 'crop' }] });
    assert.throws(() => preprocess({ t1: blob, t2: shifted }, config), /contrast 't2' is on grid \[8,8,8\] .* but 't1' is on \[8,8,8\]/);
    const { record } = preprocess({ t1: blob }, config);
    assert.throws(() => invertPreprocess(record, new Float32Array(5)), /output has 5 values, expected 54 for the preprocessed shape \[3,6,3\]/);
  });
});

describe('the cwdm preset at full size', () => {
  test('four 240×240×155 LPS contrasts go to the 224×224×160 RAS grid in [0, 1], and one comes back in scanner units (its speed: npm run bench:data)', () => {
    const affine = diag(-1, -1, 1, [0, 239, 0]);
    const volumes: Record<string, Volume> = {};
    for (const [c, name] of ['t1n', 't1c', 't2w', 't2f'].entries()) {
      // an ellipsoidal "brain" of about 140×170×130 voxels with textured intensities
      volumes[name] = makeVolume([240, 240, 155], affine, (i, j, k) =>
        ((i - 120) / 70) ** 2 + ((j - 115) / 85) ** 2 + ((k - 75) / 65) ** 2 < 1 ? 200 + 50 * c + ((i * 7 + j * 13 + k * 3) % 61) : 0);
    }
    const { volumes: pre, record } = preprocess(volumes, parsePreprocessConfig('cwdm'));
    assert.equal(orientationCodes(preprocessedAffine(record)), 'RAS');
    for (const name of Object.keys(volumes)) {
      assert.deepEqual(pre[name].shape, [224, 224, 160]);
      assert.deepEqual(Array.from(pre[name].affine), Array.from(preprocessedAffine(record)));
      let least = Infinity;
      let most = -Infinity;
      for (const x of pre[name].data) {
        if (x < least) least = x;
        if (x > most) most = x;
      }
      assert.deepEqual([least, most], [0, 1], `${name}: normalised values span [${least}, ${most}], not [0, 1]`);
    }
    const step = record.steps[1];
    assert.ok(step.kind === 'intensity');
    const { low, high } = step.maps.t1c;
    assert.deepEqual([low, high], percentiles(volumes.t1c.data, [0.1, 99.9]));
    const back = invertPreprocess(record, pre.t1c, { contrast: 't1c', units: 'scanner' });
    assert.deepEqual(back.shape, [240, 240, 155]);
    assert.deepEqual(Array.from(back.affine), Array.from(affine));
    // The whole brain lies inside the crop, so every voxel comes back, clipped to the percentiles.
    let worst = 0;
    for (let n = 0; n < back.data.length; n++) {
      const expected = Math.min(Math.max(volumes.t1c.data[n], low), high);
      worst = Math.max(worst, Math.abs(back.data[n] - expected) / Math.max(1, Math.abs(expected)));
    }
    assert.ok(worst <= 1e-6, `the scanner-unit round trip is off by ${worst} relative`);
  });
});

describe('the aldm presets on a brain larger than their box on one axis (TCGA cases reach 145 voxels on x)', () => {
  // A RAS case whose foreground (value 1 + position) spans 147×180×130 voxels; the aldm box is 144×192×144.
  const shape: Shape3 = [151, 186, 136];
  const inBrain = (i: number, j: number, k: number) => i >= 2 && i < 149 && j >= 2 && j < 182 && k >= 2 && k < 132;
  const t1 = makeVolume(shape, diag(1, 1, 1, [-75, -93, -68]), (i, j, k) => (inBrain(i, j, k) ? 1 + i + 200 * j + 50000 * k : 0));

  test("aldm centre-crops x as MONAI's CenterSpatialCrop does (start ⌊147/2⌋ − ⌊144/2⌋ = 1), pads y and z, and counts the brain voxels cut off", () => {
    const { volumes, record } = preprocess({ t1 }, parsePreprocessConfig('aldm'));
    assert.deepEqual(volumes.t1.shape, [144, 192, 144]);
    const pad = record.steps.find((s) => s.kind === 'pad') as WindowRecord;
    assert.deepEqual(pad.start, [1, -Math.floor((192 - 180) / 2), -Math.floor((144 - 130) / 2)]);
    // Cut off: the crop's first x-plane (i = 2) and last two (i = 147, 148), each 180 × 130 brain voxels.
    assert.equal(pad.foregroundLost, 3 * 180 * 130);
    // The model grid sits where its voxels are in the world: voxel 0 on x is input voxel 2 + 1 = 3.
    const world = applyAffine(preprocessedAffine(record), [0, 0, 0]);
    assert.equal(world[0], -75 + 3);
  });

  test('the record survives JSON, and the inverse restores the kept voxels and the grid exactly, zero where cut off', () => {
    const { volumes, record } = preprocess({ t1 }, parsePreprocessConfig('aldm'));
    const back = invertPreprocess(jsonCopy(record), volumes.t1, { contrast: 't1', units: 'scanner' });
    assert.deepEqual(back.shape, shape);
    assert.deepEqual(Array.from(back.affine), Array.from(t1.affine));
    let kept = 0;
    for (let k = 0; k < shape[2]; k++) for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) {
      const at = i + shape[0] * (j + shape[1] * k);
      const cut = i === 2 || i >= 147;
      if (inBrain(i, j, k) && !cut) {
        kept++;
        assert.ok(Math.abs(back.data[at] - t1.data[at]) <= 1e-3 * t1.data[at], `voxel ${i},${j},${k}`);
      } else assert.equal(back.data[at], 0);
    }
    assert.equal(kept, 144 * 180 * 130);
  });

  test('aldm-brainbox keeps the whole brain, padded to multiples of 16; a pad to a shape that does not fit is refused naming the presets that take it', () => {
    const { volumes, record } = preprocess({ t1 }, parsePreprocessConfig('aldm-brainbox'));
    assert.deepEqual(volumes.t1.shape, [160, 192, 144]);
    assert.equal((record.steps.find((s) => s.kind === 'pad') as WindowRecord).foregroundLost, undefined);
    const strict = parsePreprocessConfig({ steps: [{ kind: 'crop' }, { kind: 'pad', shape: [144, 192, 144] }] });
    assert.throws(() => preprocess({ t1 }, strict), /pad: .*axis 0: 147 > 144\); a preset that centre-crops instead \(aldm\) or pads to multiples/);
  });

  test("pad's overflow option: 'refuse' is the default and is not written; it only applies to a pad to a shape", () => {
    const raw = { steps: [{ kind: 'pad', shape: [8, 8, 8], overflow: 'refuse' }] };
    assert.deepEqual(parsePreprocessConfig(raw).steps[0], { kind: 'pad', shape: [8, 8, 8] });
    assert.deepEqual(parsePreprocessConfig({ steps: [{ kind: 'pad', shape: [8, 8, 8], overflow: 'centreCrop' }] }).steps[0],
      { kind: 'pad', shape: [8, 8, 8], overflow: 'centreCrop' });
    assert.throws(() => parsePreprocessConfig({ steps: [{ kind: 'pad', shape: 8, overflow: 'wrap' }] }), /overflow must be one of refuse, centreCrop, got "wrap"/);
    assert.throws(() => parsePreprocessConfig({ steps: [{ kind: 'pad', multiple: 8, overflow: 'centreCrop' }] }), /'overflow' applies to a pad to a 'shape'/);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { renderSlices, type PanelPlacement, type RenderedSlices, type SliceView } from './renderSlices.js';
import { glyphFor, GLYPH_ADVANCE } from './bitmapFont.js';
import { errorColour } from './colormap.js';
import type { Volume } from '../volume/index.js';
import { orientationCodes } from '../volume/index.js';

type Vec3 = [number, number, number];
const CODES: Record<string, { axis: number; sign: 1 | -1 }> = {
  R: { axis: 0, sign: 1 }, L: { axis: 0, sign: -1 },
  A: { axis: 1, sign: 1 }, P: { axis: 1, sign: -1 },
  S: { axis: 2, sign: 1 }, I: { axis: 2, sign: -1 },
};

/**
 * Stores the same world content in another voxel order: `codes` names, per stored axis, the world
 * direction its index runs towards ('LPS', 'LAS', 'SLA', …). `truth` gives the value at a RAS voxel of a
 * grid with `spacing` mm whose voxel 0 sits at `origin`.
 */
function storeAs(codes: string, rasShape: Vec3, spacing: Vec3, truth: (r: Vec3) => number, origin: Vec3 = [0, 0, 0]): Volume {
  const axes = [...codes].map((c) => CODES[c]);
  const shape = axes.map((a) => rasShape[a.axis]) as Vec3;
  const affine = new Float64Array(16);
  affine[15] = 1;
  for (let w = 0; w < 3; w++) affine[w * 4 + 3] = origin[w];
  axes.forEach(({ axis, sign }, c) => {
    affine[axis * 4 + c] = sign * spacing[axis];
    if (sign < 0) affine[axis * 4 + 3] += spacing[axis] * (rasShape[axis] - 1);
  });
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  const stored = [0, 0, 0];
  for (stored[2] = 0; stored[2] < shape[2]; stored[2]++) {
    for (stored[1] = 0; stored[1] < shape[1]; stored[1]++) {
      for (stored[0] = 0; stored[0] < shape[0]; stored[0]++) {
        const ras = [0, 0, 0] as Vec3;
        axes.forEach(({ axis, sign }, c) => { ras[axis] = sign > 0 ? stored[c] : rasShape[axis] - 1 - stored[c]; });
        data[stored[0] + shape[0] * (stored[1] + shape[1] * stored[2])] = truth(ras);
      }
    }
  }
  return { data, shape, affine };
}

function decode(rendered: RenderedSlices): PNG {
  const png = PNG.sync.read(Buffer.from(rendered.png));
  assert.equal(png.width, rendered.width);
  assert.equal(png.height, rendered.height);
  return png;
}

function rgb(png: PNG, x: number, y: number): Vec3 {
  const at = (y * png.width + x) * 4;
  return [png.data[at], png.data[at + 1], png.data[at + 2]];
}

function placement(rendered: RenderedSlices, name: string, view: SliceView): PanelPlacement {
  const found = rendered.placements.find((p) => p.name === name && p.view === view);
  assert.ok(found, `no ${view} panel for '${name}'`);
  return found;
}

/** Bounding box (panel coordinates) and count of the pure-white pixels of a panel. */
function whiteBox(png: PNG, p: PanelPlacement) {
  let [x0, y0, x1, y1, count] = [Infinity, Infinity, -Infinity, -Infinity, 0];
  for (let y = 0; y < p.height; y++) {
    for (let x = 0; x < p.width; x++) {
      if (rgb(png, p.x + x, p.y + y).every((c) => c === 255)) {
        count++;
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
      }
    }
  }
  return { x0, y0, x1, y1, count };
}

// A 12x10x8 RAS grid of 1 mm voxels: a dim head box with a bright block in the patient's
// left (low x), anterior (high y), superior (high z) region.
const HEAD: Vec3 = [12, 10, 8];
const inMarker = ([x, y, z]: Vec3) => x >= 1 && x <= 3 && y >= 5 && y <= 8 && z >= 5 && z <= 6;
const inHead = (r: Vec3) => r.every((v, a) => v >= 1 && v <= HEAD[a] - 2);
const head = (r: Vec3) => (inMarker(r) ? 1000 : inHead(r) ? 100 + r[0] + r[1] + r[2] : 0);

describe('renderSlices orientation', () => {
  const slice = { kind: 'voxel', ijk: [2, 6, 5] } as const;
  const pixelMm = 0.25;

  test('a marker stored LPS, LAS or axis-permuted lands on the same pixels, in the expected place', () => {
    const stored = ['LPS', 'LAS', 'SLA'].map((codes) => storeAs(codes, HEAD, [1, 1, 1], head));
    assert.deepEqual(stored.map((v) => orientationCodes(v.affine)), ['LPS', 'LAS', 'SLA']);
    const renders = stored.map((volume) => renderSlices([{ name: 'head', volume }], { slice, pixelMm }));
    const pngs = renders.map(decode);
    assert.ok(pngs[1].data.equals(pngs[0].data), 'LAS picture differs from LPS picture');
    assert.ok(pngs[2].data.equals(pngs[0].data), 'SLA picture differs from LPS picture');

    // 4 pixels per mm. Neurological: x (towards R) runs right; the top row is the highest y (axial) or
    // z (coronal, sagittal); sagittal has anterior (high y) on the left.
    const px = (a: number, b: number) => [4 * a, 4 * b];
    const expected = {
      axial: { x: px(1, 4), y: px(10 - 1 - 8, 10 - 1 - 5 + 1) },
      coronal: { x: px(1, 4), y: px(8 - 1 - 6, 8 - 1 - 5 + 1) },
      sagittal: { x: px(10 - 1 - 8, 10 - 1 - 5 + 1), y: px(8 - 1 - 6, 8 - 1 - 5 + 1) },
    };
    for (const view of ['axial', 'coronal', 'sagittal'] as const) {
      const box = whiteBox(pngs[0], placement(renders[0], 'head', view));
      const want = expected[view];
      assert.deepEqual([box.x0, box.x1, box.y0, box.y1], [...want.x, ...want.y], `${view} marker box`);
      assert.equal(box.count, (want.x[1] - want.x[0]) * (want.y[1] - want.y[0]), `${view} marker is a filled block`);
    }
  });

  test('volumes stored differently share one picture, and a world point selects the same slices', () => {
    const lps = storeAs('LPS', HEAD, [1, 1, 1], head);
    const las = storeAs('LAS', HEAD, [1, 1, 1], head);
    const together = renderSlices([{ name: 'lps', volume: lps }, { name: 'las', volume: las }], { slice, pixelMm });
    const png = decode(together);
    for (const view of ['axial', 'coronal', 'sagittal'] as const) {
      const a = whiteBox(png, placement(together, 'lps', view));
      const b = whiteBox(png, placement(together, 'las', view));
      assert.deepEqual(b, a, `${view}: marker moved between the LPS and LAS columns`);
      assert.ok(a.count > 0);
    }
    // Voxel 0 of the RAS grid is at world (0,0,0) with 1 mm voxels, so voxel [2,6,5] is at [2,6,5] mm.
    const byWorld = renderSlices([{ name: 'lps', volume: lps }, { name: 'las', volume: las }], { slice: { kind: 'world', xyz: [2.2, 5.9, 5.3] }, pixelMm });
    assert.ok(decode(byWorld).data.equals(png.data));
  });

  test('refuses volumes on different grids, naming both', () => {
    const a = storeAs('LPS', HEAD, [1, 1, 1], head);
    const shifted = storeAs('LAS', HEAD, [1, 1, 1], head, [0, 0, 3]);
    const smaller = storeAs('RAS', [12, 10, 7], [1, 1, 1], head);
    assert.throws(
      () => renderSlices([{ name: 'a', volume: a }, { name: 'shifted', volume: shifted }]),
      /renderSlices: 'shifted' is not on the grid of 'a' once both are in RAS\+: .*stored as LAS and LPS.*resample/,
    );
    assert.throws(() => renderSlices([{ name: 'a', volume: a }, { name: 'small', volume: smaller }]), /shape \[12,10,7\] vs \[12,10,8\]/);
    assert.throws(() => renderSlices([]), /renderSlices: panels is empty/);
  });
});

describe('renderSlices aspect', () => {
  test('anisotropic voxels give panels proportional to millimetres, each voxel a block of square pixels', () => {
    // RAS spacing 1 x 2 x 3 mm on an 8 x 6 x 4 grid: extents 8, 12 and 12 mm. Stored axis-permuted so the
    // spacings must follow their axes. Every voxel has its own value, so voxel edges are visible.
    const shape: Vec3 = [8, 6, 4];
    const volume = storeAs('SLA', shape, [1, 2, 3], ([x, y, z]) => 1 + x + 8 * y + 48 * z);
    const rendered = renderSlices([{ name: 'v', volume }], { window: { kind: 'absolute', low: 0, high: 192 } });
    const png = decode(rendered);
    // Default pixel size: 1 mm / floor(256 / 12) = 1/21 mm.
    const sizes = Object.fromEntries(rendered.placements.map((p) => [p.view, [p.width, p.height]]));
    assert.deepEqual(sizes, { axial: [8 * 21, 12 * 21], coronal: [8 * 21, 12 * 21], sagittal: [12 * 21, 12 * 21] });

    const runs = (values: string[]) => {
      const lengths: number[] = [];
      values.forEach((v, i) => (i > 0 && v === values[i - 1] ? lengths[lengths.length - 1]++ : lengths.push(1)));
      return lengths;
    };
    const row = (p: PanelPlacement, y: number) => Array.from({ length: p.width }, (_, x) => rgb(png, p.x + x, p.y + y).join());
    const column = (p: PanelPlacement, x: number) => Array.from({ length: p.height }, (_, y) => rgb(png, p.x + x, p.y + y).join());
    const axial = placement(rendered, 'v', 'axial');
    const coronal = placement(rendered, 'v', 'coronal');
    const sagittal = placement(rendered, 'v', 'sagittal');
    assert.deepEqual(runs(row(axial, 0)), Array(8).fill(21)); // 1 mm along x
    assert.deepEqual(runs(column(axial, 0)), Array(6).fill(42)); // 2 mm along y
    assert.deepEqual(runs(column(coronal, 0)), Array(4).fill(63)); // 3 mm along z
    assert.deepEqual(runs(row(sagittal, 0)), Array(6).fill(42));
    assert.deepEqual(runs(column(sagittal, 0)), Array(4).fill(63));
  });
});

describe('renderSlices window', () => {
  test('p0.5/p99.5 over nonzero voxels map a ramp to black and white at its ends', () => {
    // Axial plane: values 1..200 (x + 20y + 1) on a 20 x 10 grid, repeated on 3 slices, plus a zero
    // border slab that the window must ignore. Nonzero sorted values are 1,1,1,2,2,2,…: p0.5 sits at rank
    // 0.005·599 = 2.995 → 1.995; p99.5 at rank 596.005 → 199.005.
    const volume = storeAs('RAS', [20, 10, 4], [1, 1, 1], ([x, y, z]) => (z < 3 ? 1 + x + 20 * y : 0));
    const rendered = renderSlices([{ name: 'ramp', volume }], { slice: { kind: 'voxel', ijk: [0, 0, 1] }, pixelMm: 1 });
    const png = decode(rendered);
    const axial = placement(rendered, 'ramp', 'axial');
    const grayAt = (x: number, y: number) => {
      const [r, g, b] = rgb(png, axial.x + x, axial.y + (10 - 1 - y));
      assert.ok(r === g && g === b, 'gray panel pixels are gray');
      return r;
    };
    assert.equal(grayAt(0, 0), 0); // value 1, below p0.5
    assert.equal(grayAt(1, 0), 0); // value 2: 255·0.005/197.01 rounds to 0
    assert.equal(grayAt(19, 9), 255); // value 200, above p99.5
    assert.equal(grayAt(0, 5), 128); // value 101: 255·99.005/197.01 = 128.1
    assert.equal(grayAt(18, 9), 255); // value 199: 254.99 rounds to 255
    assert.equal(grayAt(17, 9), Math.round((255 * (198 - 1.995)) / 197.01));
  });
});

describe('renderSlices labels', () => {
  test('the column header shows the panel name in the bitmap font', () => {
    const volume = storeAs('RAS', HEAD, [1, 1, 1], head);
    const rendered = renderSlices([{ name: 'T1', volume }], { pixelMm: 0.25 });
    const png = decode(rendered);
    const axial = placement(rendered, 'T1', 'axial');
    // Header ink: text-coloured pixels above the first row of panels, right of the row labels.
    const ink: Vec3[] = [];
    for (let y = 0; y < axial.y - 14; y++) {
      for (let x = axial.x - 12; x < png.width; x++) if (rgb(png, x, y).join() === '230,230,230') ink.push([x, y, 0]);
    }
    assert.ok(ink.length > 0, 'no header text');
    const left = Math.min(...ink.map((p) => p[0]));
    const top = Math.min(...ink.map((p) => p[1]));
    // Expected: 'T' then '1' at scale 2, read straight from the font table.
    const expected = new Set<string>();
    [...'T1'].forEach((char, n) => {
      glyphFor(char).forEach((mask, row) => {
        for (let col = 0; col < 5; col++) {
          if ((mask >> (4 - col)) & 1) {
            for (let d = 0; d < 4; d++) expected.add(`${left + 2 * (n * GLYPH_ADVANCE + col) + (d & 1)},${top + 2 * row + (d >> 1)}`);
          }
        }
      });
    });
    assert.deepEqual(new Set(ink.map(([x, y]) => `${x},${y}`)), expected);
  });

  test('an error panel gets the error colours and a colour bar from 0 to its top value', () => {
    const reference = storeAs('RAS', HEAD, [1, 1, 1], head);
    const error = storeAs('RAS', HEAD, [1, 1, 1], (r) => (inHead(r) ? r[0] : 0));
    const rendered = renderSlices([{ name: 'ref', volume: reference }, { name: '|err|', volume: error, kind: 'error' }], { pixelMm: 0.25 });
    const png = decode(rendered);
    const axial = placement(rendered, '|err|', 'axial');
    // x = 10 is the largest error (at p99.5 = 10): white; x = 5 is mid-scale: errorColour(0.5).
    assert.deepEqual(rgb(png, axial.x + 4 * 10 + 1, axial.y + 4 * 4), [255, 255, 255]);
    assert.deepEqual(rgb(png, axial.x + 4 * 5 + 1, axial.y + 4 * 4), [...errorColour(0.5)]);
    // The colour bar sits under the sagittal panel, spanning the column's panel width.
    const sagittal = placement(rendered, '|err|', 'sagittal');
    let barTop = sagittal.y + sagittal.height;
    while (rgb(png, axial.x, barTop).join() === '40,40,40' && barTop < png.height - 1) barTop++;
    assert.deepEqual(rgb(png, axial.x, barTop + 2), [0, 0, 0]);
    assert.deepEqual(rgb(png, axial.x + axial.width - 1, barTop + 2), [255, 255, 255]);
    const [r, g, b] = rgb(png, axial.x + Math.floor(axial.width / 2), barTop + 2);
    assert.ok(r > g && g > b, `mid-bar colour [${r},${g},${b}]`);
  });
});

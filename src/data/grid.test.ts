import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encodeNifti, parseNiftiHeader } from '../io/nifti/index.js';
import type { Shape3 } from '../volume/index.js';
import { compareGrids, gridOfHeader, type Grid } from './grid.js';

// nifti1.h: qform_code and sform_code are int16 at byte offsets 252 and 254 of a NIfTI-1 header.
const QFORM_CODE_OFFSET = 252;
const SFORM_CODE_OFFSET = 254;

const LPS = [-1, 0, 0, 120, 0, -1, 0, 120, 0, 0, 1, -60, 0, 0, 0, 1];

function niftiBytes(shape: Shape3, affine: readonly number[], codes?: { qform: number; sform: number }): Uint8Array {
  const n = shape[0] * shape[1] * shape[2];
  const bytes = encodeNifti({ data: new Float32Array(n), shape, affine: Float64Array.from(affine) });
  if (codes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setInt16(QFORM_CODE_OFFSET, codes.qform, true);
    view.setInt16(SFORM_CODE_OFFSET, codes.sform, true);
  }
  return bytes;
}
const gridOf = (bytes: Uint8Array) => gridOfHeader(parseNiftiHeader(bytes, 'test.nii'));
const shifted = (affine: readonly number[], entry: number, delta: number) => affine.map((v, i) => (i === entry ? v + delta : v));

describe('gridOfHeader', () => {
  test('ignores the form codes when the matrices agree (qform 1 vs 2, sform present or not)', () => {
    const t1ce = gridOf(niftiBytes([4, 4, 4], LPS, { qform: 1, sform: 1 }));
    const t2 = gridOf(niftiBytes([4, 4, 4], LPS, { qform: 2, sform: 2 }));
    const qformOnly = gridOf(niftiBytes([4, 4, 4], LPS, { qform: 2, sform: 0 }));
    assert.deepEqual([...t1ce.affine], LPS);
    assert.ok(compareGrids(t1ce, t2).same);
    assert.ok(compareGrids(t2, qformOnly).same);
  });
  test('drops trailing singleton axes past the third', () => {
    const header = parseNiftiHeader(niftiBytes([4, 3, 2], LPS), 'test.nii');
    assert.deepEqual(gridOfHeader({ ...header, dim: [4, 4, 3, 2, 1, 1, 1, 1] }).shape, [4, 3, 2]);
    assert.deepEqual(gridOfHeader({ ...header, dim: [4, 4, 3, 2, 5, 1, 1, 1] }).shape, [4, 3, 2, 5]);
  });
});

describe('compareGrids', () => {
  const base: Grid = { shape: [4, 4, 4], affine: Float64Array.from(LPS) };
  test('tolerates 1e-4 mm of translation and 1e-6 in the 3x3 part, not 1e-2 mm or 1e-4', () => {
    assert.ok(compareGrids(base, { shape: [4, 4, 4], affine: Float64Array.from(shifted(LPS, 3, 1e-4)) }).same);
    assert.ok(compareGrids(base, { shape: [4, 4, 4], affine: Float64Array.from(shifted(LPS, 0, 1e-6)) }).same);
    const moved = compareGrids(base, { shape: [4, 4, 4], affine: Float64Array.from(shifted(LPS, 7, -0.01)) });
    assert.equal(moved.same, false);
    assert.ok(Math.abs(moved.maxTranslationDifference - 0.01) < 1e-12);
    const tilted = compareGrids(base, { shape: [4, 4, 4], affine: Float64Array.from(shifted(LPS, 1, 1e-4)) });
    assert.deepEqual([tilted.same, tilted.shapesEqual, tilted.maxTranslationDifference], [false, true, 0]);
  });
  test('different shapes are different grids even with one affine', () => {
    const c = compareGrids(base, { shape: [4, 4, 5], affine: Float64Array.from(LPS) });
    assert.deepEqual(c, { same: false, shapesEqual: false, maxLinearDifference: 0, maxTranslationDifference: 0 });
  });
  test('custom tolerances apply, and negative ones are refused', () => {
    const other = { shape: [4, 4, 4], affine: Float64Array.from(shifted(LPS, 3, 0.5)) };
    assert.ok(compareGrids(base, other, { translation: 1, linear: 0 }).same);
    assert.throws(() => compareGrids(base, other, { translation: -1, linear: 0 }), /compareGrids: tolerances must be non-negative, got translation=-1/);
  });
});

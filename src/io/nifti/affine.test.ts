import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  affineToQform, det3, effectiveAffine, nearestRotation, qformFieldsToAffine, quaternionToRotation, rotationToQuaternion,
  type Matrix3,
} from './affine.js';
import type { NiftiHeader } from './header.js';
import { mulberry32 as seeded } from '../../util/index.js';

function header(overrides: Partial<NiftiHeader>): NiftiHeader {
  return {
    version: 1, littleEndian: true, dim: [3, 4, 6, 8, 1, 1, 1, 1], pixdim: [1, 2, 3, 4, 1, 1, 1, 1], datatype: 'int16',
    bitpix: 16, vox_offset: 352, scl_slope: 1, scl_inter: 0, xyzt_units: 2, qform_code: 0, sform_code: 0,
    quatern_b: 0, quatern_c: 0, quatern_d: 0, qoffset_x: 0, qoffset_y: 0, qoffset_z: 0,
    srow_x: [0, 0, 0, 0], srow_y: [0, 0, 0, 0], srow_z: [0, 0, 0, 0], descrip: '', intent_code: 0, intent_name: '',
    aux_file: '', cal_min: 0, cal_max: 0, ...overrides,
  };
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(Math.abs(actual[k] - expected[k]) <= tol, `entry ${k}: ${actual[k]} vs ${expected[k]} (${Array.from(actual)})`);
  }
}

/** Closed form: rotation by `angle` about the unit axis n, R = cos·I + sin·[n]x + (1 − cos)·n nᵀ. */
function axisAngle(n: [number, number, number], angle: number): Matrix3 {
  const [x, y, z] = n;
  const c = Math.cos(angle), s = Math.sin(angle), t = 1 - c;
  return [
    c + t * x * x, t * x * y - s * z, t * x * z + s * y,
    t * x * y + s * z, c + t * y * y, t * y * z - s * x,
    t * x * z - s * y, t * y * z + s * x, c + t * z * z,
  ];
}


describe('quaternionToRotation', () => {
  test('180° about z (b = c = 0, d = 1, so a = 0) is diag(−1, −1, 1), as BraTS headers store it', () => {
    assertClose(quaternionToRotation(0, 0, 1), [-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    assertClose(quaternionToRotation(1, 0, 0), [1, 0, 0, 0, -1, 0, 0, 0, -1]);
  });

  test('matches the axis-angle closed form: (b, c, d) = sin(θ/2)·n', () => {
    const n: [number, number, number] = [1 / 3, 2 / 3, 2 / 3];
    for (const angle of [0.3, 1.2, Math.PI / 2, 2.9, Math.PI]) {
      const s = Math.sin(angle / 2);
      assertClose(quaternionToRotation(s * n[0], s * n[1], s * n[2]), axisAngle(n, angle), 1e-12);
    }
  });

  test('b² + c² + d² rounded above 1 still gives a rotation: a clamps to 0 and the quaternion is renormalised', () => {
    assertClose(quaternionToRotation(0, 0, 1 + 2 ** -23), [-1, 0, 0, 0, -1, 0, 0, 0, 1], 1e-12);
    const R = quaternionToRotation(0, 0.6, 0.8000001);
    assertClose(R, axisAngle([0, 0.6, 0.8], Math.PI), 1e-6);
    assert.ok(Math.abs(det3(R) - 1) < 1e-12);
  });
});

describe('rotationToQuaternion', () => {
  test('recovers 180° rotations exactly, where the trace formula would divide by zero', () => {
    assert.deepEqual(rotationToQuaternion([-1, 0, 0, 0, -1, 0, 0, 0, 1]), [0, 0, 0, 1]);
    assert.deepEqual(rotationToQuaternion([1, 0, 0, 0, -1, 0, 0, 0, -1]), [0, 1, 0, 0]);
    assert.deepEqual(rotationToQuaternion([-1, 0, 0, 0, 1, 0, 0, 0, -1]), [0, 0, 1, 0]);
    const q = rotationToQuaternion(axisAngle([Math.SQRT1_2, Math.SQRT1_2, 0], Math.PI));
    assertClose(q.map(Math.abs), [0, Math.SQRT1_2, Math.SQRT1_2, 0], 1e-15);
  });

  test('round-trips seeded random rotations, with a ≥ 0', () => {
    const random = seeded(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = [random() - 0.5, random() - 0.5, random() - 0.5];
      const norm = Math.hypot(...n);
      const axis = n.map((v) => v / norm) as [number, number, number];
      const R = axisAngle(axis, random() * Math.PI);
      const [a, b, c, d] = rotationToQuaternion(R);
      assert.ok(a >= 0);
      assertClose(quaternionToRotation(b, c, d), R, 1e-12);
    }
  });
});

describe('affineToQform', () => {
  test('BraTS LPS affine gives quaternion (0, 0, 1), qfac +1, unit zooms', () => {
    const q = affineToQform(Float64Array.from([-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1]), 'test');
    assert.deepEqual([q.quatern_b, q.quatern_c, q.quatern_d, q.qfac], [0, 0, 1, 1]);
    assert.deepEqual(q.zooms, [1, 1, 1]);
    assert.deepEqual([q.qoffset_x, q.qoffset_y, q.qoffset_z], [0, 239, 0]);
  });

  test('SRI24 LAS affine (left-handed) gives qfac −1 and 180° about y', () => {
    const q = affineToQform(Float64Array.from([-1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), 'test');
    assert.equal(q.qfac, -1);
    assertClose([q.quatern_b, q.quatern_c, q.quatern_d], [0, 1, 0]);
  });

  test('round-trips random rotations × anisotropic zooms, both handednesses', () => {
    const random = seeded(11);
    for (let trial = 0; trial < 100; trial++) {
      const n = [random() - 0.5, random() - 0.5, random() - 0.5];
      const norm = Math.hypot(...n);
      const R = axisAngle(n.map((v) => v / norm) as [number, number, number], random() * Math.PI);
      const zooms = [0.5 + random(), 0.5 + 2 * random(), (trial % 2 ? -1 : 1) * (0.5 + 3 * random())];
      const A = new Float64Array(16);
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) A[4 * r + c] = R[3 * r + c] * zooms[c];
      A[3] = 100 * random(); A[7] = -50; A[11] = 7; A[15] = 1;
      const q = affineToQform(A, 'test');
      assert.equal(q.qfac, trial % 2 ? -1 : 1);
      assertClose(qformFieldsToAffine(q), A, 1e-12);
    }
  });

  test('a singular affine is refused with the column named', () => {
    assert.throws(() => affineToQform(Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 'writer'),
      /writer: affine column 2 is zero/);
  });
});

test('nearestRotation of a sheared matrix is orthogonal and keeps the determinant sign', () => {
  const R = nearestRotation([1, 0.2, 0, 0, 1.1, 0.1, 0.05, 0, -0.9], 'test');
  const RtR = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => R[i] * R[j] + R[3 + i] * R[3 + j] + R[6 + i] * R[6 + j]));
  assertClose(RtR, [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-12);
  assert.ok(det3(R) < 0);
});

describe('effectiveAffine (nibabel precedence)', () => {
  const sform = { srow_x: [1, 0.2, 0, -90], srow_y: [0, 1.1, 0.1, -126], srow_z: [0.05, 0, 0.9, -72] };
  const qform = { quatern_b: 0, quatern_c: 0, quatern_d: 1, qoffset_x: 1, qoffset_y: 2, qoffset_z: 3 };

  test('sform_code > 0 wins over a qform', () => {
    assertClose(effectiveAffine(header({ ...sform, ...qform, sform_code: 4, qform_code: 1 })),
      [1, 0.2, 0, -90, 0, 1.1, 0.1, -126, 0.05, 0, 0.9, -72, 0, 0, 0, 1]);
  });

  test('else the qform, with pixdim scaling and qfac = pixdim[0] = −1 flipping the third axis', () => {
    assertClose(effectiveAffine(header({ ...sform, ...qform, qform_code: 1, pixdim: [-1, 2, 3, 4, 1, 1, 1, 1] })),
      [-2, 0, 0, 1, 0, -3, 0, 2, 0, 0, -4, 3, 0, 0, 0, 1]);
    // Any pixdim[0] other than −1 (0 is common) means +1.
    assertClose(effectiveAffine(header({ ...qform, qform_code: 2, pixdim: [0, 2, 3, 4, 1, 1, 1, 1] })),
      [-2, 0, 0, 1, 0, -3, 0, 2, 0, 0, 4, 3, 0, 0, 0, 1]);
  });

  test('else nibabel\'s base affine: x flipped, centre voxel at the origin', () => {
    // dims 4, 6, 8 and zooms 2, 3, 4: offsets 2·3/2, −3·5/2, −4·7/2.
    assertClose(effectiveAffine(header({ ...sform, ...qform })), [-2, 0, 0, 3, 0, 3, 0, -7.5, 0, 0, 4, -14, 0, 0, 0, 1]);
  });

  test('bad geometry in the chosen method is an error naming the field', () => {
    assert.throws(() => effectiveAffine(header({ sform_code: 1, srow_y: [0, NaN, 0, 0] })), /effectiveAffine: .*srow_y/);
    assert.throws(() => effectiveAffine(header({ qform_code: 1, pixdim: [1, 1, -2, 1, 1, 1, 1, 1] })), /pixdim\[2\] = -2/);
    assert.throws(() => effectiveAffine(header({ qform_code: 1, quatern_c: Infinity })), /quaternion/);
  });
});

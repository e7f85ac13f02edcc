import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { lesionMembership, lesionReach, sampleLesion, type LesionMembership } from './lesion.js';
import { Random } from './random.js';

describe('lesion', () => {
  test('compartments are nested, the core is solid, and nothing reaches past lesionReach', () => {
    const rng = new Random(11);
    for (let trial = 0; trial < 5; trial++) {
      const lesion = sampleLesion(rng, [0, 0, 0]);
      const reach = lesionReach(lesion, 1);
      const m: LesionMembership = { oedema: 0, enhancing: 0, necrosis: 0 };
      lesionMembership(lesion, 0, 0, 0, 1, m);
      assert.deepEqual(m, { oedema: 1, enhancing: 1, necrosis: 1 }, 'the centre is necrotic');
      let enhancingOnly = 0;
      for (let n = 0; n < 20000; n++) {
        const d = [rng.normal(), rng.normal(), rng.normal()];
        const r = rng.uniform(0, 1.2 * reach) / Math.hypot(d[0], d[1], d[2]);
        lesionMembership(lesion, d[0] * r, d[1] * r, d[2] * r, 1, m);
        assert.ok(m.oedema >= m.enhancing && m.enhancing >= m.necrosis && m.necrosis >= 0 && m.oedema <= 1);
        if (Math.hypot(d[0] * r, d[1] * r, d[2] * r) > reach) assert.equal(m.oedema, 0);
        if (m.enhancing > 0.5 && m.necrosis < 0.5) enhancingOnly++;
      }
      assert.ok(enhancingOnly > 0, 'the rim has voxels of its own');
    }
  });

  test('outlines are continuous across the edges of the direction cube map', () => {
    const lesion = sampleLesion(new Random(12), [0, 0, 0]);
    const m: LesionMembership = { oedema: 0, enhancing: 0, necrosis: 0 };
    const radiusAlong = (x: number, y: number, z: number) => {
      // The enhancing boundary along a ray: bisect for membership ½.
      let lo = 0, hi = lesionReach(lesion, 0.01);
      for (let step = 0; step < 50; step++) {
        const mid = (lo + hi) / 2;
        const r = mid / Math.hypot(x, y, z);
        lesionMembership(lesion, x * r, y * r, z * r, 0.01, m);
        if (m.enhancing >= 0.5) lo = mid; else hi = mid;
      }
      return lo;
    };
    // Just either side of the edge between the +x and +y faces (|x| = |y|), and of a cube corner.
    const e = 1e-7;
    assert.ok(Math.abs(radiusAlong(1 + e, 1, 0.3) - radiusAlong(1, 1 + e, 0.3)) < 1e-4);
    assert.ok(Math.abs(radiusAlong(1 + e, 1, 1) - radiusAlong(1, 1, 1 + e)) < 1e-4);
  });
});

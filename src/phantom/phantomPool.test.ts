import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseNifti } from '../io/nifti/index.js';
import { anatomyFromVolume, SRI24_TISSUES_PATH } from './anatomy.js';
import { PhantomGenerator } from './generator.js';
import { phantomGrid } from './grid.js';
import { PhantomPool } from './phantomPool.js';

describe('PhantomPool', () => {
  test('worker threads produce exactly the cases of a generator in this thread, in the order asked', async () => {
    const tissues = readFileSync(SRI24_TISSUES_PATH);
    const anatomy = anatomyFromVolume(parseNifti(tissues, SRI24_TISSUES_PATH).volume, SRI24_TISSUES_PATH);
    const local = new PhantomGenerator(anatomy, phantomGrid(anatomy, [40, 40, 32], 5));
    const pool = new PhantomPool({ tissues, source: SRI24_TISSUES_PATH, shape: [40, 40, 32], spacing: 5, workers: 2 });
    try {
      const jobs = [[9, 0, 'brats'], [9, 1, 'ixi'], [9, 2, 'brats']] as const;
      const remote = await Promise.all(jobs.map(([seed, index, style]) => pool.generate(seed, index, style)));
      for (const [q, [seed, index, style]] of jobs.entries()) {
        const expected = local.generate(seed, index, style);
        assert.equal(remote[q].id, expected.id);
        for (const [name, volume] of Object.entries(expected.contrasts)) {
          assert.deepEqual(remote[q].contrasts[name as 't1']!.data, volume.data, `${expected.id} ${name}`);
        }
        assert.deepEqual(remote[q].seg?.data, expected.seg?.data);
      }
      await assert.rejects(pool.generate(-1, 0, 'brats'), /PhantomGenerator.generate: seed must be a non-negative integer, got -1/);
    } finally {
      await pool.close();
    }
  });

  test('rejects a bad worker count', () => {
    assert.throws(() => new PhantomPool({ tissues: new Uint8Array(0), source: 'none', shape: [8, 8, 8], spacing: 1, workers: 0 }),
      /PhantomPool: workers must be an integer in \[1, 64\], got 0/);
  });
});

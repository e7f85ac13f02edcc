import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNifti } from '../io/nifti/index.js';
import { toRunUnits } from '../metrics/index.js';
import { readRunConfig } from '../runs/index.js';
import { TEST_PREPROCESS, aldmFirstStageOf, writeAldmRun, writeCase, writeRun } from './completionFixtures.testSupport.js';
import { reconstructCases } from './reconstructCases.js';
import type { SynthesisSidecar } from './synthesisSidecar.js';

let root: string;
let data: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mrsynth-reconstruct-'));
  data = join(root, 'data');
  await writeCase(data, 'brats2021', 'Ph_040', 0, ['t1', 't2', 'flair']);
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('reconstructCases', () => {
  test('the Haar codec keeps everything: a cWDM run gives back each scan in the run\'s units, to float rounding', async () => {
    const run = await writeRun(join(root, 'run-cwdm'), 't1ce', ['t1', 't2', 'flair'], 1, TEST_PREPROCESS);
    const out = join(root, 'cwdm');
    const [outcome] = await reconstructCases({ input: data, run, out });
    assert.equal(outcome.status, 'reconstructed');
    const units = { preprocess: (await readRunConfig(run)).preprocess, source: run };
    for (const contrast of ['t1', 't2', 'flair']) {
      const scan = await readNifti(join(data, 'Ph_040', `Ph_040_${contrast}.nii.gz`));
      const back = await readNifti(join(out, 'Ph_040', `Ph_040_${contrast}.nii.gz`));
      const expected = toRunUnits(scan.volume, units).data;
      const worst = back.volume.data.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
      assert.ok(worst < 1e-5, `${contrast}: largest difference ${worst}`);
      assert.deepEqual(Array.from(back.volume.affine), Array.from(scan.volume.affine));
      assert.equal(back.header.descrip, `mrsynth cwdm synthetic reconstruction of ${contrast}, [0,1] units`);
    }
    const sidecar = JSON.parse(readFileSync(join(out, 'Ph_040', 'Ph_040_t2.json'), 'utf8')) as SynthesisSidecar;
    assert.equal(sidecar.reconstruction, true);
    assert.equal(sidecar.sampler, null);
  });

  test('an ALDM run\'s VQ-GAN loses detail; outputs never go over the inputs; a second run is already done', async () => {
    const run = await writeAldmRun(join(root, 'run-aldm'), { seed: 2 });
    const out = join(root, 'aldm');
    const [outcome] = await reconstructCases({ input: data, run, out });
    assert.equal(outcome.status, 'reconstructed');
    const scan = await readNifti(join(data, 'Ph_040', 'Ph_040_t1.nii.gz'));
    const back = await readNifti(join(out, 'Ph_040', 'Ph_040_t1.nii.gz'));
    assert.deepEqual(back.volume.shape, scan.volume.shape);
    assert.ok(back.volume.data.every(Number.isFinite));
    assert.ok(back.volume.data.some((v, i) => scan.volume.data[i] !== 0 && v !== -1), 'the brain holds a reconstruction');
    assert.deepEqual((await reconstructCases({ input: data, run, out })).map((o) => o.status), ['already-done']);
    const [over] = await reconstructCases({ input: data, run, out: data });
    assert.equal(over.status, 'refused');
    assert.match('reason' in over ? over.reason : '', /would write over its input .*Ph_040_t1\.nii\.gz; give another folder as out/);
  });

  test('a run of ALDM\'s first stage alone (stage 1, or stage 2) reconstructs each scan to the byte as the whole model over it does', async () => {
    const run = await writeAldmRun(join(root, 'run-aldm-whole'), { seed: 4 });
    await reconstructCases({ input: data, run, out: join(root, 'whole') });
    for (const stage of ['autoencoder', 'spade'] as const) {
      const firstStage = await aldmFirstStageOf(run, join(root, `run-aldm-${stage}`), stage);
      const [outcome] = await reconstructCases({ input: data, run: firstStage, out: join(root, stage) });
      assert.equal(outcome.status, 'reconstructed', stage);
      for (const contrast of ['t1', 't2', 'flair']) {
        const whole = await readNifti(join(root, 'whole', 'Ph_040', `Ph_040_${contrast}.nii.gz`));
        const alone = await readNifti(join(root, stage, 'Ph_040', `Ph_040_${contrast}.nii.gz`));
        assert.deepEqual(alone.volume.data, whole.volume.data, `${stage}: ${contrast}`);
      }
    }
  });
});

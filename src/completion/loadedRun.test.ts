import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeExampleBuiltinModels } from '../runs/builtinModels.testSupport.js';
import { writeAldmRun } from './completionFixtures.testSupport.js';
import { loadRun, sidecarModel } from './loadedRun.js';

describe('loadRun with a built-in model', () => {
  test('builtin:<name> loads the run its manifest names; the sidecar records the name and that it was trained on phantoms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-builtin-'));
    try {
      await writeExampleBuiltinModels(dir, 'pinned-t1ce');
      const run = await loadRun('builtin:pinned-t1ce', undefined, true, dir);
      try {
        assert.equal(run.dir, join(dir, 'pinned-t1ce'));
        const model = sidecarModel(run, false);
        assert.equal(model.run, 'builtin:pinned-t1ce');
        assert.equal(model.weightsSha256, run.builtin!.weights.files[0].sha256);
        assert.match(model.trainedOn!, /^builtin:pinned-t1ce was trained on 2 synthetic phantoms \(mrsynth phantom, seed 7, 6 mm\), not on patients/);
      } finally {
        run.pipeline.dispose();
      }
      const folder = await loadRun(join(dir, 'pinned-t1ce'), undefined, true, dir);
      assert.equal(sidecarModel(folder, false).run, join(dir, 'pinned-t1ce'));
      assert.equal(sidecarModel(folder, false).trainedOn, undefined, 'a run given as a folder is not announced as built-in');
      folder.pipeline.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a built-in model whose weights do not hash as the manifest says is refused as a damaged installation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-builtin-'));
    try {
      await writeExampleBuiltinModels(dir, 'pinned-t1ce', { sha256: { 'weights.safetensors': 'b'.repeat(64) } });
      await assert.rejects(loadRun('builtin:pinned-t1ce', undefined, true, dir),
        /builtin:pinned-t1ce: its weights file weights\.safetensors in .* hashes to [0-9a-f]{64}, not to the manifest's b{64}: the installation is damaged/);
      await assert.rejects(loadRun('builtin:other', undefined, true, dir), /there is no built-in model 'other'; the built-in models are builtin:pinned-t1ce/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a built-in model of two weights files (ALDM: U-Net and autoencoder) checks both, and refuses one the manifest does not list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-builtin-'));
    try {
      const aldm = await writeAldmRun(join(dir, 'trained'), { seed: 2 });
      const tasks = [{ sources: ['t1'], target: 't2' }] as const;
      await writeExampleBuiltinModels(join(dir, 'whole'), 'aldm-tiny', { run: aldm, tasks });
      const run = await loadRun('builtin:aldm-tiny', undefined, true, join(dir, 'whole'));
      assert.deepEqual(run.builtin!.weights.files.map((f) => f.file), ['unet.safetensors', 'autoencoder.safetensors']);
      assert.equal(sidecarModel(run, false).weightsSha256, run.builtin!.weights.files[0].sha256, 'the sidecar names the main (U-Net) file');
      run.pipeline.dispose();

      await writeExampleBuiltinModels(join(dir, 'damaged'), 'aldm-tiny', { run: aldm, tasks, sha256: { 'autoencoder.safetensors': 'c'.repeat(64) } });
      await assert.rejects(loadRun('builtin:aldm-tiny', undefined, true, join(dir, 'damaged')),
        /builtin:aldm-tiny: its weights file autoencoder\.safetensors in .* hashes to [0-9a-f]{64}, not to the manifest's c{64}: the installation is damaged/);
      await writeExampleBuiltinModels(join(dir, 'partial'), 'aldm-tiny', { run: aldm, tasks, unlisted: ['autoencoder.safetensors'] });
      await assert.rejects(loadRun('builtin:aldm-tiny', undefined, true, join(dir, 'partial')),
        /builtin:aldm-tiny: the run in .* samples with autoencoder\.safetensors, which the manifest does not list: the installation is damaged/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_MANIFEST, builtinModelName, findBuiltinModel, parseBuiltinManifest, readBuiltinManifest, runFolderOf } from './builtinModels.js';
import { exampleBuiltinEntry, writeExampleBuiltinModels } from './builtinModels.testSupport.js';

const SHA = 'a'.repeat(64);
const manifest = (models: unknown[]) => ({ format: 'mrsynth-builtin-models', formatVersion: 2, licence: 'x', models });
const FILES = [{ file: 'weights.safetensors', sha256: SHA, bytes: 1 }];

describe('built-in models manifest', () => {
  test('parses an entry, resolving its folder against the models folder', () => {
    const parsed = parseBuiltinManifest(manifest([exampleBuiltinEntry('m1', 'folder1', FILES)]), '/models', 'manifest.json');
    assert.equal(parsed.models[0].folder, join('/models', 'folder1'));
    assert.deepEqual(parsed.models[0].heldout.sampler, { kind: 'ddim', steps: 2, eta: 0, seed: 7 });
    assert.equal(builtinModelName('builtin:m1'), 'm1');
    assert.equal(builtinModelName('runs/m1'), undefined);
  });

  test('refuses each malformed field, naming where it is and what it holds', () => {
    const bad = (change: (entry: Record<string, any>) => void, message: RegExp) => {
      const entry = structuredClone(exampleBuiltinEntry('m1', 'folder1', FILES)) as Record<string, any>;
      change(entry);
      assert.throws(() => parseBuiltinManifest(manifest([entry]), '/models', 'M'), message);
    };
    bad((e) => { e.name = 'Bad Name'; }, /M: models\[0\]\.name must be lower-case letters, digits and dashes, got "Bad Name"/);
    bad((e) => { e.folder = '../elsewhere'; }, /M: models\[0\]\.folder must be one folder name under assets\/models, got "\.\.\/elsewhere"/);
    bad((e) => { e.weights.files[0].sha256 = 'xyz'; }, /M: models\[0\]\.weights\.files\[0\]\.sha256 must be 64 lower-case hex digits, got "xyz"/);
    bad((e) => { e.weights.files.push(e.weights.files[0]); }, /M: models\[0\]\.weights\.files names 'weights\.safetensors' twice/);
    bad((e) => { e.weights.files = []; }, /M: models\[0\]\.weights\.files must be a non-empty list, got \[\]/);
    bad((e) => { e.weights.dtype = 'F64'; }, /M: models\[0\]\.weights\.dtype must be one of BF16, F16, F32, got "F64"/);
    bad((e) => { e.targets = ['t3']; }, /M: models\[0\]\.targets\[0\] must be one of .*got "t3"/);
    bad((e) => { e.heldout.tasks[0].cases[0].model.ssim = 2; }, /M: models\[0\]\.heldout\.tasks\[0\]\.cases\[0\]\.model\.ssim must be at most 1, got 2/);
    bad((e) => { e.heldout.tasks[0].sources = ['t1', 't1ce']; }, /M: models\[0\]\.heldout\.tasks\[0\]: the target t1ce is also among its sources \(t1, t1ce\)/);
    bad((e) => { e.targets = ['t1ce', 'flair']; }, /M: models\[0\]\.heldout\.tasks must score the targets t1ce, flair in that order, got t1ce/);
    bad((e) => { e.extra = 1; }, /M: models\[0\]: unknown key 'extra'/);
    assert.throws(() => parseBuiltinManifest(manifest([exampleBuiltinEntry('m1', 'a', FILES), exampleBuiltinEntry('m1', 'b', FILES)]), '/m', 'M'),
      /M: the name 'm1' is given twice/);
    assert.throws(() => parseBuiltinManifest({ ...manifest([]), formatVersion: 1 }, '/m', 'M'), /expected format mrsynth-builtin-models version 2, got "mrsynth-builtin-models" version 1/);
  });

  test('an unknown name is refused with the list of the built-in models; a path stays a path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-builtin-'));
    try {
      await writeExampleBuiltinModels(dir, 'pinned-t1ce');
      assert.equal((await findBuiltinModel('builtin:pinned-t1ce', dir)).folder, join(dir, 'pinned-t1ce'));
      await assert.rejects(findBuiltinModel('builtin:nope', dir), /there is no built-in model 'nope'; the built-in models are builtin:pinned-t1ce \(mrsynth models list\)/);
      assert.equal(await runFolderOf('some/run', dir), 'some/run');
      assert.equal(await runFolderOf('builtin:pinned-t1ce', dir), join(dir, 'pinned-t1ce'));
      writeFileSync(join(dir, BUILTIN_MANIFEST), '{');
      await assert.rejects(readBuiltinManifest(dir), /built-in models: .*manifest\.json is not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the shipped manifest parses, and every shipped weights file hashes as it says', async () => {
    const { models } = await readBuiltinManifest();
    const { createHash } = await import('node:crypto');
    for (const model of models) {
      for (const { file, sha256, bytes } of model.weights.files) {
        const read = readFileSync(join(model.folder, file));
        assert.equal(createHash('sha256').update(read).digest('hex'), sha256, `${model.name}: ${file}`);
        assert.equal(read.length, bytes, `${model.name}: ${file}'s size`);
      }
    }
  });
});

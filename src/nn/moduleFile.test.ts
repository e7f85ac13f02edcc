import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conv } from './conv.js';
import { GroupNorm } from './groupNorm.js';
import { Sequential } from './sequential.js';
import { manualSeed, memory, tidy } from '../tensor/index.js';
import { decodeSafetensors } from '../io/safetensors/index.js';
import { loadModule, saveModule } from './moduleFile.js';

const model = (outChannels = 4) => new Sequential(
  new Conv({ spatialDims: 3, inChannels: 1, outChannels, kernelSize: 3 }),
  new GroupNorm(2, outChannels),
);

describe('saveModule / loadModule', () => {
  test('weights round-trip bit for bit under PyTorch keys, with metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-module-'));
    try {
      manualSeed(3);
      const saved = model();
      manualSeed(4);
      const loaded = model();
      const path = join(dir, 'model.safetensors');
      await saveModule(path, saved, { epoch: '7' });
      const file = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
      assert.deepEqual(Object.keys(file.tensors).sort(), ['0.bias', '0.weight', '1.bias', '1.weight']);
      assert.deepEqual(file.tensors['0.weight'].shape, [4, 1, 3, 3, 3]);
      assert.equal(file.tensors['0.weight'].dtype, 'F32');

      const before = memory().numTensors;
      const result = await loadModule(path, loaded);
      assert.equal(memory().numTensors, before);
      assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [], metadata: { epoch: '7' } });
      tidy(() => {
        const a = saved.stateDict();
        const b = loaded.stateDict();
        for (const key of Object.keys(a)) assert.deepEqual(b[key].rawBytes(), a[key].rawBytes(), key);
      });
      saved.dispose();
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file for another architecture is refused naming the file, the keys and both shapes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-module-'));
    try {
      const small = model(4);
      const path = join(dir, 'small.safetensors');
      await saveModule(path, small);
      const wide = model(6);
      await assert.rejects(loadModule(path, wide),
        /^Error: loadModule\(.*small\.safetensors\): Sequential\.loadStateDict: shape mismatches \(4\): 0\.weight: checkpoint \[4,1,3,3,3\] vs module \[6,1,3,3,3\]/);
      const deeper = model(4).append(new GroupNorm(1, 4));
      await assert.rejects(loadModule(path, deeper), /missing keys \(2\): 2\.weight, 2\.bias/);
      const partial = await loadModule(path, deeper, { strict: false });
      assert.deepEqual(partial.missingKeys, ['2.weight', '2.bias']);
      for (const m of [small, wide, deeper]) m.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

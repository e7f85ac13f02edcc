import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors } from './safetensors.js';
import { loadSafetensors, saveSafetensors, saveSafetensorsSync } from './safetensorsFile.js';
import type { RawTensor } from './rawTensor.js';

const tensors: Record<string, RawTensor> = {
  weight: { dtype: 'F32', shape: [2, 2], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) },
  step: { dtype: 'I64', shape: [], data: new Uint8Array(new BigInt64Array([42n]).buffer) },
};

test('saveSafetensors and saveSafetensorsSync write exactly the encoded bytes, atomically, and loadSafetensors reads them back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsynth-safetensors-'));
  try {
    const expected = Buffer.concat(encodeSafetensors(tensors, { epoch: '3' }));
    const asyncPath = join(dir, 'a.safetensors');
    const syncPath = join(dir, 'b.safetensors');
    writeFileSync(asyncPath, 'old content');
    await saveSafetensors(asyncPath, tensors, { epoch: '3' });
    saveSafetensorsSync(syncPath, tensors, { epoch: '3' });
    assert.deepEqual(readFileSync(asyncPath), expected);
    assert.deepEqual(readFileSync(syncPath), expected);
    assert.deepEqual(readdirSync(dir).sort(), ['a.safetensors', 'b.safetensors'], 'no temporary files left behind');

    const { tensors: back, metadata } = await loadSafetensors(syncPath);
    assert.deepEqual(metadata, { epoch: '3' });
    assert.deepEqual([...new Float32Array(back.weight.data.slice().buffer)], [1, 2, 3, 4]);
    assert.deepEqual(back.step.shape, []);
    assert.equal(new BigInt64Array(back.step.data.slice().buffer)[0], 42n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadSafetensors names the file in its errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsynth-safetensors-'));
  try {
    const path = join(dir, 'truncated.safetensors');
    writeFileSync(path, Buffer.concat(encodeSafetensors(tensors)).subarray(0, 40));
    await assert.rejects(loadSafetensors(path), (e: Error) => e.message.startsWith(`decodeSafetensors(${path}): header length`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

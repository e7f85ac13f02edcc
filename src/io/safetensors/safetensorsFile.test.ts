import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DATA_CHECKSUM_KEY, encodeSafetensors } from './safetensors.js';
import { loadSafetensors, saveSafetensors, saveSafetensorsSync } from './safetensorsFile.js';
import type { RawTensor } from './rawTensor.js';

const tensors: Record<string, RawTensor> = {
  weight: { dtype: 'F32', shape: [2, 2], data: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) },
  step: { dtype: 'I64', shape: [], data: new Uint8Array(new BigInt64Array([42n]).buffer) },
};

test('saveSafetensors and saveSafetensorsSync write exactly the encoded bytes, atomically, and loadSafetensors reads them back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsynth-safetensors-'));
  try {
    const expected = Buffer.concat(encodeSafetensors(tensors, { epoch: '3' }, { checksum: true }));
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

test('the data checksum written with a file is the SHA-256 of its tensors in file order; a flipped bit is refused unless told not to verify', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsynth-safetensors-'));
  try {
    const path = join(dir, 'w.safetensors');
    await saveSafetensors(path, tensors, { epoch: '3' });
    const bytes = readFileSync(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    // File order: I64 before F32 (the reference writer's dtype rank), so the data section is step, then weight.
    const data = Buffer.concat([tensors.step.data, tensors.weight.data]);
    assert.equal(header.__metadata__[DATA_CHECKSUM_KEY], createHash('sha256').update(data).digest('hex'));
    assert.deepEqual(bytes.subarray(8 + headerLength), data);

    bytes[bytes.length - 1] ^= 0x01; // one bit of the weight's last float
    writeFileSync(path, bytes);
    await assert.rejects(loadSafetensors(path), new RegExp(`decodeSafetensors\\(${path.replace(/[/.]/g, '\\$&')}\\): the tensor data do not match the SHA-256 recorded when the file was written .*: the file is damaged`));
    const unchecked = await loadSafetensors(path, { verify: false });
    assert.deepEqual(unchecked.metadata, { epoch: '3' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

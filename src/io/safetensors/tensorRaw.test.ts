import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DTYPES, memory, tensor, tidy } from '../../tensor/index.js';
import { rawToTensor, tensorToRaw } from './tensorRaw.js';

describe('tensorToRaw / rawToTensor', () => {
  test('every dtype round-trips bit for bit, with safetensors dtype names and little-endian bytes', () => tidy(() => {
    const names = { float32: 'F32', float64: 'F64', bfloat16: 'BF16', float16: 'F16', int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL' };
    for (const dtype of DTYPES) {
      const t = tensor([[1, 0, 3], [0, 5, 1]], { dtype: dtype === 'int64' || dtype === 'float64' ? dtype : 'float32' }).to(dtype);
      const raw = tensorToRaw(t);
      assert.equal(raw.dtype, names[dtype], dtype);
      assert.deepEqual(raw.shape, [2, 3]);
      const back = rawToTensor(raw);
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual(back.rawBytes(), raw.data, dtype);
    }
  }));

  test('known bytes: float32 1.5 is 00 00 c0 3f; bfloat16 and float16 keep their own encodings of -2', () => tidy(() => {
    assert.deepEqual([...tensorToRaw(tensor([1.5])).data], [0x00, 0x00, 0xc0, 0x3f]);
    assert.deepEqual([...tensorToRaw(tensor([-2], { dtype: 'bfloat16' })).data], [0x00, 0xc0]);
    assert.deepEqual([...tensorToRaw(tensor([-2], { dtype: 'float16' })).data], [0x00, 0xc0]);
    assert.deepEqual([...rawToTensor({ dtype: 'F16', shape: [2], data: new Uint8Array([0x00, 0x3c, 0x00, 0x38]) }).toTypedArray()], [1, 0.5]);
    assert.deepEqual([...rawToTensor({ dtype: 'BF16', shape: [1], data: new Uint8Array([0x80, 0x3f]) }).toTypedArray()], [1]);
  }));

  test('bytes at an odd offset in a larger buffer (as decodeSafetensors hands them out) are read correctly', () => tidy(() => {
    const buffer = new Uint8Array(9);
    buffer.set([0x00, 0x00, 0x80, 0xbf, 0x00, 0x00, 0x00, 0x40], 1);
    assert.deepEqual([...rawToTensor({ dtype: 'F32', shape: [2], data: buffer.subarray(1) }).toTypedArray()], [-1, 2]);
  }));

  test('inconsistent raw tensors are refused, and nothing leaks', () => {
    const before = memory().numTensors;
    assert.throws(() => rawToTensor({ dtype: 'F32', shape: [3], data: new Uint8Array(8) }), /rawToTensor: F32 \[3\] needs 12 bytes, got 8/);
    assert.equal(memory().numTensors, before);
  });
});

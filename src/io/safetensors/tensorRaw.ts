/**
 * Tensors ⇄ `RawTensor` (bytes with a safetensors dtype and a shape), the bridge between the engine and the
 * safetensors reader/writer, which never touch libtorch. Bytes are copied as they are, so every dtype,
 * bfloat16 and float16 included, round-trips bit for bit. Both sides are little-endian: safetensors by
 * definition, libtorch because every platform it runs on here is.
 */
import { fromBytes, type Device, type DType, type Tensor } from '../../tensor/index.js';
import { assert } from '../../util/index.js';
import { type RawTensor, type SafetensorsDtype, checkRawTensor } from './rawTensor.js';

const SAFETENSORS_DTYPE: Readonly<Record<DType, SafetensorsDtype>> = {
  float32: 'F32', float64: 'F64', bfloat16: 'BF16', float16: 'F16',
  int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};

const DTYPE_OF: ReadonlyMap<SafetensorsDtype, DType> = new Map(
  Object.entries(SAFETENSORS_DTYPE).map(([dtype, code]) => [code, dtype as DType]));

/** The tensor's elements as row-major bytes (copied to the CPU first if need be). */
export function tensorToRaw(tensor: Tensor): RawTensor {
  return { dtype: SAFETENSORS_DTYPE[tensor.dtype], shape: tensor.shape, data: tensor.rawBytes() };
}

/** A new tensor holding a copy of `raw`'s bytes, on the CPU or on `device`. */
export function rawToTensor(raw: RawTensor, device: Device = 'cpu'): Tensor {
  checkRawTensor(raw, 'rawToTensor');
  const dtype = DTYPE_OF.get(raw.dtype);
  assert(dtype !== undefined, () => `rawToTensor: no engine dtype for safetensors dtype ${raw.dtype}`);
  const host = fromBytes(raw.data, dtype, raw.shape);
  if (device === 'cpu') return host;
  try {
    return host.to(device);
  } finally {
    host.dispose();
  }
}

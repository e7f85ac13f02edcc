import { createHash } from 'node:crypto';
import { assert, fmtShape } from '../../util/index.js';
import { product } from '../../util/index.js';
import { checkJsonNesting, overLimit, readerLimits } from '../index.js';
import { findDuplicateJsonKey } from './findDuplicateJsonKey.js';
import {
  type RawTensor, type SafetensorsDtype, SAFETENSORS_DTYPES, checkRawTensor, dtypeItemSize, isSafetensorsDtype,
} from './rawTensor.js';

/**
 * The safetensors format (github.com/huggingface/safetensors): an unsigned 64-bit little-endian header length
 * N, then N bytes of UTF-8 JSON, then the byte buffer. The header maps each tensor name to
 * `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the buffer start) and may carry a
 * string→string `"__metadata__"` map. Tensors are row-major, little-endian, and tile the buffer exactly.
 */

export interface SafetensorsContents {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string>;
}

const HEADER_LENGTH_BYTES = 8;
const METADATA_KEY = '__metadata__';
/** Nesting a header may have: it needs three levels (header, tensor entry, shape or offsets); a little slack for extensions. */
const MAX_HEADER_DEPTH = 8;
/** The header is padded with spaces so that the buffer starts 8-byte aligned, as the reference writer does. */
const BUFFER_ALIGNMENT = 8;
const TENSOR_INFO_FIELDS = ['dtype', 'shape', 'data_offsets'];

/**
 * Serialises tensors as chunks (the header, then each tensor's bytes) so that callers can write them without
 * first concatenating one file-sized copy. The layout is the reference writer's, so equal inputs give equal
 * bytes: tensors in descending dtype rank (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL — widest first,
 * which keeps every tensor aligned to its element size), ties by name in UTF-8 byte order; compact JSON with
 * `__metadata__` first (its keys sorted) and tensors in buffer order. `metadata` is written only when given.
 */
/**
 * The `__metadata__` key under which mrsynth records the SHA-256 of a file's data section (every tensor's bytes, in
 * file order), so that a flipped bit is found on load instead of used. Files without it (other writers', older
 * ones) load unverified. Decoding strips it from the metadata it returns: it describes the file, not its contents.
 */
export const DATA_CHECKSUM_KEY = 'mrsynth_data_sha256';

export interface EncodeSafetensorsOptions {
  /** Record the SHA-256 of the data section under {@link DATA_CHECKSUM_KEY}; default false (the reference writer's bytes). */
  readonly checksum?: boolean;
}

export interface DecodeSafetensorsOptions {
  /** Check a recorded data checksum; default true. */
  readonly verify?: boolean;
}

export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>,
  options: EncodeSafetensorsOptions = {}): Uint8Array[] {
  const names = Object.keys(tensors);
  for (const name of names) {
    assert(name !== METADATA_KEY, () => `encodeSafetensors: "${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    checkRawTensor(tensors[name], `encodeSafetensors: tensor "${name}"`);
  }
  const rank = (dtype: SafetensorsDtype) => SAFETENSORS_DTYPES.indexOf(dtype);
  names.sort((a, b) => rank(tensors[b].dtype) - rank(tensors[a].dtype) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (options.checksum) {
    assert(metadata?.[DATA_CHECKSUM_KEY] === undefined, () => `encodeSafetensors: metadata "${DATA_CHECKSUM_KEY}" is written by the encoder itself`);
    const hash = createHash('sha256');
    for (const name of names) hash.update(tensors[name].data);
    metadata = { ...metadata, [DATA_CHECKSUM_KEY]: hash.digest('hex') };
  }

  // Built by hand rather than with one JSON.stringify of an object: objects enumerate integer-like keys
  // ("0", "1") first, which would break the order chosen above.
  const members: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort();
    for (const key of keys) {
      assert(typeof metadata[key] === 'string',
        () => `encodeSafetensors: metadata "${key}" must be a string, got ${typeof metadata[key]} (${String(metadata[key])})`);
    }
    members.push(`${JSON.stringify(METADATA_KEY)}:{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    const info = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    members.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(`{${members.join(',')}}`);
  const padded = Math.ceil((HEADER_LENGTH_BYTES + json.byteLength) / BUFFER_ALIGNMENT) * BUFFER_ALIGNMENT - HEADER_LENGTH_BYTES;
  const header = new Uint8Array(HEADER_LENGTH_BYTES + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, HEADER_LENGTH_BYTES);
  return [header, ...names.map((name) => tensors[name].data)];
}

/**
 * Parses a safetensors file held in memory. Every `RawTensor.data` is a zero-copy view into `bytes` (so it
 * may not be aligned for a typed-array view of its dtype). `source` names the file in error messages.
 * Validation is strict: anything the format does not allow is an error, never a guess.
 */
export function decodeSafetensors(bytes: Uint8Array, source: string, options: DecodeSafetensorsOptions = {}): SafetensorsContents {
  const where = `decodeSafetensors(${source})`;
  assert(bytes.byteLength >= HEADER_LENGTH_BYTES,
    () => `${where}: file is ${bytes.byteLength} bytes, too short for the ${HEADER_LENGTH_BYTES}-byte header length`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  assert(declared <= BigInt(bytes.byteLength - HEADER_LENGTH_BYTES),
    () => `${where}: header length ${declared} runs past the end of the file (${bytes.byteLength} bytes); is the file truncated?`);
  assert(declared <= readerLimits().safetensorsHeaderBytes, () => overLimit(where, 'safetensorsHeaderBytes', `header length ${declared}`));
  const headerEnd = HEADER_LENGTH_BYTES + Number(declared);
  const headerBytes = bytes.subarray(HEADER_LENGTH_BYTES, headerEnd);
  assert(headerBytes[0] === 0x7b,
    () => `${where}: header must start with "{", got ${headerBytes.length ? `byte 0x${headerBytes[0].toString(16)}` : 'an empty header'}`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`${where}: header is not valid UTF-8`);
  }
  // A header is an object of objects of arrays: three levels; __metadata__ is flat.
  checkJsonNesting(text, MAX_HEADER_DEPTH, `${where}: header`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where}: header is not valid JSON (${(error as Error).message})`);
  }
  assert(isPlainObject(header), () => `${where}: header must be a JSON object, got ${describe(header)}`);
  const duplicate = findDuplicateJsonKey(text);
  assert(duplicate === undefined, () => `${where}: header names "${duplicate}" twice in one object`);

  const buffer = bytes.subarray(headerEnd);
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      assert(isPlainObject(value), () => `${where}: "${METADATA_KEY}" must be an object of strings, got ${describe(value)}`);
      for (const [key, text] of Object.entries(value)) {
        assert(typeof text === 'string', () => `${where}: metadata "${key}" must be a string, got ${describe(text)}`);
        metadata[key] = text;
      }
      continue;
    }
    assert(name !== '__proto__', () => `${where}: tensor name "__proto__" is not supported`);
    const tensor = `${where}: tensor "${name}"`;
    assert(isPlainObject(value), () => `${tensor}: expected {dtype, shape, data_offsets}, got ${describe(value)}`);
    const extra = Object.keys(value).filter((k) => !TENSOR_INFO_FIELDS.includes(k));
    assert(extra.length === 0, () => `${tensor}: unexpected field(s) ${extra.join(', ')}; expected only ${TENSOR_INFO_FIELDS.join(', ')}`);
    const { dtype, shape, data_offsets: offsets } = value;
    assert(isSafetensorsDtype(dtype),
      () => `${tensor}: unknown dtype ${JSON.stringify(dtype)}, expected one of ${SAFETENSORS_DTYPES.join(', ')}`);
    assert(isIntegerList(shape), () => `${tensor}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    assert(isIntegerList(offsets) && offsets.length === 2 && offsets[0] <= offsets[1],
      () => `${tensor}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets;
    const bytesNeeded = product(shape) * dtypeItemSize(dtype);
    assert(bytesNeeded === end - begin,
      () => `${tensor}: ${dtype} ${fmtShape(shape)} needs ${bytesNeeded} bytes but data_offsets [${begin},${end}] span ${end - begin}`);
    assert(end <= buffer.byteLength,
      () => `${tensor}: data_offsets [${begin},${end}] run past the end of the ${buffer.byteLength}-byte buffer; is the file truncated?`);
    entries.push({ name, dtype, shape, begin, end });
  }

  // The tensors must tile the buffer: sorted by position, each starts where the previous one ended.
  const byPosition = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of byPosition) {
    assert(entry.begin >= cursor, () => `${where}: tensor "${entry.name}" [${entry.begin},${entry.end}] overlaps the previous tensor, which ends at ${cursor}`);
    assert(entry.begin === cursor, () => `${where}: gap in the buffer: bytes [${cursor},${entry.begin}) before tensor "${entry.name}" belong to no tensor`);
    cursor = entry.end;
  }
  assert(cursor === buffer.byteLength,
    () => `${where}: the buffer has ${buffer.byteLength - cursor} byte(s) after the last tensor (ends at ${cursor} of ${buffer.byteLength})`);

  const recorded = metadata[DATA_CHECKSUM_KEY];
  delete metadata[DATA_CHECKSUM_KEY];
  if (recorded !== undefined && options.verify !== false) {
    const actual = createHash('sha256').update(buffer).digest('hex');
    assert(actual === recorded, () => `${where}: the tensor data do not match the SHA-256 recorded when the file was written `
      + `(${recorded.slice(0, 12)}…, now ${actual.slice(0, 12)}…): the file is damaged`);
  }
  const tensors: Record<string, RawTensor> = {};
  for (const { name, dtype, shape, begin, end } of entries) tensors[name] = { dtype, shape, data: buffer.subarray(begin, end) };
  return { tensors, metadata };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntegerList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v >= 0);
}

function describe(value: unknown): string {
  const json = JSON.stringify(value);
  return `${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value} ${json.length > 60 ? `${json.slice(0, 60)}…` : json}`;
}

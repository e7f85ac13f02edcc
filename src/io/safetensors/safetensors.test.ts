import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { type RawTensor, checkRawTensor } from './rawTensor.js';

const ORACLE = new URL('../../../test-fixtures/cwdm/cwdm-reference-tiny.safetensors', import.meta.url);

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

function f32(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(out.buffer).setFloat32(i * 4, v, true));
  return out;
}

/** A file assembled byte by byte from the spec: u64 LE length, JSON padded with spaces, then the buffer. */
function handWritten(json: string, buffer: number[]): Uint8Array {
  const header = Buffer.from(json, 'utf8');
  const padding = (8 - ((8 + header.length) % 8)) % 8;
  const n = header.length + padding;
  const lengthBytes = [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, 0, 0, 0, 0];
  return Uint8Array.from([...lengthBytes, ...header, ...Array(padding).fill(0x20), ...buffer]);
}

describe('decodeSafetensors', () => {
  test('reads a file written by hand from the spec (F32 2x2, I64 [1], BOOL [3], metadata)', () => {
    const f32Bytes = [...f32([1.5, -2, 0.25, 3])];
    const i64Bytes = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]; // -2
    const json = '{"__metadata__":{"format":"pt"},' +
      '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"step":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},' +
      '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[24,27]}}';
    const file = handWritten(json, [...f32Bytes, ...i64Bytes, 1, 0, 1]);
    const { tensors, metadata } = decodeSafetensors(file, 'hand.safetensors');
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual(Object.keys(tensors), ['w', 'step', 'mask']);
    assert.deepEqual(tensors.w.shape, [2, 2]);
    assert.deepEqual([...new Float32Array(tensors.w.data.slice().buffer)], [1.5, -2, 0.25, 3]);
    assert.equal(new DataView(tensors.step.data.slice().buffer).getBigInt64(0, true), -2n);
    assert.deepEqual([...tensors.mask.data], [1, 0, 1]);
    assert.equal(tensors.w.data.buffer, file.buffer, 'tensor data must be a view, not a copy');
  });

  test('reads the cWDM oracle written by the Python safetensors library, with the shapes its README lists', () => {
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(ORACLE)), 'cwdm-reference-tiny.safetensors');
    assert.equal(metadata.timestep, '437');
    assert.deepEqual(tensors['inputs.x_t'].shape, [1, 8, 8, 8, 8]);
    assert.deepEqual(tensors['inputs.cond'].shape, [1, 24, 8, 8, 8]);
    for (const name of ['model_out', 'pred_xstart_clipped', 'posterior_mean', 'variance']) {
      assert.deepEqual(tensors[`outputs.${name}`].shape, [1, 8, 8, 8, 8]);
    }
    assert.deepEqual(tensors['dwt.image'].shape, [1, 1, 12, 16, 10]);
    for (let b = 0; b < 8; b++) assert.deepEqual(tensors[`dwt.band${b}`].shape, [1, 1, 6, 8, 5]);
    assert.ok(Object.keys(tensors).filter((k) => k.startsWith('model.')).every((k) => tensors[k].dtype === 'F32'));
    // The linear schedule of DDPM with 1000 steps runs from beta = 1e-4 to 0.02; alphas_cumprod[0] = 1 - beta_0.
    const betas = tensors['schedule.betas'];
    assert.equal(betas.dtype, 'F64');
    assert.deepEqual(betas.shape, [1000]);
    const read = (t: RawTensor, i: number) => new DataView(t.data.buffer, t.data.byteOffset).getFloat64(i * 8, true);
    assert.ok(Math.abs(read(betas, 0) - 1e-4) < 1e-12);
    assert.ok(Math.abs(read(betas, 999) - 0.02) < 1e-12);
    assert.ok(Math.abs(read(tensors['schedule.alphas_cumprod'], 0) - (1 - 1e-4)) < 1e-12);
  });

  const valid = () => handWritten('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}',
    [...f32([1, 2]), 7, 9]);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a file shorter than the length field', () => new Uint8Array(5), /bad\.st\): file is 5 bytes, too short/],
    ['a header length beyond the file', () => { const b = valid(); b[0] = 0xff; b[1] = 0xff; return b; }, /bad\.st\): header length 65535 runs past the end of the file/],
    ['a header that is not an object', () => handWritten('[1,2]', []), /header must start with "\{", got byte 0x5b/],
    ['bad JSON', () => handWritten('{"a":', []), /header is not valid JSON/],
    ['invalid UTF-8', () => handWritten('{"\u00e9":1}', []).map((v, i) => (i === 10 ? 0xff : v)), /not valid UTF-8/],
    ['an unknown dtype', () => handWritten('{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', [0]), /tensor "a": unknown dtype "F8_E4M3", expected one of BOOL, U8/],
    ['shape x itemsize different from the span', () => handWritten('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', Array(8).fill(0)), /F32 \[3\] needs 12 bytes but data_offsets \[0,8\] span 8/],
    ['offsets past the buffer', () => handWritten('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', [1, 2]), /run past the end of the 2-byte buffer/],
    ['overlapping tensors', () => handWritten('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', [1, 2, 3]), /tensor "b" \[1,3\] overlaps the previous tensor, which ends at 2/],
    ['a gap between tensors', () => handWritten('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}', [1, 2, 3]), /gap in the buffer: bytes \[1,2\) before tensor "b"/],
    ['trailing bytes', () => handWritten('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1, 2]), /1 byte\(s\) after the last tensor/],
    ['reversed offsets', () => handWritten('{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}', [1]), /data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[1,0\]/],
    ['a negative dimension', () => handWritten('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}', []), /shape must be a list of non-negative integers, got \[-1\]/],
    ['non-string metadata', () => handWritten('{"__metadata__":{"epoch":3}}', []), /metadata "epoch" must be a string, got number 3/],
    ['metadata that is not a map', () => handWritten('{"__metadata__":["x"]}', []), /"__metadata__" must be an object of strings, got array/],
    ['a duplicate tensor name', () => handWritten('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1]), /header names "a" twice/],
    ['a duplicate field', () => handWritten('{"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}', [1]), /header names "dtype" twice/],
    ['an unexpected field', () => handWritten('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"offset":0}}', [1]), /unexpected field\(s\) offset/],
  ];
  for (const [what, build, message] of cases) {
    test(`rejects ${what}`, () => assert.throws(() => decodeSafetensors(build(), 'bad.st'), message));
  }

  test('corrupted headers give clean errors or a self-consistent result, never a crash (seeded fuzz)', () => {
    const original = concat(encodeSafetensors({
      x: { dtype: 'F32', shape: [2, 3], data: f32([1, 2, 3, 4, 5, 6]) },
      n: { dtype: 'I16', shape: [2], data: new Uint8Array(4) },
    }, { note: 'fuzz' }));
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const headerEnd = 8 + Number(new DataView(original.buffer).getBigUint64(0, true));
    let rejected = 0;
    for (let trial = 0; trial < 2000; trial++) {
      let bytes = original.slice();
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) bytes[Math.floor(random() * headerEnd)] = Math.floor(random() * 256);
      if (random() < 0.2) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      try {
        const { tensors } = decodeSafetensors(bytes, 'fuzz.st');
        for (const [name, t] of Object.entries(tensors)) checkRawTensor(t, name);
      } catch (error) {
        assert.ok(error instanceof Error && error.constructor === Error, `unexpected ${String(error)}`);
        assert.match(error.message, /^decodeSafetensors\(fuzz\.st\): /);
        rejected++;
      }
    }
    assert.ok(rejected > 1000, `only ${rejected} of 2000 corruptions were rejected`);
  });
});

describe('encodeSafetensors', () => {
  const tensors: Record<string, RawTensor> = {
    'b.f32': { dtype: 'F32', shape: [2], data: f32([0.5, -1]) },
    'a.f32': { dtype: 'F32', shape: [1, 1], data: f32([7]) },
    flag: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) },
    '10': { dtype: 'I64', shape: [], data: Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0) },
    half: { dtype: 'F16', shape: [1], data: Uint8Array.of(0x00, 0x3c) },
    empty: { dtype: 'F64', shape: [0, 4], data: new Uint8Array(0) },
  };

  test('writes what a few lines of independent reader code parse back: u64 length, padded JSON, slices', () => {
    const file = concat(encodeSafetensors(tensors, { b: '2', a: '1' }));
    let n = 0;
    for (let i = 7; i >= 0; i--) n = n * 256 + file[i];
    assert.equal((8 + n) % 8, 0, 'the buffer must start 8-byte aligned');
    const text = Buffer.from(file.subarray(8, 8 + n)).toString('utf8');
    assert.match(text, /^\{.*\} *$/);
    const header = JSON.parse(text);
    assert.deepEqual(header.__metadata__, { a: '1', b: '2' });
    for (const [name, t] of Object.entries(tensors)) {
      const info = header[name];
      assert.equal(info.dtype, t.dtype);
      assert.deepEqual(info.shape, t.shape);
      assert.deepEqual(file.subarray(8 + n + info.data_offsets[0], 8 + n + info.data_offsets[1]), t.data);
    }
    assert.equal(file.length, 8 + n + Object.values(tensors).reduce((s, t) => s + t.data.length, 0));
  });

  test('orders tensors like the reference writer: widest dtype first, then by name; header in buffer order', () => {
    const [header] = encodeSafetensors(tensors);
    const keys = [...Buffer.from(header.subarray(8)).toString().matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    assert.deepEqual(keys, ['10', 'empty', 'a.f32', 'b.f32', 'half', 'flag']);
  });

  test('produces the reference writer\'s exact bytes (cases from its own test suite)', () => {
    const expectBytes = (chunks: Uint8Array[], headerLength: number, json: string, buffer: number[]) => {
      const padding = headerLength - json.length;
      assert.deepEqual([...concat(chunks)], [headerLength, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from(json), ...Array(padding).fill(0x20), ...buffer]);
    };
    expectBytes(encodeSafetensors({}), 8, '{}', []);
    expectBytes(encodeSafetensors({}, { framework: 'pt' }), 40, '{"__metadata__":{"framework":"pt"}}', []);
    const data = f32([0, 1, 2, 3, 4, 5]);
    expectBytes(encodeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data } }), 64,
      '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', [...data]);
    expectBytes(encodeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], data } }), 72,
      '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', [...data]);
  });

  test('is deterministic: insertion order of tensors and metadata does not change the bytes', () => {
    const reversed = Object.fromEntries(Object.entries(tensors).reverse());
    assert.deepEqual(concat(encodeSafetensors(reversed, { y: '1', x: '2' })), concat(encodeSafetensors(tensors, { x: '2', y: '1' })));
  });

  test('round-trips through decodeSafetensors, including scalars, empty tensors and non-ASCII names', () => {
    const input = { ...tensors, 'ü.gewicht': { dtype: 'I8', shape: [3], data: new Uint8Array(Int8Array.of(-1, 0, 1).buffer) } } satisfies Record<string, RawTensor>;
    const { tensors: back, metadata } = decodeSafetensors(concat(encodeSafetensors(input)), 'roundtrip');
    assert.deepEqual(metadata, {});
    assert.equal(Object.keys(back).length, Object.keys(input).length);
    for (const [name, t] of Object.entries(input)) {
      assert.equal(back[name].dtype, t.dtype);
      assert.deepEqual(back[name].shape, t.shape);
      assert.deepEqual([...back[name].data], [...t.data]);
    }
  });

  test('rejects a tensor whose bytes do not match its shape, the reserved name, and non-string metadata', () => {
    assert.throws(() => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Uint8Array(8) } }),
      /encodeSafetensors: tensor "w": F32 \[3\] needs 12 bytes, got 8/);
    assert.throws(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }), /reserved for metadata/);
    assert.throws(() => encodeSafetensors({}, { epoch: 3 as unknown as string }), /metadata "epoch" must be a string, got number \(3\)/);
  });
});

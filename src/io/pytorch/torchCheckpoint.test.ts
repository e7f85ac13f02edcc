import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildZip } from '../../../test-fixtures/pytorch/buildZip.js';
import { resetReaderLimits, setReaderLimits } from '../index.js';
import { type RawTensor, checkRawTensor } from '../safetensors/index.js';
import { decodeTorchCheckpoint } from './torchCheckpoint.js';
import { loadTorchCheckpoint } from './torchCheckpointFile.js';
import { openZipArchive } from './zipArchive.js';

const fixture = (name: string) => new URL(`../../../test-fixtures/pytorch/${name}`, import.meta.url);
const readFixture = (name: string) => new Uint8Array(readFileSync(fixture(name)));
type Expected = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as Record<string, Expected>;

/** Element values decoded from little-endian bytes, independently of the loader (F16/BF16 by their bit layout). */
function values(t: RawTensor): (number | string)[] {
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const halfToNumber = (h: number) => {
    const exponent = (h >> 10) & 0x1f;
    const magnitude = exponent === 0 ? (h & 0x3ff) * 2 ** -24 : (1 + (h & 0x3ff) / 1024) * 2 ** (exponent - 15);
    return h & 0x8000 ? -magnitude : magnitude;
  };
  const read: Record<RawTensor['dtype'], [number, (at: number) => number | string]> = {
    F64: [8, (at) => view.getFloat64(at, true)],
    F32: [4, (at) => view.getFloat32(at, true)],
    F16: [2, (at) => halfToNumber(view.getUint16(at, true))],
    BF16: [2, (at) => new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0]],
    I64: [8, (at) => view.getBigInt64(at, true).toString()],
    I32: [4, (at) => view.getInt32(at, true)],
    I16: [2, (at) => view.getInt16(at, true)],
    I8: [1, (at) => view.getInt8(at)],
    U8: [1, (at) => view.getUint8(at)],
    BOOL: [1, (at) => view.getUint8(at)],
  };
  const [size, get] = read[t.dtype];
  return Array.from({ length: t.data.byteLength / size }, (_, i) => get(i * size));
}

function assertReproduces(tensors: Record<string, RawTensor>, truth: Expected, file: string) {
  assert.deepEqual(Object.keys(tensors).sort(), Object.keys(truth).sort(), `${file}: tensor keys`);
  for (const [key, want] of Object.entries(truth)) {
    const got = tensors[key];
    assert.equal(got.dtype, want.dtype, `${file}: ${key} dtype`);
    assert.deepEqual(got.shape, want.shape, `${file}: ${key} shape`);
    assert.deepEqual(values(got), want.values, `${file}: ${key} values`);
  }
}

/** Hand-assembled pickle pieces (protocol 2), for checkpoints that torch would never write. */
const P = {
  text: (s: string) => { const b = Buffer.from(s, 'utf8'); return [0x58, b.length, 0, 0, 0, ...b]; },
  global: (module: string, name: string) => [0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1')],
  ints: (list: number[]) => [0x28, ...list.flatMap((n) => [0x4b, n]), 0x74],
  /** `{name: _rebuild_tensor_v2(<FloatStorage key of count>, offset, size, stride, False, OrderedDict())}` */
  tensorDict: (name: string, key: string, count: number, offset: number, size: number[], stride: number[]) => [
    0x80, 2, 0x7d, ...P.text(name), ...P.global('torch._utils', '_rebuild_tensor_v2'),
    0x28, 0x28, ...P.text('storage'), ...P.global('torch', 'FloatStorage'), ...P.text(key), ...P.text('cpu'), 0x4b, count, 0x74, 0x51,
    0x4b, offset, ...P.ints(size), ...P.ints(stride), 0x89, ...P.global('collections', 'OrderedDict'), 0x29, 0x52, 0x74, 0x52,
    0x73, 0x2e,
  ],
};
const f32 = (list: number[]) => new Uint8Array(new Float32Array(list).buffer);
const archive = (pickle: number[], storages: Record<string, Uint8Array> = {}) => buildZip([
  { name: 'archive/data.pkl', data: Uint8Array.from(pickle) },
  ...Object.entries(storages).map(([key, data]) => ({ name: `archive/data/${key}`, data })),
  { name: 'archive/version', data: new TextEncoder().encode('3\n') },
]);

describe('decodeTorchCheckpoint', () => {
  test('reproduces every tensor of a state dict saved by torch.save, exactly', async () => {
    const { tensors, ignored } = await loadTorchCheckpoint(fixture('state_dict.pt').pathname);
    assertReproduces(tensors, expected['state_dict.pt'], 'state_dict.pt');
    assert.deepEqual(ignored, []);
  });

  for (const file of ['checkpoint.pt', 'checkpoint-protocol4.pt']) {
    test(`reproduces every dtype, strided and shared view of a nested checkpoint (${file})`, () => {
      const bytes = readFixture(file);
      const { tensors, ignored } = decodeTorchCheckpoint(bytes, file);
      assertReproduces(tensors, expected['checkpoint.pt'], file);
      assert.deepEqual(ignored, ['epoch', 'big', 'lr', 'name', 'flags.0', 'flags.1', 'flags.2']);
      assert.equal(tensors['tensors.base'].data.buffer, bytes.buffer, 'a contiguous tensor is a view of the file');
      assert.notEqual(tensors['tensors.transposed'].data.buffer, bytes.buffer, 'a transposed view is copied into row-major order');
    });
  }

  test('takes one top-level entry when asked, with keys relative to it', () => {
    const { tensors } = decodeTorchCheckpoint(readFixture('checkpoint.pt'), 'checkpoint.pt', { entry: 'ema' });
    const truth = Object.fromEntries(Object.entries(expected['checkpoint.pt'])
      .filter(([key]) => key.startsWith('ema.')).map(([key, value]) => [key.slice('ema.'.length), value]));
    assertReproduces(tensors, truth, 'checkpoint.pt[ema]');
    assert.throws(() => decodeTorchCheckpoint(readFixture('checkpoint.pt'), 'ck.pt', { entry: 'optimizer' }),
      /decodeTorchCheckpoint\(ck\.pt\): no top-level entry "optimizer"; the checkpoint has "model", "ema", "tensors"/);
    assert.throws(() => decodeTorchCheckpoint(readFixture('checkpoint.pt'), 'ck.pt', { entry: 'epoch' }),
      /expected a dict of tensors under "epoch", got number 7/);
  });

  test('rebuilds a hand-made strided view: storage [1,2,3,4,5] from offset 1 as 2x2 with stride [1,2] is [[2,4],[3,5]]', () => {
    const { tensors } = decodeTorchCheckpoint(archive(P.tensorDict('w', '0', 5, 1, [2, 2], [1, 2]), { 0: f32([1, 2, 3, 4, 5]) }), 'view.pt');
    assert.deepEqual(tensors.w.shape, [2, 2]);
    assert.deepEqual(values(tensors.w), [2, 4, 3, 5]);
  });

  test('refuses a pickle naming any other global, before anything could run', () => {
    const attacks: [number[], RegExp][] = [
      [[0x80, 2, ...P.global('os', 'system'), ...P.text('echo pwned'), 0x85, 0x52, 0x2e], /refusing to load os\.system: only tensors and dicts are allowed/],
      [[0x80, 4, 0x8c, 8, ...Buffer.from('builtins'), 0x8c, 4, ...Buffer.from('eval'), 0x93, ...P.text('1'), 0x85, 0x52, 0x2e],
        /refusing to load builtins\.eval: only tensors and dicts are allowed/],
      [[0x80, 2, ...P.global('torch.nn.modules.linear', 'Linear'), 0x29, 0x52, 0x2e], /refusing to load torch\.nn\.modules\.linear\.Linear/],
      [[0x80, 2, ...P.global('torch', 'FloatStorage'), 0x29, 0x52, 0x2e], /REDUCE at byte \d+ cannot call torch\.FloatStorage/],
    ];
    for (const [pickle, message] of attacks) {
      assert.throws(() => decodeTorchCheckpoint(archive(pickle), 'evil.pt'), message);
    }
  });

  test("foreignObjects 'skip': objects of other classes are named and left inert beside the tensors; by default the file is refused", () => {
    // {'w': tensor, 'cfg': omegaconf.dictconfig.DictConfig() with state {'a': 1} set by BUILD, 'cmd': os.system('echo pwned')}
    const tensor = P.tensorDict('w', '0', 2, 0, [2], [1]);
    const ops = [...tensor.slice(0, -2), // the dict with 'w' still on the stack (drop STOP and the closing SETITEM)
      0x73,
      ...P.text('cfg'), ...P.global('omegaconf.dictconfig', 'DictConfig'), 0x29, 0x81, 0x7d, ...P.text('a'), 0x4b, 1, 0x73, 0x62, 0x73,
      ...P.text('cmd'), ...P.global('os', 'system'), ...P.text('echo pwned'), 0x85, 0x52, 0x73, 0x2e];
    const bytes = archive(ops, { 0: f32([1, 2]) });
    assert.throws(() => decodeTorchCheckpoint(bytes, 'cfg.pt'), /refusing to load omegaconf\.dictconfig\.DictConfig: only tensors and dicts are allowed/);
    const { tensors, skipped } = decodeTorchCheckpoint(bytes, 'cfg.pt', { foreignObjects: 'skip' });
    assert.deepEqual(values(tensors.w), [1, 2]);
    assert.deepEqual(skipped, ['cfg (omegaconf.dictconfig.DictConfig)', 'cmd (os.system)']);
  });

  test('refuses the legacy format, files that are not checkpoints, and inconsistent storages', () => {
    assert.throws(() => decodeTorchCheckpoint(readFixture('legacy.pt'), 'legacy.pt'),
      /decodeTorchCheckpoint\(legacy\.pt\): legacy \(pre-1\.6\) torch\.save format not supported; re-save with torch>=1\.6/);
    assert.throws(() => decodeTorchCheckpoint(new TextEncoder().encode('hello'), 'hello.txt'),
      /not a torch\.save file: expected a ZIP archive \(bytes 50 4b 03 04\), got 68 65 6c 6c/);
    assert.throws(() => decodeTorchCheckpoint(buildZip([{ name: 'weights.bin', data: new Uint8Array(4) }]), 'other.zip'),
      /expected exactly one <folder>\/data\.pkl in the archive, found 0 among weights\.bin/);
    assert.throws(() => decodeTorchCheckpoint(archive(P.tensorDict('w', '0', 2, 0, [2], [1])), 'nostorage.pt'),
      /storage "0" is missing \(no entry archive\/data\/0\)/);
    assert.throws(() => decodeTorchCheckpoint(archive(P.tensorDict('w', '0', 3, 0, [2], [1]), { 0: f32([1, 2]) }), 'short.pt'),
      /storage "0" holds 8 bytes, 3 F32 elements need 12/);
    assert.throws(() => decodeTorchCheckpoint(archive(P.tensorDict('w', '0', 4, 1, [2, 2], [2, 1]), { 0: f32([1, 2, 3, 4]) }), 'past.pt'),
      /tensor \[2,2\] with stride \[2,1\] at offset 1 reaches element 4 of a 4-element storage/);
    assert.throws(() => decodeTorchCheckpoint(archive(P.tensorDict('w', '0', 1, 0, [255, 255, 255, 255, 255], [0, 0, 0, 0, 0]), { 0: f32([1]) }), 'expand.pt'),
      /strided tensor \[255,255,255,255,255\] would need 4312815637500 bytes as a contiguous copy, more than 4294967295/);
    const bigEndian = buildZip([{ name: 'a/data.pkl', data: Uint8Array.of(0x80, 2, 0x7d, 0x2e) }, { name: 'a/byteorder', data: new TextEncoder().encode('big') }]);
    assert.throws(() => decodeTorchCheckpoint(bigEndian, 'be.pt'), /byte order "big" is not supported/);
  });

  test('truncated or damaged files give clean errors', () => {
    const bytes = readFixture('state_dict.pt');
    for (const length of [0, 3, 100, 2000, bytes.length - 30, bytes.length - 1]) {
      assert.throws(() => decodeTorchCheckpoint(bytes.subarray(0, length), 'cut.pt'),
        (e: Error) => e.constructor === Error && /^(decodeTorchCheckpoint|openZipArchive)\(cut\.pt\)/.test(e.message), `length ${length}`);
    }
    const damaged = bytes.slice();
    const storage = openZipArchive(bytes, 'state_dict.pt').read('state_dict/data/0');
    damaged[storage.byteOffset + 5] ^= 0x40;
    assert.throws(() => decodeTorchCheckpoint(damaged, 'damaged.pt'), /openZipArchive\(damaged\.pt\): entry "state_dict\/data\/0" is corrupt/);
  });

  test('a corrupted pickle gives a clean error or a well-formed result, never a crash (seeded fuzz)', () => {
    const original = openZipArchive(readFixture('checkpoint.pt'), 'checkpoint.pt');
    const entries = original.names.map((name) => ({ name, data: original.read(name) }));
    const pickleIndex = entries.findIndex((e) => e.name.endsWith('data.pkl'));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let rejected = 0;
    for (let trial = 0; trial < 300; trial++) {
      const pickle = entries[pickleIndex].data.slice();
      for (let e = 0; e < 1 + Math.floor(random() * 3); e++) pickle[Math.floor(random() * pickle.length)] = Math.floor(random() * 256);
      const mutated = entries.map((entry, i) => (i === pickleIndex ? { name: entry.name, data: pickle } : entry));
      try {
        const { tensors } = decodeTorchCheckpoint(buildZip(mutated), 'fuzz.pt');
        for (const [key, t] of Object.entries(tensors)) checkRawTensor(t, key);
      } catch (error) {
        assert.ok(error instanceof Error && error.constructor === Error, `unexpected ${String(error)}`);
        assert.match(error.message, /^(decodeTorchCheckpoint|restrictedUnpickle)\(fuzz\.pt/);
        rejected++;
      }
    }
    assert.ok(rejected > 50, `only ${rejected} of 300 corruptions were rejected`);
  });

  test('a persistent id holding an integer beyond 2^53 is refused with a message, not a TypeError from printing it (fuzz, seed 1)', () => {
    const str = (text: string) => [0x8c, text.length, ...new TextEncoder().encode(text)];
    const huge = [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f]; // LONG1 of 9 bytes: 0x7f << 64
    const ops = [0x80, 2, 0x7d, ...str('x'), 0x28, ...str('storage'), 0x63, ...new TextEncoder().encode('torch\nFloatStorage\n'),
      ...str('0'), ...str('cpu'), ...huge, 0x74, 0x51, 0x73, 0x2e];
    assert.throws(() => decodeTorchCheckpoint(archive(ops), 'bigpid.pt'),
      (error: Error) => error.constructor === Error && /decodeTorchCheckpoint\(bigpid\.pt\): unexpected persistent id \["storage","torch\.FloatStorage","0","cpu","\d+n"\]/.test(error.message));
  });

  describe('bounds on what a small pickle can make the loader walk', () => {
    const str = (text: string) => [0x8c, text.length, ...new TextEncoder().encode(text)];
    const put = (index: number) => [0x72, index & 0xff, (index >> 8) & 0xff, 0, 0]; // LONG_BINPUT
    const get = (index: number) => [0x6a, index & 0xff, (index >> 8) & 0xff, 0, 0]; // LONG_BINGET
    /** A dict whose key 'x' holds `value` (the opcodes that push it). */
    const dictOf = (value: number[]) => [0x80, 2, 0x7d, ...str('x'), ...value, 0x73, 0x2e];

    test('references shared over and over stop at the entry limit, not at the memory limit', () => {
      // Level k is a list holding level k - 1 twice: under 1 KB of pickle, 2^24 paths, within the depth bound.
      const levels = 24;
      const ops = [0x5d, ...put(0), 0x30]; // each level is memoised and popped; the last stays as the value
      for (let k = 1; k <= levels; k++) ops.push(0x5d, 0x28, ...get(k - 1), ...get(k - 1), 0x65, ...put(k), ...(k < levels ? [0x30] : []));
      const bytes = archive(dictOf(ops));
      assert.ok(bytes.byteLength < 2048);
      assert.throws(() => decodeTorchCheckpoint(bytes, 'shared.pt'),
        /decodeTorchCheckpoint\(shared\.pt\): its dicts and lists expand to more entries \(references shared many times over\).*more than the limit checkpointEntries=1000000.*--limit checkpointEntries=N/);
    });

    test('a user who trusts a large checkpoint raises checkpointEntries; lowered, it stops a small one', () => {
      const ops = dictOf([0x5d, 0x28, ...Array(50).fill(0x4e), 0x65]);
      try {
        setReaderLimits({ checkpointEntries: 20 });
        assert.throws(() => decodeTorchCheckpoint(archive(ops), 'many.pt'), /many\.pt.*limit checkpointEntries=20/);
        setReaderLimits({ checkpointEntries: 100 });
        assert.equal(decodeTorchCheckpoint(archive(ops), 'many.pt').ignored.length, 50);
      } finally {
        resetReaderLimits();
      }
    });

    test('a dict that holds itself is refused, naming where', () => {
      const ops = [0x80, 2, 0x7d, ...put(0), ...str('me'), ...get(0), 0x73, 0x2e];
      assert.throws(() => decodeTorchCheckpoint(archive(ops), 'self.pt'), /decodeTorchCheckpoint\(self\.pt\): "me" contains itself/);
    });

    test('lists nested 100,000 deep are refused by depth with the file name, not by a stack overflow', () => {
      const depth = 100_000;
      const ops = [...Array(depth).fill(0x5d), ...Array(depth - 1).fill(0x61)];
      assert.throws(() => decodeTorchCheckpoint(archive(dictOf(ops)), 'deep.pt'),
        /decodeTorchCheckpoint\(deep\.pt\): its dicts and lists nest more than 32 levels deep/);
    });
  });
});

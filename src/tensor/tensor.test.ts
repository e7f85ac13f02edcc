import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, arange, dispose, empty, full, keep, linspace, manualSeed, memory, ones, rand, randint, randn, randnFrom, releaseFreeHostMemory,
  tensor, tidy, zeros,
} from './index.js';

describe('creation and data', () => {
  test('typed arrays round-trip for every dtype with a JS array type', () => tidy(() => {
    const cases = [
      new Float32Array([1.5, -2, 3.25]), new Float64Array([1e-300, 2, -3]), new Int32Array([-7, 0, 2 ** 31 - 1]),
      new Int16Array([-32768, 1, 32767]), new Int8Array([-128, 0, 127]), new Uint8Array([0, 128, 255]),
      new BigInt64Array([-(2n ** 63n), 0n, 2n ** 62n]),
    ];
    for (const data of cases) assert.deepEqual(tensor(data).toTypedArray(), data, data.constructor.name);
  }));

  test('bfloat16 and float16 convert through float32 with their rounding', () => tidy(() => {
    // 1 + 2^-9 is exact in float16 (10 mantissa bits) but rounds to 1 in bfloat16 (7 bits).
    // -0.1 is not representable: float16's nearest value is -1638/16384 = -0.0999755859375.
    const values = [1 + 2 ** -9, 65504, -0.1];
    assert.deepEqual([...tensor(values, { dtype: 'float16' }).toTypedArray()], [1 + 2 ** -9, 65504, -1638 / 16384]);
    assert.deepEqual([...tensor(values, { dtype: 'bfloat16' }).toTypedArray()].slice(0, 1), [1]);
    assert.equal(tensor(values, { dtype: 'bfloat16' }).rawBytes().length, 6);
  }));

  test('nested arrays give their shape; values that do not fill a shape are refused', () => tidy(() => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.equal(t.slice(1, 1, 3).select(0, 1).sum().item(), 11);
    assert.throws(() => tensor(new Float32Array(5), { shape: [2, 3] }), /tensor: 5 values do not fill shape \[2,3\] \(6 elements\)/);
  }));

  test('constants and ranges', () => tidy(() => {
    assert.deepEqual([...zeros([2, 2]).toTypedArray()], [0, 0, 0, 0]);
    assert.deepEqual([...ones([3], { dtype: 'int32' }).toTypedArray()], [1, 1, 1]);
    assert.deepEqual([...full([2], 7.5).toTypedArray()], [7.5, 7.5]);
    assert.deepEqual([...arange(5).toTypedArray()], [0n, 1n, 2n, 3n, 4n]);
    assert.deepEqual([...arange(0, 1, 0.25).toTypedArray()], [0, 0.25, 0.5, 0.75]);
    assert.deepEqual([...linspace(0, 1, 5, { dtype: 'float64' }).toTypedArray()], [0, 0.25, 0.5, 0.75, 1]);
    assert.throws(() => zeros([2, -1]), /zeros: shape must hold non-negative integers, got \[2,-1\]/);
  }));

  test('integral scalars keep integer dtypes; fractional ones promote', () => tidy(() => {
    const i = tensor(new Int32Array([1, 2, 3]));
    assert.equal(i.mul(2).dtype, 'int32');
    assert.equal(i.mul(0.5).dtype, 'float32');
    assert.equal(tensor([1, 2]).add(1).dtype, 'float32');
  }));

  test('item, reductions and comparisons', () => tidy(() => {
    const t = tensor([[1, 5], [3, -2]]);
    assert.equal(t.sum().item(), 7);
    assert.equal(t.max().item(), 5);
    assert.deepEqual([...t.maxDim(1).indices.toTypedArray()], [1n, 0n]);
    assert.deepEqual([...t.amax(0).toTypedArray()], [3, 5]);
    assert.equal(t.gt(0).sum().item(), 3);
    assert.ok(Math.abs(t.std().item() - Math.sqrt(((1 - 1.75) ** 2 + (5 - 1.75) ** 2 + (3 - 1.75) ** 2 + (-2 - 1.75) ** 2) / 3)) < 1e-6);
    assert.throws(() => t.item(), /item: needs a tensor with exactly one element, got shape \[2, 2\]/);
  }));

  test('shape ops: view errors, permute, split and advanced indexing', () => tidy(() => {
    const t = arange(24).reshape([2, 3, 4]);
    assert.deepEqual(t.permute([2, 0, 1]).shape, [4, 2, 3]);
    assert.throws(() => t.permute([2, 0, 1]).view([24]), /aten::view: .*view size is not compatible/);
    assert.deepEqual(t.split(1, 0).map((p) => p.shape), [[1, 3, 4], [1, 3, 4]]);
    const picked = t.index([null, tensor(new BigInt64Array([2n, 0n]))]);
    assert.deepEqual(picked.shape, [2, 2, 4]);
    assert.equal(picked.select(1, 0).select(0, 0).select(0, 0).item(), 8);
  }));

  test('an allocation that cannot succeed is a JS error, and the process goes on', () => tidy(() => {
    // 16 TB and 4 TB: far beyond any machine, so the allocator refuses instead of the kernel's OOM killer.
    assert.throws(() => empty([1e6, 1e6, 4]), /aten::empty.memory_format: .*can't allocate memory: you tried to allocate 16000000000000 bytes/);
    assert.throws(() => zeros([2 ** 40]), /aten::zeros: .*can't allocate memory/);
    assert.equal(ones([2]).sum().item(), 2);
  }));

  test('a wrong dtype gives a JS error with libtorch\'s message', () => tidy(() => {
    assert.throws(() => tensor([1, 2]).matmul(tensor(new Int32Array([1, 2]))), /aten::matmul: .*(dtype|type)/i);
    assert.throws(() => tensor([1, 2]).bmm(tensor([1, 2])), /aten::bmm: .*3D/);
  }));
});

describe('memory scopes', () => {
  test('tidy frees intermediates, returns results to the caller and honours keep', () => {
    const before = memory().numTensors;
    let kept = zeros([1]);
    const result = tidy(() => {
      const a = ones([4]);
      const b = a.mul(3);
      kept = keep(b.add(1));
      return b.sum();
    });
    assert.equal(result.item(), 12);
    assert.equal(tidy(() => kept.sum().item()), 16);
    assert.equal(memory().numTensors, before + 3); // the zeros placeholder, kept and result
    dispose([result, kept]);
  });

  test('tidy frees everything when the function throws, and refuses async functions', () => {
    const before = memory().numTensors;
    assert.throws(() => tidy(() => { ones([3]).mul(2); throw new Error('boom'); }), /boom/);
    assert.equal(memory().numTensors, before);
    assert.throws(() => tidy(async () => ones([1])), /tidy\(\) cannot run an async function/);
  });

  test('using a disposed tensor is a clear error, and disposing twice is harmless', () => {
    const t = ones([2]);
    t.dispose();
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.throws(() => t.add(1), /this tensor was disposed and cannot be used any more/);
    assert.throws(() => t.shape, /disposed/);
  });

  test('external memory is reported per storage: views do not count twice', () => {
    const before = memory().externalBytes;
    tidy(() => {
      const t = zeros([1000]);
      const view = t.slice(0, 0, 500);
      assert.equal(memory().externalBytes - before, 4000);
      view.dispose();
      assert.equal(memory().externalBytes - before, 4000);
    });
    assert.equal(memory().externalBytes, before);
  });

  test('releaseFreeHostMemory hands back the freed blocks the allocator keeps for reuse', () => {
    const MB = 1024 * 1024;
    releaseFreeHostMemory();
    // 16 blocks of 16 MiB: below the balanced allocator's 32 MiB mmap threshold, so they come from the heap and
    // stay resident after disposal; ones() writes every page, so all of them are resident first.
    const blocks = Array.from({ length: 16 }, () => ones([4 * MB]));
    dispose(blocks);
    const kept = process.memoryUsage().rss;
    assert.equal(releaseFreeHostMemory(), true);
    const dropped = (kept - process.memoryUsage().rss) / MB;
    assert.ok(dropped > 128, `resident memory fell by ${dropped.toFixed(1)} MB after freeing 256 MB`);
  });

  test('a pinned data view stays valid after dispose and shares memory with the tensor', () => {
    const t = zeros([4]);
    const view = t.dataView<'float32'>();
    view[2] = 5;
    assert.equal(t.sum().item(), 5);
    t.dispose();
    assert.equal(view[2], 5);
  });
});

describe('random generators', () => {
  test('the same seed gives the same stream; different seeds differ', () => tidy(() => {
    const a = randn([8], { generator: new Generator(42) }).toTypedArray();
    const b = randn([8], { generator: new Generator(42) }).toTypedArray();
    const c = randn([8], { generator: new Generator(43) }).toTypedArray();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  }));

  test('randnFrom a generator per row: row i is what its own generator draws for a batch of one (seed 0: torch.randn(3))', () => tidy(() => {
    const rows = randnFrom([2, 3], [new Generator(0), new Generator(42)]);
    assert.deepEqual(rows.shape, [2, 3]);
    assert.deepEqual([...rows.narrow(0, 0, 1).toTypedArray<'float32'>()].map((v) => v.toFixed(4)), ['1.5410', '-0.2934', '-2.1788']);
    assert.deepEqual(rows.narrow(0, 1, 1).toTypedArray(), randn([1, 3], { generator: new Generator(42) }).toTypedArray());
    assert.deepEqual(randnFrom([2, 3], new Generator(42)).toTypedArray(), randn([2, 3], { generator: new Generator(42) }).toTypedArray());
    assert.throws(() => randnFrom([3, 3], [new Generator(0)]), /randnFrom: 1 generator\(s\) for the 3 row\(s\) of shape \[3,3\]/);
  }));

  test('PyTorch\'s documented stream: torch.manual_seed(0); torch.randn(3)', () => tidy(() => {
    manualSeed(0);
    const values = randn([3]).toTypedArray<'float32'>();
    assert.deepEqual([...values].map((v) => v.toFixed(4)), ['1.5410', '-0.2934', '-2.1788']);
  }));

  test('capturing and restoring a generator state replays the stream exactly', () => tidy(() => {
    const generator = new Generator(7);
    rand([5], { generator });
    const state = generator.getState();
    const first = randint(0, 1000, [6], { generator }).toTypedArray();
    generator.setState(state);
    assert.deepEqual(randint(0, 1000, [6], { generator }).toTypedArray(), first);

    const global = Generator.global();
    manualSeed(99);
    const globalState = global.getState();
    const x = randn([4]).toTypedArray();
    global.setState(globalState);
    assert.deepEqual(randn([4]).toTypedArray(), x);
  }));

  test('a corrupt state is refused with a JS error', () => {
    assert.throws(() => new Generator(1).setState(new Uint8Array(10)), /Generator.setState: .*/);
  });
});

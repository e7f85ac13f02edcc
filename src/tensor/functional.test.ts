import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, Generator, memory, noGrad, randn, releaseFreeHostMemory, tensor, tidy, zeros } from './index.js';
import type { Tensor } from './index.js';

/** Deterministic pseudo-random doubles in [-1, 1), independent of libtorch. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

function filled(shape: number[], seed: number): Float64Array {
  const next = lcg(seed);
  return Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    assert.ok(diff <= tolerance * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The textbook definition of a 3D cross-correlation with zero padding, stride and groups. */
function directConv3d(x: Float64Array, xs: number[], w: Float64Array, ws: number[], b: Float64Array, stride: number, padding: number, groups: number) {
  const [n, cin, d, h, wd] = xs;
  const [cout, cinPerGroup, kd, kh, kw] = ws;
  const od = Math.floor((d + 2 * padding - kd) / stride) + 1;
  const oh = Math.floor((h + 2 * padding - kh) / stride) + 1;
  const ow = Math.floor((wd + 2 * padding - kw) / stride) + 1;
  const out = new Float64Array(n * cout * od * oh * ow);
  const coutPerGroup = cout / groups;
  for (let bi = 0; bi < n; bi++) for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / coutPerGroup);
    for (let z = 0; z < od; z++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
      let acc = b[co];
      for (let ci = 0; ci < cinPerGroup; ci++) for (let a = 0; a < kd; a++) for (let bb = 0; bb < kh; bb++) for (let c = 0; c < kw; c++) {
        const iz = z * stride + a - padding, iy = y * stride + bb - padding, ix = xx * stride + c - padding;
        if (iz < 0 || iy < 0 || ix < 0 || iz >= d || iy >= h || ix >= wd) continue;
        const input = x[((((bi * cin) + g * cinPerGroup + ci) * d + iz) * h + iy) * wd + ix];
        acc += input * w[(((co * cinPerGroup + ci) * kd + a) * kh + bb) * kw + c];
      }
      out[(((bi * cout + co) * od + z) * oh + y) * ow + xx] = acc;
    }
  }
  return { out, shape: [n, cout, od, oh, ow] };
}

describe('conv3d', () => {
  for (const { stride, padding, groups } of [{ stride: 1, padding: 1, groups: 1 }, { stride: 2, padding: 0, groups: 1 }, { stride: 1, padding: 1, groups: 2 }]) {
    test(`matches a direct loop (stride ${stride}, padding ${padding}, groups ${groups}) on 1x4x5x6x7`, () => tidy(() => {
      const xs = [1, 4, 5, 6, 7], ws = [6, 4 / groups, 3, 3, 3];
      const x = filled(xs, 1), w = filled(ws, 2), b = filled([6], 3);
      const expected = directConv3d(x, xs, w, ws, b, stride, padding, groups);
      const y = F.conv3d(tensor(x, { shape: xs, dtype: 'float64' }), tensor(w, { shape: ws, dtype: 'float64' }),
        tensor(b, { dtype: 'float64' }), { stride, padding, groups });
      assert.deepEqual(y.shape, expected.shape);
      assertClose(y.toTypedArray<'float64'>(), expected.out, 1e-12, 'conv3d');
    }));
  }

  test("'same' and 'valid' padding equal the explicit paddings they stand for, in 2D and 3D", () => tidy(() => {
    const x3 = randn([1, 2, 5, 6, 7], { generator: new Generator(4) }), w3 = randn([3, 2, 3, 3, 3], { generator: new Generator(5) });
    assert.deepEqual(F.conv3d(x3, w3, null, { padding: 'same' }).toTypedArray(), F.conv3d(x3, w3, null, { padding: 1 }).toTypedArray());
    assert.deepEqual(F.conv3d(x3, w3, null, { padding: 'valid' }).toTypedArray(), F.conv3d(x3, w3).toTypedArray());
    const x2 = randn([1, 2, 6, 7], { generator: new Generator(6) }), w2 = randn([3, 2, 3, 3], { generator: new Generator(7) });
    assert.deepEqual(F.conv2d(x2, w2, null, { padding: 'same' }).shape, [1, 3, 6, 7]);
    assert.deepEqual(F.conv2d(x2, w2, null, { padding: 'same' }).toTypedArray(), F.conv2d(x2, w2, null, { padding: 1 }).toTypedArray());
    assert.throws(() => F.conv2d(x3, w2), /conv2d: input must be rank 4 \(N, C, H, W\), got rank 5/);
  }));

  test('rejects a 4D input with a message naming the rank and shape', () => tidy(() => {
    assert.throws(() => F.conv3d(zeros([1, 2, 3, 3]), zeros([1, 2, 3, 3, 3])), /conv3d: input must be rank 5 .* got rank 4 \(shape \[1,2,3,3\]\)/);
  }));

  test('channel mismatch is a JS error carrying libtorch\'s message, not an abort', () => tidy(() => {
    assert.throws(() => F.conv3d(zeros([1, 2, 4, 4, 4]), zeros([1, 3, 3, 3, 3])), /aten::conv3d: .*channels/);
  }));
});

/** The textbook 1D cross-correlation with zero padding, stride and groups, over (N, C, L). */
function directConv1d(x: Float64Array, xs: number[], w: Float64Array, ws: number[], b: Float64Array, stride: number, padding: number, groups: number) {
  const [n, cin, length] = xs;
  const [cout, cinPerGroup, k] = ws;
  const ol = Math.floor((length + 2 * padding - k) / stride) + 1;
  const out = new Float64Array(n * cout * ol);
  const coutPerGroup = cout / groups;
  for (let bi = 0; bi < n; bi++) for (let co = 0; co < cout; co++) for (let o = 0; o < ol; o++) {
    const g = Math.floor(co / coutPerGroup);
    let acc = b[co];
    for (let ci = 0; ci < cinPerGroup; ci++) for (let a = 0; a < k; a++) {
      const i = o * stride + a - padding;
      if (i >= 0 && i < length) acc += x[(bi * cin + g * cinPerGroup + ci) * length + i] * w[(co * cinPerGroup + ci) * k + a];
    }
    out[(bi * cout + co) * ol + o] = acc;
  }
  return { out, shape: [n, cout, ol] };
}

describe('conv1d', () => {
  for (const { kernel, stride, padding, groups } of [
    { kernel: 1, stride: 1, padding: 0, groups: 1 }, { kernel: 3, stride: 2, padding: 1, groups: 1 }, { kernel: 3, stride: 1, padding: 2, groups: 2 },
  ]) {
    test(`matches a direct loop (kernel ${kernel}, stride ${stride}, padding ${padding}, groups ${groups}) on 2x4x9`, () => tidy(() => {
      const xs = [2, 4, 9], ws = [6, 4 / groups, kernel];
      const x = filled(xs, 11), w = filled(ws, 12), b = filled([6], 13);
      const expected = directConv1d(x, xs, w, ws, b, stride, padding, groups);
      const y = F.conv1d(tensor(x, { shape: xs, dtype: 'float64' }), tensor(w, { shape: ws, dtype: 'float64' }),
        tensor(b, { dtype: 'float64' }), { stride, padding, groups });
      assert.deepEqual(y.shape, expected.shape);
      assertClose(y.toTypedArray<'float64'>(), expected.out, 1e-12, 'conv1d');
    }));
  }

  test("'same' padding keeps the length; a wrong rank is refused naming the layout", () => tidy(() => {
    const x = randn([1, 2, 7], { generator: new Generator(8) }), w = randn([3, 2, 5], { generator: new Generator(9) });
    assert.deepEqual(F.conv1d(x, w, null, { padding: 'same' }).toTypedArray(), F.conv1d(x, w, null, { padding: 2 }).toTypedArray());
    assert.throws(() => F.conv1d(zeros([1, 2, 3, 3]), w), /conv1d: input must be rank 3 \(N, C, L\), got rank 4 \(shape \[1,2,3,3\]\)/);
    assert.throws(() => F.conv1d(x, zeros([3, 2])), /conv1d: weight must be rank 3 \(Cout, Cin\/groups, kL\), got rank 2/);
  }));
});

describe('crossEntropy', () => {
  /** −log(e^{z_y} / Σ_k e^{z_k}) in doubles, one value per row of `rows`. */
  const byHand = (rows: number[][], targets: number[]) => rows.map((z, i) => Math.log(z.reduce((a, v) => a + Math.exp(v), 0)) - z[targets[i]]);

  test('with class indices: −log softmax(z)[y] per sample, averaged, summed or kept', () => tidy(() => {
    const rows = [[0.5, -1, 2, 0], [3, 3, -2, 1], [-0.25, 0, 0.75, -4]];
    const targets = [2, 0, 3];
    const expected = byHand(rows, targets);
    const logits = tensor(rows.flat(), { shape: [3, 4], dtype: 'float64' });
    const target = tensor(targets, { dtype: 'int64' });
    assertClose(F.crossEntropy(logits, target, 'none').toTypedArray<'float64'>(), expected, 1e-12, 'none');
    assert.ok(Math.abs(F.crossEntropy(logits, target).item() - expected.reduce((a, v) => a + v, 0) / 3) < 1e-12);
    assert.ok(Math.abs(F.crossEntropy(logits, target, 'sum').item() - expected.reduce((a, v) => a + v, 0)) < 1e-12);
    // Equal logits: every class is as likely, so the loss is ln K whatever the target.
    assert.ok(Math.abs(F.crossEntropy(zeros([2, 5]), tensor([0, 4], { dtype: 'int64' })).item() - Math.log(5)) < 1e-6);
  }));

  test('(N, K, d) logits take an (N, d) target, the class axis second as in PyTorch', () => tidy(() => {
    // Sample 0 holds positions [1, 0, 0] and [0, 2, 0] of its 3 classes; the mean runs over all N·d terms.
    const logits = tensor([1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0], { shape: [2, 3, 2], dtype: 'float64' });
    const target = tensor([[0, 1], [2, 2]], { dtype: 'int64' });
    const expected = byHand([[1, 0, 0], [0, 2, 0], [0, 0, 0], [0, 0, 0]], [0, 1, 2, 2]);
    assertClose(F.crossEntropy(logits, target, 'none').toTypedArray<'float64'>(), expected, 1e-12, '(N, K, d)');
  }));

  test('refuses float targets and a target shape that does not fit the logits', () => tidy(() => {
    assert.throws(() => F.crossEntropy(zeros([2, 3]), tensor([0, 1])), /crossEntropy: target must hold int64 class indices, got float32 \(shape \[2\]\)/);
    assert.throws(() => F.crossEntropy(zeros([2, 3]), tensor([0, 1, 2], { dtype: 'int64' })),
      /crossEntropy: target must have shape \[2\] for logits of shape \[2,3\], got \[3\]/);
    assert.throws(() => F.crossEntropy(zeros([3]), tensor([0], { dtype: 'int64' })), /crossEntropy: logits must be \(N, K, …\), got shape \[3\]/);
  }));
});

describe('autograd', () => {
  test('gradient of a composite function matches central finite differences', () => tidy(() => {
    // f(x, w) = sum(silu(conv3d(x, w)) * tanh(x_center)) + mean(x^2) — convolution, activation, broadcasting, reduction.
    const xs = [1, 2, 4, 4, 4], ws = [3, 2, 3, 3, 3];
    const xData = filled(xs, 11), wData = filled(ws, 12);
    const f = (xv: Float64Array, wv: Float64Array, withGrad: boolean) => {
      const x = tensor(xv, { shape: xs, dtype: 'float64', requiresGrad: withGrad });
      const w = tensor(wv, { shape: ws, dtype: 'float64', requiresGrad: withGrad });
      const y = F.silu(F.conv3d(x, w, null, { padding: 1 }));
      const gate = x.slice(1, 0, 1).tanh();
      const value = y.mul(gate).sum().add(x.square().mean());
      return { x, w, value };
    };
    const { x, w, value } = f(xData, wData, true);
    value.backward();
    const gx = x.grad!.toTypedArray<'float64'>(), gw = w.grad!.toTypedArray<'float64'>();
    const eps = 1e-6;
    const numeric = (data: Float64Array, index: number, isX: boolean) => {
      const plus = Float64Array.from(data), minus = Float64Array.from(data);
      plus[index] += eps;
      minus[index] -= eps;
      const fp = noGrad(() => (isX ? f(plus, wData, false) : f(xData, plus, false)).value.item());
      const fm = noGrad(() => (isX ? f(minus, wData, false) : f(xData, minus, false)).value.item());
      return (fp - fm) / (2 * eps);
    };
    for (const i of [0, 7, 33, 64, 100, 127]) assert.ok(Math.abs(gx[i] - numeric(xData, i, true)) < 1e-6, `dx[${i}]`);
    for (const i of [0, 13, 54, 107, 161]) assert.ok(Math.abs(gw[i] - numeric(wData, i, false)) < 1e-6, `dw[${i}]`);
  }));

  test('noGrad records no history; detach cuts it', () => tidy(() => {
    const x = randn([3], { requiresGrad: true });
    assert.equal(noGrad(() => x.mul(2)).requiresGrad, false);
    assert.equal(x.mul(2).requiresGrad, true);
    assert.equal(x.mul(2).detach().requiresGrad, false);
  }));
});

describe('normalisation', () => {
  function normaliseGroups(data: Float64Array, n: number, c: number, spatial: number, groups: number, eps: number) {
    const out = new Float64Array(data.length);
    const perGroup = (c / groups) * spatial;
    for (let b = 0; b < n; b++) for (let g = 0; g < groups; g++) {
      const start = (b * c + g * (c / groups)) * spatial;
      let mean = 0;
      for (let i = 0; i < perGroup; i++) mean += data[start + i];
      mean /= perGroup;
      let variance = 0;
      for (let i = 0; i < perGroup; i++) variance += (data[start + i] - mean) ** 2;
      variance /= perGroup; // biased, as the layers define it
      for (let i = 0; i < perGroup; i++) out[start + i] = (data[start + i] - mean) / Math.sqrt(variance + eps);
    }
    return out;
  }

  test('groupNorm matches (x − mean) / sqrt(var + eps) per group, then the affine map', () => tidy(() => {
    const shape = [2, 6, 3, 4, 5];
    const data = filled(shape, 21);
    const gamma = filled([6], 22), beta = filled([6], 23);
    const y = F.groupNorm(tensor(data, { shape, dtype: 'float64' }), 3, tensor(gamma, { dtype: 'float64' }), tensor(beta, { dtype: 'float64' }), 1e-5);
    const normalised = normaliseGroups(data, 2, 6, 60, 3, 1e-5);
    const expected = normalised.map((v, i) => v * gamma[Math.floor(i / 60) % 6] + beta[Math.floor(i / 60) % 6]);
    assertClose(y.toTypedArray<'float64'>(), expected, 1e-10, 'groupNorm');
  }));

  test('instanceNorm normalises each channel of each sample on its own', () => tidy(() => {
    const shape = [2, 3, 4, 4, 4];
    const data = filled(shape, 31);
    const y = F.instanceNorm(tensor(data, { shape, dtype: 'float64' }), null, null, 1e-5);
    assertClose(y.toTypedArray<'float64'>(), normaliseGroups(data, 2, 3, 64, 3, 1e-5), 1e-10, 'instanceNorm');
  }));

  test('groupNorm refuses channels that do not divide into groups', () => tidy(() => {
    assert.throws(() => F.groupNorm(zeros([1, 6, 2, 2, 2]), 4), /groupNorm: 6 channels are not divisible into 4 groups/);
  }));
});

describe('other functions', () => {
  test('softmax, silu, gelu and leakyRelu follow their formulas', () => tidy(() => {
    const values = [-2, -0.5, 0, 0.5, 3];
    const x = tensor(values, { dtype: 'float64' });
    const total = values.reduce((a, v) => a + Math.exp(v), 0);
    assertClose(F.softmax(x, 0).toTypedArray<'float64'>(), values.map((v) => Math.exp(v) / total), 1e-12, 'softmax');
    assertClose(F.silu(x).toTypedArray<'float64'>(), values.map((v) => v / (1 + Math.exp(-v))), 1e-12, 'silu');
    assertClose(F.leakyRelu(x, 0.1).toTypedArray<'float64'>(), values.map((v) => (v > 0 ? v : 0.1 * v)), 1e-12, 'leakyRelu');
    // gelu(x) = x Φ(x); Φ(0.5) and Φ(3) from the standard normal table.
    const gelu = F.gelu(x).toTypedArray<'float64'>();
    assert.ok(Math.abs(gelu[3] - 0.5 * 0.6914624612740131) < 1e-12);
    assert.ok(Math.abs(gelu[4] - 3 * 0.9986501019683699) < 1e-12);
  }));

  test('nearest and trilinear interpolation by 2 follow their definitions', () => tidy(() => {
    const x = tensor([0, 1, 2, 3, 4, 5, 6, 7], { shape: [1, 1, 2, 2, 2] });
    const near = F.interpolate(x, { scaleFactor: 2, mode: 'nearest' }).toTypedArray<'float32'>();
    // out[z,y,x] = in[z>>1, y>>1, x>>1]
    for (let z = 0; z < 4; z++) for (let y = 0; y < 4; y++) for (let xx = 0; xx < 4; xx++) {
      assert.equal(near[(z * 4 + y) * 4 + xx], ((z >> 1) * 2 + (y >> 1)) * 2 + (xx >> 1));
    }
    // align_corners: the grid maps corners to corners, so the value is linear in each index: 4z' + 2y' + x' scaled by 1/3.
    const lin = F.interpolate(x, { size: [4, 4, 4], mode: 'linear', alignCorners: true }).toTypedArray<'float32'>();
    for (let z = 0; z < 4; z++) for (let y = 0; y < 4; y++) for (let xx = 0; xx < 4; xx++) {
      assert.ok(Math.abs(lin[(z * 4 + y) * 4 + xx] - (4 * z + 2 * y + xx) / 3) < 1e-6);
    }
  }));

  test('attention equals softmax(q kᵀ / √d) v computed by hand', () => tidy(() => {
    const q = tensor([[1, 0], [0, 1]], { dtype: 'float64' }).reshape([1, 2, 2]);
    const k = tensor([[1, 1], [0, 2]], { dtype: 'float64' }).reshape([1, 2, 2]);
    const v = tensor([[1, 2], [3, 4]], { dtype: 'float64' }).reshape([1, 2, 2]);
    const s = 1 / Math.sqrt(2);
    const rows = [[1 * s, 0], [1 * s, 2 * s]]; // q_i · k_j / √2
    const expected = rows.flatMap((r) => {
      const e = r.map(Math.exp), z = e[0] + e[1];
      return [(e[0] * 1 + e[1] * 3) / z, (e[0] * 2 + e[1] * 4) / z];
    });
    for (const queryBlock of [1, 2]) {
      assertClose(F.attention(q, k, v, { queryBlock }).toTypedArray<'float64'>(), expected, 1e-12, `attention, blocks of ${queryBlock}`);
    }
  }));

  test('blockwise attention and its gradients equal the whole-matrix form under libtorch autograd', () => tidy(() => {
    // Cross-attention shapes (Tq ≠ Tk, d ≠ dv) and blocks that do not divide the queries: every row of every block
    // must come out as the whole matrix gives it, and the recomputed backward must match autograd through
    // bmm and softmax.
    const [batch, queries, keys, channels, valueChannels] = [2, 7, 5, 3, 4];
    const leaf = (shape: number[], seed: number) => tensor(filled(shape, seed), { shape, dtype: 'float64' }).requiresGrad_();
    const q = leaf([batch, queries, channels], 1), k = leaf([batch, keys, channels], 2), v = leaf([batch, keys, valueChannels], 3);
    const upstream = tensor(filled([batch, queries, valueChannels], 4), { shape: [batch, queries, valueChannels], dtype: 'float64' });
    const gradients = (out: Tensor) => {
      out.mul(upstream).sum().backward();
      const grads = [q, k, v].map((t) => [...t.grad!.toTypedArray<'float64'>()]);
      for (const t of [q, k, v]) t.grad = null;
      return { out: [...out.toTypedArray<'float64'>()], grads };
    };
    for (const scale of [0.7, 1]) {
      const whole = gradients(F.softmax(q.bmm(k.transpose(1, 2)).mul(scale), -1).bmm(v));
      for (const queryBlock of [1, 3, 7, 100]) {
        const blockwise = gradients(F.attention(q, k, v, { scale, queryBlock }));
        assertClose(blockwise.out, whole.out, 1e-12, `output (scale ${scale}, blocks of ${queryBlock})`);
        ['query', 'key', 'value'].forEach((name, i) => assertClose(blockwise.grads[i], whole.grads[i], 1e-12,
          `∂/∂${name} (scale ${scale}, blocks of ${queryBlock})`));
      }
    }
  }));

  test('attention keeps no tokens² matrix for backward, and refuses shapes that do not agree', () => tidy(() => {
    // Resident memory in use after a forward pass with autograd on, 4,096 tokens: the whole-matrix form keeps
    // its scores and probabilities (64 MiB each) for backward; the blockwise form keeps q, k and v.
    const tokens = 4096, MiB = 2 ** 20;
    const q = randn([1, tokens, 8]).requiresGrad_(), k = randn([1, tokens, 8]).requiresGrad_(), v = randn([1, tokens, 8]).requiresGrad_();
    const heldBy = (forward: () => Tensor) => {
      releaseFreeHostMemory();
      const before = process.memoryUsage().rss;
      const out = forward();
      releaseFreeHostMemory();
      const held = process.memoryUsage().rss - before;
      out.sum().backward();
      out.dispose();
      return held;
    };
    const whole = heldBy(() => F.softmax(q.bmm(k.transpose(1, 2)), -1).bmm(v));
    const blockwise = heldBy(() => F.attention(q, k, v, { queryBlock: 256 }));
    assert.ok(whole >= 64 * MiB, `control: the whole-matrix form held only ${(whole / MiB).toFixed(1)} MiB`);
    assert.ok(blockwise < 16 * MiB, `blockwise attention held ${(blockwise / MiB).toFixed(1)} MiB after forward`);
    assert.equal(q.grad!.shape.join(), `1,${tokens},8`);
    assert.throws(() => F.attention(q, randn([1, tokens, 7]), v), /shapes do not agree/);
    assert.throws(() => F.attention(q, k, v, { queryBlock: 0 }), /queryBlock must be a positive integer, got 0/);
  }));

  test('seeded dropout is reproducible from its generator and keeps the expectation scale', () => tidy(() => {
    const x = tensor(new Float32Array(1000).fill(1), { shape: [1000] });
    const a = F.dropout(x, 0.5, true, new Generator(3)).toTypedArray<'float32'>();
    const b = F.dropout(x, 0.5, true, new Generator(3)).toTypedArray<'float32'>();
    assert.deepEqual(a, b);
    assert.ok(a.every((v) => v === 0 || v === 2));
    assert.deepEqual(F.dropout(x, 0.5, false).toTypedArray(), x.toTypedArray());
  }));

  test('pad, cat and stack arrange values as PyTorch does', () => tidy(() => {
    const x = tensor([1, 2, 3], { shape: [1, 3] });
    assert.deepEqual([...F.pad(x, [1, 2], 'constant', 9).toTypedArray<'float32'>()], [9, 1, 2, 3, 9, 9]);
    assert.deepEqual([...F.pad(x, [2, 0], 'reflect').toTypedArray<'float32'>()], [3, 2, 1, 2, 3]);
    assert.deepEqual(F.cat([x, x], 1).shape, [1, 6]);
    assert.deepEqual(F.stack([x, x], 0).shape, [2, 1, 3]);
  }));
});

test('the functions above leave no live tensors behind', () => {
  const before = memory().numTensors;
  tidy(() => {
    const t: Tensor = randn([2, 4, 4, 4, 4]);
    F.groupNorm(F.conv3d(t, randn([4, 4, 3, 3, 3]), null, { padding: 1 }), 2);
  });
  assert.equal(memory().numTensors, before);
});

test('F.oneHot: int64 indices to rows with a single 1 at each index', () => {
  tidy(() => {
    const rows = F.oneHot(tensor([2, 0, 3], { dtype: 'int64' }), 4);
    assert.deepEqual(rows.shape, [3, 4]);
    assert.deepEqual(Array.from(rows.toTypedArray(), Number), [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    assert.throws(() => F.oneHot(tensor([1, 2]), 4), /oneHot: indices must be int64, got float32/);
  });
});

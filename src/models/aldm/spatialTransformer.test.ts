import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, tidy } from '../../tensor/index.js';
import { CrossAttention, SpatialTransformer } from './spatialTransformer.js';

test('SpatialTransformer holds latent diffusion\'s parameters, counted by formula, under its key names', () => {
  const [C, K] = [32, 4];
  const block = new SpatialTransformer({ channels: C, heads: 2, headChannels: 16, contextDim: K });
  try {
    // norm, proj_in; norm1-3; attn1 (q, k, v without bias, to_out with); attn2 (k, v from the context); GEGLU (C → 8C) and
    // its projection back (4C → C); proj_out.
    const expected = 2 * C + (C * C + C) + 3 * 2 * C + (3 * C * C + C * C + C) + (C * C + 2 * K * C + C * C + C)
      + (C * 8 * C + 8 * C) + (4 * C * C + C) + (C * C + C);
    assert.equal(block.numParameters(), expected);
    const keys = Object.keys(block.stateDict());
    for (const key of ['norm.weight', 'proj_in.weight', 'transformer_blocks.0.attn1.to_q.weight', 'transformer_blocks.0.attn2.to_k.weight',
      'transformer_blocks.0.attn2.to_out.0.bias', 'transformer_blocks.0.ff.net.0.proj.weight', 'transformer_blocks.0.ff.net.2.weight',
      'transformer_blocks.0.norm3.bias', 'proj_out.weight']) {
      assert.ok(keys.includes(key), `${key} in ${keys.join(', ')}`);
    }
  } finally {
    block.dispose();
  }
});

test('untrained, a SpatialTransformer passes its input through (zero-initialised projection); it needs a context', () => {
  const block = new SpatialTransformer({ channels: 32, heads: 2, headChannels: 16, contextDim: 4 });
  try {
    tidy(() => {
      const generator = new Generator(3);
      const x = randn([2, 32, 2, 3, 2], { generator });
      const context = randn([2, 1, 4], { generator });
      assert.equal(block.forward(x, undefined, context).sub(x).abs().max().item(), 0);
      assert.throws(() => block.forward(x), /SpatialTransformer\.forward: needs a context \(N, tokens, 4\) for the 2 sample\(s\), got none/);
    });
  } finally {
    block.dispose();
  }
});

test('cross-attention to a single context token: softmax over one key is 1, so every position gets to_out(to_v(token))', () => {
  const attention = new CrossAttention(8, 4, 2, 4);
  try {
    tidy(() => {
      const generator = new Generator(5);
      const x = randn([2, 6, 8], { generator });
      const token = randn([2, 1, 4], { generator });
      const out = attention.forward(x, token);
      const state = attention.stateDict();
      // to_out(to_v(token)) by hand: token Wvᵀ, then Woᵀ + b; the same row at every one of the 6 positions.
      const expected = token.matmul(state['to_v.weight'].transpose(0, 1)).matmul(state['to_out.0.weight'].transpose(0, 1)).add(state['to_out.0.bias']);
      assert.ok(out.sub(expected.expand([2, 6, 8])).abs().max().item() < 1e-5);
    });
  } finally {
    attention.dispose();
  }
});

test('self-attention equals a hand computation of softmax(q kᵀ / √d) v per head', () => {
  const attention = new CrossAttention(4, 4, 2, 2);
  try {
    tidy(() => {
      const x = randn([1, 3, 4], { generator: new Generator(7) });
      const out = Array.from(attention.forward(x).toTypedArray() as Float32Array);
      const s = attention.stateDict();
      const w = (key: string) => ({ data: Array.from(s[key].toTypedArray() as Float32Array), shape: s[key].shape });
      const rows = (t: { data: number[]; shape: readonly number[] }) => Array.from({ length: t.shape[0] }, (_, i) => t.data.slice(i * t.shape[1], (i + 1) * t.shape[1]));
      const xs = rows({ data: Array.from(x.toTypedArray() as Float32Array), shape: [3, 4] });
      const linear = (v: number[], m: number[][], b?: number[]) => m.map((row, o) => row.reduce((acc, wi, i) => acc + wi * v[i], b?.[o] ?? 0));
      const [q, k, v] = ['to_q', 'to_k', 'to_v'].map((name) => xs.map((row) => linear(row, rows(w(`${name}.weight`)))));
      const merged = xs.map((_, i) => [0, 1].flatMap((h) => {
        const cols = [2 * h, 2 * h + 1];
        const scores = xs.map((__, j) => cols.reduce((acc, c) => acc + q[i][c] * k[j][c], 0) / Math.sqrt(2));
        const top = Math.max(...scores);
        const e = scores.map((sc) => Math.exp(sc - top));
        const sum = e.reduce((a, b) => a + b, 0);
        return cols.map((c) => e.reduce((acc, ej, j) => acc + (ej / sum) * v[j][c], 0));
      }));
      const expected = merged.flatMap((row) => linear(row, rows(w('to_out.0.weight')), w('to_out.0.bias').data));
      const worst = Math.max(...out.map((o, i) => Math.abs(o - expected[i])));
      assert.ok(worst < 1e-5, `largest difference ${worst}`);
    });
  } finally {
    attention.dispose();
  }
});

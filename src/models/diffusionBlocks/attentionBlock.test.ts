import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, memory, noGrad, randn, tidy } from '../../tensor/index.js';
import { AttentionBlock } from './attentionBlock.js';

const maxAbsDiff = (a: Tensor, b: Tensor) => tidy(() => a.sub(b).abs().max().item());

/**
 * The attention block written out in doubles for one sample x[c][t] (C channels, L tokens): GroupNorm, the qkv
 * projection, per head h the channels [3·hc·h, 3·hc·(h+1)) split as q | k | v (`legacy`) — or, for contrast, the
 * q | k | v thirds split into heads (the "new order") — softmax over key tokens of q·k/√hc, then proj_out and the
 * residual.
 */
function byHand(x: number[][], w: Record<string, Float32Array>, groups: number, headChannels: number, order: 'legacy' | 'new'): number[][] {
  const channels = x.length, tokens = x[0].length, heads = channels / headChannels, perGroup = channels / groups;
  const normed = x.map((row) => [...row]);
  for (let g = 0; g < groups; g++) {
    const values = x.slice(g * perGroup, (g + 1) * perGroup).flat();
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
    for (let c = g * perGroup; c < (g + 1) * perGroup; c++) {
      for (let t = 0; t < tokens; t++) normed[c][t] = ((x[c][t] - mean) / Math.sqrt(variance + 1e-5)) * w['norm.weight'][c] + w['norm.bias'][c];
    }
  }
  const project = (input: number[][], name: string, outChannels: number) => Array.from({ length: outChannels }, (_, o) =>
    Array.from({ length: tokens }, (_, t) => input.reduce((a, row, c) => a + w[`${name}.weight`][o * input.length + c] * row[t], w[`${name}.bias`][o])));
  const qkv = project(normed, 'qkv', 3 * channels);
  const attended: number[][] = [];
  for (let h = 0; h < heads; h++) {
    const rows = (part: number) => order === 'legacy'
      ? qkv.slice((3 * h + part) * headChannels, (3 * h + part + 1) * headChannels)
      : qkv.slice(part * channels + h * headChannels, part * channels + (h + 1) * headChannels);
    const [q, k, v] = [rows(0), rows(1), rows(2)];
    for (let c = 0; c < headChannels; c++) attended.push(Array(tokens).fill(0));
    for (let t = 0; t < tokens; t++) {
      const logits = Array.from({ length: tokens }, (_, s) => q.reduce((a, row, c) => a + row[t] * k[c][s], 0) / Math.sqrt(headChannels));
      const top = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - top));
      const total = e.reduce((a, v) => a + v, 0);
      for (let c = 0; c < headChannels; c++) attended[h * headChannels + c][t] = e.reduce((a, p, s) => a + (p / total) * v[c][s], 0);
    }
  }
  const projected = project(attended, 'proj_out', channels);
  return x.map((row, c) => row.map((value, t) => value + projected[c][t]));
}

describe('AttentionBlock', () => {
  test("keys and shapes are the reference's (Conv1d qkv and proj_out); proj_out starts at zero, so the block starts as the identity", () => {
    const block = new AttentionBlock({ channels: 8, numHeadChannels: 4, numGroups: 2 });
    assert.equal(block.numHeads, 2);
    assert.deepEqual(block.namedParameters().map(([k, p]) => `${k} [${p.shape}]`), [
      'norm.weight [8]', 'norm.bias [8]', 'qkv.weight [24,8,1]', 'qkv.bias [24]', 'proj_out.weight [8,8,1]', 'proj_out.bias [8]',
    ]);
    tidy(() => {
      const state = block.stateDict();
      assert.equal(state['proj_out.weight'].abs().max().item() + state['proj_out.bias'].abs().max().item(), 0);
      assert.ok(state['qkv.weight'].abs().max().item() > 0);
      const x = randn([2, 8, 3, 2, 4]);
      const before = memory().numTensors;
      const y = noGrad(() => block.forward(x));
      assert.deepEqual(y.shape, x.shape);
      assert.equal(maxAbsDiff(y, x), 0);
      y.dispose();
      assert.equal(memory().numTensors, before);
    });
    block.dispose();
  });

  test('equals the legacy QKV split (heads first, then q | k | v) written out by hand, and not the new-order split', () => {
    const groups = 2, headChannels = 2;
    const block = new AttentionBlock({ channels: 6, numHeadChannels: headChannels, numGroups: groups });
    tidy(() => {
      // Random weights everywhere (proj_out too, or the attention would not reach the output).
      const generator = new Generator(7);
      noGrad(() => { for (const p of block.parameters()) p.copy_(randn(p.shape, { generator }).mul(0.7)); });
      const weights = Object.fromEntries(block.namedParameters().map(([k, p]) => [k, p.toTypedArray<'float32'>()]));
      const x = randn([2, 6, 2, 1, 3], { generator }).mul(2).add(0.5);
      const out = noGrad(() => block.forward(x)).toTypedArray<'float32'>();
      const xs = x.toTypedArray<'float32'>();
      const tokens = 6;
      let legacyError = 0, newOrderDistance = 0;
      for (let n = 0; n < 2; n++) {
        const sample = Array.from({ length: 6 }, (_, c) => Array.from(xs.subarray((n * 6 + c) * tokens, (n * 6 + c + 1) * tokens)));
        const legacy = byHand(sample, weights, groups, headChannels, 'legacy');
        const newOrder = byHand(sample, weights, groups, headChannels, 'new');
        for (let c = 0; c < 6; c++) for (let t = 0; t < tokens; t++) {
          const ours = out[(n * 6 + c) * tokens + t];
          legacyError = Math.max(legacyError, Math.abs(ours - legacy[c][t]));
          newOrderDistance = Math.max(newOrderDistance, Math.abs(ours - newOrder[c][t]));
        }
      }
      // float32 against doubles through a norm, two projections and a softmax.
      assert.ok(legacyError < 1e-5, `max |ours − legacy by hand| = ${legacyError}`);
      assert.ok(newOrderDistance > 0.1, `the new-order split should differ, max distance ${newOrderDistance}`);
    });
    block.dispose();
  });

  test('refuses heads that do not divide the channels, and an input of other channels', () => {
    assert.throws(() => new AttentionBlock({ channels: 12, numHeadChannels: 5, numGroups: 4 }),
      /AttentionBlock: channels \(12\) must divide by numHeadChannels \(5\)/);
    const block = new AttentionBlock({ channels: 4, numHeadChannels: 2, numGroups: 2 });
    tidy(() => {
      assert.throws(() => block.forward(randn([1, 6, 2, 2, 2])), /AttentionBlock\.forward: x must be \(N, 4, …spatial\), got shape \[1,6,2,2,2\]/);
      assert.throws(() => block.forward(randn([4, 2])), /got shape \[4,2\]/);
    });
    block.dispose();
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MT19937 } from '../data/index.js';
import { manualSeed, tidy } from '../tensor/index.js';
import { Conv } from './conv.js';
import { Linear } from './linear.js';

/**
 * PyTorch 1.13's CPU generator, as checked against python3-torch 1.13 before writing this (torch.manual_seed(s);
 * torch.empty(n).uniform_(a, b), 20,000 draws, and seeds s and s + 2³² giving the same stream):
 *  - manual_seed(s) seeds MT19937 with init_genrand(s mod 2³²);
 *  - a float32 uniform_(from, to) takes one 32-bit output per element, in memory order, and computes in
 *    double ((x & (2²⁴−1))·2⁻²⁴)·(to − from) + from, with from and to first rounded to float32, then rounds to
 *    float32 (computing in float32 instead disagrees on about half of the draws).
 */
function uniformFloat32(mt: MT19937, count: number, from: number, to: number): Float32Array {
  const lo = Math.fround(from);
  const hi = Math.fround(to);
  return Float32Array.from({ length: count }, () => ((mt.nextUint32() & 0xffffff) * 2 ** -24) * (hi - lo) + lo);
}

/** kaiming_uniform_(a=√5)'s bound as torch.nn.init computes it in double. */
function kaimingBound(fanIn: number): number {
  return Math.sqrt(3) * (Math.sqrt(2 / (1 + Math.sqrt(5) ** 2)) / Math.sqrt(fanIn));
}

describe('PyTorch default initialisation', () => {
  test('initial weights of a small Conv3d match values computed by hand from the generator', () => tidy(() => {
    manualSeed(2024);
    const conv = new Conv({ spatialDims: 3, inChannels: 2, outChannels: 3, kernelSize: [3, 2, 1] });
    const fanIn = 2 * 3 * 2 * 1;
    const mt = new MT19937(2024);
    const weight = uniformFloat32(mt, 3 * 2 * 3 * 2 * 1, -kaimingBound(fanIn), kaimingBound(fanIn));
    const bias = uniformFloat32(mt, 3, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
    assert.deepEqual(conv.weight.shape, [3, 2, 3, 2, 1]);
    assert.deepEqual(conv.weight.toTypedArray(), weight);
    assert.deepEqual(conv.bias!.toTypedArray(), bias);
    assert.equal(conv.weight.dtype, 'float32');
    assert.ok(conv.weight.requiresGrad && conv.bias!.requiresGrad);
    conv.dispose();
  }));

  test('a Linear then a grouped Conv2d continue the same stream, weight before bias, 64-bit seeds truncated', () => tidy(() => {
    manualSeed(2n ** 32n + 17n);
    const linear = new Linear(5, 4);
    const conv = new Conv({ spatialDims: 2, inChannels: 4, outChannels: 2, kernelSize: 3, groups: 2, bias: false });
    const mt = new MT19937(17);
    const linearWeight = uniformFloat32(mt, 20, -kaimingBound(5), kaimingBound(5));
    const linearBias = uniformFloat32(mt, 4, -1 / Math.sqrt(5), 1 / Math.sqrt(5));
    const convWeight = uniformFloat32(mt, 2 * 2 * 9, -kaimingBound(18), kaimingBound(18));
    assert.deepEqual(linear.weight.toTypedArray(), linearWeight);
    assert.deepEqual(linear.bias!.toTypedArray(), linearBias);
    assert.deepEqual(conv.weight.toTypedArray(), convWeight);
    assert.equal(conv.bias, null);
    linear.dispose();
    conv.dispose();
  }));
});

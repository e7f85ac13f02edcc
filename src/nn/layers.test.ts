import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, manualSeed, tensor, tidy } from '../tensor/index.js';
import { Conv } from './conv.js';
import { Embedding } from './embedding.js';
import { GroupNorm } from './groupNorm.js';
import { InstanceNorm } from './instanceNorm.js';
import { Linear } from './linear.js';
import { Sequential } from './sequential.js';
import { SiLU } from './silu.js';

/** Made by fixtures/make_layers.py with PyTorch 1.13 (the libtorch we link). */
const fixture = JSON.parse(readFileSync(new URL('./fixtures/layers.json', import.meta.url), 'utf8'));

/** The fixture's inputs: sin(0.37·i) over the flat index, computed in double and stored as float32. */
function ramp(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), { shape });
}

function assertClose(actual: Tensor, expected: { shape: number[]; values: number[] }, tolerance: number, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const values = actual.toTypedArray();
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(Number(values[i]) - expected.values[i]));
  assert.ok(worst <= tolerance, `${what}: largest difference ${worst} exceeds ${tolerance}`);
}

describe('layers against PyTorch 1.13', () => {
  test('Conv3d → GroupNorm → SiLU → strided Conv3d: same initial state dict (bit for bit) and output', () => tidy(() => {
    const { seed, state_dict: stateDict, input_shape: inputShape, output } = fixture.sequential3d;
    manualSeed(seed);
    const model = new Sequential(
      new Conv({ spatialDims: 3, inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1 }),
      new GroupNorm(2, 4),
      new SiLU(),
      new Conv({ spatialDims: 3, inChannels: 4, outChannels: 2, kernelSize: [1, 3, 2], stride: [1, 2, 1], bias: false }),
    );
    const ours = model.stateDict();
    assert.deepEqual(Object.keys(ours), Object.keys(stateDict));
    for (const [key, { shape, values }] of Object.entries(stateDict) as [string, { shape: number[]; values: number[] }][]) {
      assert.deepEqual(ours[key].shape, shape, key);
      assert.deepEqual(ours[key].toTypedArray(), Float32Array.from(values), key);
    }
    assertClose(model.forward(ramp(inputShape)), output, 1e-5, 'sequential3d output');
    model.dispose();
  }));

  test('Conv2d (stride 2, padding 1) → affine InstanceNorm2d', () => tidy(() => {
    const { seed, conv_weight: convWeight, conv_bias: convBias, input_shape: inputShape, output } = fixture.conv2d_instancenorm;
    manualSeed(seed);
    const conv = new Conv({ spatialDims: 2, inChannels: 3, outChannels: 2, kernelSize: 3, stride: 2, padding: 1 });
    const norm = new InstanceNorm({ spatialDims: 2, numFeatures: 2, affine: true });
    assert.deepEqual(conv.weight.toTypedArray(), Float32Array.from(convWeight));
    assert.deepEqual(conv.bias!.toTypedArray(), Float32Array.from(convBias));
    norm.loadStateDict({ weight: tensor([1.5, -0.5]), bias: tensor([0.25, 2.0]) });
    assertClose(norm.forward(conv.forward(ramp(inputShape))), output, 1e-5, 'conv2d_instancenorm output');
    conv.dispose();
    norm.dispose();
  }));

  test('Embedding draws N(0, 1) like PyTorch, and a Linear after it continues the stream', () => tidy(() => {
    const { seed, embedding_weight: embeddingWeight, linear_weight: linearWeight, linear_bias: linearBias, indices, output } = fixture.embedding_linear;
    manualSeed(seed);
    const embedding = new Embedding(5, 24);
    const linear = new Linear(24, 3);
    assert.deepEqual(embedding.weight.toTypedArray(), Float32Array.from(embeddingWeight));
    assert.deepEqual(linear.weight.toTypedArray(), Float32Array.from(linearWeight));
    assert.deepEqual(linear.bias!.toTypedArray(), Float32Array.from(linearBias));
    const y = linear.forward(embedding.forward(tensor(indices, { dtype: 'int64' })));
    assertClose(y, output, 1e-5, 'embedding_linear output');
    embedding.dispose();
    linear.dispose();
  }));
});

describe('layer construction and inputs', () => {
  test('norm layers start as the identity map on their affine parameters; InstanceNorm has none by default', () => tidy(() => {
    const group = new GroupNorm(2, 6);
    assert.deepEqual([...group.weight!.toTypedArray()], [1, 1, 1, 1, 1, 1]);
    assert.deepEqual([...group.bias!.toTypedArray()], [0, 0, 0, 0, 0, 0]);
    const instance = new InstanceNorm({ spatialDims: 3, numFeatures: 4 });
    assert.equal(instance.numParameters(), 0);
    assert.deepEqual(Object.keys(instance.stateDict()), []);
    // Each (sample, channel) is normalised over space: mean 0, biased variance 1 − eps-ish.
    const y = instance.forward(ramp([2, 4, 3, 3, 3]));
    const mean = y.mean([2, 3, 4]).toTypedArray<'float32'>();
    const variance = y.var([2, 3, 4], { correction: 0 }).toTypedArray<'float32'>();
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs(mean[i]) < 1e-6, `mean ${mean[i]}`);
      assert.ok(Math.abs(variance[i] - 1) < 1e-3, `variance ${variance[i]}`);
    }
    group.dispose();
  }));

  test('bad configurations and inputs are refused with the value and what was expected', () => tidy(() => {
    assert.throws(() => new Conv({ spatialDims: 3, inChannels: 3, outChannels: 4, kernelSize: 3, groups: 2 }),
      /Conv: inChannels \(3\) and outChannels \(4\) must both divide by groups \(2\)/);
    assert.throws(() => new Conv({ spatialDims: 3, inChannels: 1, outChannels: 1, kernelSize: [3, 3] }),
      /Conv: kernelSize: expected 3 entries, got 2/);
    assert.throws(() => new Conv({ spatialDims: 2, inChannels: 1, outChannels: 1, kernelSize: 3, stride: 2, padding: 'same' }),
      /Conv: padding 'same' needs stride 1, got stride \[2,2\]/);
    assert.throws(() => new GroupNorm(3, 8), /GroupNorm: numChannels \(8\) must divide into numGroups \(3\) groups/);
    const conv = new Conv({ spatialDims: 3, inChannels: 2, outChannels: 2, kernelSize: 1 });
    assert.throws(() => conv.forward(ramp([1, 3, 2, 2, 2])), /Conv.forward: input must be \(N, 2, D, H, W\), got shape \[1,3,2,2,2\]/);
    assert.throws(() => conv.forward(ramp([1, 2, 2, 2])), /got shape \[1,2,2,2\]/);
    const linear = new Linear(4, 2);
    assert.throws(() => linear.forward(ramp([3, 5])), /Linear.forward: input's last axis must have 4 features, got shape \[3,5\]/);
    const embedding = new Embedding(3, 2);
    assert.throws(() => embedding.forward(tensor([1.0])), /Embedding.forward: indices must be int64 or int32, got float32/);
    for (const m of [conv, linear, embedding]) m.dispose();
  }));

  test("'same' padding keeps the spatial size and a 1×1×1 conv is a per-voxel linear map", () => tidy(() => {
    const same = new Conv({ spatialDims: 3, inChannels: 1, outChannels: 2, kernelSize: [3, 1, 5], padding: 'same' });
    assert.deepEqual(same.forward(ramp([1, 1, 4, 5, 6])).shape, [1, 2, 4, 5, 6]);
    const pointwise = new Conv({ spatialDims: 3, inChannels: 2, outChannels: 1, kernelSize: 1 });
    pointwise.loadStateDict({ weight: tensor([2, -3], { shape: [1, 2, 1, 1, 1] }), bias: tensor([0.5]) });
    const x = ramp([1, 2, 1, 1, 3]);
    const xs = x.toTypedArray<'float32'>();
    const y = pointwise.forward(x).toTypedArray<'float32'>();
    for (let v = 0; v < 3; v++) assert.ok(Math.abs(y[v] - (2 * xs[v] - 3 * xs[3 + v] + 0.5)) < 1e-6, `voxel ${v}: ${y[v]}`);
    same.dispose();
    pointwise.dispose();
  }));

  test("1D: Conv1d's weight shape and bound; a kernel-1 conv is a per-token linear map over channels", () => tidy(() => {
    // The attention layers' qkv projection: C → 3C, stored by PyTorch as a [3C, C, 1] Conv1d weight.
    const qkv = new Conv({ spatialDims: 1, inChannels: 4, outChannels: 12, kernelSize: 1 });
    assert.deepEqual(qkv.namedParameters().map(([k, p]) => `${k} [${p.shape}]`), ['weight [12,4,1]', 'bias [12]']);
    // kaiming_uniform(a = √5) gives U(−1/√fan_in, 1/√fan_in) with fan_in = 4 · 1.
    assert.ok(qkv.weight.abs().max().item() <= 0.5 && qkv.bias!.abs().max().item() <= 0.5);
    const pointwise = new Conv({ spatialDims: 1, inChannels: 2, outChannels: 1, kernelSize: 1 });
    pointwise.loadStateDict({ weight: tensor([2, -3], { shape: [1, 2, 1] }), bias: tensor([0.5]) });
    const x = ramp([1, 2, 5]);
    const xs = x.toTypedArray<'float32'>();
    const y = pointwise.forward(x);
    assert.deepEqual(y.shape, [1, 1, 5]);
    const ys = y.toTypedArray<'float32'>();
    for (let v = 0; v < 5; v++) assert.ok(Math.abs(ys[v] - (2 * xs[v] - 3 * xs[5 + v] + 0.5)) < 1e-6, `token ${v}: ${ys[v]}`);
    const strided = new Conv({ spatialDims: 1, inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1 });
    assert.deepEqual(strided.forward(ramp([2, 2, 9])).shape, [2, 3, 5]);
    assert.throws(() => pointwise.forward(ramp([1, 2, 5, 1])), /Conv.forward: input must be \(N, 2, L\), got shape \[1,2,5,1\]/);
    assert.throws(() => new Conv({ spatialDims: 4 as 3, inChannels: 1, outChannels: 1, kernelSize: 1 }), /Conv: spatialDims must be 1, 2 or 3, got 4/);
    for (const m of [qkv, pointwise, strided]) m.dispose();
  }));
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor, tidy } from '../tensor/index.js';
import { BatchNorm } from './batchNorm.js';

/** An input whose channels differ in mean and spread: x[n, c, v] = (c + 1) · sin(0.37 · i) + c − 1 over the flat index i. */
function input(shape: number[]): Tensor {
  const [, channels] = shape;
  const perChannel = shape.slice(2).reduce((a, b) => a * b, 1);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, (_, i) => {
    const c = Math.floor(i / perChannel) % channels;
    return (c + 1) * Math.sin(0.37 * i) + c - 1;
  }), { shape });
}

/** The values of channel `c` of an (N, C, …) array, over the batch and space. */
function channelValues(values: ArrayLike<number>, shape: number[], c: number): number[] {
  const perChannel = shape.slice(2).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let n = 0; n < shape[0]; n++) for (let v = 0; v < perChannel; v++) out.push(values[(n * shape[1] + c) * perChannel + v]);
  return out;
}

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Σ(x − x̄)² / (n − correction). */
const varianceOf = (xs: number[], correction: number) => {
  const m = meanOf(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - correction);
};

function assertMaps(actual: Tensor, x: Tensor, map: (value: number, channel: number) => number, tolerance: number): void {
  const shape = [...x.shape];
  const xs = x.toTypedArray<'float32'>();
  const ys = actual.toTypedArray<'float32'>();
  assert.deepEqual(actual.shape, x.shape);
  let worst = 0;
  for (let c = 0; c < shape[1]; c++) {
    const inputs = channelValues(xs, shape, c);
    channelValues(ys, shape, c).forEach((y, i) => { worst = Math.max(worst, Math.abs(y - map(inputs[i], c))); });
  }
  assert.ok(worst <= tolerance, `largest difference ${worst} exceeds ${tolerance}`);
}

describe('BatchNorm', () => {
  const weight = [1.5, -0.5, 2];
  const bias = [0.25, 2, -1];

  test('eval: (x − running_mean) / √(running_var + ε) · γ + β per channel, the statistics left as they are', () => tidy(() => {
    const norm = new BatchNorm({ spatialDims: 3, numFeatures: 3, eps: 1e-3 });
    const runningMean = [0.5, -2, 3];
    const runningVar = [4, 0.25, 9];
    norm.loadStateDict({
      weight: tensor(weight), bias: tensor(bias), running_mean: tensor(runningMean), running_var: tensor(runningVar),
      num_batches_tracked: tensor([7], { dtype: 'int64', shape: [] }),
    });
    norm.eval();
    const x = input([2, 3, 2, 3, 2]);
    assertMaps(norm.forward(x), x, (v, c) => (v - runningMean[c]) / Math.sqrt(runningVar[c] + 1e-3) * weight[c] + bias[c], 2e-6);
    assert.deepEqual([...norm.runningMean.toTypedArray()], runningMean);
    assert.equal(norm.stateDict().num_batches_tracked.item(), 7);
    norm.dispose();
  }));

  test('training: the batch\'s mean and biased variance; running statistics move by momentum, the variance unbiased', () => tidy(() => {
    const norm = new BatchNorm({ spatialDims: 2, numFeatures: 3, momentum: 0.25 });
    norm.loadStateDict({ weight: tensor(weight), bias: tensor(bias), running_mean: tensor([0, 0, 0]), running_var: tensor([1, 1, 1]),
      num_batches_tracked: tensor([0], { dtype: 'int64', shape: [] }) });
    const x = input([4, 3, 3, 5]);
    const shape = [...x.shape];
    const perChannel = [0, 1, 2].map((c) => channelValues(x.toTypedArray<'float32'>(), shape, c));
    const mean = perChannel.map(meanOf);
    const biased = perChannel.map((xs) => varianceOf(xs, 0));
    const unbiased = perChannel.map((xs) => varianceOf(xs, 1));
    assertMaps(norm.forward(x), x, (v, c) => (v - mean[c]) / Math.sqrt(biased[c] + 1e-5) * weight[c] + bias[c], 1e-5);
    norm.forward(x);
    // Two steps from (0, 1): m₂ = (1 − (1 − μ)²) · mean, v₂ = (1 − μ)² + (1 − (1 − μ)²) · unbiased variance.
    const kept = 0.75 ** 2;
    norm.runningMean.toTypedArray<'float32'>().forEach((m, c) => assert.ok(Math.abs(m - (1 - kept) * mean[c]) < 1e-5, `running_mean[${c}] ${m}`));
    norm.runningVar.toTypedArray<'float32'>().forEach((v, c) =>
      assert.ok(Math.abs(v - (kept + (1 - kept) * unbiased[c])) < 1e-4, `running_var[${c}] ${v}`));
    assert.equal(norm.stateDict().num_batches_tracked.item(), 2);
    norm.dispose();
  }));

  test('eval passes gradients to the input (scale per channel) and to γ and β, never to the running statistics', () => tidy(() => {
    const norm = new BatchNorm({ spatialDims: 1, numFeatures: 2 }).eval();
    norm.loadStateDict({ weight: tensor([2, -3]), bias: tensor([0, 1]), running_mean: tensor([1, 0]), running_var: tensor([3, 0.5]),
      num_batches_tracked: tensor([1], { dtype: 'int64', shape: [] }) });
    const x = input([2, 2, 4]).requiresGrad_();
    norm.forward(x).sum().backward();
    const scale = [2 / Math.sqrt(3 + 1e-5), -3 / Math.sqrt(0.5 + 1e-5)];
    const grad = x.grad!.toTypedArray<'float32'>();
    grad.forEach((g, i) => assert.ok(Math.abs(g - scale[Math.floor(i / 4) % 2]) < 1e-6, `grad[${i}] ${g}`));
    assert.ok(norm.weight!.grad !== null && norm.bias!.grad !== null);
    assert.equal(norm.runningMean.requiresGrad, false);
    norm.dispose();
  }));

  test("state dict: PyTorch's keys, the batch counter an int64 scalar that keeps its type; without it or the affine map on request", () => tidy(() => {
    const norm = new BatchNorm({ spatialDims: 3, numFeatures: 4 });
    const dict = norm.stateDict();
    assert.deepEqual(Object.entries(dict).map(([k, t]) => `${k} ${t.dtype} [${t.shape}]`),
      ['weight float32 [4]', 'bias float32 [4]', 'running_mean float32 [4]', 'running_var float32 [4]', 'num_batches_tracked int64 []']);
    assert.deepEqual(norm.namedParameters().map(([k]) => k), ['weight', 'bias']);
    norm.to('float64');
    assert.deepEqual(Object.values(norm.stateDict()).map((t) => t.dtype), ['float64', 'float64', 'float64', 'float64', 'int64']);
    const bare = new BatchNorm({ spatialDims: 3, numFeatures: 4, countBatches: false, affine: false });
    assert.deepEqual(Object.keys(bare.stateDict()), ['running_mean', 'running_var']);
    norm.dispose();
    bare.dispose();
  }));

  test('bad options and inputs are refused with the value and what was expected', () => tidy(() => {
    assert.throws(() => new BatchNorm({ spatialDims: 3, numFeatures: 0 }), /BatchNorm: numFeatures must be a positive integer, got 0/);
    assert.throws(() => new BatchNorm({ spatialDims: 3, numFeatures: 2, momentum: 1.5 }), /BatchNorm: momentum must be in \[0, 1\], got 1.5/);
    const norm = new BatchNorm({ spatialDims: 3, numFeatures: 2 });
    assert.throws(() => norm.forward(input([1, 3, 2, 2, 2])), /BatchNorm.forward: input must be \(N, 2, D, H, W\), got shape \[1,3,2,2,2\]/);
    assert.throws(() => norm.forward(input([1, 2, 1, 1, 1])),
      /BatchNorm.forward: training needs more than one value per channel to estimate a variance, got input shape \[1,2,1,1,1\]/);
    assert.equal(norm.eval().forward(input([1, 2, 1, 1, 1])).numel, 2, 'eval mode takes a single value');
    norm.dispose();
  }));
});

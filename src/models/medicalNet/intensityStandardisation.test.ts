import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { full, tensor, tidy } from '../../tensor/index.js';
import { standardiseIntensities } from './intensityStandardisation.js';
import { differences, readMedicalNetFeatures } from './medicalNetFixture.testSupport.js';

describe('standardiseIntensities: MONAI\'s input convention for MedicalNet features', () => {
  test('(x − mean) / unbiased std over the whole tensor, every sample and channel together', () => tidy(() => {
    const values = [0, 1, 2, 3, 10, 20, 30, 40];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    // Two samples of very different scale: one mean and one spread for both, so they do not each become N(0, 1).
    const y = standardiseIntensities(tensor(values, { shape: [2, 1, 2, 2, 1] }));
    assert.deepEqual(y.shape, [2, 1, 2, 2, 1]);
    y.toTypedArray<'float32'>().forEach((v, i) => assert.ok(Math.abs(v - (values[i] - mean) / std) < 1e-6, `element ${i}: ${v}`));
  }));

  test("equals PyTorch's (x - x.mean()) / x.std() on the fixture's two volumes", async () => {
    const { input, standardised, features } = await readMedicalNetFeatures();
    tidy(() => {
      const { abs, within } = differences(standardiseIntensities(input), standardised);
      assert.ok(within, `largest difference ${abs}`);
    });
    for (const t of [input, standardised, features]) t.dispose();
  });

  test('is differentiable: the gradient of Σ y² with respect to x is 0 (scale-free) up to rounding', () => tidy(() => {
    const x = tensor([0.5, 1, 4, 2, 3, 9], { shape: [1, 1, 1, 2, 3] }).requiresGrad_();
    standardiseIntensities(x).square().sum().backward();
    // Σ y² = n − 1 whatever x is, so its gradient vanishes.
    assert.ok(x.grad!.abs().max().item() < 1e-5, `gradient ${x.grad!.toTypedArray()}`);
  }));

  test('refuses a constant input and a single value, naming the shape', () => tidy(() => {
    assert.throws(() => standardiseIntensities(full([1, 1, 2, 2, 2], 3)),
      /standardiseIntensities: the input \(shape \[1,1,2,2,2\]\) is constant \(standard deviation 0\); it has no scale to standardise/);
    assert.throws(() => standardiseIntensities(full([1, 1, 1, 1, 1], 3)), /needs more than one value to estimate a spread, got shape \[1,1,1,1,1\]/);
  }));
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, memory, tensor, tidy, zeros } from '../tensor/index.js';
import { clipGradNorm_ } from './clipGradNorm.js';

const fround = Math.fround;

function withGrad(values: number[], shape = [values.length]): Tensor {
  const param = zeros(shape).requiresGrad_();
  param.grad = tensor(values, { shape });
  return param;
}

function gradOf(param: Tensor): number[] {
  return [...param.grad!.toTypedArray()].map(Number);
}

describe('clipGradNorm_', () => {
  test('scales all gradients by maxNorm/(total + 1e-6) when the joint norm is larger', () => tidy(() => {
    // ‖(3, 4)‖ = 5, ‖(12)‖ = 12, joint ‖(5, 12)‖ = 13 — all exact in float32.
    const a = withGrad([3, 4]);
    const b = withGrad([12]);
    const c = zeros([2]).requiresGrad_();
    assert.equal(clipGradNorm_([a, b, c], 6.5), 13);
    // PyTorch forms the coefficient as (total + 1e-6)⁻¹ · maxNorm, each step in float32.
    const coefficient = fround(fround(1 / fround(13 + fround(1e-6))) * 6.5);
    assert.deepEqual(gradOf(a), [fround(3 * coefficient), fround(4 * coefficient)]);
    assert.deepEqual(gradOf(b), [fround(12 * coefficient)]);
    assert.ok(Math.abs(fround(12 * coefficient) - 6) < 1e-5);
    assert.equal(c.grad, null);
  }));

  test('leaves gradients alone when the joint norm is within maxNorm, and returns 0 with no gradients', () => tidy(() => {
    const a = withGrad([3, 4]);
    assert.equal(clipGradNorm_([a], 5.0001), 5);
    assert.deepEqual(gradOf(a), [3, 4]);
    assert.equal(clipGradNorm_([zeros([3]).requiresGrad_()], 1), 0);
    assert.throws(() => clipGradNorm_([a], 0), /clipGradNorm_: maxNorm must be a finite number > 0, got 0/);
  }));

  test('matches torch.nn.utils.clip_grad_norm_ 1.13 bit for bit on longer gradients', () => tidy(() => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/optim.json', import.meta.url), 'utf8')).clip;
    const a = withGrad(fixture.grad_a, [3, 5]);
    const b = withGrad(fixture.grad_b);
    assert.equal(clipGradNorm_([a, b], fixture.max_norm), fixture.total_norm);
    assert.deepEqual(a.grad!.toTypedArray(), Float32Array.from(fixture.clipped_a));
    assert.deepEqual(b.grad!.toTypedArray(), Float32Array.from(fixture.clipped_b));
  }));

  test('frees everything it creates', () => tidy(() => {
    const a = withGrad([1, 2, 3]);
    const before = memory().numTensors;
    clipGradNorm_([a], 0.5);
    assert.equal(memory().numTensors, before);
  }));
});

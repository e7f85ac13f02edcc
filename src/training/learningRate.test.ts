import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeLearningRate, firstChangedStep, learningRateAt } from './learningRate.js';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) <= 1e-15, `${actual} vs ${expected}`);

describe('learning-rate decay', () => {
  const lr = 1e-3;
  const final = 1e-4;

  test('constant without a decay, as the reference', () => {
    for (const step of [0, 1, 999, 1_200_000]) assert.equal(learningRateAt({ lr }, step), lr);
  });

  test('linear: lr before the window, the straight line inside it, final after it', () => {
    const training = { lr, lrDecay: { shape: 'linear' as const, from: 10, to: 20, final } };
    assert.equal(learningRateAt(training, 9), lr);
    assert.equal(learningRateAt(training, 10), lr);
    close(learningRateAt(training, 15), 5.5e-4); // halfway: (1e-3 + 1e-4) / 2
    close(learningRateAt(training, 19), 1e-4 + 9e-4 * 0.1);
    assert.equal(learningRateAt(training, 20), final);
    assert.equal(learningRateAt(training, 500), final);
  });

  test('cosine: final + (lr − final)·(1 + cos(π·progress))/2', () => {
    const training = { lr, lrDecay: { shape: 'cosine' as const, from: 10, to: 18, final } };
    close(learningRateAt(training, 12), 1e-4 + 9e-4 * (1 + Math.SQRT1_2) / 2); // a quarter of the way: cos(π/4)
    close(learningRateAt(training, 14), 5.5e-4);
    close(learningRateAt(training, 16), 1e-4 + 9e-4 * (1 - Math.SQRT1_2) / 2);
    assert.equal(learningRateAt(training, 18), final);
  });

  test('guided-diffusion\'s lr_anneal_steps = N is a linear decay from step 0 to N down to zero', () => {
    const training = { lr, lrDecay: { shape: 'linear' as const, from: 0, to: 4, final: 0 } };
    assert.deepEqual([0, 1, 2, 3, 4].map((step) => learningRateAt(training, step)), [1e-3, 7.5e-4, 5e-4, 2.5e-4, 0]);
  });

  test('firstChangedStep finds the first of the steps taken whose rate a new schedule changes', () => {
    const constant = { lr };
    const late = { lr, lrDecay: { shape: 'cosine' as const, from: 5, to: 9, final: 0 } };
    // At its first step a decay still gives lr, so a window opening at 5 first changes step 6.
    assert.equal(firstChangedStep(constant, late, 6), undefined);
    assert.equal(firstChangedStep(constant, late, 7), 6);
    assert.equal(firstChangedStep(late, { ...late, lrDecay: { ...late.lrDecay, to: 12 } }, 6), undefined);
    assert.equal(firstChangedStep(late, { ...late, lrDecay: { ...late.lrDecay, to: 12 } }, 8), 6);
    assert.equal(firstChangedStep(constant, { lr: 2e-3 }, 1), 0);
  });

  test('describeLearningRate', () => {
    assert.equal(describeLearningRate({ lr: 2e-4 }), 'constant 0.0002');
    assert.equal(describeLearningRate({ lr: 2e-4, lrDecay: { shape: 'cosine', from: 5000, to: 8000, final: 0 } }),
      '0.0002, cosine decay to 0 over steps 5000–8000');
  });
});

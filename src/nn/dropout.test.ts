import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, ones, tidy } from '../tensor/index.js';
import { Dropout } from './dropout.js';

describe('Dropout', () => {
  test('in training, zeroes some elements and scales the rest by 1/(1−p); in eval, passes values through', () => tidy(() => {
    const drop = new Dropout(0.25, new Generator(5));
    const y = [...drop.forward(ones([4000])).toTypedArray()];
    assert.ok(y.every((v) => v === 0 || v === Math.fround(1 / 0.75)));
    const kept = y.filter((v) => v !== 0).length / y.length;
    assert.ok(Math.abs(kept - 0.75) < 0.03, `kept fraction ${kept}`);
    drop.eval();
    assert.deepEqual([...drop.forward(ones([5])).toTypedArray()], [1, 1, 1, 1, 1]);
  }));

  test('the same generator seed gives the same mask', () => tidy(() => {
    const a = new Dropout(0.5, new Generator(11)).forward(ones([64])).toTypedArray();
    const b = new Dropout(0.5, new Generator(11)).forward(ones([64])).toTypedArray();
    assert.deepEqual(a, b);
    assert.throws(() => new Dropout(1), /Dropout: p must be in \[0, 1\), got 1/);
  }));
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../tensor/index.js';
import { timestepEmbedding } from './timestepEmbedding.js';

describe('timestepEmbedding', () => {
  test('cosines then sines of t·exp(−ln(10000)·k/half), k = 0…half−1, for raw timestep indices', () => {
    tidy(() => {
      const steps = [0, 1, 437, 999];
      const dim = 64;
      const half = dim / 2;
      const emb = timestepEmbedding(tensor(steps, { dtype: 'int64' }), dim);
      assert.deepEqual(emb.shape, [4, dim]);
      assert.equal(emb.dtype, 'float32');
      const values = emb.toTypedArray<'float32'>();
      let maxError = 0;
      steps.forEach((t, row) => {
        for (let k = 0; k < half; k++) {
          const arg = t * Math.exp((-Math.log(10000) * k) / half);
          maxError = Math.max(maxError,
            Math.abs(values[row * dim + k] - Math.cos(arg)), Math.abs(values[row * dim + half + k] - Math.sin(arg)));
        }
      });
      // float32 arguments of up to 999 radians carry an absolute error of about 1e-4.
      assert.ok(maxError < 2e-4, `max error ${maxError}`);
      assert.deepEqual([...values.subarray(0, dim)], [...Array(half).fill(1), ...Array(half).fill(0)]);
    });
  });

  test('integer and float timesteps give the same embedding', () => {
    tidy(() => {
      const a = timestepEmbedding(tensor([3, 500, 999], { dtype: 'int64' }), 32).toTypedArray<'float32'>();
      const b = timestepEmbedding(tensor([3, 500, 999], { dtype: 'float32' }), 32).toTypedArray<'float32'>();
      assert.deepEqual(a, b);
    });
  });

  test('an odd width gets one zero column at the end', () => {
    tidy(() => {
      const emb = timestepEmbedding(tensor([7, 11], { dtype: 'int64' }), 9);
      assert.deepEqual(emb.shape, [2, 9]);
      const even = timestepEmbedding(tensor([7, 11], { dtype: 'int64' }), 8).toTypedArray<'float32'>();
      const values = emb.toTypedArray<'float32'>();
      for (let row = 0; row < 2; row++) {
        assert.deepEqual([...values.subarray(row * 9, row * 9 + 8)], [...even.subarray(row * 8, row * 8 + 8)]);
        assert.equal(values[row * 9 + 8], 0);
      }
    });
  });

  test('refuses timesteps that are not a rank-1 numeric tensor', () => {
    tidy(() => {
      assert.throws(() => timestepEmbedding(tensor([[1, 2]], { dtype: 'int64' }), 8),
        /timestepEmbedding: timesteps must be a rank-1 tensor of int64\/int32\/float32\/float64, got int64 shape \[1,2\]/);
      assert.throws(() => timestepEmbedding(tensor([1]), 1), /timestepEmbedding: dim must be an integer ≥ 2, got 1/);
    });
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, noGrad, randn, tensor, tidy, zeros } from '../../tensor/index.js';
import { Downsample } from './downsample.js';

test("Downsample: key 'op' (3×3×3, stride 2, padding 1) halves every axis, rounding up; refuses other channels", () => {
  const down = new Downsample(2);
  assert.deepEqual(down.namedParameters().map(([k, p]) => `${k} [${p.shape}]`), ['op.weight [2,2,3,3,3]', 'op.bias [2]']);
  tidy(() => {
    assert.deepEqual(noGrad(() => down.forward(randn([1, 2, 4, 6, 8]))).shape, [1, 2, 2, 3, 4]);
    assert.deepEqual(noGrad(() => down.forward(randn([1, 2, 5, 6, 7]))).shape, [1, 2, 3, 3, 4]);
    // A kernel with only its centre tap set (one per channel) picks voxel (2z, 2y, 2x): the padding of 1 puts
    // the centre of output voxel i over input voxel 2i, on every axis (the reference's stride is 2 on all three).
    const w = new Float32Array(2 * 2 * 27);
    for (let c = 0; c < 2; c++) w[(c * 2 + c) * 27 + 13] = 1;
    down.loadStateDict({ 'op.weight': tensor(w, { shape: [2, 2, 3, 3, 3] }), 'op.bias': zeros([2]) });
    const x = arange(0, 2 * 4 * 6 * 8, 1, { dtype: 'float32' }).reshape([1, 2, 4, 6, 8]);
    const xs = x.toTypedArray<'float32'>(), os = noGrad(() => down.forward(x)).toTypedArray<'float32'>();
    for (let c = 0; c < 2; c++) for (let z = 0; z < 2; z++) for (let y = 0; y < 3; y++) for (let xx = 0; xx < 4; xx++) {
      assert.equal(os[((c * 2 + z) * 3 + y) * 4 + xx], xs[((c * 4 + 2 * z) * 6 + 2 * y) * 8 + 2 * xx]);
    }
    assert.throws(() => down.forward(randn([1, 3, 2, 2, 2])), /Downsample\.forward: x must be \(N, 2, D, H, W\), got shape \[1,3,2,2,2\]/);
  });
  down.dispose();
});

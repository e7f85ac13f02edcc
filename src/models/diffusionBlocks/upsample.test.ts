import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arange, noGrad, randn, tensor, tidy, zeros } from '../../tensor/index.js';
import { Upsample } from './upsample.js';

/** A 3×3×3 kernel that copies each channel's centre voxel: the conv then passes its input through. */
function identityKernel(channels: number) {
  const w = new Float32Array(channels * channels * 27);
  for (let c = 0; c < channels; c++) w[(c * channels + c) * 27 + 13] = 1;
  return tensor(w, { shape: [channels, channels, 3, 3, 3] });
}

test("Upsample: key 'conv' (3×3×3); doubles every axis by nearest neighbour before the conv; refuses other channels", () => {
  const up = new Upsample(2);
  assert.deepEqual(up.namedParameters().map(([k, p]) => `${k} [${p.shape}]`), ['conv.weight [2,2,3,3,3]', 'conv.bias [2]']);
  tidy(() => {
    assert.deepEqual(noGrad(() => up.forward(randn([1, 2, 3, 5, 4]))).shape, [1, 2, 6, 10, 8]);
    up.loadStateDict({ 'conv.weight': identityKernel(2), 'conv.bias': zeros([2]) });
    const x = arange(0, 2 * 2 * 3 * 4, 1, { dtype: 'float32' }).reshape([1, 2, 2, 3, 4]);
    const out = noGrad(() => up.forward(x));
    assert.deepEqual(out.shape, [1, 2, 4, 6, 8]);
    const xs = x.toTypedArray<'float32'>(), os = out.toTypedArray<'float32'>();
    // out[c, z, y, x] = in[c, ⌊z/2⌋, ⌊y/2⌋, ⌊x/2⌋] (the identity kernel's padding never reaches the centre tap).
    for (let c = 0; c < 2; c++) for (let z = 0; z < 4; z++) for (let y = 0; y < 6; y++) for (let xx = 0; xx < 8; xx++) {
      assert.equal(os[((c * 4 + z) * 6 + y) * 8 + xx], xs[((c * 2 + (z >> 1)) * 3 + (y >> 1)) * 4 + (xx >> 1)]);
    }
    assert.throws(() => up.forward(randn([1, 3, 2, 2, 2])), /Upsample\.forward: x must be \(N, 2, D, H, W\), got shape \[1,3,2,2,2\]/);
  });
  up.dispose();
});

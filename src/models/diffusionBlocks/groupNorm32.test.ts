import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F, memory, randn, tidy } from '../../tensor/index.js';
import { GroupNorm32 } from './groupNorm32.js';

test('GroupNorm32: plain GroupNorm in float32; in bfloat16, the float32 result rounded once, in the input dtype', () => {
  const norm = new GroupNorm32(2, 4);
  const before = memory().numTensors;
  tidy(() => {
    const x = randn([1, 4, 3, 3, 3]).mul(5).add(2);
    assert.deepEqual(norm.forward(x).toTypedArray(), F.groupNorm(x, 2, norm.weight, norm.bias).toTypedArray());
    const xb = x.to('bfloat16');
    norm.to('bfloat16');
    const out = norm.forward(xb);
    assert.equal(out.dtype, 'bfloat16');
    const expected = F.groupNorm(xb.float(), 2, norm.weight!.float(), norm.bias!.float()).to('bfloat16');
    assert.deepEqual(out.toTypedArray(), expected.toTypedArray());
  });
  assert.equal(memory().numTensors, before);
  norm.dispose();
});

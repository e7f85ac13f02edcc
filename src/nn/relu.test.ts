import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../tensor/index.js';
import { Conv } from './conv.js';
import { LeakyReLU } from './leakyRelu.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

describe('ReLU and LeakyReLU modules', () => {
  test('map values as F.relu / F.leakyRelu and have no parameters', () => tidy(() => {
    const x = tensor([-2, -0.5, 0, 1.5]);
    assert.deepEqual([...new ReLU().forward(x).toTypedArray()], [0, 0, 0, 1.5]);
    assert.deepEqual([...new LeakyReLU(0.2).forward(x).toTypedArray()], [-0.4, -0.1, 0, 1.5].map(Math.fround));
    assert.deepEqual([...new LeakyReLU().forward(x).toTypedArray()], [-0.02, -0.005, 0, 1.5].map(Math.fround));
    assert.equal(new ReLU().numParameters() + new LeakyReLU().numParameters(), 0);
    assert.throws(() => new LeakyReLU(Number.NaN), /LeakyReLU: negativeSlope must be a finite number, got NaN/);
  }));

  test('hold their positions in a Sequential, so the next layer keys as in PyTorch', () => tidy(() => {
    const conv = (cin: number, cout: number) => new Conv({ spatialDims: 3, inChannels: cin, outChannels: cout, kernelSize: 1 });
    const model = new Sequential(conv(1, 2), new LeakyReLU(0.2), conv(2, 2), new ReLU(), conv(2, 1));
    assert.deepEqual(Object.keys(model.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias']);
    model.dispose();
  }));
});

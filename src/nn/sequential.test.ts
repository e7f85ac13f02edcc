import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, tensor, tidy } from '../tensor/index.js';
import { Identity } from './identity.js';
import { Linear } from './linear.js';
import { Sequential } from './sequential.js';
import { SiLU } from './silu.js';

describe('Sequential', () => {
  test('applies its layers in order under the keys 0, 1, …', () => tidy(() => {
    const first = new Linear(2, 2);
    const second = new Linear(2, 1, { bias: false });
    first.loadStateDict({ weight: tensor([[1, 0], [0, -1]]), bias: tensor([0, 1]) });
    second.loadStateDict({ weight: tensor([[2, 3]]) });
    const model = new Sequential(first, new SiLU(), new Identity()).append(second);
    assert.equal(model.length, 4);
    assert.equal(model.at(-1), second);
    assert.deepEqual(Object.keys(model.stateDict()), ['0.weight', '0.bias', '3.weight']);
    // x = (1, 2): first → (1, −1); SiLU → (σ(1), −σ(−1)); second → 2σ(1) − 3σ(−1).
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const y = model.forward(tensor([[1, 2]])).item();
    assert.ok(Math.abs(y - (2 * sigmoid(1) - 3 * sigmoid(-1))) < 1e-6, `got ${y}`);
    assert.throws(() => model.at(4), /Sequential.at: index 4 out of range for 4 layers/);
    model.dispose();
  }));

  test('forward leaves only its output alive, and gradients still flow through the freed intermediates', () => {
    const model = new Sequential(new Linear(3, 3), new SiLU(), new Linear(3, 1));
    const x = tensor([[0.5, -1, 2]]);
    const before = memory().numTensors;
    const y = model.forward(x);
    assert.equal(memory().numTensors, before + 1);
    y.backward();
    const grad = model.at(0).parameters()[0].grad!;
    assert.ok(Math.abs(grad.sum().item()) > 0);
    y.dispose();
    x.dispose();
    model.dispose();
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../tensor/index.js';
import { DataOrder } from './dataOrder.js';

describe('DataOrder', () => {
  test('visits every case once per epoch, in a new seeded order each epoch, carrying batches across epochs', () => {
    const order = new DataOrder(5, new Generator(3));
    const drawn = [order.next(2), order.next(2), order.next(2), order.next(4)].flat();
    assert.deepEqual([...drawn.slice(0, 5)].sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual([...drawn.slice(5, 10)].sort(), [0, 1, 2, 3, 4]);
    assert.notDeepEqual(drawn.slice(0, 5), drawn.slice(5, 10));
    assert.deepEqual({ epoch: order.state.epoch, index: order.state.index }, { epoch: 1, index: 5 });
    const again = new DataOrder(5, new Generator(3));
    assert.deepEqual(again.next(10), drawn);
  });

  test('a restored position with its generator state continues exactly', () => {
    const generator = new Generator(8);
    const order = new DataOrder(4, generator);
    order.next(6);
    const state = order.state;
    const generatorState = generator.getState();
    const expected = order.next(7);

    const other = new Generator(99);
    const resumed = new DataOrder(4, other);
    other.setState(generatorState);
    resumed.restore(JSON.parse(JSON.stringify(state)), 'test');
    assert.deepEqual(resumed.next(7), expected);
  });

  test('a position that does not fit the cases is refused', () => {
    const order = new DataOrder(3, new Generator(1));
    assert.throws(() => order.restore({ epoch: 0, index: 1, order: [0, 1, 2, 3] }, 'ckpt'),
      /DataOrder.restore\(ckpt\): expected a position in a permutation of 3 cases, got epoch 0, index 1, order of 4 entries/);
  });
});

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NumpyRandomState } from './randomState.js';

// Produced by fixtures/numpy-random.py with NumPy's legacy RandomState (see the script for how to regenerate).
interface Fixture {
  random_state: { seed: number; raw_uint32: number[]; randint: { low: number; high: number; values: number[] }[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/numpy-random.json', import.meta.url), 'utf8')) as Fixture;

describe('NumpyRandomState', () => {
  for (const { seed, raw_uint32, randint } of fixture.random_state) {
    test(`seed ${seed}: raw 32-bit draws and a sequence of randint calls equal NumPy's`, () => {
      const rs = new NumpyRandomState(seed);
      assert.deepEqual(rs.randint(0, 2 ** 32, raw_uint32.length), raw_uint32);
      for (const { low, high, values } of randint) {
        assert.deepEqual(rs.randint(low, high, values.length), values, `randint(${low}, ${high}, ${values.length})`);
      }
    });
  }
  test('seed 123456, randint(0, 4): the first 20 draws quoted in the cWDM reference notes', () => {
    assert.deepEqual(new NumpyRandomState(123456).randint(0, 4, 20), [1, 2, 2, 1, 0, 3, 3, 3, 3, 0, 3, 0, 0, 2, 2, 0, 3, 0, 3, 3]);
  });
  test('rejects what NumPy would reject or what is not reproduced', () => {
    assert.throws(() => new NumpyRandomState(1.5), /NumpyRandomState: seed must be an integer in \[0, 2\^32-1\] as np.random.seed requires, got 1.5/);
    assert.throws(() => new NumpyRandomState(0).randint(3, 3, 1), /need integers low < high, got low=3, high=3/);
    assert.throws(() => new NumpyRandomState(0).randint(0, 2 ** 33, 1), /ranges wider than 2\^32/);
  });
});

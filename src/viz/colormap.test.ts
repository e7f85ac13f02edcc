import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { errorColour } from './colormap.js';

const luminance = ([r, g, b]: readonly number[]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

describe('errorColour', () => {
  test('runs from black to white and clamps outside [0, 1]', () => {
    assert.deepEqual(errorColour(0), [0, 0, 0]);
    assert.deepEqual(errorColour(1), [255, 255, 255]);
    assert.deepEqual(errorColour(-3), [0, 0, 0]);
    assert.deepEqual(errorColour(7), [255, 255, 255]);
  });

  test('brightness rises monotonically and the middle is coloured, not gray', () => {
    let previous = -1;
    for (let i = 0; i <= 100; i++) {
      const l = luminance(errorColour(i / 100));
      assert.ok(l >= previous, `luminance drops at t=${i / 100}`);
      previous = l;
    }
    const [r, g, b] = errorColour(0.5);
    assert.ok(r > g && g > b, `mid colour [${r},${g},${b}] should be orange-red`);
  });
});

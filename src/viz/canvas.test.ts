import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { Canvas } from './canvas.js';
import { glyphFor } from './bitmapFont.js';

function pixel(png: PNG, x: number, y: number): number[] {
  const at = (y * png.width + x) * 4;
  return [png.data[at], png.data[at + 1], png.data[at + 2]];
}

describe('Canvas', () => {
  test('round-trips rectangles through PNG encoding', () => {
    const canvas = new Canvas(7, 5, [10, 20, 30]);
    canvas.fillRect(2, 1, 3, 2, [200, 100, 50]);
    canvas.fillRect(5, 4, 10, 10, [1, 2, 3]); // runs off the edge: clipped, not an error
    const png = PNG.sync.read(Buffer.from(canvas.encodePng()));
    assert.equal(png.width, 7);
    assert.equal(png.height, 5);
    assert.deepEqual(pixel(png, 0, 0), [10, 20, 30]);
    assert.deepEqual(pixel(png, 2, 1), [200, 100, 50]);
    assert.deepEqual(pixel(png, 4, 2), [200, 100, 50]);
    assert.deepEqual(pixel(png, 5, 2), [10, 20, 30]);
    assert.deepEqual(pixel(png, 6, 4), [1, 2, 3]);
  });

  test('drawText puts the glyph bitmap on the canvas at the given scale', () => {
    const canvas = new Canvas(40, 20, [0, 0, 0]);
    const drawn = canvas.drawText('T', 3, 2, [255, 255, 255], 2);
    assert.equal(drawn, 10);
    const rows = glyphFor('T');
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 10; x++) {
        const ink = ((rows[y >> 1] >> (4 - (x >> 1))) & 1) === 1;
        const at = ((2 + y) * 40 + 3 + x) * 4;
        assert.equal(canvas.rgba[at], ink ? 255 : 0, `pixel (${x},${y}) of the glyph`);
      }
    }
  });

  test('rejects a non-integer size with the value in the message', () => {
    assert.throws(() => new Canvas(0, 3, [0, 0, 0]), /Canvas: width and height must be positive integers, got 0x3/);
  });
});

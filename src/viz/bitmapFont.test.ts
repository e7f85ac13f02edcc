import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { glyphFor, hasGlyph, textWidth, GLYPH_HEIGHT, GLYPH_ADVANCE } from './bitmapFont.js';

const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

describe('bitmap-font', () => {
  test('covers every printable ASCII character with a full-height glyph', () => {
    for (const char of printable) {
      assert.ok(hasGlyph(char), `missing glyph for '${char}'`);
      assert.equal(glyphFor(char).length, GLYPH_HEIGHT);
    }
  });

  test('every glyph but the space has ink, and no two characters look the same', () => {
    const seen = new Map<string, string>();
    for (const char of printable) {
      const key = glyphFor(char).join(',');
      if (char !== ' ') assert.ok(glyphFor(char).some((row) => row !== 0), `glyph '${char}' is blank`);
      assert.equal(seen.get(key), undefined, `'${char}' looks like '${seen.get(key)}'`);
      seen.set(key, char);
    }
  });

  test("'T' is a full top bar over a centred stem; an unknown character is a hollow box", () => {
    assert.deepEqual(glyphFor('T').slice(0, 7), [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100]);
    assert.deepEqual(glyphFor('é').slice(0, 7), [0b11111, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11111]);
  });

  test('textWidth counts advances without the trailing gap and scales', () => {
    assert.equal(textWidth(''), 0);
    assert.equal(textWidth('A'), 5);
    assert.equal(textWidth('AB', 2), (2 * GLYPH_ADVANCE - 1) * 2);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stableUnit } from './stableUnit.js';

test('stableUnit is the first 48 bits of SHA-256 over the JSON key, scaled to [0, 1)', () => {
  const hex = createHash('sha256').update('[42,"split","BraTS-GLI-00000"]').digest('hex').slice(0, 12);
  assert.equal(stableUnit(42, 'split', 'BraTS-GLI-00000'), parseInt(hex, 16) / 2 ** 48);
});

test('stableUnit separates keys that concatenate to the same text and spreads uniformly', () => {
  assert.notEqual(stableUnit(1, 'a-b', 'c'), stableUnit(1, 'a', 'b-c'));
  const bins = new Array<number>(10).fill(0);
  for (let i = 0; i < 5000; i++) bins[Math.floor(stableUnit(9, `case-${i}`) * 10)]++;
  // 500 expected per bin, sd about 21; 5 sd either way.
  for (const count of bins) assert.ok(count > 394 && count < 606, `bin count ${count}`);
});

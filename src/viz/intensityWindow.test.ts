import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { errorWindow, grayLevel, intensityWindow, parseWindowSpec } from './intensityWindow.js';

/** 1000 nonzero voxels 1, 2, …, 1000 among 500 background zeros. */
function ramp(): Float32Array {
  const data = new Float32Array(1500);
  for (let i = 0; i < 1000; i++) data[500 + i] = i + 1;
  return data;
}

describe('intensityWindow', () => {
  test('p0.5/p99.5 of the nonzero voxels of a ramp, background ignored', () => {
    // Linear interpolation between ranks: h = q·(n − 1) = 0.005·999 = 4.995 → 1 + 4.995; likewise 995.005.
    const window = intensityWindow(ramp(), { kind: 'percentile', low: 0.5, high: 99.5 });
    assert.ok(Math.abs(window.low - 5.995) < 1e-9, `low ${window.low}`);
    assert.ok(Math.abs(window.high - 995.005) < 1e-9, `high ${window.high}`);
  });

  test('values at or beyond the percentiles clip to 0 and 255, the middle is mid-gray', () => {
    const window = intensityWindow(ramp());
    const levels = Array.from(ramp(), (v) => grayLevel(v, window));
    assert.deepEqual(levels.slice(500, 505), [0, 0, 0, 0, 0]); // values 1..5, below p0.5
    assert.deepEqual(levels.slice(1495), [255, 255, 255, 255, 255]); // values 996..1000, above p99.5
    assert.equal(grayLevel(5.995, window), 0);
    assert.equal(grayLevel(995.005, window), 255);
    assert.equal(grayLevel((5.995 + 995.005) / 2, window), 128); // 127.5 rounds up
    assert.equal(grayLevel(5.995 + 989.01 / 255, window), 1); // one gray step above the low bound
    for (let i = 1; i < levels.length; i++) assert.ok(levels[i] >= levels[i - 1], 'gray levels follow the ramp');
  });

  test('an all-zero volume and a constant volume still give usable windows', () => {
    assert.deepEqual(intensityWindow(new Float32Array(8)), { low: 0, high: 1 });
    const constant = intensityWindow(new Float32Array(8).fill(3));
    assert.equal(grayLevel(3, constant), 255);
    assert.equal(grayLevel(0, constant), 0);
  });

  test('errorWindow starts at zero and ends at the high percentile', () => {
    const window = errorWindow(ramp());
    assert.equal(window.low, 0);
    assert.ok(Math.abs(window.high - 995.005) < 1e-9);
  });
});

describe('parseWindowSpec', () => {
  test('reads percentile and absolute windows', () => {
    assert.deepEqual(parseWindowSpec('p0.5,p99.5'), { kind: 'percentile', low: 0.5, high: 99.5 });
    assert.deepEqual(parseWindowSpec('p2, p98'), { kind: 'percentile', low: 2, high: 98 });
    assert.deepEqual(parseWindowSpec('-100,1200'), { kind: 'absolute', low: -100, high: 1200 });
  });

  test('rejects malformed windows, naming the value', () => {
    assert.throws(() => parseWindowSpec('p1'), /parseWindowSpec: expected 'pLOW,pHIGH'.*got 'p1'/);
    assert.throws(() => parseWindowSpec('p1,99'), /got 'p1,99'/);
    assert.throws(() => parseWindowSpec('p,p9'), /got 'p,p9'/);
    assert.throws(() => parseWindowSpec('p5,p1'), /low bound must be below the high bound, got 'p5,p1'/);
    assert.throws(() => parseWindowSpec('p1,p101'), /percentiles must lie in \[0, 100\], got 'p1,p101'/);
  });
});

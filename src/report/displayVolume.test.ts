import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNifti } from '../io/nifti/index.js';
import type { Volume } from '../volume/index.js';
import { displayCopy } from './index.js';

const affine = new Float64Array([-2, 0, 0, 40, 0, 2.5, 0, -30, 0, 0, 3, 7, 0, 0, 0, 1]);

/** The gzip NIfTI a display-copy script hands to the page, read back by our own NIfTI reader. */
function readBack(script: string) {
  const match = /^mrsynthReport\.addVolume\("([^"]+)", "([A-Za-z0-9+/=]+)"\);\n$/.exec(script);
  assert.ok(match, 'a single addVolume call with a base64 string');
  return { key: match[1], image: parseNifti(new Uint8Array(Buffer.from(match[2], 'base64')), 'display copy') };
}

describe('displayCopy', () => {
  test('stores int16 with a scaling spanning the volume: every voxel back within half a step, geometry kept', () => {
    const data = Float32Array.from({ length: 5 * 6 * 7 }, (_, i) => Math.sin(i * 0.7) * 123.4 + 1000);
    const volume: Volume = { data, shape: [5, 6, 7], affine };
    const copy = displayCopy('v0', volume);
    const { key, image } = readBack(copy.script);
    assert.equal(key, 'v0');
    assert.equal(image.header.datatype, 'int16');
    assert.deepEqual([...image.volume.shape], [5, 6, 7]);
    assert.deepEqual([...image.volume.affine].map((v) => Number(v.toFixed(5))), [...affine]);
    const largest = Math.max(...data.map((v, i) => Math.abs(v - image.volume.data[i])));
    assert.ok(largest <= copy.step / 2 + 1e-3, `largest error ${largest}, step ${copy.step}`);
    assert.ok(Math.abs(copy.step - (Math.max(...data) - Math.min(...data)) / 65534) < 1e-9);
  });

  test('a constant volume is kept exactly; a non-finite voxel is refused by name', () => {
    const constant = displayCopy('c', { data: new Float32Array(8).fill(0.25), shape: [2, 2, 2], affine });
    assert.deepEqual([...readBack(constant.script).image.volume.data], new Array(8).fill(0.25));
    assert.equal(constant.step, 0);
    const bad = new Float32Array(8);
    bad[3] = NaN;
    assert.throws(() => displayCopy('broken', { data: bad, shape: [2, 2, 2], affine }), /displayCopy: broken holds .*non-finite/);
  });

  test('a key cannot break out of the script', () => {
    const { key } = readBack(displayCopy('a"b', { data: new Float32Array(8), shape: [2, 2, 2], affine }).script.replace('"a\\"b"', '"ab"'));
    assert.equal(key, 'ab');
    assert.match(displayCopy('a"b', { data: new Float32Array(8), shape: [2, 2, 2], affine }).script, /^mrsynthReport\.addVolume\("a\\"b", /);
  });
});

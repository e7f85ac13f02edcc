import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { gunzipExact, gunzipHead, isGzip, maxInflatedBytes } from './gzip.js';

const text = new TextEncoder().encode('header bytes, then voxels '.repeat(400));

test('isGzip looks at the magic bytes 1f 8b only', () => {
  assert.equal(isGzip(gzipSync(text)), true);
  assert.equal(isGzip(text), false);
  assert.equal(isGzip(new Uint8Array([0x1f])), false);
});

test('gunzipExact returns the data when it has exactly the expected size', () => {
  assert.deepEqual(new Uint8Array(gunzipExact(gzipSync(text), text.length, 'f.nii.gz')), text);
});

test('gunzipExact reports a stream shorter than the header implies', () => {
  assert.throws(() => gunzipExact(gzipSync(text), text.length + 1, 'f.nii.gz'),
    new RegExp(`f\\.nii\\.gz: gzip data inflates to ${text.length} bytes, but .* = ${text.length + 1}`));
});

test('a bomb (16 MiB of zeros in ~16 KiB) stops at the expected size instead of inflating it all', () => {
  const bomb = gzipSync(new Uint8Array(16 * 2 ** 20), { level: 9 });
  assert.ok(bomb.length < 20_000);
  // "more than": zlib stopped at the output limit (a full inflate would report the 16 MiB it found).
  // How long the refusal takes: npm run bench:data.
  assert.throws(() => gunzipExact(bomb, 1000, 'bomb.nii.gz'), /bomb\.nii\.gz: gzip data inflates to more than the 1000 bytes/);
});

test('a header claiming more than the compressed bytes could ever hold is refused before inflating', () => {
  const small = gzipSync(text);
  assert.throws(() => gunzipExact(small, maxInflatedBytes(small.length) + 1, 'claim.nii.gz'),
    /claim\.nii\.gz: \d+ compressed bytes cannot hold the \d+ bytes the header implies/);
});

test('the deflate bound holds for zlib\'s best compression of zeros', () => {
  const zeros = new Uint8Array(8 * 2 ** 20);
  assert.ok(maxInflatedBytes(gzipSync(zeros, { level: 9 }).length) >= zeros.length);
});

test('corrupt gzip data is an Error naming the file and zlib\'s complaint', () => {
  const bad = gzipSync(text);
  bad[12] ^= 0xff;
  bad[13] ^= 0xff;
  assert.throws(() => gunzipExact(bad, text.length, 'bad.nii.gz'), /bad\.nii\.gz: gzip data is corrupt \(zlib: /);
});

test('gunzipHead inflates a truncated stream up to where it ends, and only what is wanted', () => {
  const big = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24);
  const compressed = gzipSync(big);
  const head = gunzipHead(compressed.subarray(0, compressed.length / 2), 544, 'half.nii.gz');
  assert.deepEqual(new Uint8Array(head), big.subarray(0, 544));
  const all = gunzipHead(gzipSync(text.subarray(0, 100)), 544, 'short.nii.gz');
  assert.deepEqual(new Uint8Array(all), text.subarray(0, 100));
});

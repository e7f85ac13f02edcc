import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRegularFile } from './regularFile.js';

test('a path with a NUL byte (from a manifest, say) is refused with an Error naming it, not a TypeError', async () => {
  await assert.rejects(readRegularFile('/data/case\u0000_t1.nii'), (error: Error) =>
    error.constructor === Error && /^"\/data\/case\\u0000_t1\.nii": a path cannot contain a NUL byte$/.test(error.message));
  await assert.rejects(readRegularFile(''), /^Error: "": the path is empty$/);
});

test('a file that opens but cannot be read (/proc/self/mem) gives an error naming it', async () => {
  await assert.rejects(readRegularFile('/proc/self/mem'), /^Error: \/proc\/self\/mem: EIO: i\/o error, read$/);
});

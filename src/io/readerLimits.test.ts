import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DEFAULT_READER_LIMITS, overLimit, parseLimits, readerLimits, resetReaderLimits, setReaderLimits } from './readerLimits.js';

test('parseLimits reads NAME=VALUE lists with binary units and exponents', () => {
  assert.deepEqual(parseLimits('niftiBytes=2GiB, pickleValues=5e7', 'x'), { niftiBytes: 2 * 2 ** 30, pickleValues: 5e7 });
  assert.deepEqual(parseLimits(['zipEntries=10', 'zipEntryBytes=1.5MiB'], 'x'), { zipEntries: 10, zipEntryBytes: 1.5 * 2 ** 20 });
  assert.deepEqual(parseLimits('', 'x'), {});
});

test('parseLimits names the origin, the setting and what was expected', () => {
  assert.throws(() => parseLimits('pickleValues', '--limit'), /--limit: "pickleValues" is not NAME=VALUE; the limits are niftiBytes, /);
  assert.throws(() => parseLimits('pickles=3', '--limit'), /--limit: "pickles" is not a limit; the limits are /);
  assert.throws(() => parseLimits('zipEntries=-1', 'MRSYNTH_LIMITS'), /MRSYNTH_LIMITS: zipEntries=-1: expected a whole number ≥ 1/);
  assert.throws(() => parseLimits('zipEntries=0.5', 'x'), /zipEntries=0\.5: expected a whole number/);
  assert.throws(() => parseLimits('niftiBytes=1000TiB', 'x'), /niftiBytes=1000TiB is above what this process can hold/);
});

test('limits come from the defaults, then MRSYNTH_LIMITS, then setReaderLimits', () => {
  resetReaderLimits();
  assert.deepEqual(readerLimits(), DEFAULT_READER_LIMITS);
  setReaderLimits({ zipEntries: 7 });
  assert.equal(readerLimits().zipEntries, 7);
  assert.match(overLimit('f.pt', 'zipEntries', 'it has 9'), /^f\.pt: it has 9, more than the limit zipEntries=7; if you trust the file, raise it with --limit zipEntries=N/);
  resetReaderLimits();
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    `import { readerLimits } from ${JSON.stringify(new URL('./readerLimits.ts', import.meta.url).pathname)};
     console.log(JSON.stringify(readerLimits()));`], { encoding: 'utf8', env: { ...process.env, MRSYNTH_LIMITS: 'pickleValues=123' } });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), { ...DEFAULT_READER_LIMITS, pickleValues: 123 });
});

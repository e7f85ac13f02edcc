/**
 * The seeded fuzz run of the test suite: a few hundred mutated inputs per reader of untrusted files (scripts/fuzz.mjs,
 * over the built dist/), each run in a worker process under time and memory budgets; every outcome must be a clean
 * error naming the file or a finite result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';

test('npm run fuzz at 200 inputs per reader (seed 7): every input gives a clean, named error or a finite result', () => {
  const result = spawnSync(process.execPath, [join(packageRoot(), 'scripts', 'fuzz.mjs'), '200', '7'], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  for (const reader of ['nifti', 'nifti.gz', 'safetensors', 'torch', 'run.json', 'manifest']) {
    const row = result.stdout.split('\n').find((line) => line.startsWith(`${reader} `));
    assert.ok(row !== undefined, `a row for ${reader}`);
    const [error, accepted, , , bad] = row.trim().split(/\s+/).slice(1);
    assert.equal(Number(error) + Number(accepted), 200, `${reader}: every input classified as good: ${row}`);
    assert.equal(Number(bad), 0);
  }
  assert.match(result.stdout, /fuzz passed/);
});

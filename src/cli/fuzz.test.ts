/**
 * The seeded fuzz run of the test suite: a few hundred mutated inputs per reader of untrusted files (scripts/fuzz.mjs),
 * each run in a worker process under time and memory budgets; every outcome must be a clean error naming the file or
 * a finite result, and the mutations must reach past each format's first check into at least 70 % of its reader's
 * code blocks (V8's block coverage: functions and the branches inside them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../util/index.js';

test('npm run fuzz at 200 inputs per reader (seed 7): every input gives a clean, named error or a finite result; ≥ 70 % of each reader runs', () => {
  const result = spawnSync(process.execPath, [join(packageRoot(), 'scripts', 'fuzz.mjs'), '200', '7'], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  for (const reader of ['nifti', 'nifti.gz', 'safetensors', 'torch', 'zip', 'pickle', 'run.json', 'manifest', 'paths']) {
    const row = result.stdout.split('\n').find((line) => line.startsWith(`${reader} `));
    assert.ok(row !== undefined, `a row for ${reader}`);
    const [error, accepted, , , bad, blocks] = row.trim().split(/\s+/).slice(1);
    assert.equal(Number(error) + Number(accepted), 200, `${reader}: every input classified as good: ${row}`);
    assert.equal(Number(bad), 0);
    assert.ok(Number(blocks) >= 70, `${reader}: ${blocks} % of the reader's code blocks ran, expected ≥ 70 %: ${row}`);
  }
  assert.match(result.stdout, /fuzz passed/);
});

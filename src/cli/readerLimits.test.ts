/**
 * `mrsynth --limit NAME=VALUE`: the global option that raises (or lowers) a limit on what an untrusted file may make
 * mrsynth allocate, through the real entry point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNifti } from '../io/nifti/index.js';
import { packageRoot } from '../util/index.js';

const mrsynth = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(packageRoot(), 'src', 'cli', 'main.ts'), ...args],
  { encoding: 'utf8' });

test('mrsynth --limit: a lowered niftiBytes stops view at the image, naming it and the limit; a bad limit is named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrsynth-limits-'));
  try {
    const volume = { data: new Float32Array(8 * 8 * 8).fill(1), shape: [8, 8, 8] as const, affine: Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) };
    mkdirSync(join(dir, 'case1'));
    for (const contrast of ['t1', 't1ce', 't2', 'flair']) await writeNifti(join(dir, 'case1', `case1_${contrast}.nii`), volume);
    const image = join(dir, 'case1', 'case1_t1.nii');
    const ok = mrsynth('--limit', 'niftiBytes=3KiB', 'view', image, '--out', join(dir, 'a.png'));
    assert.equal(ok.status, 0, ok.stderr);
    const limited = mrsynth('--limit', 'niftiBytes=1KiB', 'view', image, '--out', join(dir, 'b.png'));
    assert.equal(limited.status, 1);
    assert.match(limited.stderr, /case1_t1\.nii: .*more than the limit niftiBytes=1024; if you trust the file, raise it with --limit niftiBytes=N/);
    const bad = mrsynth('--limit', 'niftiBytes=lots', 'data', 'scan', dir);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--limit: niftiBytes=lots: expected a whole number ≥ 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

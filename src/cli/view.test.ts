import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerViewCommand } from './view.js';
import { writeNifti } from '../io/nifti/index.js';
import { affineFrom } from '../volume/index.js';
import type { Volume } from '../volume/index.js';
import { renderSlices } from '../viz/index.js';
import { absoluteError } from '../viz/index.js';

function run(...args: string[]): Promise<Command> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerViewCommand(program);
  return program.parseAsync(['view', ...args], { from: 'user' });
}

const shape = [6, 5, 4] as const;
const reference: Volume = {
  data: Float32Array.from({ length: 120 }, (_, i) => 1 + (i % 17)),
  shape,
  affine: affineFrom([[-1, 0, 0, 5], [0, -1, 0, 4], [0, 0, 2, 0], [0, 0, 0, 1]]),
};
const prediction: Volume = { ...reference, data: reference.data.map((v, i) => v + (i % 3)) };

describe('mrsynth view', () => {
  let dir = '';
  const path = (name: string) => join(dir, name);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mrsynth-view-'));
    await writeNifti(path('ref.nii.gz'), reference);
    await writeNifti(path('pred.nii'), prediction);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('writes the same picture the library renders, with a default-named error column', async () => {
    await run(path('ref.nii.gz'), path('pred.nii'), '--error', path('ref.nii.gz'), path('pred.nii'), '--out', path('a.png'));
    const expected = renderSlices([
      { name: 'ref', volume: reference },
      { name: 'pred', volume: prediction },
      { name: '|pred-ref|', volume: absoluteError(reference, prediction), kind: 'error' },
    ]);
    assert.ok(Buffer.from(expected.png).equals(await readFile(path('a.png'))), 'CLI picture differs from renderSlices');
  });

  test('keeps an existing file unless --force', async () => {
    await writeFile(path('b.png'), 'keep me');
    await assert.rejects(run(path('ref.nii.gz'), '--out', path('b.png')), /mrsynth view: .*b\.png exists; pass --force/);
    assert.equal(await readFile(path('b.png'), 'utf8'), 'keep me');
    await run(path('ref.nii.gz'), '--out', path('b.png'), '--force', '--slice', '1,1,1', '--labels', 'T1');
    assert.equal((await readFile(path('b.png'))).subarray(1, 4).toString(), 'PNG');
  });

  test('rejects bad arguments before reading anything, naming the value', async () => {
    await assert.rejects(run(path('ref.nii.gz'), '--out', path('c.png'), '--labels', 'a,b'), /--labels has 2 name\(s\) \(a,b\) for 1 column\(s\)/);
    await assert.rejects(run('--error', path('ref.nii.gz'), '--out', path('c.png')), /--error takes exactly two paths REF PRED, got 1/);
    await assert.rejects(run(path('ref.nii.gz'), '--out', path('c.jpg')), /--out must name a \.png file, got '.*c\.jpg'/);
    await assert.rejects(run(path('ref.nii.gz'), '--out', path('c.png'), '--window', 'p9,p1'), /low bound must be below the high bound, got 'p9,p1'/);
    await assert.rejects(run(path('ref.nii.gz'), '--out', path('c.png'), '--slice', '1,2'), /parseSlicePoint: expected 'mid' or three numbers/);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFolder } from './makeFolder.js';

describe('makeFolder', () => {
  let root: string;
  let readOnly: string | undefined;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'mrsynth-folder-'));
    // A real read-only file system: a tmpfs mounted read-only (needs root, as on the CI machines).
    const mountPoint = join(root, 'ro');
    mkdirSync(mountPoint);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', mountPoint]).status === 0) readOnly = mountPoint;
  });
  after(() => {
    if (readOnly !== undefined) spawnSync('umount', [readOnly]);
    rmSync(root, { recursive: true, force: true });
  });

  test('creates the folder and its parents, and accepts one that exists', async () => {
    await makeFolder(join(root, 'a', 'b'));
    await makeFolder(join(root, 'a', 'b'));
    assert.ok(existsSync(join(root, 'a', 'b')));
  });

  test('on a read-only file system it says so, naming the folder, instead of ENOENT', async (t) => {
    if (readOnly === undefined) {
      t.skip('mounting a read-only tmpfs is not permitted here');
      return;
    }
    await assert.rejects(makeFolder(join(readOnly, 'run', 'deeper')),
      new RegExp(`cannot create the folder ${readOnly}/run/deeper: ${readOnly} is on a read-only file system`));
  });

  test('a file in the path is named as such', async () => {
    writeFileSync(join(root, 'file'), '');
    await assert.rejects(makeFolder(join(root, 'file', 'x')), new RegExp(`cannot create the folder .*file/x: .*file is a file, not a folder`));
  });
});

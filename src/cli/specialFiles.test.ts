/**
 * Every reader of untrusted paths takes regular files only (and links to them): a link to /dev/zero, a FIFO or a
 * folder where a file is expected is refused at once, naming the path and what it is, instead of reading until
 * memory runs out or blocking forever.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverDataset } from '../data/index.js';
import { readNifti, readNiftiHeader } from '../io/nifti/index.js';
import { loadTorchCheckpoint } from '../io/pytorch/index.js';
import { encodeSafetensors, loadSafetensors } from '../io/safetensors/index.js';
import { readAnyRunConfig } from '../runs/index.js';

describe('readers of untrusted paths take regular files only', () => {
  let root: string;
  let specials: Record<string, string>;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'mrsynth-special-'));
    specials = { 'a character device': join(root, 'zero'), 'a FIFO': join(root, 'fifo'), 'a folder': join(root, 'folder') };
    symlinkSync('/dev/zero', specials['a character device']);
    execFileSync('mkfifo', [specials['a FIFO']]);
    mkdirSync(specials['a folder']);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const readers: Record<string, (path: string) => Promise<unknown>> = {
    readNifti, readNiftiHeader, loadSafetensors, loadTorchCheckpoint: (path) => loadTorchCheckpoint(path),
  };

  for (const [reader, read] of Object.entries(readers)) {
    test(`${reader} refuses a link to /dev/zero, a FIFO and a folder, naming each`, async () => {
      for (const [kind, path] of Object.entries(specials)) {
        await assert.rejects(read(path), (error: Error) => error.message.includes(`is ${kind}, not a regular file`) && error.message.includes(path),
          `${reader} on ${kind}`);
      }
    });
  }

  test('a data set path that is a device or a FIFO is refused as neither a folder nor a manifest', async () => {
    for (const kind of ['a character device', 'a FIFO']) {
      await assert.rejects(discoverDataset(specials[kind]), /discoverDataset: .* is neither a folder nor a manifest file/);
    }
  });

  test('run.json as a FIFO is refused; a link to a regular file is read as the file', async () => {
    const run = join(root, 'run');
    mkdirSync(run);
    execFileSync('mkfifo', [join(run, 'run.json')]);
    await assert.rejects(readAnyRunConfig(run), /run\.json is a FIFO, not a regular file/);
    const file = join(root, 'real.safetensors');
    writeFileSync(file, Buffer.concat(encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Uint8Array(4) } })));
    symlinkSync(file, join(root, 'link.safetensors'));
    assert.deepEqual(Object.keys((await loadSafetensors(join(root, 'link.safetensors'))).tensors), ['w']);
  });
});

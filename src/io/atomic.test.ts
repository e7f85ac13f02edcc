import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomic.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('writeFileAtomic', () => {
  test('writes new files and, by default, replaces existing ones, leaving no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-atomic-'));
    const path = join(dir, 'a.txt');
    await writeFileAtomic(path, [bytes('he'), bytes('llo')]);
    assert.equal(readFileSync(path, 'utf8'), 'hello');
    await writeFileAtomic(path, bytes('bye'));
    assert.equal(readFileSync(path, 'utf8'), 'bye');
    writeFileAtomicSync(path, bytes('sync'));
    assert.equal(readFileSync(path, 'utf8'), 'sync');
    assert.deepEqual(readdirSync(dir), ['a.txt']);
  });

  test('replace: false publishes a new file but never replaces one that exists, and cleans up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrsynth-atomic-'));
    const path = join(dir, 'b.txt');
    await writeFileAtomic(path, bytes('first'), { replace: false });
    assert.equal(readFileSync(path, 'utf8'), 'first');
    // As if another process had created the file while this one was writing.
    writeFileSync(join(dir, 'c.txt'), 'theirs');
    await assert.rejects(writeFileAtomic(join(dir, 'c.txt'), bytes('mine'), { replace: false }), /c\.txt exists; it is left as it was/);
    assert.equal(readFileSync(join(dir, 'c.txt'), 'utf8'), 'theirs');
    assert.deepEqual(readdirSync(dir).sort(), ['b.txt', 'c.txt']);
  });
});

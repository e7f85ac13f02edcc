import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJsonNesting, jsonNestingDepth } from './jsonNesting.js';
import { decodeSafetensors, loadSafetensors } from './safetensors/index.js';

const deep = (levels: number) => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('JSON nesting', () => {
  test('depth counts objects and arrays, not brackets inside strings', () => {
    assert.equal(jsonNestingDepth('1'), 0);
    assert.equal(jsonNestingDepth('{"a":[1,{"b":[]}]}'), 4);
    assert.equal(jsonNestingDepth('{"a":"[[[{{\\\\\\"[["}'), 1);
    assert.equal(jsonNestingDepth(deep(100_000)), 100_001);
    assert.throws(() => checkJsonNesting(deep(9), 8, 'x.json'), /x\.json: the JSON nests 10 levels deep, more than the 8 this file can have/);
  });

  test('a safetensors header nested 100,000 levels is refused with the file name, not a stack overflow', async () => {
    const header = new TextEncoder().encode(deep(100_000));
    const bytes = new Uint8Array(8 + header.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    assert.throws(() => decodeSafetensors(bytes, 'deep.safetensors'), /deep\.safetensors.*header: the JSON nests 100001 levels deep, more than the 8/);
    const path = join(await fs.mkdtemp(join(tmpdir(), 'mrsynth-deep-')), 'deep.safetensors');
    await fs.writeFile(path, bytes);
    await assert.rejects(loadSafetensors(path), /deep\.safetensors.*nests 100001 levels deep/);
    await fs.rm(path);
  });
});

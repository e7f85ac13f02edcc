import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Volume } from '../../volume/index.js';
import { encodeNifti } from './encode.js';
import { readNifti, readNiftiHeader, writeNifti } from './files.js';

const affine = Float64Array.from([-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1]);
const volume: Volume = { data: Float32Array.from({ length: 60 }, (_, i) => i * 1.5 - 20), shape: [5, 4, 3], affine };
let dir = '';

before(() => { dir = mkdtempSync(join(tmpdir(), 'mrsynth-nifti-files-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeNifti / readNifti', () => {
  test('gzip iff the path ends in .gz, and the round trip keeps data and affine', async () => {
    for (const name of ['plain.nii', 'packed.nii.gz']) {
      const path = join(dir, name);
      await writeNifti(path, volume, { datatype: 'float32' });
      const bytes = readFileSync(path);
      assert.equal(bytes[0] === 0x1f && bytes[1] === 0x8b, name.endsWith('.gz'), name);
      const image = await readNifti(path);
      assert.equal(image.source, path);
      assert.deepEqual(Array.from(image.volume.data), Array.from(volume.data));
      assert.deepEqual(Array.from(image.volume.affine), Array.from(affine));
    }
  });

  test('an existing file is kept unless overwrite is set, and no temporary file is left behind', async () => {
    const path = join(dir, 'keep.nii.gz');
    await writeNifti(path, volume);
    const before = readFileSync(path);
    await assert.rejects(writeNifti(path, { ...volume, data: new Float32Array(60) }),
      /writeNifti: .*keep\.nii\.gz: the file exists; pass overwrite: true/);
    assert.deepEqual(readFileSync(path), before);
    await writeNifti(path, { ...volume, data: new Float32Array(60) }, { overwrite: true });
    assert.deepEqual(Array.from((await readNifti(path)).volume.data), new Array(60).fill(0));
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });

  test('a missing file is an Error naming the function and the path', async () => {
    await assert.rejects(readNifti(join(dir, 'missing.nii')), /readNifti: .*missing\.nii: ENOENT/);
    await assert.rejects(readNiftiHeader(join(dir, 'missing.nii.gz')), /readNiftiHeader: .*missing\.nii\.gz: ENOENT/);
  });
});

describe('readNiftiHeader', () => {
  test('reads the header of .nii and .nii.gz, NIfTI-1 and NIfTI-2', async () => {
    for (const [name, version] of [['h1.nii', 1], ['h2.nii.gz', 2]] as const) {
      const path = join(dir, name);
      await writeNifti(path, volume, { version, datatype: 'int16', description: name });
      const header = await readNiftiHeader(path);
      assert.deepEqual(header, (await readNifti(path)).header);
      assert.deepEqual([header.version, header.descrip, header.dim.slice(0, 4)], [version, name, [3, 5, 4, 3]]);
    }
  });

  test('inflates only the start: a gzip file cut in half still gives its header', async () => {
    const shape = [64, 64, 64] as const;
    const data = Float32Array.from({ length: 64 ** 3 }, (_, i) => Math.sin(i) * 1000);
    const bytes = encodeNifti({ data, shape, affine }, { gzip: true });
    assert.ok(bytes.length > 200_000); // far more than the first read, so several reads are not needed
    const path = join(dir, 'half.nii.gz');
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    assert.deepEqual((await readNiftiHeader(path)).dim, [3, 64, 64, 64, 1, 1, 1, 1]);
    await assert.rejects(readNifti(path), /parseNifti: .*half\.nii\.gz: gzip data is corrupt \(zlib: unexpected end of file\)/);
  });
});

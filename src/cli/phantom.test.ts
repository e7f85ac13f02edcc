import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNifti } from '../io/nifti/index.js';
import { commandRunner } from './commandRunner.testSupport.js';

const mrsynth = commandRunner(new URL('./phantom.ts', import.meta.url), 'registerPhantomCommand');

let root: string;
before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-cli-phantom-')); });
after(async () => { await fs.rm(root, { recursive: true, force: true }); });

// A coarse 4 mm grid keeps the run to a second or two.
const small = ['--shape', '48,48,36', '--spacing', '4'];

describe('mrsynth phantom', () => {
  test('--style both writes BraTS folders and flat IXI files, int16 with uint8 labels on an LPS grid, plus licence and parameters', async () => {
    const out = join(root, 'both');
    const run = mrsynth('phantom', '--out', out, '--cases', '2', '--seed', '7', ...small, '--style', 'both');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /wrote 4 case\(s\) to .* in [\d.]+ s \(\d generating thread\(s\); writing files took [\d.]+ s of it\)/);
    assert.deepEqual((await fs.readdir(out)).sort(), ['PHANTOM-LICENSE.txt', 'brats', 'ixi', 'phantom-parameters.json']);
    assert.deepEqual((await fs.readdir(join(out, 'brats'))).sort(), ['Phantom7_00000', 'Phantom7_00001']);
    assert.deepEqual((await fs.readdir(join(out, 'ixi'))).sort(),
      ['IXI001', 'IXI002'].flatMap((n) => ['PD', 'T1', 'T2'].map((r) => `${n}-Phantom-0007-${r}.nii.gz`)));

    const t1 = await readNifti(join(out, 'brats', 'Phantom7_00001', 'Phantom7_00001_t1.nii.gz'));
    assert.equal(t1.header.datatype, 'int16');
    assert.deepEqual(t1.volume.shape, [48, 48, 36]);
    assert.deepEqual([t1.volume.affine[0], t1.volume.affine[5], t1.volume.affine[10]], [-4, -4, 4]);
    const seg = await readNifti(join(out, 'brats', 'Phantom7_00001', 'Phantom7_00001_seg.nii.gz'));
    assert.equal(seg.header.datatype, 'uint8');
    assert.ok(seg.volume.data.every((l) => l === 0 || l === 1 || l === 2 || l === 4));

    const licence = await fs.readFile(join(out, 'PHANTOM-LICENSE.txt'), 'utf8');
    assert.match(licence, /Rohlfing/);
    assert.match(licence, /CC BY-SA 3\.0/);
    const parameters = JSON.parse(await fs.readFile(join(out, 'phantom-parameters.json'), 'utf8'));
    assert.equal(parameters.seed, 7);
    assert.deepEqual(parameters.cases.map((c: { id: string }) => c.id),
      ['Phantom7_00000', 'Phantom7_00001', 'IXI001-Phantom-0007', 'IXI002-Phantom-0007']);
  });

  test('case k is the same file whatever --cases and --style; an existing output is refused unless --overwrite', async () => {
    // Runs after the --style both test above, whose seed-7 BraTS cases live in <root>/both/brats.
    const one = join(root, 'one');
    assert.equal(mrsynth('phantom', '--out', one, '--cases', '1', '--seed', '7', ...small).status, 0);
    const name = join('Phantom7_00000', 'Phantom7_00000_flair.nii.gz');
    assert.deepEqual(await fs.readFile(join(one, name)), await fs.readFile(join(root, 'both', 'brats', name)));

    const again = mrsynth('phantom', '--out', one, '--cases', '1', '--seed', '7', ...small);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /phantom: 7 output file\(s\) exist already \(first: .*PHANTOM-LICENSE\.txt\); pass --overwrite/);
    assert.equal(mrsynth('phantom', '--out', one, '--cases', '1', '--seed', '7', ...small, '--overwrite').status, 0);
  });

  test('rejects malformed options with the flag and the value', () => {
    assert.match(mrsynth('phantom', '--out', join(root, 'x'), '--cases', '2', '--shape', '96,96').stderr,
      /--shape must be three integers in \[2, 1024\] separated by commas \(e\.g\. 96,96,64\), got '96,96'/);
    assert.match(mrsynth('phantom', '--out', join(root, 'x'), '--cases', '0').stderr, /--cases must be an integer in \[1, 100000\], got '0'/);
    assert.match(mrsynth('phantom', '--out', join(root, 'x'), '--cases', '1', '--spacing', 'fine').stderr,
      /--spacing must be a number of mm in \[0.25, 10\], got 'fine'/);
  });
});

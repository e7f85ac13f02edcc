import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseCaseFileName } from '../data/index.js';
import { affineFrom } from '../volume/index.js';
import { anatomyFromVolume } from './anatomy.js';
import { phantomCaseFileNames, phantomCaseFiles, phantomCaseRecord } from './caseFiles.js';
import { PhantomGenerator, phantomCaseId } from './generator.js';
import { phantomGrid } from './grid.js';

// A tiny ellipsoidal brain (WM core, GM shell, CSF rim) stands in for the atlas: naming needs no real anatomy.
const shape = [24, 24, 20] as const;
const data = new Float32Array(24 * 24 * 20);
for (let k = 0; k < 20; k++) for (let j = 0; j < 24; j++) for (let i = 0; i < 24; i++) {
  const r = Math.hypot((i - 11.5) / 10, (j - 11.5) / 10, (k - 9.5) / 8);
  data[i + 24 * (j + 24 * k)] = r < 0.6 ? 3 : r < 0.85 ? 2 : r < 1 ? 1 : 0;
}
const anatomy = anatomyFromVolume({ data, shape, affine: affineFrom([-4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1]) }, 'ellipsoid');
const generator = new PhantomGenerator(anatomy, phantomGrid(anatomy, [48, 48, 40], 2));

describe('phantomCaseFiles', () => {
  test('BraTS-style cases use BraTS 2021 names in a folder per case, int16 contrasts and a uint8 label map', () => {
    const c = generator.generate(42, 3, 'brats');
    const files = phantomCaseFiles(c);
    assert.deepEqual(files.map((f) => f.path), ['t1', 't1ce', 't2', 'flair', 'seg'].map((r) => `Phantom42_00003/Phantom42_00003_${r}.nii.gz`));
    assert.deepEqual(files.map((f) => f.datatype), ['int16', 'int16', 'int16', 'int16', 'uint8']);
    assert.equal(files[4].volume, c.seg);
    for (const f of files) {
      const parsed = parseCaseFileName(f.path.split('/')[1], 'brats2021');
      assert.equal(parsed?.caseId, 'Phantom42_00003', `${f.path} parses back under the BraTS 2021 convention`);
    }
    assert.deepEqual(phantomCaseFileNames(c), files.map((f) => f.path));
  });

  test('IXI-style cases are flat IXI<nnn>-Phantom-<id>-{T1,T2,PD} files that parse back as IXI', () => {
    const c = generator.generate(42, 11, 'ixi');
    const names = phantomCaseFiles(c).map((f) => f.path);
    assert.deepEqual(names, ['T1', 'T2', 'PD'].map((r) => `IXI012-Phantom-0042-${r}.nii.gz`));
    assert.deepEqual(names.map((n) => parseCaseFileName(n, 'ixi')?.role), ['t1', 't2', 'pd']);
    assert.equal(phantomCaseId('ixi', 42, 11), c.id);
  });

  test('the parameter record is plain JSON with the lesion reduced to centre and radii', () => {
    const c = generator.generate(42, 3, 'brats');
    const record = JSON.parse(JSON.stringify(phantomCaseRecord(c)));
    assert.equal(record.id, 'Phantom42_00003');
    assert.deepEqual(Object.keys(record.lesion).sort(), ['centreVoxel', 'radiiMm']);
    assert.ok(record.sequences.flair.ti > 0 && record.relaxation.wm.t1 > 0 && record.gadolinium.rim > 0);
  });
});

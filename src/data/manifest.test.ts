import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from './manifest.js';

const csv = { kind: 'csv', source: 'm.csv', baseDir: '/data' } as const;
const json = { kind: 'json', source: 'm.json', baseDir: '/data' } as const;

describe('parseManifest (CSV)', () => {
  test('maps alias columns to contrasts, resolves relative paths, keeps absolute ones', () => {
    const m = parseManifest('case,subject,T1,t1c,t2w,FLAIR,seg\nb,p1,b/t1.nii,b/t1c.nii,/abs/t2.nii.gz,b/f.nii,b/seg.nii\na,,a/t1.nii,,a/t2.nii,a/f.nii,\n', csv);
    assert.deepEqual(m.contrasts, ['t1', 't1ce', 't2', 'flair']);
    assert.deepEqual(m.cases.map((c) => c.id), ['a', 'b']);
    const [a, b] = m.cases;
    assert.deepEqual(a, { id: 'a', subject: 'a', format: 'manifest', contrasts: { t1: '/data/a/t1.nii', t2: '/data/a/t2.nii', flair: '/data/a/f.nii' } });
    assert.equal(b.subject, 'p1');
    assert.equal(b.contrasts.t2, '/abs/t2.nii.gz');
    assert.equal(b.seg, '/data/b/seg.nii');
  });
  test('quoted fields may hold commas', () => {
    const m = parseManifest('case,pd\n"x,1","dir, with comma/pd.nii"\n', csv);
    assert.equal(m.cases[0].id, 'x,1');
    assert.equal(m.cases[0].contrasts.pd, '/data/dir, with comma/pd.nii');
  });
  test('reports every bad row with its line number', () => {
    const text = 'case,t1,t2\na,a1.nii,a2.nii\n,b1.nii,b2.nii\na,c1.nii,c2.nii\nd,d1.nii\ne,,\n';
    assert.throws(() => parseManifest(text, csv), (error: Error) => {
      assert.match(error.message, /parseManifest: 4 bad row\(s\)/);
      assert.match(error.message, /m\.csv line 3: missing case id/);
      assert.match(error.message, /m\.csv line 4: duplicate case id 'a' \(first at line 2\)/);
      assert.match(error.message, /m\.csv line 5: has 2 cells, expected 3/);
      assert.match(error.message, /m\.csv line 6: case 'e' has no contrast file/);
      return true;
    });
  });
  test('rejects unknown and doubled contrast columns and a header without case', () => {
    assert.throws(() => parseManifest('case,t1,dwi\na,x.nii,y.nii\n', csv), /line 2: unknown column 'dwi', expected case, subject, seg or a contrast/);
    assert.throws(() => parseManifest('case,t1,t1n\na,x.nii,y.nii\n', csv), /line 2: two columns name contrast t1 \(second: 't1n'\)/);
    assert.throws(() => parseManifest('id,t1\na,x.nii\n', csv), /m\.csv header \[id,t1\] has no 'case' column/);
    assert.throws(() => parseManifest('case,t1,t1\na,x.nii,y.nii\n', csv), /header repeats column 't1'/);
  });
});

describe('parseManifest (JSON)', () => {
  test('accepts an array or {cases}, null meaning absent', () => {
    const rows = [{ case: 'k', t2: 'k2.nii', pd: null }, { case: 'j', subject: 's', pd: 'jpd.nii', t2: 'j2.nii' }];
    for (const text of [JSON.stringify(rows), JSON.stringify({ cases: rows })]) {
      const m = parseManifest(text, json);
      assert.deepEqual(m.contrasts, ['t2', 'pd']);
      assert.deepEqual(m.cases.map((c) => [c.id, c.subject, Object.keys(c.contrasts).join('+')]), [['j', 's', 't2+pd'], ['k', 'k', 't2']]);
    }
  });
  test('names the index and key of bad entries', () => {
    const text = JSON.stringify([{ case: 'a', t1: 3 }, 'b', { t1: 'x.nii' }]);
    assert.throws(() => parseManifest(text, json), (error: Error) => {
      assert.match(error.message, /m\.json cases\[0\]: 't1' must be a string path, got 3/);
      assert.match(error.message, /m\.json cases\[1\]: is string, expected an object/);
      assert.match(error.message, /m\.json cases\[2\]: missing case id/);
      return true;
    });
    assert.throws(() => parseManifest('{"rows": []}', json), /m\.json must be an array of cases or \{"cases": \[\.\.\.\]\}, got object/);
    assert.throws(() => parseManifest('[', json), /m\.json is not valid JSON/);
  });
});

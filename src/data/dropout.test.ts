import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DROPOUT_RECORD, makeDropoutCopy, type DropoutRecord } from './dropout.js';

// Dropout copies bytes and never decodes them, so each file holds its own name: a copy is checked by content.
let root: string;
let counter = 0;
async function tree(files: readonly string[]): Promise<string> {
  const dir = join(root, `in-${counter++}`);
  for (const f of files) {
    await fs.mkdir(dirname(join(dir, f)), { recursive: true });
    await fs.writeFile(join(dir, f), f);
  }
  return dir;
}
const brats23 = (ids: readonly string[], withSeg = true) =>
  ids.flatMap((id) => [...['t1n', 't1c', 't2w', 't2f'], ...(withSeg ? ['seg'] : [])].map((t) => `${id}/${id}-${t}.nii.gz`));
const out = () => join(root, `out-${counter++}`);
async function listing(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

before(async () => { root = await fs.mkdtemp(join(tmpdir(), 'mrsynth-dropout-')); });
after(async () => { await fs.rm(root, { recursive: true, force: true }); });

interface Fixture { brasyn_dropout: { seed: number; names: string[]; dropped: Record<string, string> } }
const fixture = JSON.parse(readFileSync(new URL('./fixtures/numpy-random.json', import.meta.url), 'utf8')) as Fixture;

describe('makeDropoutCopy --compat brasyn', () => {
  test("drops the same modality per case as the organisers' script under NumPy", async () => {
    const { seed, names, dropped } = fixture.brasyn_dropout;
    const input = await tree(brats23(names));
    const target = out();
    const record = await makeDropoutCopy(input, target, { seed, compat: 'brasyn' });
    const canonical: Record<string, string> = { t1n: 't1', t1c: 't1ce', t2w: 't2', t2f: 'flair' };
    assert.deepEqual(Object.fromEntries(record.cases.map((c) => [c.case, c.dropped])),
      Object.fromEntries(Object.entries(dropped).map(([id, token]) => [id, canonical[token]])));
    const expectedFiles = brats23(names).filter((f) => !f.endsWith(`-${dropped[f.split('/')[0]]}.nii.gz`)).sort();
    assert.deepEqual(await listing(target), [...expectedFiles, DROPOUT_RECORD].sort());
    for (const f of expectedFiles) assert.equal(await fs.readFile(join(target, f), 'utf8'), f);
    const written = JSON.parse(await fs.readFile(join(target, DROPOUT_RECORD), 'utf8')) as DropoutRecord;
    assert.deepEqual(written, JSON.parse(JSON.stringify(record)));
    assert.equal(written.compat, 'brasyn');
  });

  test('refuses stray entries, which would shift every draw, and folders it cannot drop from', async () => {
    const stray = await tree([...brats23(['BraTS-GLI-00000-000']), 'README.txt']);
    await assert.rejects(makeDropoutCopy(stray, out(), { compat: 'brasyn' }),
      /planBrasynDropout: .* must hold only case folders, as dropout_modality.py draws once per entry; found README.txt/);
    const brats21 = await tree(['c/c_t1.nii.gz', 'c/c_t2.nii.gz', 'c/c_flair.nii.gz']);
    await assert.rejects(makeDropoutCopy(brats21, out(), { seed: 123456, compat: 'brasyn' }),
      /case c has no file whose name contains 't1n' \(drawn for it\)/);
  });
});

describe('makeDropoutCopy (own draw)', () => {
  const ids = Array.from({ length: 40 }, (_, i) => `BraTS-GLI-${String(i).padStart(5, '0')}-000`);

  test('drops exactly one contrast per case, copies the rest and the seg, and varies the contrast', async () => {
    const input = await tree(brats23(ids));
    const target = out();
    const record = await makeDropoutCopy(input, target, { seed: 9 });
    assert.equal(record.cases.length, ids.length);
    const files = await listing(target);
    for (const c of record.cases) {
      const mine = files.filter((f) => f.startsWith(`${c.case}/`));
      assert.equal(mine.length, 4, c.case);
      assert.ok(mine.includes(`${c.case}/${c.case}-seg.nii.gz`));
      assert.deepEqual(c.droppedFiles.filter((f) => mine.includes(f)), []);
    }
    assert.equal(new Set(record.cases.map((c) => c.dropped)).size, 4);
  });

  test('a case keeps its draw when others are added, and the seed changes draws', async () => {
    const few = await makeDropoutCopy(await tree(brats23(ids.slice(0, 10))), out(), { seed: 9 });
    const all = await makeDropoutCopy(await tree(brats23(ids)), out(), { seed: 9 });
    const other = await makeDropoutCopy(await tree(brats23(ids)), out(), { seed: 10 });
    const drawn = (r: DropoutRecord) => new Map(r.cases.map((c) => [c.case, c.dropped]));
    for (const [id, contrast] of drawn(few)) assert.equal(drawn(all).get(id), contrast, id);
    assert.ok([...drawn(all)].filter(([id, c]) => drawn(other).get(id) !== c).length > 10);
  });

  test('skips and records incomplete cases; works for IXI too', async () => {
    const input = await tree(['IXI002-Guys-0828-T1.nii', 'IXI002-Guys-0828-T2.nii', 'IXI002-Guys-0828-PD.nii', 'IXI012-HH-1211-T1.nii',
      'IXI002-Guys-0828-MRA.nii']);
    const target = out();
    const record = await makeDropoutCopy(input, target, { seed: 1 });
    assert.deepEqual(record.skipped, [{ case: 'IXI012-HH-1211', reason: 'incomplete: missing t2, pd' }]);
    assert.deepEqual(record.notCopied.map((f) => f.path), ['IXI002-Guys-0828-MRA.nii']);
    assert.equal((await listing(target)).filter((f) => f.endsWith('.nii')).length, 2);
  });

  test('never writes into the input and never into a non-empty folder', async () => {
    const input = await tree(brats23(ids.slice(0, 2)));
    const before = await listing(input);
    await assert.rejects(makeDropoutCopy(input, join(input, 'pseudo'), {}), /output .*pseudo is inside input .*; the input is never written/);
    await assert.rejects(makeDropoutCopy(input, input, {}), /output .* exists and is not empty \(2 entries\)/);
    assert.deepEqual(await listing(input), before);
    await assert.rejects(makeDropoutCopy(join(root, 'absent'), out(), {}), /makeDropoutCopy: cannot read input .*absent/);
  });
});

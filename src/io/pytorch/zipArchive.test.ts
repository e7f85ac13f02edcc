import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildZip } from '../../../test-fixtures/pytorch/buildZip.js';
import { resetReaderLimits, setReaderLimits } from '../index.js';
import { openZipArchive } from './zipArchive.js';

const text = (s: string) => new TextEncoder().encode(s);
const entries = [
  { name: 'a/data.pkl', data: text('pickle bytes') },
  { name: 'a/data/0', data: Uint8Array.from({ length: 300 }, (_, i) => i % 7), deflate: true },
  { name: 'a/empty', data: new Uint8Array(0) },
];

describe('openZipArchive', () => {
  for (const zip64 of [false, true]) {
    test(`reads stored and deflated entries${zip64 ? ' through the ZIP64 records' : ''}`, () => {
      const archive = openZipArchive(buildZip(entries, { zip64 }), 't.zip');
      assert.deepEqual(archive.names, ['a/data.pkl', 'a/data/0', 'a/empty']);
      for (const { name, data } of entries) assert.deepEqual(archive.read(name), data);
      assert.equal(archive.has('a/data/1'), false);
    });
  }

  test('reads a torch.save archive (aligned local headers), returning stored entries as views', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../../../test-fixtures/pytorch/state_dict.pt', import.meta.url)));
    const archive = openZipArchive(bytes, 'state_dict.pt');
    assert.ok(archive.names.includes('state_dict/data.pkl'));
    assert.equal(new TextDecoder().decode(archive.read('state_dict/version')).trim(), '3');
    const pickle = archive.read('state_dict/data.pkl');
    assert.equal(pickle.buffer, bytes.buffer);
    assert.deepEqual([...pickle.subarray(0, 2)], [0x80, 0x02], 'data.pkl starts with PROTO 2');
  });

  test('rejects what is not a ZIP archive, or is truncated', () => {
    assert.throws(() => openZipArchive(text('hello'), 'x.bin'), /openZipArchive\(x\.bin\): no end-of-central-directory record/);
    const whole = buildZip(entries);
    assert.throws(() => openZipArchive(whole.subarray(0, whole.length - 10), 'cut.zip'), /no end-of-central-directory record/);
    // Drop the front of the file: the directory points at bytes that are no longer where it says.
    const shifted = whole.subarray(40);
    assert.throws(() => openZipArchive(shifted, 'shifted.zip').read('a/data/0'), /openZipArchive\(shifted\.zip\): .*(outside|bad signature)/);
  });

  test('detects a corrupted entry through its CRC-32, and names an unsupported compression method', () => {
    const bytes = buildZip(entries);
    const at = 30 + 'a/data.pkl'.length + 3;
    bytes[at] ^= 0xff;
    assert.throws(() => openZipArchive(bytes, 'bad.zip').read('a/data.pkl'), /entry "a\/data\.pkl" is corrupt \(CRC-32 0x[0-9a-f]+, expected 0x[0-9a-f]+\)/);

    const odd = buildZip([{ name: 'x', data: text('abc') }]);
    const centralStart = 30 + 1 + 3;
    new DataView(odd.buffer).setUint16(centralStart + 10, 12, true);
    assert.throws(() => openZipArchive(odd, 'bzip2.zip').read('x'), /entry "x" uses compression method 12; only stored \(0\) and deflate \(8\)/);
    assert.throws(() => openZipArchive(odd, 'bzip2.zip').read('y'), /no entry "y"/);
  });

  test('refuses duplicate names, encrypted entries and saturated fields without ZIP64 records', () => {
    const twice = buildZip([{ name: 'x', data: text('1') }, { name: 'x', data: text('2') }]);
    assert.throws(() => openZipArchive(twice, 'twice.zip'), /openZipArchive\(twice\.zip\): entry "x" appears twice/);
    const encrypted = buildZip([{ name: 'x', data: text('abc') }]);
    new DataView(encrypted.buffer).setUint16(30 + 1 + 3 + 8, 0x0801, true);
    assert.throws(() => openZipArchive(encrypted, 'secret.zip'), /entry "x" is encrypted/);
    const saturated = buildZip([{ name: 'x', data: text('abc') }]);
    new DataView(saturated.buffer).setUint16(saturated.length - 22 + 10, 0xffff, true);
    assert.throws(() => openZipArchive(saturated, 'sat.zip'), /the directory fields are saturated but no ZIP64 locator precedes them/);
  });

  test('an entry that inflates past the size its directory states stops there: a 10 MB zip bomb is refused, not inflated', () => {
    // 10 MB of zeros deflate to about 10 KB; the directory claims 100 bytes.
    const bomb = buildZip([{ name: 'a/data.pkl', data: new Uint8Array(10_000_000), deflate: true }]);
    assert.ok(bomb.byteLength < 20_000);
    const centralStart = bomb.length - 22 - (46 + 'a/data.pkl'.length);
    new DataView(bomb.buffer).setUint32(centralStart + 24, 100, true);
    assert.throws(() => openZipArchive(bomb, 'bomb.zip').read('a/data.pkl'),
      /openZipArchive\(bomb\.zip\): entry "a\/data\.pkl" inflates to more than the 100 bytes the directory states/);
  });

  test('entry counts and inflated sizes above their limits are refused naming the limit; raised, the archive reads', () => {
    try {
      setReaderLimits({ zipEntries: 2 });
      assert.throws(() => openZipArchive(buildZip(entries), 'many.zip'),
        /openZipArchive\(many\.zip\): the archive lists 3 entries, more than the limit zipEntries=2; .*--limit zipEntries=N/);
      setReaderLimits({ zipEntries: 3, zipEntryBytes: 299 });
      const archive = openZipArchive(buildZip(entries), 'big.zip');
      assert.throws(() => archive.read('a/data/0'), /entry "a\/data\/0" inflates to 300 bytes, more than the limit zipEntryBytes=299/);
      setReaderLimits({ zipEntryBytes: 300 });
      assert.deepEqual(archive.read('a/data/0'), entries[1].data);
    } finally {
      resetReaderLimits();
    }
  });
});

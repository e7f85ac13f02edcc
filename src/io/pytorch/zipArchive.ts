import { crc32, inflateRawSync } from 'node:zlib';
import { assert } from '../../util/index.js';
import { overLimit, readerLimits } from '../index.js';

/**
 * A read-only view of a ZIP archive held in memory (PKWARE APPNOTE 6.3): the central directory is read once,
 * entries are returned as zero-copy views when stored and inflated when deflated, and each entry's CRC-32 is
 * checked on read. ZIP64 is understood, since torch.save writes it for large checkpoints.
 */
export interface ZipArchive {
  /** Entry names in central-directory order. */
  readonly names: readonly string[];
  has(name: string): boolean;
  read(name: string): Uint8Array;
}

interface ZipEntry {
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const SIG_LOCAL_HEADER = 0x04034b50;
const SIG_CENTRAL_HEADER = 0x02014b50;
const SIG_END_OF_CENTRAL_DIR = 0x06054b50;
const SIG_ZIP64_END_OF_CENTRAL_DIR = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const END_OF_CENTRAL_DIR_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const CENTRAL_HEADER_BYTES = 46;
const LOCAL_HEADER_BYTES = 30;
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 0x0001;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/** A 16- or 32-bit field holding its maximum means "the real value is in the ZIP64 record". */
const U16_SATURATED = 0xffff;
const U32_SATURATED = 0xffffffff;

export function openZipArchive(bytes: Uint8Array, source: string): ZipArchive {
  const where = `openZipArchive(${source})`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => {
    const value = view.getBigUint64(at, true);
    assert(value <= BigInt(Number.MAX_SAFE_INTEGER), () => `${where}: 64-bit field ${value} at byte ${at} is too large`);
    return Number(value);
  };
  const inFile = (at: number, length: number, what: string) =>
    assert(at >= 0 && at + length <= bytes.byteLength,
      () => `${where}: ${what} at byte ${at} (+${length}) lies outside the ${bytes.byteLength}-byte file; is it truncated?`);

  // The end-of-central-directory record sits at the end, followed only by a comment of up to 64 KiB.
  let eocd = -1;
  const earliest = Math.max(0, bytes.byteLength - END_OF_CENTRAL_DIR_BYTES - MAX_COMMENT_BYTES);
  for (let at = bytes.byteLength - END_OF_CENTRAL_DIR_BYTES; at >= earliest; at--) {
    if (u32(at) === SIG_END_OF_CENTRAL_DIR) { eocd = at; break; }
  }
  assert(eocd >= 0, () => `${where}: no end-of-central-directory record found; the file is not a ZIP archive or is truncated`);
  assert(u16(eocd + 4) === 0 && u16(eocd + 6) === 0, () => `${where}: multi-disk archives are not supported`);
  let count = u16(eocd + 10);
  let directorySize = u32(eocd + 12);
  let directoryOffset = u32(eocd + 16);
  if (count === U16_SATURATED || directorySize === U32_SATURATED || directoryOffset === U32_SATURATED) {
    const locator = eocd - ZIP64_LOCATOR_BYTES;
    inFile(locator, ZIP64_LOCATOR_BYTES, 'ZIP64 locator');
    assert(u32(locator) === SIG_ZIP64_LOCATOR, () => `${where}: the directory fields are saturated but no ZIP64 locator precedes them`);
    const record = u64(locator + 8);
    inFile(record, 56, 'ZIP64 end-of-central-directory record');
    assert(u32(record) === SIG_ZIP64_END_OF_CENTRAL_DIR, () => `${where}: no ZIP64 end-of-central-directory record at byte ${record}`);
    count = u64(record + 32);
    directorySize = u64(record + 40);
    directoryOffset = u64(record + 48);
  }
  inFile(directoryOffset, directorySize, 'central directory');
  assert(count <= readerLimits().zipEntries, () => overLimit(where, 'zipEntries', `the archive lists ${count} entries`));

  const entries = new Map<string, ZipEntry>();
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    inFile(at, CENTRAL_HEADER_BYTES, `central directory entry ${i}`);
    assert(u32(at) === SIG_CENTRAL_HEADER, () => `${where}: central directory entry ${i} at byte ${at} has a bad signature`);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    inFile(at, CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength, `central directory entry ${i}`);
    const name = new TextDecoder().decode(bytes.subarray(at + CENTRAL_HEADER_BYTES, at + CENTRAL_HEADER_BYTES + nameLength));
    assert((u16(at + 8) & FLAG_ENCRYPTED) === 0, () => `${where}: entry "${name}" is encrypted`);
    assert(!entries.has(name), () => `${where}: entry "${name}" appears twice`);
    const entry: ZipEntry = {
      method: u16(at + 10),
      crc: u32(at + 16),
      compressedSize: u32(at + 20),
      uncompressedSize: u32(at + 24),
      localHeaderOffset: u32(at + 42),
    };
    // The ZIP64 extra field lists, in this order, only the values whose 32-bit fields are saturated.
    const extraStart = at + CENTRAL_HEADER_BYTES + nameLength;
    for (let e = extraStart; e + 4 <= extraStart + extraLength; e += 4 + u16(e + 2)) {
      if (u16(e) !== ZIP64_EXTRA_ID) continue;
      const fieldsEnd = Math.min(e + 4 + u16(e + 2), extraStart + extraLength);
      let field = e + 4;
      for (const key of ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const) {
        if (entry[key] !== U32_SATURATED) continue;
        assert(field + 8 <= fieldsEnd, () => `${where}: entry "${name}" has a short ZIP64 extra field`);
        entry[key] = u64(field);
        field += 8;
      }
    }
    entries.set(name, entry);
    at += CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength;
  }

  return {
    names: [...entries.keys()],
    has: (name) => entries.has(name),
    read(name) {
      const entry = entries.get(name);
      assert(entry, () => `${where}: no entry "${name}"`);
      const local = entry.localHeaderOffset;
      inFile(local, LOCAL_HEADER_BYTES, `local header of "${name}"`);
      assert(u32(local) === SIG_LOCAL_HEADER, () => `${where}: local header of "${name}" at byte ${local} has a bad signature`);
      // The local extra field may differ from the central one (torch.save pads it to align the data).
      const start = local + LOCAL_HEADER_BYTES + u16(local + 26) + u16(local + 28);
      inFile(start, entry.compressedSize, `data of "${name}"`);
      const stored = bytes.subarray(start, start + entry.compressedSize);
      let data: Uint8Array;
      if (entry.method === METHOD_STORED) data = stored;
      else if (entry.method === METHOD_DEFLATED) {
        // Inflation stops at the size the directory states, so an entry that lies about it cannot blow up.
        assert(entry.uncompressedSize <= readerLimits().zipEntryBytes,
          () => overLimit(where, 'zipEntryBytes', `entry "${name}" inflates to ${entry.uncompressedSize} bytes`));
        try {
          const inflated = inflateRawSync(stored, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
          data = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          throw new Error(code === 'ERR_BUFFER_TOO_LARGE'
            ? `${where}: entry "${name}" inflates to more than the ${entry.uncompressedSize} bytes the directory states`
            : `${where}: entry "${name}" does not inflate (${(error as Error).message})`);
        }
      } else throw new Error(`${where}: entry "${name}" uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
      assert(data.byteLength === entry.uncompressedSize,
        () => `${where}: entry "${name}" holds ${data.byteLength} bytes, the directory says ${entry.uncompressedSize}`);
      const actual = crc32(data) >>> 0;
      assert(actual === entry.crc,
        () => `${where}: entry "${name}" is corrupt (CRC-32 0x${actual.toString(16)}, expected 0x${entry.crc.toString(16)})`);
      return data;
    },
  };
}

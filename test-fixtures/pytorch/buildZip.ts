/**
 * Test support: writes a small ZIP archive from the PKWARE APPNOTE, so that tests can wrap hand-made pickles
 * the way torch.save does and exercise the ZIP64 and deflate paths of the reader. Not shipped.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Store deflated instead of stored. */
  deflate?: boolean;
}

export function buildZip(entries: ZipInput[], options: { zip64?: boolean } = {}): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.deflate ? deflateRawSync(entry.data) : Buffer.from(entry.data);
    const crc = crc32(entry.data) >>> 0;
    const method = entry.deflate ? 8 : 0;
    // With zip64 every size and offset goes into the extra field and the 32-bit fields are saturated.
    const sizes = (extra: Buffer | null) => {
      const fixed = Buffer.alloc(12);
      fixed.writeUInt32LE(crc, 0);
      fixed.writeUInt32LE(zip64 ? 0xffffffff : body.length, 4);
      fixed.writeUInt32LE(zip64 ? 0xffffffff : entry.data.length, 8);
      return { fixed, extra: extra ?? Buffer.alloc(0) };
    };
    const zip64Extra = (withOffset: boolean) => {
      const extra = Buffer.alloc(4 + (withOffset ? 24 : 16));
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(extra.length - 4, 2);
      extra.writeBigUInt64LE(BigInt(entry.data.length), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      if (withOffset) extra.writeBigUInt64LE(BigInt(offset), 20);
      return extra;
    };
    const local = sizes(zip64 ? zip64Extra(false) : null);
    const localHeader = Buffer.alloc(30);
    localHeader.writeUInt32LE(0x04034b50, 0);
    localHeader.writeUInt16LE(zip64 ? 45 : 20, 4);
    localHeader.writeUInt16LE(0x0800, 6);
    localHeader.writeUInt16LE(method, 8);
    local.fixed.copy(localHeader, 14);
    localHeader.writeUInt16LE(name.length, 26);
    localHeader.writeUInt16LE(local.extra.length, 28);

    const dir = sizes(zip64 ? zip64Extra(true) : null);
    const centralHeader = Buffer.alloc(46);
    centralHeader.writeUInt32LE(0x02014b50, 0);
    centralHeader.writeUInt16LE(45, 4);
    centralHeader.writeUInt16LE(zip64 ? 45 : 20, 6);
    centralHeader.writeUInt16LE(0x0800, 8);
    centralHeader.writeUInt16LE(method, 10);
    dir.fixed.copy(centralHeader, 16);
    centralHeader.writeUInt16LE(name.length, 28);
    centralHeader.writeUInt16LE(dir.extra.length, 30);
    centralHeader.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    central.push(centralHeader, name, dir.extra);

    for (const part of [localHeader, name, local.extra, body]) {
      parts.push(part);
      offset += part.length;
    }
  }
  const directory = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(entries.length), 24);
    record.writeBigUInt64LE(BigInt(entries.length), 32);
    record.writeBigUInt64LE(BigInt(directory.length), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : directory.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  return new Uint8Array(Buffer.concat([...parts, directory, ...tail, end]));
}

/**
 * The NIfTI fuzz corpus: corrupt, truncated, random and hostile inputs (seeded, several hundred), built from a
 * few small valid files of each version, byte order and data type. Each must either parse into a consistent
 * image or throw a plain Error that names the file; never another exception type, a hang or an allocation the
 * header merely claims. image.fuzz.test.ts checks that; `npm run bench:data` times the readers on it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { writeNumber, writeNumbers } from './binary.js';
import { encodeNifti } from './encode.js';
import { NIFTI1_LAYOUT, NIFTI2_LAYOUT, type HeaderFieldName, type HeaderLayout } from './layout.js';
import { mulberry32 as seeded } from '../../util/index.js';

export interface NiftiFuzzCase {
  /** A file name saying what was done, `fuzz-0123-<kind>.nii` (`.nii.gz` when the bytes are gzip). */
  readonly name: string;
  readonly bytes: Uint8Array;
  /** True when no reader may accept the whole file. */
  readonly mustFail: boolean;
}

/** The corpus, the same on every call (one seed). */
export function niftiFuzzCorpus(): NiftiFuzzCase[] {
  const random = seeded(20240607);
  const randomInt = (n: number) => Math.floor(random() * n);
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => randomInt(256));

  interface Base { name: string; raw: Uint8Array; layout: HeaderLayout; littleEndian: boolean }

  function base(name: string, version: 1 | 2, littleEndian: boolean, datatype: 'int16' | 'float32' | 'int64' | 'float64'): Base {
    const data = Float32Array.from({ length: 60 }, (_, i) => (i * 37) % 101 - 50);
    const affine = Float64Array.from([-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1]);
    const raw = encodeNifti({ data, shape: [5, 4, 3], affine }, { version, littleEndian, datatype, description: name });
    return { name, raw, layout: version === 2 ? NIFTI2_LAYOUT : NIFTI1_LAYOUT, littleEndian };
  }

  const extensionFixture = readFileSync(fileURLToPath(new URL('../../../test-fixtures/nifti/extension.nii', import.meta.url)));
  const bases: Base[] = [
    base('v1-le-int16', 1, true, 'int16'),
    base('v1-be-float32', 1, false, 'float32'),
    base('v2-le-float64', 2, true, 'float64'),
    base('v2-be-int64', 2, false, 'int64'),
    { name: 'extension', raw: new Uint8Array(extensionFixture), layout: NIFTI1_LAYOUT, littleEndian: true },
  ];

  const cases: NiftiFuzzCase[] = [];
  let serial = 0;
  const add = (kind: string, bytes: Uint8Array, mustFail: boolean) =>
    cases.push({ name: `fuzz-${String(serial++).padStart(4, '0')}-${kind}.nii${bytes[0] === 0x1f ? '.gz' : ''}`, bytes, mustFail });

  function patched(b: Base, name: HeaderFieldName, value: number | number[]): Uint8Array {
    const bytes = new Uint8Array(b.raw);
    const view = new DataView(bytes.buffer);
    const spec = b.layout.fields[name];
    if (Array.isArray(value)) writeNumbers(view, spec, value, b.littleEndian);
    else writeNumber(view, spec, value, b.littleEndian);
    return bytes;
  }

  for (const b of bases) {
    const gz = gzipSync(b.raw);
    // Truncation at every kind of boundary: inside sizeof_hdr, before/after each header part, inside the data.
    for (const at of [0, 1, 3, 4, 5, 12, 40, 70, 108, 123, 148, 252, 344, 347, 348, 351, 352, 400, 540, 543, 544, 560, b.raw.length - 1]) {
      if (at < b.raw.length) {
        add(`${b.name}-cut${at}`, b.raw.subarray(0, at), true);
        add(`${b.name}-gzcut${at}`, gzipSync(b.raw.subarray(0, at)), true);
      }
    }
    for (const at of [1, 2, 9, 10, 11, 20, gz.length >> 2, gz.length >> 1, gz.length - 8, gz.length - 4, gz.length - 1]) {
      add(`${b.name}-gzstream${at}`, gz.subarray(0, at), true);
    }
    // Extra bytes after the data: the header no longer matches the file.
    add(`${b.name}-trailing`, Uint8Array.from([...b.raw, 1, 2, 3]), true);

    // Targeted bad fields.
    const fields = b.layout.fields;
    const rank = (v: number) => [v, 5, 4, 3, 1, 1, 1, 1];
    for (const dim of [rank(0), rank(-1), rank(8), rank(100), [3, 0, 4, 3, 1, 1, 1, 1], [3, 5, -5, 3, 1, 1, 1, 1],
      [3, 32767, 32767, 32767, 1, 1, 1, 1], [4, 5, 4, 3, 7, 1, 1, 1], [3, 5, 4, 4, 1, 1, 1, 1],
      ...(b.layout.version === 2 ? [[3, 2 ** 40, 2 ** 20, 1, 1, 1, 1, 1], [3, 2 ** 53, 1, 1, 1, 1, 1, 1], [3, -(2 ** 40), 1, 1, 1, 1, 1, 1]] : [])]) {
      add(`${b.name}-dim`, patched(b, 'dim', dim), true);
    }
    for (const code of [0, 1, 32, 128, 1280, 1536, 2304, 32767, -1]) add(`${b.name}-datatype${code}`, patched(b, 'datatype', code), true);
    for (const offset of [0, -352, NaN, Infinity, 1e30, 2 ** 60, b.layout.sizeofHdr - 1, 351.5, b.raw.length + 100]) {
      add(`${b.name}-voxoffset`, patched(b, 'vox_offset', offset), true);
    }
    const badInter = patched(b, 'scl_slope', 2);
    writeNumber(new DataView(badInter.buffer), fields.scl_inter, NaN, b.littleEndian);
    add(`${b.name}-slope-inter`, badInter, true);
    add(`${b.name}-srow-nan`, patched(b, 'srow_y', [0, NaN, 0, 0]), true);
    const badQuaternion = patched(b, 'sform_code', 0);
    writeNumber(new DataView(badQuaternion.buffer), fields.qform_code, 1, b.littleEndian);
    writeNumber(new DataView(badQuaternion.buffer), fields.quatern_c, NaN, b.littleEndian);
    add(`${b.name}-quatern-nan`, badQuaternion, true);
    add(`${b.name}-sizeof-hdr`, patched(b, 'sizeof_hdr', 347), true);
    add(`${b.name}-magic`, patched(b, 'magic', 0x41), true);

    // Random byte flips in the header (plain and gzipped) and in the compressed stream.
    for (let trial = 0; trial < 40; trial++) {
      const bytes = new Uint8Array(b.raw);
      for (let flips = 1 + randomInt(4); flips > 0; flips--) bytes[randomInt(b.layout.minVoxOffset)] = randomInt(256);
      add(`${b.name}-flip`, trial % 2 ? gzipSync(bytes) : bytes, false);
    }
    for (let trial = 0; trial < 10; trial++) {
      const bytes = new Uint8Array(gz);
      bytes[10 + randomInt(gz.length - 10)] ^= 1 + randomInt(255);
      add(`${b.name}-gzflip`, bytes, false);
    }
  }

  // Random files, some dressed as gzip or as a NIfTI-1 header.
  for (let trial = 0; trial < 60; trial++) add('random', randomBytes(randomInt(2000)), false);
  for (let trial = 0; trial < 20; trial++) add('random-gz', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...randomBytes(randomInt(1000))]), true);
  for (let trial = 0; trial < 20; trial++) {
    const bytes = randomBytes(348 + randomInt(700));
    new DataView(bytes.buffer).setInt32(0, 348, true);
    bytes.set([0x6e, 0x2b, 0x31, 0], 344);
    add('random-header', bytes, false);
  }

  // Gzip bombs: a small header followed by 16 MiB of zeros; huge claims backed by tiny streams.
  const small = bases[0];
  const padded = new Uint8Array(small.raw.length + 16 * 2 ** 20);
  padded.set(small.raw);
  add('bomb-small-claim', gzipSync(padded, { level: 9 }), true);
  add('bomb-over-cap', gzipSync(patched(bases[2], 'dim', [3, 2000, 2000, 2000, 1, 1, 1, 1])), true);
  add('bomb-tiny-stream', gzipSync(patched(small, 'dim', [3, 1000, 1000, 500, 1, 1, 1, 1])), true);
  add('bomb-v2-dims', gzipSync(patched(bases[2], 'dim', [3, 2 ** 40, 2 ** 20, 1, 1, 1, 1, 1])), true);
  return cases;
}

import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { fmtShape } from '../../util/index.js';
import { DATATYPE_INFO } from './datatype.js';
import { promises as fs } from 'node:fs';
import { openRegularFile, readRegularFile, writeFileAtomic } from '../index.js';
import type { Volume } from '../../volume/index.js';
import { encodeNifti, type NiftiWriteOptions } from './encode.js';
import { gunzipHead, isGzip } from './gzip.js';
import { MAX_HEADER_BYTES, parseHeaderDetailed, type NiftiHeader } from './header.js';
import { parseNifti, type NiftiImage } from './image.js';
import { pathExists as exists } from '../index.js';

/** The file-system edge of the NIfTI code: everything else here works on bytes. */

/** First read of readNiftiHeader; doubled while a gzip stream has not yet yielded a whole header. */
const HEADER_PREFIX_BYTES = 64 * 1024;

export async function readNifti(path: string): Promise<NiftiImage> {
  return parseNifti(await readNiftiBytes(path), path);
}

/**
 * {@link readNifti} and the SHA-256 (hex) of the file's bytes, read once: the checksum is of the very bytes parsed,
 * which is what a record of "these inputs made this output" needs.
 */
export async function readNiftiWithSha256(path: string): Promise<{ image: NiftiImage; sha256: string }> {
  const bytes = await readNiftiBytes(path);
  return { image: parseNifti(bytes, path), sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function readNiftiBytes(path: string): Promise<Uint8Array> {
  return withPath(`readNifti: ${path}`, async () => {
    // A gzip file is at most as large as what it inflates to, give or take its few header bytes.
    return readRegularFile(path, { limit: 'niftiBytes', what: 'one image' });
  });
}

export async function readNiftiHeader(path: string): Promise<NiftiHeader> {
  const who = `readNiftiHeader: ${path}`;
  const handle = await withPath(who, () => openRegularFile(path));
  try {
    const { size } = await withPath(who, () => handle.stat());
    for (let wanted = HEADER_PREFIX_BYTES; ; wanted *= 2) {
      const bytes = await withPath(who, () => readStart(handle, Math.min(wanted, size)));
      const complete = bytes.length < wanted || !isGzip(bytes) ||
        gunzipHead(bytes, MAX_HEADER_BYTES, who).length >= MAX_HEADER_BYTES;
      if (complete) return parseHeaderDetailed(bytes, path, 'readNiftiHeader').header;
    }
  } finally {
    await handle.close();
  }
}

async function readStart(handle: fs.FileHandle, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  const { bytesRead } = await handle.read(buffer, 0, length, 0);
  return buffer.subarray(0, bytesRead);
}

/**
 * Writes `volume` atomically (readers never see a half-written file), gzip-compressed iff `path` ends in
 * .gz. An existing file is kept unless `options.overwrite`, so an input is never replaced by accident.
 */
export async function writeNifti(path: string, volume: Volume, options: NiftiWriteOptions = {}): Promise<void> {
  const who = `writeNifti: ${path}`;
  const bytes = encodeNifti(volume, { ...options, gzip: path.toLowerCase().endsWith('.gz') });
  await withPath(who, async () => {
    // Checked before the write to fail fast, and again atomically when the file is published.
    if (!options.overwrite && await exists(path)) {
      throw new Error('the file exists; pass overwrite: true to replace it');
    }
    await writeFileAtomic(path, bytes, { replace: options.overwrite === true });
  });
}


/** Runs a file-system step, prefixing any error with the function and path. */
async function withPath<T>(who: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${who}: ${message}`, { cause: error });
  }
}

/**
 * Checks that the voxel data the header of `path` promises are all in the file, without decoding them: an
 * uncompressed file by its size, a gzip one by inflating it as a stream (nothing kept) to count the bytes and let
 * gzip check its CRC. Throws, naming the file and what is missing; resolves with the header otherwise.
 */
export async function verifyNiftiData(path: string): Promise<NiftiHeader> {
  const who = `verifyNiftiData: ${path}`;
  const header = await readNiftiHeader(path);
  const rank = header.dim[0];
  const voxels = header.dim.slice(1, rank + 1).reduce((a, b) => a * b, 1);
  const expected = header.vox_offset + voxels * DATATYPE_INFO[header.datatype].bytes;
  const handle = await withPath(who, () => openRegularFile(path));
  let actual = 0;
  try {
    const start = await readStart(handle, 2);
    if (!isGzip(start)) {
      actual = (await handle.stat()).size;
    } else {
      const inflate = createGunzip();
      const counting = new Writable({ write(chunk: Buffer, _encoding, done) { actual += chunk.length; done(); } });
      await pipeline(handle.createReadStream({ start: 0, autoClose: false }), inflate, counting).catch((error: Error) => {
        throw new Error(`${who}: the gzip stream is damaged or cut short after ${actual} of ${expected} bytes (${error.message})`);
      });
    }
  } finally {
    await handle.close();
  }
  if (actual < expected) {
    throw new Error(`${who}: holds ${actual} bytes, but the header (dims ${fmtShape(header.dim.slice(1, rank + 1))} of ${header.datatype} at `
      + `vox_offset ${header.vox_offset}) needs ${expected}: the voxel data are truncated`);
  }
  return header;
}
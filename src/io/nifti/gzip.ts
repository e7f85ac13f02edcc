import { gunzipSync, constants } from 'node:zlib';
import { assert } from '../../util/index.js';

/**
 * Bounded gunzip for NIfTI files. A hostile .nii.gz can claim any size or inflate ~1000-fold, so every call
 * here is capped before zlib allocates, and zlib's own errors come back as messages that name the file.
 */

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Deflate turns one input byte into at most 1032 output bytes (a 258-byte match coded in 2 bits), so a
 * stream of n compressed bytes can never yield more than this; the slack covers block and member headers.
 */
const DEFLATE_MAX_RATIO = 1032;
const DEFLATE_RATIO_SLACK = 64 * 1024;

/** Compressed prefix tried first when only a header is wanted; it doubles until the header is out. */
const FIRST_PREFIX_BYTES = 1024;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

/** Largest output `compressedBytes` of deflate data can possibly produce. */
export function maxInflatedBytes(compressedBytes: number): number {
  return compressedBytes * DEFLATE_MAX_RATIO + DEFLATE_RATIO_SLACK;
}

/**
 * Decompresses a whole gzip file that must inflate to exactly `expectedBytes` (the header-implied size):
 * refused up front when the input is too small to hold that much, and stopped by zlib as soon as the
 * output would pass it, so a bomb costs at most `expectedBytes` of memory.
 */
export function gunzipExact(bytes: Uint8Array, expectedBytes: number, who: string): Uint8Array {
  assert(maxInflatedBytes(bytes.length) >= expectedBytes, () =>
    `${who}: ${bytes.length} compressed bytes cannot hold the ${expectedBytes} bytes the header implies ` +
    `(deflate expands at most ${DEFLATE_MAX_RATIO}x); the file is truncated or its header is wrong`);
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes, { maxOutputLength: Math.max(1, expectedBytes) });
  } catch (error) {
    throw new Error(`${who}: ${describeZlibError(error, expectedBytes)}`);
  }
  assert(out.length === expectedBytes, () =>
    `${who}: gzip data inflates to ${out.length} bytes, but vox_offset + dims x bitpix/8 = ${expectedBytes}; ` +
    'the file is truncated or its header is wrong');
  return out;
}

/**
 * The first `wanted` decompressed bytes (fewer if the stream ends first), inflating only as much compressed
 * input as needed: tries a 1 KiB prefix, then doubles. Truncated input is fine here (Z_SYNC_FLUSH), which
 * is what lets a caller read a header from the start of a file.
 */
export function gunzipHead(bytes: Uint8Array, wanted: number, who: string): Uint8Array {
  for (let take = Math.min(FIRST_PREFIX_BYTES, bytes.length); ; take = Math.min(2 * take, bytes.length)) {
    let out: Uint8Array;
    try {
      out = gunzipSync(bytes.subarray(0, take), {
        finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: maxInflatedBytes(take),
      });
    } catch (error) {
      throw new Error(`${who}: ${describeZlibError(error, maxInflatedBytes(take))}`);
    }
    if (out.length >= wanted || take === bytes.length) return out.subarray(0, Math.min(wanted, out.length));
  }
}

function describeZlibError(error: unknown, limit: number): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return `gzip data inflates to more than the ${limit} bytes the header implies; refusing to decompress further`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `gzip data is corrupt (zlib: ${message})`;
}

/**
 * Opening untrusted paths: only regular files (symlinks to them included, as git-annex and DataLad data sets use),
 * never a device, FIFO, socket or folder. `/dev/zero` would be read until memory runs out and a FIFO would block
 * forever; both are refused at once, naming the path and what it is. The open is non-blocking, so a FIFO with no
 * writer does not hang it.
 */
import { constants, promises as fs } from 'node:fs';
import { type ReaderLimitName, overLimit, readerLimits } from './readerLimits.js';

/** Opens `path` for reading if it is a regular file; otherwise throws, saying what it is instead. */
export async function openRegularFile(path: string): Promise<fs.FileHandle> {
  // A NUL byte cannot be in a path the system knows (Node would throw a TypeError); a manifest could still hold one.
  if (path.includes('\0')) throw new Error(`${JSON.stringify(path)}: a path cannot contain a NUL byte`);
  if (path === '') throw new Error('"": the path is empty');
  const handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: unknown) => { throw naming(path, error); });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const kind = stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a FIFO' : stat.isCharacterDevice() ? 'a character device'
        : stat.isBlockDevice() ? 'a block device' : stat.isSocket() ? 'a socket' : 'not a file';
      throw new Error(`${path} is ${kind}, not a regular file; only regular files (or links to them) are read`);
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The whole of the regular file `path`; with `maxBytes` (a fixed bound) or `limit` (a user-adjustable one), a larger
 * file is refused before it is read, naming the limit and `what` it is for.
 */
export async function readRegularFile(
  path: string, options: { maxBytes?: number; limit?: ReaderLimitName; what?: string } = {},
): Promise<Buffer> {
  const handle = await openRegularFile(path);
  try {
    const { size } = await handle.stat();
    const what = options.what ?? 'this file';
    if (options.maxBytes !== undefined && size > options.maxBytes) {
      throw new Error(`${path}: ${size} bytes exceed the ${options.maxBytes}-byte limit for ${what}`);
    }
    if (options.limit !== undefined && size > readerLimits()[options.limit]) {
      throw new Error(overLimit(path, options.limit, `${size} bytes for ${what}`));
    }
    return await handle.readFile().catch((error: unknown) => { throw naming(path, error); });
  } finally {
    await handle.close();
  }
}

/** `error` with `path` in its message (Node names the path of a failed open, not of a failed read). */
function naming(path: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return message.includes(path) ? (error as Error) : new Error(`${path}: ${message}`, { cause: error });
}

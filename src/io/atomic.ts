import { promises as fs, openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { processIdentity } from './processes.js';

/**
 * Writes a file so that readers only ever see the old content or the complete new content: the bytes go to
 * a temporary file in the same folder, are flushed to disk, and the temporary file is renamed over the
 * target (rename is atomic within one file system). A crash mid-write leaves at most a stray `.tmp-*` file.
 *
 * With `replace: false` an existing file is never replaced, not even one that appears while the bytes are
 * written: the temporary file is published with link(2), which fails if the name exists, instead of rename(2).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | readonly Uint8Array[],
  { replace = true }: { replace?: boolean } = {}): Promise<void> {
  const tmp = temporaryNameFor(path);
  const handle = await fs.open(tmp, 'wx');
  try {
    for (const chunk of chunksOf(bytes)) await handle.write(chunk);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    if (replace) await fs.rename(tmp, path);
    else await fs.link(tmp, path);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${path} exists; it is left as it was`, { cause: error });
    throw error;
  }
  if (!replace) await fs.rm(tmp, { force: true });
  await syncDirectory(dirname(path));
}

/** Synchronous twin of {@link writeFileAtomic}, for the Ctrl-C path where the event loop may not run again. */
export function writeFileAtomicSync(path: string, bytes: Uint8Array | readonly Uint8Array[]): void {
  const tmp = temporaryNameFor(path);
  const fd = openSync(tmp, 'wx');
  try {
    for (const chunk of chunksOf(bytes)) {
      let offset = 0;
      while (offset < chunk.byteLength) offset += writeSync(fd, chunk, offset);
    }
    fsyncSync(fd);
    closeSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  renameSync(tmp, path);
}

function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function chunksOf(bytes: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  return bytes instanceof Uint8Array ? [bytes] : bytes;
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable. Some file systems refuse fsync on a directory; the data is safe anyway.
  try {
    const handle = await fs.open(dir, 'r');
    try { await handle.sync(); } finally { await handle.close(); }
  } catch { /* best effort: see above */ }
}

/** `.NAME.tmp-PID-HEX`, as {@link temporaryNameFor} makes them. */
const TEMPORARY = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{8}$/;

/**
 * Removes the temporary files an interrupted atomic write left in `dir` (for the files named in `only`, if given),
 * when the process that wrote each is gone; a file of a process still running, this one included, is left alone.
 * Returns what was removed and how many bytes it held.
 */
export async function removeOrphanedTemporaries(dir: string, only?: readonly string[]): Promise<{ readonly files: string[]; readonly bytes: number }> {
  const removed: string[] = [];
  let bytes = 0;
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const match = TEMPORARY.exec(entry.name);
    if (match === null || !entry.isFile() || (only !== undefined && !only.includes(match[1]))) continue;
    // The name records the writer's pid only: a process running under it may be another one, so the file is kept then.
    const pid = Number(match[2]);
    if (pid === process.pid || processIdentity(pid) !== undefined) continue;
    const path = join(dir, entry.name);
    const { size } = await fs.stat(path);
    await fs.rm(path, { force: true });
    removed.push(path);
    bytes += size;
  }
  return { files: removed, bytes };
}
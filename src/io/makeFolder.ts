/**
 * Creating output folders with an error that says why not. Node's recursive mkdir reports ENOENT when a parent sits
 * on a read-only file system, which reads as "the path is wrong"; this says which existing folder is not writable
 * (read-only file system, no permission) or which part of the path is a file.
 */
import { constants, promises as fs } from 'node:fs';
import { dirname } from 'node:path';

/** Creates `dir` and its parents as needed; a failure names the folder that stands in the way and why. */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`cannot create the folder ${dir}: ${await whyNot(dir, error as NodeJS.ErrnoException)}`, { cause: error });
  }
}

async function whyNot(dir: string, error: NodeJS.ErrnoException): Promise<string> {
  let existing = dir;
  for (;;) {
    const stat = await fs.stat(existing).catch(() => undefined);
    if (stat !== undefined) {
      if (!stat.isDirectory()) return `${existing} is a file, not a folder`;
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) return error.message;
    existing = parent;
  }
  const access = await fs.access(existing, constants.W_OK).then(() => undefined, (e: NodeJS.ErrnoException) => e);
  if (access?.code === 'EROFS') return `${existing} is on a read-only file system`;
  if (access?.code === 'EACCES' || access?.code === 'EPERM') return `${existing} is not writable by this user`;
  if (error.code === 'EROFS') return `${existing} is on a read-only file system`;
  return error.message;
}

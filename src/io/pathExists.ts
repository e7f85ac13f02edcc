import { promises as fs } from 'node:fs';

/** Whether anything (file, folder, link) is at `path`; errors other than "not there" are real errors. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

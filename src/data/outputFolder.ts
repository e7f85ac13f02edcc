import { promises as fs } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { assert } from '../util/index.js';

/**
 * Checks, before anything is written, that `outDir` may receive a derived copy of the data set in `inDir`: it
 * does not exist yet or is empty, and it is not inside the input (symlinks resolved), so the input is never
 * touched. `who` names the caller in the error.
 */
export async function checkNewOutputFolder(inDir: string, outDir: string, who: string): Promise<void> {
  const realIn = await fs.realpath(inDir).catch((error: Error) => {
    throw new Error(`${who}: cannot read input ${inDir}: ${error.message}`);
  });
  const existing = await fs.readdir(outDir).catch(() => undefined);
  assert(existing === undefined || existing.length === 0, () =>
    `${who}: output ${outDir} exists and is not empty (${existing!.length} entries); give a new folder`);
  // The output may not exist yet, so resolve its nearest existing ancestor instead (symlinks included).
  const anchor = await nearestExisting(outDir);
  const realOut = join(await fs.realpath(anchor), relative(anchor, outDir));
  assert(realOut !== realIn && !realOut.startsWith(realIn + sep), () =>
    `${who}: output ${outDir} is inside input ${inDir}; the input is never written, give a folder outside it`);
}

async function nearestExisting(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    if (await fs.stat(p).then(() => true, () => false)) return p;
    if (dirname(p) === p) return p;
  }
}

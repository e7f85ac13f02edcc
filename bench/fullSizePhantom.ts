/** The full-size benchmarks' input: one 1 mm BraTS-sized phantom case (SRI24 anatomy, 240×240×155), made by `mrsynth phantom`. */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Generates the case under `work` and returns its folder; `who` names the benchmark in errors. */
export async function fullSizePhantomCase(work: string, who: string): Promise<string> {
  const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  const made = spawnSync(process.execPath, ['--import', 'tsx', cli, 'phantom', '--out', join(work, 'phantom'), '--cases', '1',
    '--seed', '11', '--shape', '240,240,155', '--spacing', '1'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (made.status !== 0) throw new Error(`${who}: generating the phantom case failed (see above)`);
  return (await fs.readdir(join(work, 'phantom'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(work, 'phantom', e.name))[0];
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding mrsynth's package.json, found by walking up from the calling module. Works the same
 * from src/ (tsx), dist/ (built) and an installed package.
 */
export function packageRoot(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`mrsynth: cannot find the package root above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
  return dir;
}

/** mrsynth's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

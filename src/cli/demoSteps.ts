/**
 * The demo's building blocks: each stage runs the very `mrsynth` command a user would (echoed, so that it can be run
 * again by hand), under a numbered heading.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Case, Contrast } from '../data/index.js';
import { makeFolder } from '../io/index.js';

/**
 * Runs one mrsynth command in a child process, the way a user would, echoing it first; `quiet` keeps its own report
 * (not its errors) off the screen where the demo prints what matters of it itself.
 */
export function mrsynth(args: readonly string[], options: { quiet?: boolean } = {}): void {
  console.log(`$ mrsynth ${args.map((a) => (/^[\w./,:=-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`);
  const result = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...args],
    { stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (result.status !== 0) throw new Error(`demo: 'mrsynth ${args[0]}' failed (exit ${result.status ?? result.signal}); see its message above`);
}

export function stage(title: string): void {
  console.log(`\n== ${title}`);
}

/** Copies each case into `into` without its `target`: the input a completion of that contrast starts from. */
export async function copyWithout(cases: readonly Case[], target: Contrast, into: string): Promise<void> {
  for (const c of cases) {
    const folder = join(into, c.id);
    await makeFolder(folder);
    for (const [contrast, path] of Object.entries(c.contrasts) as [string, string][]) {
      if (contrast !== target) await fs.copyFile(path, join(folder, basename(path)));
    }
    if (c.seg) await fs.copyFile(c.seg, join(folder, basename(c.seg)));
  }
}

export function parsePositive(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got '${value}'`);
    return n;
  };
}

/**
 * The layering of the code base, checked rather than hoped for: every relative import of every module under
 * src/ must point at an area its own area may depend on. Lower layers never reach up (the engine knows no
 * models, schedulers know no wavelets, models know no schedulers), and nothing but the CLI itself imports
 * the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = dirname(fileURLToPath(import.meta.url));

/** Area → the areas it may import (besides itself). `util` is open to all. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  util: [],
  tensor: [],
  nn: ['tensor'],
  optim: ['tensor', 'nn'],
  volume: [],
  io: ['tensor', 'nn', 'optim', 'volume'],
  data: ['io', 'volume'],
  transforms: ['volume'],
  phantom: ['io', 'volume', 'data'],
  metrics: ['volume', 'transforms', 'data', 'io'],
  baselines: ['data', 'volume'],
  viz: ['volume', 'data', 'io'],
  wavelets: ['tensor'],
  schedulers: ['tensor'],
  models: ['tensor', 'nn'],
  pipelines: ['tensor', 'models', 'schedulers', 'wavelets'],
  runs: ['tensor', 'io', 'data', 'transforms', 'models', 'schedulers', 'volume'],
  training: ['tensor', 'nn', 'optim', 'io', 'data', 'transforms', 'models', 'schedulers', 'wavelets', 'pipelines', 'runs', 'metrics', 'volume'],
  completion: ['tensor', 'io', 'data', 'transforms', 'models', 'schedulers', 'wavelets', 'pipelines', 'runs', 'baselines', 'volume'],
  convert: ['tensor', 'nn', 'io', 'models'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const areaOf = (path: string) => relative(src, path).split(sep)[0];

test('every import follows the layering (lower layers never reach up; only the CLI imports the CLI)', () => {
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = areaOf(file);
    if (from === 'cli' || from.endsWith('.ts')) continue; // the CLI may use everything; src/index.ts re-exports everything
    const isTest = /\.(test|testSupport)\.ts$/.test(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = areaOf(resolve(dirname(file), specifier));
      if (to === from || to === 'util') continue;
      // Tests may build fixtures with any lower-level tool (e.g. phantoms for training tests), never with the CLI.
      const allowed = to !== 'cli' && (ALLOWED[from]?.includes(to) || isTest);
      if (!allowed) violations.push(`${relative(src, file)} imports ${specifier} (${from} → ${to})`);
    }
  }
  assert.ok(Object.keys(ALLOWED).length > 10);
  assert.deepEqual(violations, []);
});

test('every area under src/ has a place in the layering', () => {
  const areas = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory() && name !== 'cli');
  assert.deepEqual(areas.filter((a) => !(a in ALLOWED)), []);
});

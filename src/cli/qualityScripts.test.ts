/**
 * The quality scripts (scripts/quality/*.mjs) run against the compiled package in dist/, outside the type checker:
 * a module that moves or a name that is no longer exported would only show when someone reruns an evaluation.
 * This test imports every dist/ module they import and checks every name they take from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../util/index.js';

const root = packageRoot(import.meta.url);
const scripts = join(root, 'scripts', 'quality');

test('every dist/ module the quality scripts import exists and exports every name they use', async () => {
  assert.ok(existsSync(join(root, 'dist', 'index.js')), 'dist/ is not built: run npm run build (scripts/test.sh does)');
  const wanted = new Map<string, Set<string>>();
  for (const name of readdirSync(scripts).filter((n) => n.endsWith('.mjs'))) {
    const text = readFileSync(join(scripts, name), 'utf8');
    for (const [, names, module] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]\.\.\/\.\.\/(dist\/[^'"]+)['"]/g)) {
      const set = wanted.get(module) ?? new Set<string>();
      for (const n of names.split(',').map((s) => s.trim().split(/\s+as\s+/)[0]).filter(Boolean)) set.add(n);
      wanted.set(module, set);
    }
  }
  assert.ok(wanted.size >= 5, `found only ${wanted.size} dist/ modules imported by scripts/quality/*.mjs; has the import form changed?`);
  const missing: string[] = [];
  for (const [module, names] of wanted) {
    const exports = await import(pathToFileURL(join(root, module)).href) as Record<string, unknown>;
    for (const n of names) if (!(n in exports)) missing.push(`${module}: ${n}`);
  }
  assert.deepEqual(missing, []);
});

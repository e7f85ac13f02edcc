#!/usr/bin/env node
// Runs every `*.test.ts` under src/ with Node's test runner (TypeScript loaded through tsx), one file per
// process so a crash or leak in one file cannot hide another's result. Prints each file's time, then the
// runner's totals. Extra arguments filter the files by substring: `npm test -- nifti`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const filters = process.argv.slice(2);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const files = findTests(join(root, 'src')).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
let passed = 0, failed = 0, skipped = 0;
const timings = [];
for (const file of files) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const out = result.stdout + result.stderr;
  const count = (key) => Number((out.match(new RegExp(`^# ${key} (\\d+)$`, 'm')) ?? [0, 0])[1]);
  const [p, f, s] = [count('pass'), count('fail'), count('skipped')];
  const crashed = result.status !== 0 && f === 0;
  passed += p; failed += f + (crashed ? 1 : 0); skipped += s;
  const name = relative(root, file);
  timings.push([name, seconds]);
  const verdict = f > 0 || crashed ? 'FAIL' : 'ok  ';
  console.log(`${verdict} ${name}  ${p} passed${f ? `, ${f} failed` : ''}${s ? `, ${s} skipped` : ''}  (${seconds.toFixed(1)} s)`);
  if (f > 0 || crashed) console.log(out.split('\n').map((l) => `    ${l}`).join('\n'));
}
console.log('\nslowest files:');
for (const [name, s] of [...timings].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${s.toFixed(1).padStart(7)} s  ${name}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);

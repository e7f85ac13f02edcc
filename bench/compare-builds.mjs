#!/usr/bin/env node
// Speed of two builds of mrsynth side by side, through the command line they share (so any two versions compare,
// whatever their internal API): `node bench/compare-builds.mjs OLD_DIR NEW_DIR [REPEATS]`, each DIR a checkout with
// dist/ built and the addon in build/. The builds are alternated REPEATS times (default 5) in one run, in ABBA order,
// so drift of the machine's load falls on both; the medians and their ratio are printed per task:
//   - training steps: the median seconds per step of log.jsonl (steps 4 on, after warm-up);
//   - DDIM steps: the wall time of `complete` with K₂ steps minus that with K₁ steps, over K₂ − K₁, which cancels
//     start-up, reading and writing.
// Tasks: the `tiny` network on a 32³ grid and the `cpu` network on a 64³ grid (phantoms of 4 mm voxels); naming
// some after REPEATS runs only those.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [oldDir, newDir, repeatsArg, ...only] = process.argv.slice(2);
if (!oldDir || !newDir) {
  console.error('usage: node bench/compare-builds.mjs OLD_DIR NEW_DIR [REPEATS] [tiny|cpu …]');
  process.exit(2);
}
const builds = { old: resolve(oldDir), new: resolve(newDir) };
const repeats = Number(repeatsArg ?? 5);
const work = mkdtempSync(join(tmpdir(), 'mrsynth-compare-builds-'));

function cli(build, ...args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [join(builds[build], 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${build}: mrsynth ${args.join(' ')} failed:\n${result.stderr}`);
  return seconds;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const preprocess = JSON.stringify({ preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'crop' }, { kind: 'pad', multiple: [32, 32, 32] }] });
const tasks = [
  { name: 'tiny 32³', config: 'tiny', shape: '32,32,32', trainSteps: 40, ddim: [10, 210] },
  { name: 'cpu 64³', config: 'cpu', shape: '64,64,64', trainSteps: 12, ddim: [5, 25] },
];

try {
  for (const task of tasks.filter((t) => only.length === 0 || only.includes(t.config))) {
    const data = join(work, `data-${task.config}`);
    cli('new', 'phantom', '--out', data, '--cases', '3', '--seed', '1', '--shape', task.shape, '--spacing', '4');
    const caseDir = join(work, `case-${task.config}`);
    cli('new', 'phantom', '--out', caseDir, '--cases', '1', '--seed', '2', '--shape', task.shape, '--spacing', '4');
    // The held-out case lacks T1ce, which is what complete then synthesises.
    for (const file of readdirSync(caseDir, { recursive: true })) if (/_t1ce\.nii/.test(file)) rmSync(join(caseDir, file));
    const train = { old: [], new: [] };
    const ddim = { old: [], new: [] };
    for (let r = 0; r < repeats; r++) {
      // ABBA order: neither build always runs first (after a pause, say) or second (after the other's work).
      for (const build of r % 2 === 0 ? ['old', 'new'] : ['new', 'old']) {
        const run = join(work, `run-${task.config}-${build}-${r}`);
        cli(build, 'train', 'cwdm', '--data', data, '--target', 't1ce', '--config', task.config, '--steps', String(task.trainSteps), '--out', run,
          '--preprocess', preprocess, '--val-every', '100000', '--val-sample-steps', '0', '--checkpoint-every', '100000');
        const steps = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.kind === 'train');
        train[build].push(median(steps.slice(3).map((e) => e.seconds)));
        const [k1, k2] = task.ddim.map((k) => cli(build, 'complete', caseDir, '--models', run, '--steps', String(k), '--out', join(work, `out-${build}-${r}-${k}`)));
        ddim[build].push((k2 - k1) / (task.ddim[1] - task.ddim[0]));
      }
    }
    for (const [what, values] of [['training step', train], ['DDIM step', ddim]]) {
      const [o, n] = [median(values.old), median(values.new)];
      console.log(`${task.name} ${what}: old ${(o * 1000).toFixed(1)} ms, new ${(n * 1000).toFixed(1)} ms (median of ${repeats}); new/old ${(n / o).toFixed(3)}`
        + `  [old ${values.old.map((v) => (v * 1000).toFixed(1)).join(' ')}; new ${values.new.map((v) => (v * 1000).toFixed(1)).join(' ')}]`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

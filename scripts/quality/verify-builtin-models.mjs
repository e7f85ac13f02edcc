// Checks that the built-in models can still be rebuilt (issue 20): for each model of assets/models/manifest.json, its
// own recorded commands (phantom data, then the first training command) are run again in a scratch folder for
// STEPS steps (default 5) and the training losses are compared with those the manifest recorded when it was trained.
// A change to the data generator, the preprocessing, the network, the optimiser or the data order shows up here as a
// different loss; the relative tolerance (default 1e-4) only absorbs the rounding of a different thread count.
//
//   node scripts/quality/verify-builtin-models.mjs [--steps 5] [--tolerance 1e-4] [--models cwdm-phantom-flair,…] [--keep DIR]
//
// Uses the built CLI (dist/). Exits 1, naming the model, the step and both losses, on any mismatch.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '5' }, tolerance: { type: 'string', default: '1e-4' }, models: { type: 'string' },
    keep: { type: 'string' }, assets: { type: 'string', default: 'assets/models' } },
});
const steps = Number(values.steps);
const tolerance = Number(values.tolerance);
const main = resolve('dist/cli/main.js');
const manifest = JSON.parse(readFileSync(join(resolve(values.assets), 'manifest.json'), 'utf8'));
const chosen = values.models === undefined ? manifest.models : manifest.models.filter((m) => values.models.split(',').includes(m.name));
const scratch = values.keep ?? mkdtempSync(join(tmpdir(), 'mrsynth-builtin-verify-'));

/** Runs one recorded `mrsynth …` command line in `cwd`, through bash so that its quoting is the recorded one. */
function run(command, cwd) {
  console.log(`$ ${command}`);
  const result = spawnSync('bash', ['-c', `mrsynth() { "${process.execPath}" "${main}" "$@"; }; ${command}`], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`'${command}' failed (exit ${result.status ?? result.signal})`);
}

let failures = 0;
/** Where each phantom command already ran: models trained on the same phantoms share one generated copy. */
const generated = new Map();
try {
  for (const model of chosen) {
    const [phantom, train] = model.training.commands;
    const recorded = model.training.firstLosses.slice(0, steps);
    if (recorded.length < steps) throw new Error(`${model.name}: the manifest records ${recorded.length} first losses, fewer than --steps ${steps}`);
    const cwd = join(scratch, model.name);
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd, { recursive: true });
    if (generated.has(phantom)) symlinkSync(join(generated.get(phantom), 'data'), join(cwd, 'data'));
    else {
      run(phantom, cwd);
      generated.set(phantom, cwd);
    }
    const total = /--steps (\d+)/.exec(train)?.[1];
    if (total === undefined) throw new Error(`${model.name}: its first training command names no --steps: ${train}`);
    // A decay that ends where the run ends (--lr-decay-to defaults to --steps) keeps its end in the shorter replay.
    const decayEnd = /--lr-decay-from /.test(train) && !/--lr-decay-to /.test(train) ? ` --lr-decay-to ${total}` : '';
    run(`${train.replace(/--steps \d+/, `--steps ${steps}`)}${decayEnd}`, cwd);
    // The run folder the command names (cWDM's models: run; ALDM's first stage: stage1).
    const out = /--out (\S+)/.exec(train)?.[1];
    if (out === undefined) throw new Error(`${model.name}: its first training command names no --out folder: ${train}`);
    const losses = readFileSync(join(cwd, out, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line))
      .filter((entry) => entry.kind === 'train').map((entry) => entry.loss);
    recorded.forEach((expected, i) => {
      const got = losses[i];
      const ok = got !== undefined && Math.abs(got - expected) <= tolerance * Math.abs(expected);
      console.log(`${model.name} step ${i + 1}: loss ${got} (manifest ${expected})${ok ? '' : '  MISMATCH'}`);
      if (!ok) failures += 1;
    });
  }
} finally {
  if (values.keep === undefined) rmSync(scratch, { recursive: true, force: true });
}
if (failures > 0) {
  console.error(`${failures} training loss(es) differ from the manifest's by more than a relative ${tolerance}: the built-in models would not rebuild as shipped`);
  process.exit(1);
}
console.log(`the first ${steps} training losses of ${chosen.length} built-in model(s) match the manifest`);

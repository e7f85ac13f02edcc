#!/usr/bin/env node
// The kill -9 drill (`npm run drill -- [KILLS] [COMPLETION_KILLS]`): trains a small run while killing it with SIGKILL
// KILLS times (default 20; at least a quarter of them while a checkpoint's temporary file exists), resuming after
// each, and kills COMPLETION_KILLS completions (default 8); then compares the final files with those of
// uninterrupted runs, byte for byte, and prints the steps each kill lost. Exits 1 if any file differs, a kill lost
// more than one checkpoint interval, a partial file is left under a final name, or a temporary file survives a resume.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const cli = join(root, 'dist', 'cli', 'main.js');
const kills = Number(process.argv[2] ?? 20);
const completionKills = Number(process.argv[3] ?? 8);
const steps = 40 + 2 * kills;
const CHECKPOINT_EVERY = 2;
const env = { ...process.env, MRSYNTH_THREADS: '1' };
const work = mkdtempSync(join(tmpdir(), 'mrsynth-drill-'));
let random = 12345;
const uniform = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const run = (...args) => {
  const result = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`mrsynth ${args.join(' ')} failed:\n${result.stderr}`);
};
const sha = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const checkpointStep = (dir) => {
  const bytes = readFileSync(join(dir, 'checkpoint.safetensors'));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  return Number(header.__metadata__.step);
};
const lastLoggedStep = (dir) => {
  const lines = existsSync(join(dir, 'log.jsonl')) ? readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').filter(Boolean) : [];
  const trained = lines.map((l) => JSON.parse(l)).filter((e) => e.kind === 'train');
  return trained.length ? trained[trained.length - 1].step : 0;
};
const temporaries = (dir) => (existsSync(dir) ? readdirSync(dir).filter((name) => /\.tmp-\d+-[0-9a-f]{8}$/.test(name)) : []);

/** Starts `args`, kills it with SIGKILL once `when()` says so (polled every millisecond), and waits for it to end. */
function killWhen(args, when) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: 'ignore' });
    let killed = false;
    const poll = setInterval(() => {
      if (!killed && when()) { killed = true; child.kill('SIGKILL'); }
    }, 1);
    child.on('exit', (code, signal) => { clearInterval(poll); done({ killed: signal === 'SIGKILL', code }); });
  });
}

const failures = [];
try {
  const data = join(work, 'data');
  run('phantom', '--out', data, '--cases', '5', '--shape', '24,24,24', '--spacing', '8', '--seed', '1');
  const preprocess = JSON.stringify({ preset: 'custom', steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'pad', multiple: [8, 8, 8] }] });
  const flags = ['--data', data, '--target', 't1ce', '--config', 'tiny', '--seed', '3', '--preprocess', preprocess, '--val-every', '1000',
    '--val-sample-steps', '0', '--checkpoint-every', String(CHECKPOINT_EVERY), '--steps', String(steps)];

  const reference = join(work, 'reference');
  run('train', 'cwdm', ...flags, '--out', reference);

  const drilled = join(work, 'drilled');
  console.log(`training drill: ${kills} kills of a ${steps}-step tiny run checkpointing every ${CHECKPOINT_EVERY} steps`);
  console.log('kill  when                 reached  checkpoint  lost  temp left');
  let duringWrite = 0;
  for (let k = 0; k < kills; k++) {
    const first = !existsSync(join(drilled, 'run.json'));
    const args = first ? ['train', 'cwdm', ...flags, '--out', drilled] : ['train', 'cwdm', '--resume', drilled, '--steps', String(steps)];
    // A quarter or more of the kills aim at a checkpoint being written; the rest at a random step.
    const aimAtWrite = duringWrite < Math.ceil(kills / 4) && (k % 4 === 0 || kills - k <= Math.ceil(kills / 4) - duringWrite);
    const before = first ? 0 : lastLoggedStep(drilled);
    // A run killed before its first checkpoint cannot be resumed (there is nothing to resume from), so the first
    // kill waits for one.
    const target = Math.max(before + 1 + Math.floor(uniform() * 4), first ? CHECKPOINT_EVERY + 1 : 0);
    const seen = new Set(temporaries(drilled));
    const hasCheckpoint = () => existsSync(join(drilled, 'checkpoint.safetensors'));
    const { killed } = await killWhen(args, () => (aimAtWrite
      ? hasCheckpoint() && temporaries(drilled).some((name) => name.startsWith('.checkpoint.safetensors.tmp-') && !seen.has(name))
      : hasCheckpoint() && lastLoggedStep(drilled) >= target));
    if (!killed) { failures.push(`kill ${k + 1}: the run ended before it was killed`); break; }
    const left = temporaries(drilled);
    if (left.some((name) => name.startsWith('.checkpoint'))) duringWrite++;
    const reached = lastLoggedStep(drilled);
    const saved = existsSync(join(drilled, 'checkpoint.safetensors')) ? checkpointStep(drilled) : 0;
    const lost = reached - saved;
    if (lost > CHECKPOINT_EVERY) failures.push(`kill ${k + 1} lost ${lost} steps, more than the checkpoint interval ${CHECKPOINT_EVERY}`);
    console.log(`${String(k + 1).padStart(4)}  ${(aimAtWrite ? 'checkpoint write' : `step ≥ ${target}`).padEnd(19)}  ${String(reached).padStart(7)}  `
      + `${String(saved).padStart(10)}  ${String(lost).padStart(4)}  ${left.join(', ') || '-'}`);
  }
  run('train', 'cwdm', '--resume', drilled, '--steps', String(steps));
  if (temporaries(drilled).length > 0) failures.push(`temporary files survived the final resume: ${temporaries(drilled).join(', ')}`);
  for (const file of ['weights.safetensors', 'checkpoint.safetensors']) {
    const same = sha(join(reference, file)) === sha(join(drilled, file));
    console.log(`${file}: ${same ? 'bit-identical to the uninterrupted run' : 'DIFFERS from the uninterrupted run'}`);
    if (!same) failures.push(`${file} differs`);
  }
  console.log(`kills while a checkpoint's temporary file existed: ${duringWrite} of ${kills}`);
  if (duringWrite < Math.ceil(kills / 4)) failures.push(`only ${duringWrite} kills hit a checkpoint write, fewer than a quarter`);

  // Completion: killed at random moments, the output is either absent or complete, and a final run writes the same bytes.
  const caseDir = join(work, 'case');
  run('phantom', '--out', caseDir, '--cases', '1', '--shape', '24,24,24', '--spacing', '8', '--seed', '2');
  for (const name of readdirSync(caseDir, { recursive: true })) if (/_t1ce\.nii/.test(name)) rmSync(join(caseDir, name));
  const completeArgs = (out) => ['complete', caseDir, '--models', reference, '--out', out, '--steps', '200', '--seed', '5'];
  const once = join(work, 'completed-once');
  run(...completeArgs(once));
  const output = (dir) => readdirSync(dir, { recursive: true }).map(String).find((name) => name.endsWith('_t1ce.nii.gz'));
  const expected = sha(join(once, output(once)));
  const killedOut = join(work, 'completed-killed');
  console.log(`completion drill: ${completionKills} kills`);
  for (let k = 0; k < completionKills; k++) {
    // Each attempt starts from no output, so what is there after the kill is this attempt's doing.
    for (const name of existsSync(killedOut) ? readdirSync(killedOut) : []) if (!name.startsWith('.')) rmSync(join(killedOut, name), { recursive: true });
    const started = Date.now();
    const delay = 500 + uniform() * 3500;
    await killWhen([...completeArgs(killedOut), '--force'], () => Date.now() - started >= delay);
    const partial = existsSync(killedOut) ? output(killedOut) : undefined;
    if (partial !== undefined && sha(join(killedOut, partial)) !== expected) failures.push(`completion kill ${k + 1} left a partial ${partial}`);
    console.log(`  kill ${k + 1} after ${(delay / 1000).toFixed(2)} s: output ${partial === undefined ? 'absent' : 'complete'}; `
      + `temporary files ${temporaries(killedOut).join(', ') || '-'}`);
  }
  run(...completeArgs(killedOut), '--force');
  const same = sha(join(killedOut, output(killedOut))) === expected;
  console.log(`completed case: ${same ? 'bit-identical to the uninterrupted completion' : 'DIFFERS'}`);
  if (!same) failures.push('the completed case differs');
  if (temporaries(killedOut).length > 0) failures.push(`temporary outputs survived: ${temporaries(killedOut).join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.log(`FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('drill passed');

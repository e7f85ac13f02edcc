// Packs trained cWDM phantom runs into mrsynth's built-in models (issue 20): per target, the run folder of
// scripts/quality/builtin-models.sh's training (OUT/<target>-cpu/run) is scored on its 20 held-out phantoms and
// copied into assets/models/cwdm-phantom-<target>/ with its weights stored in the narrowest precision that costs less
// than 0.05 dB on every held-out case (bfloat16, then float16, else float32), and its entry in assets/models/manifest.json
// is written: the commands that trained it, the commit, its first training losses, its data, and per held-out case the
// model's brain PSNR and SSIM beside the trained affine baseline (fitted on the training phantoms) and the oracle affine
// floor (fitted on the case itself), all in the run's units.
//
//   node scripts/quality/pack-builtin-models.mjs --from quality-output/builtin --targets flair,t2,t1,t1ce
//
// Uses the built CLI (dist/): run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { safetensors } from '../../dist/index.js';

const { values } = parseArgs({
  options: { from: { type: 'string', default: 'quality-output/builtin' }, targets: { type: 'string', default: 'flair,t2,t1,t1ce' },
    assets: { type: 'string', default: 'assets/models' } },
});
const ASSETS = resolve(values.assets);
const MANIFEST = join(ASSETS, 'manifest.json');
/** The phantoms of scripts/quality/cwdm-phantom.sh (mrsynth demo's cWDM defaults). */
const DATA = { seed: 7, heldoutSeed: 1007, shape: [64, 64, 48], spacing: 3 };
/** The held-out completions' sampler, as the manifest records it and the demo and tests repeat it. */
const SAMPLER = { kind: 'ddim', steps: 50, eta: 0, seed: 7 };
const SAMPLER_ARGS = ['--sampler', SAMPLER.kind, '--steps', String(SAMPLER.steps), '--eta', String(SAMPLER.eta), '--seed', String(SAMPLER.seed)];
/** Storing the weights narrower may cost at most this much brain PSNR on any held-out case. */
const PRECISION_TOLERANCE_DB = 0.05;
const CANDIDATE_DTYPES = [['BF16', 'bfloat16'], ['F16', 'float16']];
const FIRST_LOSSES = 5;
const LICENCE = 'The built-in models are trained on phantoms generated from the SRI24 atlas (CC BY-SA 3.0, assets/sri24/README.md); '
  + 'their weights are distributed under CC BY-SA 3.0 with that attribution, not under mrsynth\'s Apache-2.0, so a model derived from '
  + 'them is shared under the same licence (assets/models/README.md).';
/** A target's one-line note, from its held-out cases (model, trainedAffine, oracleAffine per case). */
const NOTES = {
  t1ce: (cases) => {
    const above = (baseline) => cases.filter((c) => c.model.psnr > c[baseline].psnr).length;
    return `T1ce does not beat the baselines on every case (the trained affine on ${above('trainedAffine')} of ${cases.length}, the oracle floor `
      + `on ${above('oracleAffine')}): the phantoms draw each lesion's enhancement afresh, independent of T1, T2 and FLAIR, so no model of `
      + 'those contrasts can predict it (README, "Quality on phantoms").';
  },
};
const LABEL = { t1: 'T1', t1ce: 'T1ce', t2: 'T2', flair: 'FLAIR' };

function mrsynth(args, options = {}) {
  console.log(`$ mrsynth ${args.join(' ')}`);
  const result = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (result.status !== 0) throw new Error(`mrsynth ${args[0]} failed (exit ${result.status ?? result.signal})`);
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Brain PSNR and SSIM per case from an `mrsynth eval` scores.json. */
function brainScores(dir) {
  const rows = readJson(join(dir, 'scores.json')).rows.filter((row) => row.region === 'brain');
  return new Map(rows.map((row) => [row.caseId, { psnr: row.scores.psnr, ssim: row.scores.ssim }]));
}

/** The weights file `from` with every floating-point tensor stored as `dtype`, its metadata kept. */
function convertWeights(from, to, dtype) {
  const { tensors, metadata } = safetensors.decodeSafetensors(readFileSync(from), from);
  const converted = {};
  for (const [name, raw] of Object.entries(tensors)) {
    const t = safetensors.rawToTensor(raw);
    const narrow = raw.dtype === 'F32' ? t.to(dtype) : t;
    converted[name] = safetensors.tensorToRaw(narrow);
    if (narrow !== t) narrow.dispose();
    t.dispose();
  }
  safetensors.saveSafetensorsSync(to, converted, metadata);
}

/** Completes the held-out inputs with the run in `runDir` and scores them; per-case brain figures. */
function scoreRun(runDir, work, name, heldout, input) {
  const synth = join(work, `synth-${name}`), evalDir = join(work, `eval-${name}`);
  rmSync(synth, { recursive: true, force: true });
  mrsynth(['complete', input, '--models', runDir, ...SAMPLER_ARGS, '--out', synth], { quiet: true });
  mrsynth(['eval', '--pred', synth, '--ref', heldout, '--normalise-as', runDir, '--mask', 'brain', '--out', evalDir, '--force'], { quiet: true });
  return brainScores(evalDir);
}

function packTarget(target, from, commit) {
  const dir = join(from, `${target}-cpu`), run = join(dir, 'run'), work = join(dir, 'pack');
  const config = readJson(join(run, 'run.json'));
  const log = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const trainSteps = log.filter((entry) => entry.kind === 'train');
  const reached = Math.max(...trainSteps.map((entry) => entry.step));
  if (reached < config.training.steps) throw new Error(`${run} is at step ${reached} of ${config.training.steps}: train it to the end first`);
  const heldout = join(dir, 'data', 'heldout'), input = join(dir, 'data', 'heldout-input');
  const trainCases = readdirSync(join(dir, 'data', 'train'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
  mkdirSync(work, { recursive: true });

  console.log(`== ${target}: the float32 run and its narrower copies on ${heldout}`);
  const fp32 = scoreRun(run, work, 'F32', heldout, input);
  let chosen = { dtype: 'F32', folder: run, scores: fp32, cost: 0 };
  for (const [dtype, torchDtype] of CANDIDATE_DTYPES) {
    const folder = join(work, dtype);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder);
    cpSync(join(run, 'run.json'), join(folder, 'run.json'));
    convertWeights(join(run, 'weights.safetensors'), join(folder, 'weights.safetensors'), torchDtype);
    const scores = scoreRun(folder, work, dtype, heldout, input);
    const cost = Math.max(...[...fp32].map(([id, s]) => Math.abs(s.psnr - scores.get(id).psnr)));
    console.log(`${target}: weights stored as ${dtype} change a held-out case's brain PSNR by at most ${cost.toFixed(4)} dB`);
    if (cost < PRECISION_TOLERANCE_DB) {
      chosen = { dtype, folder, scores, cost };
      break;
    }
  }

  console.log(`== ${target}: the trained affine baseline (fitted on the training phantoms) and the oracle affine floor`);
  const baseline = (name, extra) => {
    const out = join(work, name);
    mrsynth(['baseline', 'affine', '--data', heldout, '--target', target, '--normalise-as', run, ...extra, '--out', out, '--force'], { quiet: true });
    mrsynth(['eval', '--pred', out, '--ref', heldout, '--normalise-as', run, '--mask', 'brain', '--out', join(work, `eval-${name}`), '--force'], { quiet: true });
    return brainScores(join(work, `eval-${name}`));
  };
  const trained = baseline('trained-affine', ['--fit-on', join(dir, 'data', 'train')]);
  const oracle = baseline('oracle-affine', []);

  const name = `cwdm-phantom-${target}`;
  const into = join(ASSETS, name);
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  cpSync(join(chosen.folder, 'run.json'), join(into, 'run.json'));
  cpSync(join(chosen.folder, 'weights.safetensors'), join(into, 'weights.safetensors'));
  const weights = join(into, 'weights.safetensors');

  const { training } = config;
  const decay = training.lrDecay;
  const firstSteps = decay === undefined ? training.steps : decay.from;
  const grid = `--shape ${DATA.shape.join(',')} --spacing ${DATA.spacing}`;
  const commands = [
    `mrsynth phantom --out data/train --cases ${trainCases} --seed ${DATA.seed} ${grid}`,
    `mrsynth train cwdm --data data/train --config cpu --seed ${training.seed} --target ${target} --steps ${firstSteps} --preprocess '${JSON.stringify(config.preprocess)}' --out run`,
    ...(decay === undefined ? [] : [`mrsynth train cwdm --resume run --steps ${training.steps} --lr-decay ${decay.shape} --lr-decay-from ${decay.from}`]),
  ];
  const sources = config.conditions.map((c) => LABEL[c]);
  const cases = [...chosen.scores].sort(([a], [b]) => a.localeCompare(b)).map(([id, model]) => ({
    case: id, model, trainedAffine: trained.get(id), oracleAffine: oracle.get(id),
  }));
  return {
    name,
    description: `cWDM cpu: ${LABEL[target]} from ${sources.slice(0, -1).join(', ')} and ${sources.at(-1)}`,
    method: 'cwdm',
    targets: [target],
    folder: name,
    weights: {
      files: [{ file: 'weights.safetensors', sha256: sha256(weights), bytes: readFileSync(weights).length }], dtype: chosen.dtype,
      precisionCostDb: Number(chosen.cost.toFixed(4)),
    },
    training: { commands, commit, steps: training.steps, firstLosses: trainSteps.slice(0, FIRST_LOSSES).map((entry) => entry.loss) },
    data: { phantomSeed: DATA.seed, cases: trainCases, shape: DATA.shape, spacing: DATA.spacing },
    heldout: {
      phantomSeed: DATA.heldoutSeed, sampler: SAMPLER, units: 'cWDM [0, 1] (the run\'s preprocessing, range 1)', mask: 'brain',
      tasks: [{ sources: config.conditions, target, cases }],
    },
    ...(NOTES[target] !== undefined && { note: NOTES[target](cases) }),
  };
}

const from = resolve(values.from);
const targets = values.targets.split(',');
const manifest = existsSync(MANIFEST)
  ? readJson(MANIFEST)
  : { format: 'mrsynth-builtin-models', formatVersion: 2, licence: LICENCE, models: [] };
if (manifest.formatVersion !== 2) throw new Error(`${MANIFEST} is format version ${manifest.formatVersion}; this script writes version 2`);
manifest.licence = LICENCE;
for (const target of targets) {
  const commitFile = join(from, `${target}-cpu.commit`);
  if (!existsSync(commitFile)) throw new Error(`${commitFile} is missing: scripts/quality/builtin-models.sh records the commit a run was trained at`);
  const entry = packTarget(target, from, readFileSync(commitFile, 'utf8').trim());
  manifest.models = [...manifest.models.filter((m) => m.name !== entry.name), entry]
    .sort((a, b) => ['flair', 't2', 't1', 't1ce'].indexOf(a.targets[0]) - ['flair', 't2', 't1', 't1ce'].indexOf(b.targets[0]));
  // Written after each target, atomically, so that an interrupted packing keeps every target packed so far.
  writeFileSync(`${MANIFEST}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${MANIFEST}.tmp`, MANIFEST);
  console.log(`${target}: packed into ${join(ASSETS, entry.name)} (${entry.weights.dtype}, ${(entry.weights.files[0].bytes / 2 ** 20).toFixed(2)} MiB)`);
}

// Packs trained phantom runs into mrsynth's built-in models (issues 19 and 20). cWDM: per target, the run folder of
// scripts/quality/builtin-models.sh's training (OUT/<target>-cpu/run). ALDM (--aldm OUT): the stage-3 run of
// scripts/quality/aldm-phantom.sh (OUT/stage3, or --aldm-run RUN: the variant its A/B kept), one model for every contrast. Each model completes its 20 held-out
// phantoms with each of its targets removed, is copied into assets/models/<name>/ with its weights stored in the
// narrowest precision that costs less than 0.05 dB on every held-out case and target (bfloat16, then float16, else
// float32), and its entry in assets/models/manifest.json is written: the commands that trained it, the commit, its first
// training losses, its data, and per target and held-out case the model's brain PSNR and SSIM beside the trained affine
// baseline (fitted on the training phantoms) and the oracle affine floor (fitted on the case itself), all in the run's
// units, with the sources each completion was made from.
//
//   node scripts/quality/pack-builtin-models.mjs --from quality-output/builtin --targets flair,t2,t1,t1ce
//   node scripts/quality/pack-builtin-models.mjs --aldm quality-output/aldm-phantom
//
// Uses the built CLI (dist/): run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { safetensors } from '../../dist/index.js';

const { values } = parseArgs({
  options: { from: { type: 'string', default: 'quality-output/builtin' }, targets: { type: 'string' }, aldm: { type: 'string' }, 'aldm-run': { type: 'string' },
    assets: { type: 'string', default: 'assets/models' } },
});
const ASSETS = resolve(values.assets);
const MANIFEST = join(ASSETS, 'manifest.json');
/** The phantoms of scripts/quality/cwdm-phantom.sh (mrsynth demo's cWDM defaults) and of scripts/quality/aldm-phantom.sh. */
const DATA = { seed: 7, heldoutSeed: 1007, shape: [64, 64, 48], spacing: 3 };
/**
 * The held-out completions' sampler per method, as the manifest records it and the demo and tests repeat it: cWDM's
 * deterministic DDIM; ALDM's DDIM with η 1, as its quality run translates (scripts/quality/aldm-phantom.sh).
 */
const SAMPLERS = { cwdm: { kind: 'ddim', steps: 50, eta: 0, seed: 7 }, aldm: { kind: 'ddim', steps: 50, eta: 1, seed: 7 } };
const samplerArgs = (sampler) => ['--sampler', sampler.kind, '--steps', String(sampler.steps), '--eta', String(sampler.eta), '--seed', String(sampler.seed)];
const UNITS = {
  cwdm: 'cWDM [0, 1] (the run\'s preprocessing, range 1)',
  aldm: 'ALDM [-1, 1] from each contrast\'s 0.5/99.5 percentiles of the brain\'s box (the run\'s preprocessing, range 2)',
};
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
/** The number of cases (folders) in a phantom data set. */
const caseCount = (dir) => readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
const readLog = (run) => readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));

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

/** A copy of the run in `run` at `folder` (run.json and its weights files), the weights stored as `dtype`. */
function narrowCopy(run, folder, dtype) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  cpSync(join(run, 'run.json'), join(folder, 'run.json'));
  for (const file of Object.values(readJson(join(run, 'run.json')).weights)) convertWeights(join(run, file), join(folder, file), dtype);
}

/** A data set of links to each held-out case's files but `target`'s: what the completion is given. */
function heldoutWithout(heldout, target, into) {
  rmSync(into, { recursive: true, force: true });
  for (const id of readdirSync(heldout, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
    mkdirSync(join(into, id), { recursive: true });
    for (const file of readdirSync(join(heldout, id))) {
      // Phantom files are <case>_<contrast>.nii.gz (BraTS 2021 naming).
      if (file !== `${id}_${target}.nii.gz`) symlinkSync(resolve(heldout, id, file), join(into, id, file));
    }
  }
}

/**
 * Completes the held-out cases without each target with the run in `runDir` and scores them: per target, brain
 * figures per case and the sources the completions were made from (the same for every case: a cWDM run's conditions;
 * the source an ALDM run's validation scored best, every contrast but the target being there).
 */
function scoreRun(runDir, work, name, heldout, targets, sampler) {
  const scored = new Map();
  for (const target of targets) {
    const input = join(work, `input-${target}`), synth = join(work, `synth-${name}-${target}`), evalDir = join(work, `eval-${name}-${target}`);
    heldoutWithout(heldout, target, input);
    rmSync(synth, { recursive: true, force: true });
    mrsynth(['complete', input, '--models', runDir, ...samplerArgs(sampler), '--out', synth], { quiet: true });
    mrsynth(['eval', '--pred', synth, '--ref', heldout, '--normalise-as', runDir, '--mask', 'brain', '--out', evalDir, '--force'], { quiet: true });
    const sources = new Set(readdirSync(synth, { recursive: true }).filter((file) => String(file).endsWith(`_${target}.json`)).map((file) => {
      const sidecar = readJson(join(synth, String(file)));
      return sidecar.translation?.source ?? sidecar.model.config.conditions.join(',');
    }));
    if (sources.size !== 1) throw new Error(`${runDir}: the completions of ${target} were made from different sources (${[...sources].join('; ')})`);
    scored.set(target, { scores: brainScores(evalDir), sources: [...sources][0].split(',') });
  }
  return scored;
}

/** The largest change of any held-out case's brain PSNR between two `scoreRun` results. */
function largestChange(a, b) {
  return Math.max(...[...a].flatMap(([target, { scores }]) => [...scores].map(([id, s]) => Math.abs(s.psnr - b.get(target).scores.get(id).psnr))));
}

/**
 * Packs the trained run `model.run` as the built-in model `model.name`: scored on `model.heldout` at float32 and in the
 * narrower precisions, set beside both affine baselines per target, copied into the assets; returns its manifest entry.
 */
function packModel(model) {
  const { name, method, run, heldout, train, targets } = model;
  const work = join(model.work, 'pack');
  const sampler = SAMPLERS[method];
  mkdirSync(work, { recursive: true });

  console.log(`== ${name}: the float32 run and its narrower copies on ${heldout}`);
  const fp32 = scoreRun(run, work, 'F32', heldout, targets, sampler);
  let chosen = { dtype: 'F32', folder: run, scored: fp32, cost: 0 };
  for (const [dtype, torchDtype] of CANDIDATE_DTYPES) {
    const folder = join(work, dtype);
    narrowCopy(run, folder, torchDtype);
    const scored = scoreRun(folder, work, dtype, heldout, targets, sampler);
    const cost = largestChange(fp32, scored);
    console.log(`${name}: weights stored as ${dtype} change a held-out case's brain PSNR by at most ${cost.toFixed(4)} dB`);
    if (cost < PRECISION_TOLERANCE_DB) {
      chosen = { dtype, folder, scored, cost };
      break;
    }
  }

  console.log(`== ${name}: the trained affine baseline (fitted on the training phantoms) and the oracle affine floor`);
  // A task of one source (ALDM's) is set beside the baselines from that source; a cWDM task's baselines map the best
  // single source of its conditions.
  const baseline = (kind, target, extra) => {
    const out = join(work, `${kind}-${target}`);
    mrsynth(['baseline', 'affine', '--data', heldout, '--target', target, '--normalise-as', run, ...extra, '--out', out, '--force'], { quiet: true });
    mrsynth(['eval', '--pred', out, '--ref', heldout, '--normalise-as', run, '--mask', 'brain', '--out', join(work, `eval-${kind}-${target}`), '--force'],
      { quiet: true });
    return brainScores(join(work, `eval-${kind}-${target}`));
  };
  const tasks = targets.map((target) => {
    const { scores, sources } = chosen.scored.get(target);
    const source = sources.length === 1 ? ['--source', sources[0]] : [];
    const trained = baseline('trained-affine', target, ['--fit-on', train, ...source]);
    const oracle = baseline('oracle-affine', target, source);
    const cases = [...scores].sort(([a], [b]) => a.localeCompare(b)).map(([id, figures]) => ({
      case: id, model: figures, trainedAffine: trained.get(id), oracleAffine: oracle.get(id),
    }));
    return { sources, target, cases };
  });

  const into = join(ASSETS, name);
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  cpSync(join(chosen.folder, 'run.json'), join(into, 'run.json'));
  const files = Object.values(readJson(join(run, 'run.json')).weights).map((file) => {
    cpSync(join(chosen.folder, file), join(into, file));
    return { file, sha256: sha256(join(into, file)), bytes: readFileSync(join(into, file)).length };
  });
  const notes = tasks.filter((task) => NOTES[task.target] !== undefined).map((task) => NOTES[task.target](task.cases));
  return {
    name,
    description: model.description,
    method,
    targets,
    folder: name,
    weights: { files, dtype: chosen.dtype, precisionCostDb: Number(chosen.cost.toFixed(4)) },
    training: model.training,
    data: { phantomSeed: DATA.seed, cases: caseCount(train), shape: DATA.shape, spacing: DATA.spacing },
    heldout: { phantomSeed: DATA.heldoutSeed, sampler, units: UNITS[method], mask: 'brain', tasks },
    ...(notes.length > 0 && { note: notes.join(' ') }),
  };
}

/** The cWDM model of `target` that scripts/quality/builtin-models.sh trained under `from`. */
function cwdmModel(target, from) {
  const dir = join(from, `${target}-cpu`), run = join(dir, 'run');
  const commitFile = join(from, `${target}-cpu.commit`);
  if (!existsSync(commitFile)) throw new Error(`${commitFile} is missing: scripts/quality/builtin-models.sh records the commit a run was trained at`);
  const config = readJson(join(run, 'run.json'));
  const trainSteps = readLog(run).filter((entry) => entry.kind === 'train');
  const reached = Math.max(...trainSteps.map((entry) => entry.step));
  if (reached < config.training.steps) throw new Error(`${run} is at step ${reached} of ${config.training.steps}: train it to the end first`);
  const { training } = config;
  const decay = training.lrDecay;
  const firstSteps = decay === undefined ? training.steps : decay.from;
  const grid = `--shape ${DATA.shape.join(',')} --spacing ${DATA.spacing}`;
  const sources = config.conditions.map((c) => LABEL[c]);
  return {
    name: `cwdm-phantom-${target}`, method: 'cwdm', run, work: dir, heldout: join(dir, 'data', 'heldout'), train: join(dir, 'data', 'train'), targets: [target],
    description: `cWDM cpu: ${LABEL[target]} from ${sources.slice(0, -1).join(', ')} and ${sources.at(-1)}`,
    training: {
      commands: [
        `mrsynth phantom --out data/train --cases ${caseCount(join(dir, 'data', 'train'))} --seed ${DATA.seed} ${grid}`,
        `mrsynth train cwdm --data data/train --config cpu --seed ${training.seed} --target ${target} --steps ${firstSteps} --preprocess '${JSON.stringify(config.preprocess)}' --out run`,
        ...(decay === undefined ? [] : [`mrsynth train cwdm --resume run --steps ${training.steps} --lr-decay ${decay.shape} --lr-decay-from ${decay.from}`]),
      ],
      commit: readFileSync(commitFile, 'utf8').trim(), steps: training.steps, firstLosses: trainSteps.slice(0, FIRST_LOSSES).map((entry) => entry.loss),
    },
  };
}

/**
 * The ALDM model scripts/quality/aldm-phantom.sh trained under `out`: its stage-3 run `stage3` and the chain of runs it
 * was trained from (parent by parent), each run's commands as the script recorded them (RUN.command, one per line: the
 * one that made it and any resume that extended it) with `out` left out of their paths, so that they run in any folder.
 */
function aldmModel(out, stage3) {
  const chain = [];
  for (let run = stage3; run !== undefined;) {
    const config = readJson(join(run, 'run.json'));
    const reached = Math.max(...readLog(run).filter((entry) => entry.kind === 'train').map((entry) => entry.step));
    if (reached < config.training.steps) throw new Error(`${run} is at step ${reached} of ${config.training.steps}: train it to the end first`);
    if (!existsSync(`${run}.command`)) throw new Error(`${run}.command is missing: scripts/quality/aldm-phantom.sh records each run's command beside it`);
    chain.unshift({ run, config });
    run = config.parent?.path;
  }
  const local = (command) => command.replaceAll(`${resolve(out)}/`, '').replaceAll(`${out}/`, '');
  const [first] = chain;
  const contrasts = first.config.methodConfig.contrasts;
  const grid = `--shape ${DATA.shape.join(',')} --spacing ${DATA.spacing}`;
  return {
    name: 'aldm-phantom', method: 'aldm', run: stage3, work: out, heldout: join(out, 'data', 'heldout'), train: join(out, 'data', 'train'),
    targets: contrasts,
    description: `ALDM cpu-f2: any of ${contrasts.slice(0, -1).map((c) => LABEL[c]).join(', ')} and ${LABEL[contrasts.at(-1)]} from any other`,
    training: {
      commands: [
        // BraTS-style phantoms, the default style: the same command as the cWDM models', so a replay generates them once.
        `mrsynth phantom --out data/train --cases ${caseCount(join(out, 'data', 'train'))} --seed ${DATA.seed} ${grid}`,
        ...chain.flatMap(({ run }) => readFileSync(`${run}.command`, 'utf8').trim().split('\n').map(local)),
      ],
      // The commit the last stage was trained at (scripts/quality/aldm-phantom.sh keeps each new run's beside it, RUN.commit).
      commit: readFileSync(`${chain.at(-1).run}.commit`, 'utf8').trim(),
      steps: chain.reduce((sum, { config }) => sum + config.training.steps, 0),
      firstLosses: readLog(first.run).filter((entry) => entry.kind === 'train').slice(0, FIRST_LOSSES).map((entry) => entry.loss),
    },
  };
}

const models = [
  ...(values.targets ?? (values.aldm === undefined ? 'flair,t2,t1,t1ce' : '')).split(',').filter((t) => t !== '').map((t) => cwdmModel(t, resolve(values.from))),
  ...(values.aldm === undefined ? [] : [aldmModel(resolve(values.aldm), resolve(values['aldm-run'] ?? join(values.aldm, 'stage3')))]),
];
const manifest = existsSync(MANIFEST)
  ? readJson(MANIFEST)
  : { format: 'mrsynth-builtin-models', formatVersion: 2, licence: LICENCE, models: [] };
if (manifest.formatVersion !== 2) throw new Error(`${MANIFEST} is format version ${manifest.formatVersion}; this script writes version 2`);
manifest.licence = LICENCE;
const ORDER = ['flair', 't2', 't1', 't1ce'];
for (const model of models) {
  const entry = packModel(model);
  // cWDM's models by target as the demo shows them, then the ALDM model.
  manifest.models = [...manifest.models.filter((m) => m.name !== entry.name), entry]
    .sort((a, b) => (a.method === b.method ? ORDER.indexOf(a.targets[0]) - ORDER.indexOf(b.targets[0]) : a.method === 'cwdm' ? -1 : 1));
  // Written after each model, atomically, so that an interrupted packing keeps every model packed so far.
  writeFileSync(`${MANIFEST}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${MANIFEST}.tmp`, MANIFEST);
  const bytes = entry.weights.files.reduce((sum, f) => sum + f.bytes, 0);
  console.log(`${entry.name}: packed into ${join(ASSETS, entry.name)} (${entry.weights.dtype}, ${(bytes / 2 ** 20).toFixed(2)} MiB)`);
}

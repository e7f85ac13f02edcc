/**
 * The demo's first part: the built-in models (trained on phantoms, shipped in assets/models/) complete held-out phantom
 * cases — each model each of its targets, removed from the case — and are scored beside the two affine baselines: the trained
 * one (one map per target fitted on that model's own training phantoms, what a model trained on them must beat) and the
 * oracle floor (fitted on each held-out case against its own target). Every step is the `mrsynth` command a user would
 * run; the figures are those of `mrsynth eval`, brain-masked in the model's units, as the manifest's were computed, so
 * that they equal the manifest's for the same cases.
 */
import { promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { contrastFileName, discoverDataset, type Case, type Contrast } from '../data/index.js';
import { makeFolder, writeFileAtomic } from '../io/index.js';
import { readNifti } from '../io/nifti/index.js';
import { toRunUnits, type RunUnits } from '../metrics/index.js';
import { BUILTIN_PREFIX, readAnyRunConfig, readBuiltinManifest, type BuiltinModel, type BuiltinScores } from '../runs/index.js';
import { renderSlices } from '../viz/index.js';
import { copyWithout, mrsynth } from './demoSteps.js';
import { describeBuiltinSampler } from './models.js';

/** One held-out case of one built-in model: its figures, the manifest's for the same case, and its picture. */
export interface BuiltinDemoRow {
  readonly model: string;
  readonly target: Contrast;
  readonly case: string;
  readonly scores: { readonly model: BuiltinScores; readonly trainedAffine: BuiltinScores; readonly oracleAffine: BuiltinScores };
  /** The manifest's model figures for this case (absent when the manifest scored fewer cases than the demo). */
  readonly manifest?: BuiltinScores;
  readonly picture: string;
}

/** One target of one built-in model: the `mrsynth eval` folders of the model and of both baselines, for the report. */
export interface BuiltinDemoEvals {
  readonly model: string;
  readonly target: Contrast;
  readonly evals: { readonly model: string; readonly trainedAffine: string; readonly oracleAffine: string };
}

/** Where the demo lists its evaluations (`BuiltinDemoEvals[]`), beside builtin-scores.json. */
export const BUILTIN_DEMO_EVALS = 'builtin-evals.json';

/** The targets in the order the demo shows them: FLAIR, its headline, first. */
const SHOW_ORDER: readonly Contrast[] = ['flair', 't2', 't1', 't1ce', 'pd'];

/**
 * Completes `cases` held-out phantoms with every built-in model, each target the manifest scores it on, and scores them
 * beside both affine baselines, under `out`; returns one row per model, target and case (also written to
 * `out`/builtin-scores.json, and the evaluations' folders to `out`/builtin-evals.json).
 */
export async function demoBuiltinModels(out: string, cases: number): Promise<BuiltinDemoRow[]> {
  const { models } = await readBuiltinManifest();
  if (models.length === 0) {
    console.log('(this installation ships no built-in models)');
    return [];
  }
  const shown = [...models].sort((a, b) => SHOW_ORDER.indexOf(a.targets[0]) - SHOW_ORDER.indexOf(b.targets[0]));
  const dirs = { heldout: join(out, 'data', 'heldout'), phantoms: join(out, 'data', 'training-phantoms') };
  const { data, heldout } = shown[0];
  const grid = ['--shape', data.shape.join(','), '--spacing', String(data.spacing)];
  // The built-in models share one phantom grid and seed; each trained on the first `cases` phantoms of that seed.
  for (const model of shown) {
    if (model.data.phantomSeed !== data.phantomSeed || model.data.shape.join() !== data.shape.join() || model.data.spacing !== data.spacing
      || model.heldout.phantomSeed !== heldout.phantomSeed) {
      throw new Error(`demo: the built-in model ${model.name} was trained on other phantoms than ${shown[0].name}; the demo shows models of one kind`);
    }
  }
  mrsynth(['phantom', '--out', dirs.heldout, '--cases', String(cases), '--seed', String(heldout.phantomSeed), ...grid], { quiet: true });
  const largest = Math.max(...shown.map((model) => model.data.cases));
  mrsynth(['phantom', '--out', dirs.phantoms, '--cases', String(largest), '--seed', String(data.phantomSeed), ...grid], { quiet: true });
  const phantoms = await discoverDataset(dirs.phantoms);
  const heldoutCases = (await discoverDataset(dirs.heldout)).cases;

  const rows: BuiltinDemoRow[] = [];
  const evals: BuiltinDemoEvals[] = [];
  for (const model of shown) {
    console.log(`\n${BUILTIN_PREFIX}${model.name}: ${model.description}`);
    for (const target of model.targets) {
      const done = await demoTarget(model, target, out, dirs.heldout, heldoutCases, phantoms.cases);
      rows.push(...done.rows);
      evals.push(done.evals);
    }
  }
  for (const model of shown) {
    for (const target of model.targets) printTarget(model, target, rows.filter((row) => row.model === model.name && row.target === target));
    if (model.note !== undefined) console.log(`note: ${model.note}`);
  }
  const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 1)}\n`);
  await writeFileAtomic(join(out, 'builtin-scores.json'), json(rows));
  await writeFileAtomic(join(out, BUILTIN_DEMO_EVALS), json(evals));
  return rows;
}

/** One target of one model: held-out cases without it completed, both baselines, their scores and pictures. */
async function demoTarget(model: BuiltinModel, target: Contrast, out: string, heldout: string, cases: readonly Case[], phantoms: readonly Case[]):
  Promise<{ rows: BuiltinDemoRow[]; evals: BuiltinDemoEvals }> {
  const spec = `${BUILTIN_PREFIX}${model.name}`;
  // Per model and target: two models may complete the same target, each in its own units.
  const key = join(model.name, target);
  const dirs = {
    input: join(out, 'input', key), synth: join(out, 'synth', key), trained: join(out, 'baseline', key, 'trained-affine'),
    oracle: join(out, 'baseline', key, 'oracle-affine'), fitOn: join(out, 'data', `training-phantoms-${model.data.cases}`),
  };
  const evals = {
    model: join(out, 'eval', key, 'model'), trainedAffine: join(out, 'eval', key, 'trained-affine'), oracleAffine: join(out, 'eval', key, 'oracle-affine'),
  };
  await copyWithout(cases, target, dirs.input);
  const { kind, steps, eta, seed } = model.heldout.sampler;
  mrsynth(['complete', dirs.input, '--models', spec, '--sampler', kind, '--steps', String(steps), '--eta', String(eta), '--seed', String(seed),
    '--out', dirs.synth], { quiet: true });
  await linkFirst(phantoms, model.data.cases, dirs.fitOn);
  // As the manifest's figures: a target completed from one source (ALDM's choice) beside the baselines from that source.
  const recordedTask = model.heldout.tasks.find((task) => task.target === target)!;
  const source = recordedTask.sources.length === 1 ? ['--source', recordedTask.sources[0]] : [];
  mrsynth(['baseline', 'affine', '--data', heldout, '--target', target, ...source, '--normalise-as', spec, '--fit-on', dirs.fitOn, '--out', dirs.trained,
    '--force'], { quiet: true });
  mrsynth(['baseline', 'affine', '--data', heldout, '--target', target, ...source, '--normalise-as', spec, '--out', dirs.oracle, '--force'], { quiet: true });
  const scores = {
    model: await evaluate(dirs.synth, heldout, spec, evals.model),
    trainedAffine: await evaluate(dirs.trained, heldout, spec, evals.trainedAffine),
    oracleAffine: await evaluate(dirs.oracle, heldout, spec, evals.oracleAffine),
  };
  const units: RunUnits = { preprocess: (await readAnyRunConfig(model.folder)).preprocess, source: spec };
  const rows: BuiltinDemoRow[] = [];
  for (const c of cases) {
    const picture = join(out, 'pictures', model.name, `${c.id}_${target}.png`);
    await drawCase(c, target, dirs, units, picture);
    const recorded = recordedTask.cases.find((m) => m.case === c.id);
    rows.push({
      model: model.name, target, case: c.id, picture,
      scores: { model: scores.model.get(c.id)!, trainedAffine: scores.trainedAffine.get(c.id)!, oracleAffine: scores.oracleAffine.get(c.id)! },
      ...(recorded !== undefined && { manifest: recorded.model }),
    });
  }
  return { rows, evals: { model: model.name, target, evals } };
}

/** `mrsynth eval` of one prediction folder, brain-masked in the model's units; brain PSNR and SSIM per case. */
async function evaluate(pred: string, ref: string, spec: string, out: string): Promise<Map<string, BuiltinScores>> {
  mrsynth(['eval', '--pred', pred, '--ref', ref, '--normalise-as', spec, '--mask', 'brain', '--out', out, '--force'], { quiet: true });
  const { rows } = JSON.parse(await fs.readFile(join(out, 'scores.json'), 'utf8')) as {
    rows: { caseId: string; region: string; scores: { psnr: number; ssim: number } }[];
  };
  return new Map(rows.filter((row) => row.region === 'brain').map((row) => [row.caseId, { psnr: row.scores.psnr, ssim: row.scores.ssim }]));
}

/** A data set folder of links to the first `count` cases: the training phantoms of a model trained on that many. */
async function linkFirst(cases: readonly Case[], count: number, into: string): Promise<void> {
  await fs.rm(into, { recursive: true, force: true });
  await makeFolder(into);
  for (const c of cases.slice(0, count)) await fs.symlink(resolve(dirname(Object.values(c.contrasts)[0])), join(into, c.id));
}

/** Sources, trained affine baseline, model, reference and the model's error, in the model's units. */
async function drawCase(c: Case, target: Contrast, dirs: { synth: string; trained: string }, units: RunUnits, picture: string): Promise<void> {
  const normalised = new Map<string, ReturnType<typeof toRunUnits>>();
  for (const [contrast, path] of Object.entries(c.contrasts) as [Contrast, string][]) normalised.set(contrast, toRunUnits((await readNifti(path)).volume, units));
  const reference = normalised.get(target)!;
  const synth = (await readNifti(join(dirs.synth, c.id, contrastFileName(c, target)))).volume;
  const trainedFile = (await fs.readdir(dirs.trained)).find((f) => f.startsWith(`${c.id}_${target}_`));
  const trained = (await readNifti(join(dirs.trained, trainedFile!))).volume;
  const error = { ...synth, data: synth.data.map((v, i) => Math.abs(v - reference.data[i])) };
  const panels = [
    ...[...normalised].filter(([contrast]) => contrast !== target).map(([contrast, volume]) => ({ name: contrast, volume })),
    { name: 'trained affine', volume: trained }, { name: `built-in ${target}`, volume: synth },
    { name: `${target} (reference)`, volume: reference }, { name: '|model-ref|', volume: error, kind: 'error' as const },
  ];
  await makeFolder(join(picture, '..'));
  await writeFileAtomic(picture, renderSlices(panels).png);
}

function printTarget(model: BuiltinModel, target: Contrast, rows: readonly BuiltinDemoRow[]): void {
  const f = (v: number, digits: number, width = 7) => v.toFixed(digits).padStart(width);
  console.log(`\n${target.toUpperCase()} by ${BUILTIN_PREFIX}${model.name} (${describeBuiltinSampler(model.heldout.sampler)}; brain, ${model.heldout.units})`);
  console.log(`${'case'.padEnd(20)} | model PSNR   SSIM | trained affine PSNR   SSIM | oracle affine PSNR   SSIM`);
  for (const r of rows) {
    const { model: m, trainedAffine: t, oracleAffine: o } = r.scores;
    console.log(`${r.case.padEnd(20)} | ${f(m.psnr, 2, 10)} ${f(m.ssim, 4)} | ${f(t.psnr, 2, 19)} ${f(t.ssim, 4)} | ${f(o.psnr, 2, 18)} ${f(o.ssim, 4)}`);
  }
  const mean = (pick: (r: BuiltinDemoRow) => number) => rows.reduce((s, r) => s + pick(r), 0) / rows.length;
  console.log(`${'mean'.padEnd(20)} | ${f(mean((r) => r.scores.model.psnr), 2, 10)} ${f(mean((r) => r.scores.model.ssim), 4)} | `
    + `${f(mean((r) => r.scores.trainedAffine.psnr), 2, 19)} ${f(mean((r) => r.scores.trainedAffine.ssim), 4)} | `
    + `${f(mean((r) => r.scores.oracleAffine.psnr), 2, 18)} ${f(mean((r) => r.scores.oracleAffine.ssim), 4)}`);
  const wins = rows.filter((r) => r.scores.model.psnr > r.scores.trainedAffine.psnr).length;
  const compared = rows.filter((r) => r.manifest !== undefined);
  const largest = Math.max(0, ...compared.map((r) => Math.abs(r.scores.model.psnr - r.manifest!.psnr)));
  console.log(`the model beats the trained affine baseline on ${wins} of ${rows.length} case(s); its PSNR is the manifest's for `
    + `${compared.length === rows.length ? 'every case' : `the ${compared.length} case(s) it records`} to ${largest.toFixed(3)} dB`);
}

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { fitAffineBaseline } from '../baselines/index.js';
import { discoverDataset, contrastFileName, isContrast, type Case, type Contrast } from '../data/index.js';
import { readNifti, writeNifti, type NiftiImage } from '../io/nifti/index.js';
import { writeFileAtomic } from '../io/index.js';
import { runUnitsSpan, toRunUnits, type RunUnits } from '../metrics/index.js';
import { regionMasks } from '../metrics/index.js';
import { scoreRegions, type MetricScores } from '../metrics/index.js';
import { renderSlices } from '../viz/index.js';
import type { Volume } from '../volume/index.js';
import { pathExists as exists, makeFolder } from '../io/index.js';
import { BUILTIN_PREFIX, readRunConfig } from '../runs/index.js';
import { BUILTIN_DEMO_EVALS, demoBuiltinModels, type BuiltinDemoEvals } from './demoBuiltin.js';
import { copyWithout, mrsynth, parsePositive, stage } from './demoSteps.js';
import { selfCommand } from './selfCommand.js';

interface DemoOptions {
  model: DemoModel;
  out: string;
  trainCases: number;
  testCases: number;
  steps?: number;
  config: string;
  target: Contrast;
  samplerSteps: number;
  stageSteps: readonly [number, number];
  seed: number;
  shape?: string;
  spacing?: string;
  force?: boolean;
  resume?: boolean;
  /** False with --no-builtin: skip the built-in models. */
  builtin: boolean;
  builtinCases: number;
  /** False with --no-report: skip the browser report. */
  report: boolean;
}

const DEMO_MODELS = ['cwdm', 'aldm'] as const;
type DemoModel = (typeof DEMO_MODELS)[number];

/** What `demo.json` records, for --resume: the model and the contrast the demo synthesises. */
interface DemoRecord {
  readonly model: DemoModel;
  readonly target: Contrast;
}

/**
 * Per model: the phantom grid (3 mm keeps a cWDM `tiny` step near a second; ALDM's first stage works on the whole image,
 * so its demo takes 6 mm), the steps of ALDM's first two stages (--steps is cWDM's, or ALDM's stage 3), and the name
 * printed.
 */
const DEMO_DEFAULTS: Readonly<Record<DemoModel, { shape: string; spacing: string; steps: number; label: string }>> = {
  cwdm: { shape: '64,64,48', spacing: '3', steps: 250, label: 'cWDM' },
  aldm: { shape: '32,32,24', spacing: '6', steps: 500, label: 'ALDM' },
};
/** Steps of ALDM's stages 1 and 2: the autoencoder is the slow one and the one that bounds every translation. */
const ALDM_STAGE_STEPS = [500, 150] as const;

/**
 * The model grid of the demo: the cWDM intensity map ([0, 1] from the 0.1/99.9 percentiles), cropped to the
 * brain and padded to a multiple of 16 voxels — what the `tiny` and `cpu` networks need — instead of the
 * full-resolution 224x224x160 box, so that a short CPU training run sees every voxel it learns from.
 */
const DEMO_PREPROCESS = {
  preset: 'custom',
  steps: [{ kind: 'reorient' }, { kind: 'intensity', preset: 'cwdm' }, { kind: 'crop' }, { kind: 'pad', multiple: [16, 16, 16] }],
};

/**
 * `mrsynth demo`: the whole job on built-in defaults, as a user would run it — first the built-in models (trained on
 * phantoms, shipped with mrsynth) complete held-out phantoms and are scored beside the trained and oracle affine
 * baselines (demoBuiltin.ts); then the training path: phantom data, a short training run (cWDM for one target; or
 * ALDM's three stages, one model for every contrast), completion of held-out cases, evaluation against the affine
 * baseline, and pictures. Each stage that has a command runs that very command (printed, so it can
 * be re-run by hand); the comparison with the baseline is computed here, in the run's units for both.
 */
export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('run the main job end to end on phantom data: the built-in models complete held-out cases beside the affine '
      + 'baselines; then train cWDM (or ALDM) briefly, complete held-out cases, evaluate against the affine baseline and write slice pictures')
    .addOption(new Option('--model <method>', 'cwdm: one model for the target; aldm: its three stages, one model for every contrast, '
      + 'its first two stages for --stage-steps').choices(DEMO_MODELS).default('cwdm'))
    .option('--out <dir>', 'output folder', 'demo-output')
    .option('--train-cases <n>', 'phantom cases to train on', parsePositive('--train-cases'), 8)
    .option('--test-cases <n>', 'held-out phantom cases to complete and evaluate', parsePositive('--test-cases'), 3)
    .option('--steps <n>', `training steps (default ${DEMO_DEFAULTS.cwdm.steps}; ALDM: of its stage 3, default ${DEMO_DEFAULTS.aldm.steps})`, parsePositive('--steps'))
    .option('--stage-steps <a,b>', `ALDM: steps of its autoencoder and MS-SPADE stages (default ${ALDM_STAGE_STEPS.join(',')})`, (value: string) => {
      const steps = value.split(',').map((v) => parsePositive('--stage-steps')(v.trim()));
      if (steps.length !== 2) throw new InvalidArgumentError(`--stage-steps takes two step counts, a,b, got '${value}'`);
      return steps as [number, number];
    }, [...ALDM_STAGE_STEPS] as [number, number])
    .option('--config <name>', 'network configuration (cWDM: tiny, cpu, paper; ALDM: tiny, cpu, cpu-f2, code)', 'tiny')
    .option('--target <contrast>', 'the contrast the short training run synthesises', 'flair')
    .option('--sampler-steps <n>', 'DDIM steps when completing', parsePositive('--sampler-steps'), 25)
    .option('--seed <n>', 'seed of the whole run', parsePositive('--seed'), 7)
    .option('--shape <x,y,z>', `phantom grid in voxels (default ${DEMO_DEFAULTS.cwdm.shape}; ALDM ${DEMO_DEFAULTS.aldm.shape})`)
    .option('--spacing <mm>', `phantom voxel size in mm (default ${DEMO_DEFAULTS.cwdm.spacing}; ALDM ${DEMO_DEFAULTS.aldm.spacing})`)
    .option('--builtin-cases <n>', 'held-out phantom cases the built-in models complete', parsePositive('--builtin-cases'), 3)
    .option('--no-builtin', 'skip the built-in models: only the short training run and its evaluation')
    .option('--report', 'write the browser report of everything scored to <out>/report (the default)', true)
    .option('--no-report', 'skip the browser report')
    .option('--force', 'replace the outputs of an earlier demo in --out')
    .option('--resume', 'continue the demo in --out: train its run on to --steps, then complete, evaluate and draw its '
      + 'held-out cases again (replacing those outputs); data, target and network are the run\'s')
    .action(async (options: DemoOptions) => runDemo(options));
}

async function runDemo(options: DemoOptions): Promise<void> {
  const started = performance.now();
  const dirs = {
    train: join(options.out, 'data', 'train'), heldout: join(options.out, 'data', 'heldout'),
    input: join(options.out, 'data', 'heldout-input'), run: join(options.out, 'run'), synth: join(options.out, 'synth'),
    baseline: join(options.out, 'baseline'), pictures: join(options.out, 'pictures'),
    stage1: join(options.out, 'run-stage1'), stage2: join(options.out, 'run-stage2'),
  };
  if (options.force && options.resume) throw new Error('demo: --force starts afresh and --resume continues; give one of them');
  let { model, target } = options;
  const steps = () => options.steps ?? DEMO_DEFAULTS[model].steps;
  // The built-in models are cWDM's; a resumed demo only trains its run on.
  const builtin = options.builtin && model === 'cwdm' && !options.resume;
  const stages = (builtin ? 6 : 5) + (options.report ? 1 : 0);
  let done = 0;
  const next = (title: string) => stage(`${++done}/${stages} ${title}`);
  const builtinPictures: string[] = [];
  if (options.resume) {
    ({ model, target } = await readDemoRecord(options.out, dirs.run));
    next(`phantom data: kept from the earlier demo in ${options.out}`);
    next(`training the run's ${DEMO_DEFAULTS[model].label}${model === 'aldm' ? ' (its stage 3)' : ''} on to step ${steps()}`);
    mrsynth(['train', model, '--resume', dirs.run, '--steps', String(steps())]);
    // Everything below comes from the model; it is redone with the longer-trained one.
    for (const derived of [dirs.input, dirs.synth, dirs.baseline, dirs.pictures, join(options.out, 'demo-scores.json')]) {
      await fs.rm(derived, { recursive: true, force: true });
    }
  } else {
    if (options.force) await fs.rm(options.out, { recursive: true, force: true });
    else if (await exists(options.out)) {
      throw new Error(`demo: ${options.out} exists already; pass --force to replace it, --resume to continue it, or choose another --out`);
    }
    const grid = ['--shape', options.shape ?? DEMO_DEFAULTS[model].shape, '--spacing', options.spacing ?? DEMO_DEFAULTS[model].spacing];
    await makeFolder(options.out);
    if (builtin) {
      next('the built-in models (trained on phantoms, shipped with mrsynth) complete held-out phantoms, beside the trained affine '
        + 'baseline (fitted on their training phantoms) and the oracle affine floor (fitted on each case itself)');
      builtinPictures.push(...(await demoBuiltinModels(join(options.out, 'builtin'), options.builtinCases)).map((row) => row.picture));
    }

    next('the training path — phantom data: training cases, and held-out cases from another seed');
    mrsynth(['phantom', '--out', dirs.train, '--cases', String(options.trainCases), '--seed', String(options.seed), ...grid]);
    mrsynth(['phantom', '--out', dirs.heldout, '--cases', String(options.testCases), '--seed', String(options.seed + 1000), ...grid]);
    const record: DemoRecord = { model, target };
    await writeFileAtomic(join(options.out, 'demo.json'), new TextEncoder().encode(`${JSON.stringify(record)}\n`));

    const common = ['--data', dirs.train, '--config', options.config, '--seed', String(options.seed)];
    if (model === 'cwdm') {
      next(`training cWDM (${options.config}) to synthesise ${target} from the other contrasts`);
      mrsynth(['train', 'cwdm', ...common, '--target', target, '--steps', String(steps()), '--preprocess', JSON.stringify(DEMO_PREPROCESS),
        '--out', dirs.run]);
    } else {
      next(`training ALDM (${options.config}): its autoencoder, its MS-SPADE, then its latent U-Net, one model for every contrast`);
      // Validation once at the end of each stage: at this size it would otherwise cost as much as the training.
      const [autoencoder, spade] = options.stageSteps.map(String);
      mrsynth(['train', 'aldm', ...common, '--stage', 'autoencoder', '--steps', autoencoder, '--preprocess', 'aldm-brainbox',
        '--val-every', autoencoder, '--out', dirs.stage1]);
      mrsynth(['train', 'aldm', ...common, '--stage', 'spade', '--parent', dirs.stage1, '--steps', spade, '--val-every', spade, '--out', dirs.stage2]);
      mrsynth(['train', 'aldm', ...common, '--stage', 'diffusion', '--parent', dirs.stage2, '--steps', String(steps()),
        '--val-every', String(steps()), '--out', dirs.run]);
    }
  }

  next(`completing the held-out cases with ${target} removed`);
  const heldout = await discoverDataset(dirs.heldout);
  await copyWithout(heldout.cases, target, dirs.input);
  // ALDM's reference sampler has η 1; the demo's few steps are DDIM's deterministic form for both.
  mrsynth(['complete', dirs.input, '--models', dirs.run, '--sampler', 'ddim', '--steps', String(options.samplerSteps), '--eta', '0',
    '--seed', String(options.seed), '--out', dirs.synth]);

  const units: RunUnits = { preprocess: (await readRunConfig(dirs.run)).preprocess, source: dirs.run };
  const label = DEMO_DEFAULTS[model].label;
  next(`evaluating against the reference and the affine baseline (brain and tumour, the run's units)`);
  const rows = [];
  await makeFolder(dirs.baseline);
  await makeFolder(dirs.pictures);
  for (const c of heldout.cases) rows.push(await evaluateCase(c, target, dirs, units, label));
  printComparison(rows, label, runUnitsSpan(units));

  next('pictures');
  for (const picture of [...builtinPictures, ...rows.map((row) => row.picture)]) console.log(`  ${picture}`);
  await writeFileAtomic(join(options.out, 'demo-scores.json'), new TextEncoder().encode(`${JSON.stringify(rows, null, 1)}\n`));
  if (options.report) {
    next('the browser report: every score, linked 3D views of each held-out case, the training curves');
    await writeDemoReport(options.out, dirs, { model, target, withBuiltin: await exists(join(options.out, 'builtin', BUILTIN_DEMO_EVALS)) });
  }
  console.log(`\ndemo finished in ${((performance.now() - started) / 1000).toFixed(0)} s; everything is under ${options.out}/`);
}

/**
 * `mrsynth eval` of the training run's completions and baselines (the same scores the table above printed), then
 * `mrsynth report` of those and of the built-in part's evaluations, with the training run's curves.
 */
async function writeDemoReport(out: string, dirs: Record<string, string>, demo: { model: DemoModel; target: Contrast; withBuiltin: boolean }): Promise<void> {
  const evals: [string, string][] = [];
  if (demo.withBuiltin) {
    const shown = JSON.parse(await fs.readFile(join(out, 'builtin', BUILTIN_DEMO_EVALS), 'utf8')) as BuiltinDemoEvals[];
    for (const { model, target, evals: dirs } of shown) {
      evals.push([dirs.model, `${BUILTIN_PREFIX}${model} (${target})`], [dirs.trainedAffine, `trained affine (${target})`],
        [dirs.oracleAffine, `oracle affine (${target})`]);
    }
  }
  const label = DEMO_DEFAULTS[demo.model].label;
  for (const [name, pred] of [['run', dirs.synth], ['baseline', dirs.baseline]]) {
    mrsynth(['eval', '--pred', pred, '--ref', dirs.heldout, '--normalise-as', dirs.run, '--mask', 'brain,tumour', '--out', join(out, 'eval', name),
      '--force'], { quiet: true });
  }
  evals.push([join(out, 'eval', 'run'), `demo ${label} run (${demo.target})`], [join(out, 'eval', 'baseline'), `oracle affine (demo, ${demo.target})`]);
  const runs = demo.model === 'aldm' ? [dirs.stage1, dirs.stage2, dirs.run] : [dirs.run];
  const report = join(out, 'report');
  mrsynth(['report', '--eval', ...evals.map(([dir]) => dir), '--label', ...evals.map(([, name]) => name), '--runs', ...runs,
    '--title', 'mrsynth demo', '--out', report, '--force'], { quiet: true });
  console.log(`report: ${join(report, 'index.html')}\nopen it: ${selfCommand()} serve ${report}   (or open ${join(report, 'index.html')} in a browser)`);
}

/** The model and target of the demo in `out` (a demo from before demo.json existed: cWDM, its run's target). */
async function readDemoRecord(out: string, run: string): Promise<DemoRecord> {
  const path = join(out, 'demo.json');
  if (await exists(path)) {
    const raw = JSON.parse(await fs.readFile(path, 'utf8')) as Partial<Record<keyof DemoRecord, unknown>>;
    if (!(DEMO_MODELS as readonly unknown[]).includes(raw.model) || typeof raw.target !== 'string' || !isContrast(raw.target)) {
      throw new Error(`demo: ${path} should say {"model": ${DEMO_MODELS.join('|')}, "target": a contrast}, got ${JSON.stringify(raw)}`);
    }
    return { model: raw.model as DemoModel, target: raw.target as Contrast };
  }
  const config = await readRunConfig(run).catch((error: Error) => {
    throw new Error(`demo: --resume needs an earlier demo in ${out}, but ${error.message}`);
  });
  return { model: 'cwdm', target: config.target };
}

interface CaseRow {
  case: string;
  model: { brain: MetricScores; tumour: MetricScores };
  baseline: { brain: MetricScores; tumour: MetricScores; source: string };
  picture: string;
}

/**
 * Scores the completed volume and the affine baseline against the reference, all in the run's units: the reference
 * and the sources go through the run's own preprocessing and back (as the synthesis was written), and the baseline is
 * fitted there too (inside the brain, on this very case — the floor a model must beat). It is the least-squares map
 * itself, unclipped, as issue 4 defines it and as every published demo and quality figure used.
 */
async function evaluateCase(c: Case, target: Contrast, dirs: Record<string, string>, units: RunUnits, label: string): Promise<CaseRow> {
  const images: Partial<Record<Contrast, NiftiImage>> = {};
  for (const [contrast, path] of Object.entries(c.contrasts) as [string, string][]) images[contrast as Contrast] = await readNifti(path);
  const reference = images[target]!;
  const seg = c.seg ? (await readNifti(c.seg)).volume.data : undefined;
  const normalised = Object.fromEntries(Object.entries(images).map(([k, v]) => [k, toRunUnits(v!.volume, units)]));
  const synth = (await readNifti(join(dirs.synth, c.id, contrastFileName(c, target)))).volume;

  const masks = regionMasks(['brain', 'tumour'], reference.volume.data, seg, `demo ${c.id}`);
  const brain = masks.get('brain')!;
  const sources = Object.fromEntries(Object.keys(images).filter((k) => k !== target).map((k) => [k, normalised[k].data]));
  const fit = fitAffineBaseline(sources, normalised[target].data, brain);
  const baselineVolume: Volume = { data: fit.prediction, shape: reference.volume.shape, affine: reference.volume.affine };
  await writeNifti(join(dirs.baseline, `${c.id}_${target}_from-${fit.source}.nii.gz`), baselineVolume,
    { like: reference.header, description: `mrsynth affine baseline from ${fit.source}, run units` });

  const score = (pred: Volume) => scoreRegions(pred, normalised[target], masks, { dataRange: runUnitsSpan(units) });
  const model = score(synth), baseline = score(baselineVolume);
  const error = { ...synth, data: synth.data.map((v, i) => Math.abs(v - normalised[target].data[i])) };
  const panels = [
    ...Object.keys(sources).map((k) => ({ name: k, volume: normalised[k] })),
    { name: `baseline (${fit.source})`, volume: baselineVolume }, { name: label, volume: synth },
    { name: `${target} (reference)`, volume: normalised[target] }, { name: `|${label}-ref|`, volume: error, kind: 'error' as const },
  ];
  const picture = join(dirs.pictures, `${c.id}.png`);
  await writeFileAtomic(picture, renderSlices(panels).png);
  return {
    case: c.id, picture,
    model: { brain: model.get('brain')!, tumour: model.get('tumour')! },
    baseline: { brain: baseline.get('brain')!, tumour: baseline.get('tumour')!, source: fit.source },
  };
}

function printComparison(rows: readonly CaseRow[], label: string, dataRange: number): void {
  const f = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : String(v)).padStart(7);
  console.log(`case                       | ${label} PSNR  SSIM | baseline PSNR  SSIM | tumour PSNR ${label} / baseline`);
  for (const r of rows) {
    console.log(`${r.case.padEnd(26)} | ${f(r.model.brain.psnr, 2)} ${f(r.model.brain.ssim, 4)} | `
      + `${f(r.baseline.brain.psnr, 2)}     ${f(r.baseline.brain.ssim, 4)} | ${f(r.model.tumour.psnr, 2)} / ${f(r.baseline.tumour.psnr, 2)}`);
  }
  const mean = (pick: (r: CaseRow) => number) => rows.reduce((s, r) => s + pick(r), 0) / rows.length;
  const sd = (pick: (r: CaseRow) => number) => {
    const m = mean(pick);
    return rows.length < 2 ? NaN : Math.sqrt(rows.reduce((s, r) => s + (pick(r) - m) ** 2, 0) / (rows.length - 1));
  };
  console.log(`${'mean (brain-masked)'.padEnd(26)} | ${f(mean((r) => r.model.brain.psnr), 2)} ${f(mean((r) => r.model.brain.ssim), 4)} | `
    + `${f(mean((r) => r.baseline.brain.psnr), 2)}     ${f(mean((r) => r.baseline.brain.ssim), 4)} |`);
  console.log(`${'std (ddof 1)'.padEnd(26)} | ${f(sd((r) => r.model.brain.psnr), 2)} ${f(sd((r) => r.model.brain.ssim), 4)} | `
    + `${f(sd((r) => r.baseline.brain.psnr), 2)}     ${f(sd((r) => r.baseline.brain.ssim), 4)} |`);
  const wins = rows.filter((r) => r.model.brain.psnr > r.baseline.brain.psnr).length;
  console.log(`${label} beats the baseline's brain PSNR on ${wins} of ${rows.length} case(s).`);
  console.log(`PSNR in dB over brain voxels (data range ${dataRange}). The baseline is the best single-contrast affine map fitted on each case\n`
    + 'against its own reference (an oracle floor). What this run shows is the training path working end to end, not a model to\n'
    + 'use: a few hundred steps of a small network, short of the built-in models, which took thousands of `cpu` steps each\n'
    + '(scripts/quality/builtin-models.sh rebuilds them); `demo --resume --steps N` trains this run on.');
}

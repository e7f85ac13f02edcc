import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { parseContrast, type Contrast } from '../data/index.js';
import { PRECISIONS, type Precision } from '../nn/index.js';
import { LR_DECAY_SHAPES, RANDOM_STREAMS, type LearningRateDecayShape, type RandomStreams } from '../runs/index.js';
import { METHODS } from '../methods/index.js';
import { DataParallel, exitWithLauncher, joinProcessGroup, readLaunchEnvironment } from '../distributed/index.js';
import {
  describeLearningRate, train, type PresetChanges, type TrainOptions, type TrainingRecipe, type ValidationEntry,
} from '../training/index.js';
import { formatGiB } from '../util/index.js';
import { networkConfigOption } from './networkConfigOption.js';
import { parsePreprocessOption } from './preprocessOption.js';

interface TrainFlags {
  data?: string;
  target?: Contrast;
  config?: string | PresetChanges;
  parent?: string;
  randomStreams?: RandomStreams;
  steps: number;
  out?: string;
  resume?: string;
  lr?: number;
  lrDecay?: LearningRateDecayShape;
  lrDecayFrom?: number;
  lrDecayTo?: number;
  lrFinal?: number;
  weightDecay?: number;
  batchSize?: number;
  emaDecay?: number;
  gradClip?: number;
  precision?: Precision;
  seed?: number;
  splitSeed?: number;
  valEvery?: number;
  valSampleSteps?: number;
  flipLr?: number;
  checkpointEvery?: number;
  preprocess?: unknown;
  spacing?: number;
  maxMemory?: number;
  collectiveTimeout: number;
}

/** Exit status of a run stopped by Ctrl-C after writing its checkpoint: the shell's 128 + SIGINT, so scripts see it did not finish. */
const INTERRUPTED_EXIT_CODE = 130;

/**
 * `mrsynth train <method>`, one command per registered method that can be trained: trains one target contrast's
 * model into a run folder (run.json, checkpoint, weights, log.jsonl), with a progress bar on stderr. Ctrl-C
 * finishes the step, checkpoints and exits; a second Ctrl-C exits at once.
 */
export function registerTrainCommand(program: Command): void {
  const command = program.command('train').description('train synthesis models');
  for (const m of Object.values(METHODS)) {
    if (m.training !== undefined) registerMethod(command, m.description, m.training);
  }
}

function registerMethod(command: Command, description: string, recipe: TrainingRecipe): void {
  const method = command.command(recipe.method)
    .description(`train ${description}; writes RUN/run.json, RUN/checkpoint.safetensors, the weights completion uses (EMA where `
      + 'averaged) and RUN/log.jsonl')
    .option('--data <dir>', 'data set folder or manifest (required for a new run)')
    .option('--target <contrast>', 'contrast to synthesise: t1, t1ce, t2, flair or pd (a new run of a one-target method needs it)', (v) => parseContrast(v, '--target'))
    .option('--config <preset|json>', `network size: one of ${recipe.presets.join(', ')} (default ${recipe.defaultPreset} for a new run), or changes `
      + 'to one as JSON or a .json file, e.g. \'{"preset": "cpu", "numResBlocks": 2}\' (recorded in run.json in full)', networkConfigOption(recipe.presets))
    .requiredOption('--steps <n>', 'train to this many steps in all', positiveInteger('--steps'))
    .option('--out <dir>', 'run folder to create')
    .option('--resume <dir>', 'continue this run folder from its checkpoint; flags given must match the run, except --steps '
      + 'and a learning-rate decay that starts at or after the step the run has reached')
    .option('--lr <x>', 'AdamW learning rate (default: the method\'s for the preset and stage; cWDM 1e-3 tiny, 2e-4 cpu, 1e-5 paper; ALDM '
      + 'cpu and cpu-f2 1e-4 for stage 1 and 2e-4 for stages 2 and 3, code 4e-5, 8e-5, 4e-5)', positiveNumber('--lr'))
    .addOption(new Option('--lr-decay <shape>', 'decay the learning rate from --lr to --lr-final over steps --lr-decay-from to '
      + '--lr-decay-to (default: constant, as the reference)').choices(LR_DECAY_SHAPES))
    .option('--lr-decay-from <step>', 'step the decay starts at (default 0)', nonNegativeInteger('--lr-decay-from'))
    .option('--lr-decay-to <step>', 'step the decay ends at, training on at --lr-final after it (default --steps)', positiveInteger('--lr-decay-to'))
    .option('--lr-final <x>', 'learning rate the decay ends at (default 0)', nonNegativeNumber('--lr-final'))
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (default 0, as the reference)', nonNegativeNumber('--weight-decay'))
    .option('--batch-size <n>', 'cases per step (default 1, as the reference)', positiveInteger('--batch-size'))
    .option('--ema-decay <x>', 'EMA decay approached after warm-up (default 0.9999)', nonNegativeNumber('--ema-decay'))
    .option('--grad-clip <x>', 'clip the global gradient norm to this (default: no clipping, as the reference)', positiveNumber('--grad-clip'))
    .addOption(new Option('--precision <p>', 'what the network runs in (default fp32 for a new run): bf16 is faster on CPUs with '
      + 'bfloat16 instructions and keeps float32 master weights for AdamW and the EMA').choices(PRECISIONS))
    .option('--seed <n>', 'seed of initialisation, data order and noise (default 0)', nonNegativeInteger('--seed'))
    .addOption(new Option('--random-streams <kind>', 'keyed (default for a new run): every sample\'s timestep and noise from its own '
      + 'generator keyed by the seed and its position, so batch sizes draw alike; sequential: one stream, as runs before mrsynth 0.2').choices(RANDOM_STREAMS))
    .option('--parent <dir>', 'the run this one is trained on top of, for a method stage that takes networks from an earlier one, or a run '
      + '(or builtin:<name>) whose networks this one starts from and trains further (a cWDM U-Net of the same task and --config; '
      + 'ALDM stage 1: its autoencoder); new run only')
    .option('--split-seed <n>', 'seed of the train/validation split by subject and of the validation draws (default 0)', nonNegativeInteger('--split-seed'))
    .option('--val-every <n>', 'validate every n steps, and at the start and the end (default 200; a resumed run keeps what it recorded)', positiveInteger('--val-every'))
    .option('--val-sample-steps <n>', 'DDIM steps for the sampled validation case, 0 for none (default 10; a resumed run keeps what it recorded)', nonNegativeInteger('--val-sample-steps'))
    .option('--checkpoint-every <n>', 'checkpoint every n steps, and at the end (default 1000; a resumed run keeps what it recorded)', positiveInteger('--checkpoint-every'))
    .option('--preprocess <preset|json>', 'a preset (the method\'s own by default: cwdm for cWDM, aldm for ALDM; also cwdm-brainbox, aldm-brainbox, '
      + 'reference) or a preprocessing config as JSON', parsePreprocessOption)
    .option('--spacing <mm>', 'resample to this isotropic voxel size first (e.g. 2 for the cpu network)', positiveNumber('--spacing'))
    .option('--max-memory <GiB>', 'refuse to start if the estimated need exceeds this (default: the machine\'s memory)', positiveNumber('--max-memory'))
    .option('--flip-lr <p>', 'mirror each training sample left–right (all its contrasts together) with this probability (default 0; the '
      + 'preprocessing must reorient to RAS); each case\'s mirror image is kept in memory beside it', numberFlag('--flip-lr', (n) => n >= 0 && n <= 1, 'a probability in [0, 1]'))
    .option('--collective-timeout <seconds>', 'in a data-parallel job (mrsynth launch, or torchrun\'s variables set): how long the '
      + 'rendezvous and each step\'s all-reduce may wait for the other ranks; a rank that died is noticed at once by its lost connection',
    positiveNumber('--collective-timeout'), 300)
    .action(async (flags: TrainFlags) => runTrain(recipe, flags));
  for (const option of recipe.methodOptions ?? []) {
    const flag = `--${option.name}`;
    const added = new Option(`${flag} <value>`, option.description);
    if (option.choices !== undefined) added.choices(option.choices);
    const { parse } = option;
    if (parse !== undefined) {
      added.argParser((value: string) => {
        try {
          return parse(value, flag);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      });
    }
    method.addOption(added);
  }
}

/** The values of the recipe's own flags that were given, by option name. */
function methodOptionValues(recipe: TrainingRecipe, flags: TrainFlags): Record<string, unknown> {
  const values = flags as unknown as Record<string, unknown>;
  const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  return Object.fromEntries((recipe.methodOptions ?? []).flatMap((o) => (values[camel(o.name)] === undefined ? [] : [[o.name, values[camel(o.name)]]])));
}

async function runTrain(recipe: TrainingRecipe, flags: TrainFlags): Promise<void> {
  const who = `mrsynth train ${recipe.method}`;
  if (flags.out === undefined && flags.resume === undefined) throw new Error(`${who}: give --out RUN for a new run or --resume RUN to continue one`);
  if (flags.out !== undefined && flags.resume !== undefined && resolve(flags.out) !== resolve(flags.resume)) {
    throw new Error(`${who}: --resume ${flags.resume} continues that run in place; --out ${flags.out} names another folder`);
  }
  const out = (flags.resume ?? flags.out)!;
  const parallel = joinJob(flags.collectiveTimeout);
  if (parallel === undefined) {
    await runTrainReporting(recipe, flags, out);
    return;
  }
  try {
    await runTrainRank(recipe, flags, out, parallel);
  } finally {
    parallel.group.close();
  }
}

/** A training that reports: a single process, or rank 0 of a data-parallel job. */
async function runTrainReporting(recipe: TrainingRecipe, flags: TrainFlags, out: string, parallel?: DataParallel): Promise<void> {
  const who = `mrsynth train ${recipe.method}`;
  const controller = new AbortController();
  const bar = new SingleBar({
    format: `train ${recipe.method} [{bar}] {value}/{total} | loss {loss} | lr {lr} | {rate} steps/s | val {val}`, stream: process.stderr, hideCursor: true,
  }, Presets.shades_classic);
  // Before the first step: reading the cases, then encoding them with a later stage's frozen networks (minutes for a large data set).
  const preparing = new SingleBar({ format: `train ${recipe.method}: {phase} cases [{bar}] {value}/{total}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic);
  let rate = 0;
  let training = false;
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT_CODE);
    controller.abort();
    // Before the first step a single process stops after the case in hand; a data-parallel job's ranks agree at the first step.
    const what = training || parallel !== undefined ? 'stopping after this step and writing a checkpoint' : 'stopping after this case; nothing is written';
    process.stderr.write(`\n${who}: ${what} (Ctrl-C again to quit at once)\n`);
  };
  process.on('SIGINT', onInterrupt);
  let result;
  try {
    result = await train(recipe, { ...trainOptions(recipe, flags, out), signal: controller.signal, ...(parallel !== undefined && { parallel }) }, {
      onPreparing: ({ phase, done, total }) => {
        if (done === 0) preparing.start(total, 0, { phase });
        else preparing.update(done, { phase });
        if (done === total) preparing.stop();
      },
      onStart: (info) => {
        preparing.stop();
        training = true;
        const processes = info.worldSize > 1 ? `; ${info.worldSize} processes × batch ${info.config.training.batchSize} `
          + `(effective batch ${info.worldSize * info.config.training.batchSize})` : '';
        process.stderr.write(`${who}: ${info.task}, ${info.networks}; ${info.trainCases} training and `
          + `${info.validationCases} validation cases on a ${info.grid.join('×')} grid; lr ${describeLearningRate(info.config.training)}; precision ${info.config.training.precision}; `
          + `about ${formatGiB(info.memory.total)} of memory${processes}${info.startStep > 0 ? `; resuming at step ${info.startStep}` : ''}\n`);
        bar.start(info.config.training.steps, info.startStep, { loss: '-', lr: '-', rate: '-', val: '-' });
      },
      onStep: (entry) => {
        // Smoothed over about 20 steps: single steps vary with validation, checkpoints and machine load.
        rate = rate === 0 ? 1 / entry.seconds : 0.95 * rate + 0.05 / entry.seconds;
        bar.update(entry.step, { loss: entry.loss.toFixed(5), lr: entry.lr.toPrecision(3), rate: rate.toFixed(2) });
      },
      onValidation: (entry) => bar.update({ val: describeValidation(entry) }),
      onNotice: (message) => process.stderr.write(`${who}: ${message}\n`),
    });
  } catch (error) {
    throw parallel === undefined ? error : new Error(`rank 0 of ${parallel.worldSize}: ${(error as Error).message}`);
  } finally {
    preparing.stop();
    bar.stop();
    process.off('SIGINT', onInterrupt);
  }
  if (result.stoppedBeforeTraining) {
    process.stdout.write(flags.resume !== undefined ? `stopped before training resumed; the run in ${resolve(out)} is as it was\n`
      : 'stopped before training began; nothing was written\n');
    process.exitCode = INTERRUPTED_EXIT_CODE;
    return;
  }
  const last = result.lastValidation;
  process.stdout.write(`${result.interrupted ? 'stopped' : 'trained'} at step ${result.step} of ${result.config.training.steps}`
    + `${last ? `; validation ${describeValidation(last)}` : ''}\nrun folder: ${resolve(out)} (sampling weights: ${Object.values(result.config.weights).join(', ')})\n`);
  if (result.interrupted) {
    process.stdout.write(`resume with: mrsynth train ${recipe.method} --resume ${out} --steps ${result.config.training.steps}\n`);
    process.exitCode = INTERRUPTED_EXIT_CODE;
  }
}

/**
 * The data-parallel job this process is a worker of (torchrun's variables, as `mrsynth launch` or a cluster's launcher
 * sets them), joined; undefined for a single process.
 */
function joinJob(timeoutSeconds: number): DataParallel | undefined {
  // A worker of `mrsynth launch` ends with it, even a job of one process.
  exitWithLauncher();
  const launch = readLaunchEnvironment();
  if (launch === undefined || launch.worldSize === 1) return undefined;
  return new DataParallel(joinProcessGroup(launch, timeoutSeconds * 1000), launch);
}

/**
 * One rank of a data-parallel training. Rank 0 reports as a single process does (progress bar, notices, result);
 * the others stay quiet but for errors, which name their rank.
 */
async function runTrainRank(recipe: TrainingRecipe, flags: TrainFlags, out: string, parallel: DataParallel): Promise<void> {
  if (parallel.isRoot) {
    await runTrainReporting(recipe, flags, out, parallel);
    return;
  }
  const controller = new AbortController();
  // A second Ctrl-C quits at once, as in a single process; the first is agreed with the other ranks.
  const onInterrupt = () => (controller.signal.aborted ? process.exit(INTERRUPTED_EXIT_CODE) : controller.abort());
  process.on('SIGINT', onInterrupt);
  try {
    const result = await train(recipe, { ...trainOptions(recipe, flags, out), signal: controller.signal, parallel });
    if (result.interrupted) process.exitCode = INTERRUPTED_EXIT_CODE;
  } catch (error) {
    throw new Error(`rank ${parallel.rank} of ${parallel.worldSize}: ${(error as Error).message}`);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

function describeValidation(entry: ValidationEntry): string {
  const sample = entry.sample ? `, brain PSNR ${entry.sample.psnr.toFixed(2)} dB SSIM ${entry.sample.ssim.toFixed(3)}` : '';
  const ema = entry.lossEma !== undefined ? `EMA ${entry.lossEma.toFixed(5)}, ` : '';
  const measures = Object.entries(entry.measures ?? {}).map(([name, value]) => `, ${name} ${Number.isInteger(value) ? value : value.toFixed(3)}`).join('');
  return `loss ${entry.loss.toFixed(5)} (${ema}input-blind baseline ${entry.baselineLoss.toFixed(5)})${sample}${measures}`;
}

function numberFlag(flag: string, ok: (n: number) => boolean, expected: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(`${flag} must be ${expected}, got '${value}'`);
    return n;
  };
}

function positiveInteger(flag: string) {
  return numberFlag(flag, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
}

function nonNegativeInteger(flag: string) {
  return numberFlag(flag, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
}

function positiveNumber(flag: string) {
  return numberFlag(flag, (n) => n > 0, 'a number > 0');
}

function nonNegativeNumber(flag: string) {
  return numberFlag(flag, (n) => n >= 0, 'a number ≥ 0');
}

/** What the flags ask `train` for. */
function trainOptions(recipe: TrainingRecipe, flags: TrainFlags, out: string): TrainOptions {
  return {
    out, resume: flags.resume !== undefined, steps: flags.steps, data: flags.data, target: flags.target, config: flags.config,
    methodOptions: methodOptionValues(recipe, flags),
    parent: flags.parent, randomStreams: flags.randomStreams,
    lr: flags.lr, lrDecay: { shape: flags.lrDecay, from: flags.lrDecayFrom, to: flags.lrDecayTo, final: flags.lrFinal },
    weightDecay: flags.weightDecay, batchSize: flags.batchSize, emaDecay: flags.emaDecay, gradClip: flags.gradClip,
    precision: flags.precision, seed: flags.seed, splitSeed: flags.splitSeed, valEvery: flags.valEvery, valSampleSteps: flags.valSampleSteps, flipLr: flags.flipLr,
    checkpointEvery: flags.checkpointEvery, preprocess: flags.preprocess, spacing: flags.spacing,
    memoryLimit: flags.maxMemory === undefined ? undefined : flags.maxMemory * 2 ** 30,
  };
}

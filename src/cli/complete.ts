import { relative } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { CONTRASTS, type Contrast } from '../data/index.js';
import type { CaseOutcome, CompletionEvent } from '../completion/index.js';
import { PLACEHOLDERS, type Placeholder } from '../completion/index.js';
import { PRECISIONS, type Precision } from '../nn/index.js';
import { DDPM_VARIANCES } from '../schedulers/index.js';
import { SAMPLER_KINDS, describeSampler, parseSamplerSpec } from '../pipelines/index.js';
import { formatRoundTripError } from '../transforms/index.js';

interface CompleteFlags {
  models: string[];
  out?: string;
  sampler: string;
  steps?: number;
  eta?: number;
  variance?: string;
  precision: Precision;
  seed: number;
  samples: number;
  placeholder: Placeholder;
  force?: boolean;
  allowVoxelSizeMismatch?: boolean;
  verify: boolean;
  maxMemory?: number;
  t1?: string;
  t1ce?: string;
  t2?: string;
  flair?: string;
  pd?: string;
}

/**
 * `mrsynth complete`: synthesises the missing contrast(s) of a case or of every case of a data set with trained
 * runs, or of one set of explicit files. See src/completion/completeCases.ts for where files go and why.
 */
export function registerCompleteCommand(program: Command): void {
  const command = program.command('complete')
    .description('synthesise the missing contrast(s) of each case with trained cWDM runs; writes <case>_<contrast>.nii.gz (in the '
      + 'case\'s own naming) into the case folder, on the inputs\' grid and header geometry, float32 in normalised [0,1] units, '
      + 'marked synthetic in the header, with a JSON sidecar (model hash, sampler, seed, versions, input checksums). Inputs are '
      + 'never modified; existing files are never replaced (only earlier syntheses, with --force)')
    .argument('[path]', 'a case folder, a data set folder or a manifest (omit with the explicit --t1/--t1ce/--t2/--flair/--pd form)')
    .requiredOption('--models <runs>', 'comma-separated run folders (from mrsynth train), at most one per target contrast', parseList)
    .option('--out <path>', 'with a data set: write into this folder instead, mirroring the case folders; with explicit files: the output .nii.gz')
    .addOption(new Option('--sampler <kind>', 'reverse process').choices(SAMPLER_KINDS).default('ddim'))
    .option('--steps <k>', 'sampling steps (default: DDIM 50, DDPM the run\'s whole chain)', parsePositiveInteger)
    .option('--eta <e>', 'DDIM η: 0 deterministic (default), 1 DDPM-like noise', parseNonNegative)
    .addOption(new Option('--variance <kind>', 'DDPM σ²: beta (the reference\'s, default) or posterior').choices(DDPM_VARIANCES))
    .addOption(new Option('--precision <p>', 'what the network runs in: bf16 is faster on CPUs with bfloat16 instructions; the noise, '
      + 'scheduler and clipping stay float32, so a seed draws the same noise in both').choices(PRECISIONS).default('fp32'))
    .option('--seed <n>', 'base seed; each case and contrast samples from a seed derived from (seed, case id, contrast)', parseSeed, 0)
    .option('--samples <n>', 'samples per contrast; with more than one, writes their mean and a <name>_std.nii.gz', parsePositiveInteger, 1)
    .addOption(new Option('--placeholder <kind>', 'with several contrasts missing, what stands in for a missing condition until it is '
      + 'synthesised (contrasts are completed in a fixed order, each conditioned on the syntheses before it): the voxel-wise mean of '
      + 'the available normalised contrasts, or zeros').choices(PLACEHOLDERS).default('mean-of-available'))
    .option('--force', 'redo cases already completed, replacing their earlier syntheses')
    .option('--max-memory <GiB>', 'refuse a case whose estimated need exceeds this (default: the machine\'s memory)', (value: string) => {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--max-memory must be a number of GiB > 0, got '${value}'`);
      return n;
    })
    .option('--no-verify', 'skip checking the run\'s weights against the checksums recorded when they were written (saves a '
      + 'SHA-256 pass over each weights file)')
    .option('--allow-voxel-size-mismatch', 'complete cases whose voxel size differs from the training data\'s by more than a '
      + 'factor 1.25 on an axis (refused by default: a network sees anatomy at another scale as something else)');
  for (const contrast of CONTRASTS) command.option(`--${contrast} <file>`, `explicit form: the ${contrast} input`);
  command.action(async (path: string | undefined, flags: CompleteFlags) => {
    const who = 'mrsynth complete';
    const files = Object.fromEntries(CONTRASTS.filter((c) => flags[c] !== undefined).map((c) => [c, flags[c]!])) as Partial<Record<Contrast, string>>;
    const explicit = Object.keys(files).length > 0;
    if (explicit === (path !== undefined)) {
      throw new Error(`${who}: give either a case or data set path, or explicit files (--t1 F --t2 F … --out F), got ${explicit ? 'both' : 'neither'}`);
    }
    const sampler = parseSamplerSpec({ kind: flags.sampler, steps: flags.steps, eta: flags.eta, variance: flags.variance });
    // Loaded here, not at start-up: commands that need no libtorch should not pay for loading it.
    const { completeCases } = await import('../completion/index.js');
    const progress = new Progress();
    process.stdout.write(`sampler: ${describeSampler(sampler)}, ${flags.precision}, seed ${flags.seed}, ${flags.samples} sample(s) per contrast\n`);
    let outcomes: CaseOutcome[];
    try {
      outcomes = await completeCases({
        ...(explicit ? { files } : { input: path }),
        runs: flags.models, out: flags.out, sampler, precision: flags.precision, seed: flags.seed, samples: flags.samples,
        placeholder: flags.placeholder, force: flags.force, allowVoxelSizeMismatch: flags.allowVoxelSizeMismatch, verify: flags.verify,
        memoryLimit: flags.maxMemory === undefined ? undefined : flags.maxMemory * 2 ** 30, onProgress: (event) => progress.on(event),
      });
    } finally {
      progress.stop();
    }
    const count = (status: CaseOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    process.stdout.write(`${outcomes.length} case(s): ${count('completed')} completed, ${count('already-done')} already done, `
      + `${count('nothing-to-do')} with nothing to do, ${count('refused')} refused, ${count('failed')} failed\n`);
    const seconds = outcomes.flatMap((o) => (o.status === 'completed' ? [o.seconds] : []));
    if (seconds.length > 0) {
      const mean = seconds.reduce((a, b) => a + b, 0) / seconds.length;
      process.stdout.write(`${mean.toFixed(1)} s per completed case on average (${Math.min(...seconds).toFixed(1)}–${Math.max(...seconds).toFixed(1)} s)\n`);
    }
    if (count('refused') + count('failed') > 0) process.exitCode = 1;
  });
}

/** A cases bar and a steps bar on stderr; outcome lines on stdout (above the bars when both are the terminal). */
class Progress {
  readonly #bars = new MultiBar({ stream: process.stderr, clearOnComplete: true, hideCursor: true,
    format: '{name} [{bar}] {value}/{total} {label}' }, Presets.shades_classic);
  #cases: SingleBar | undefined;
  #steps: SingleBar | undefined;

  on(event: CompletionEvent): void {
    switch (event.kind) {
      case 'case':
        this.#cases ??= this.#bars.create(event.of, 0, { name: 'cases', label: '' });
        this.#cases.update(event.index - 1, { label: `${event.caseId} (${event.order.join(' → ')})` });
        break;
      case 'step': {
        const label = `${event.caseId} ${event.contrast}${event.sample > 0 ? ` sample ${event.sample + 1}` : ''}`;
        this.#steps ??= this.#bars.create(event.steps, 0, { name: 'steps', label });
        this.#steps.setTotal(event.steps);
        this.#steps.update(event.step, { label });
        break;
      }
      case 'roundTrip':
        this.#print(`${event.caseId}: the run resamples; a round trip of the inputs loses\n${formatRoundTripError(event.error)}`);
        break;
      case 'foregroundLost':
        this.#print(`${event.caseId}: the brain is larger than the model's box; ${event.voxels} voxel(s) nonzero in the inputs lie `
          + 'outside it and are zero in the outputs (a preprocessing that pads to multiples, e.g. aldm-brainbox, keeps them)');
        break;
      case 'leftovers':
        this.#print(`${event.caseId}: removed ${event.files.length} temporary file(s) (${(event.bytes / 2 ** 20).toFixed(1)} MiB) that an `
          + `interrupted write of its outputs left: ${event.files.map(shortPath).join(', ')}`);
        break;
      case 'outcome':
        if (event.outcome.status === 'completed' || event.outcome.status === 'failed') this.#cases?.increment();
        this.#print(describeOutcome(event.outcome));
        break;
    }
  }

  stop(): void {
    this.#bars.stop();
  }

  #print(line: string): void {
    if (this.#bars.isActive && process.stdout.isTTY && process.stderr.isTTY) this.#bars.log(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }
}

/** One line per case, saying what was done and, for several contrasts, in which order and from what. */
export function describeOutcome(outcome: CaseOutcome): string {
  const id = outcome.caseId;
  switch (outcome.status) {
    case 'nothing-to-do': return `${id}: nothing to do, no contrast is missing`;
    case 'already-done': return `${id}: already done (${outcome.outputs.map(shortPath).join(', ')}); pass --force to redo it`;
    case 'refused': return `${id}: refused: it ${outcome.reason}`;
    case 'failed': return `${id}: failed: ${outcome.reason}`;
    case 'completed': {
      const steps = outcome.order.map(({ contrast, sources, files }) => {
        const from = sources.filter((s) => s.from !== 'input')
          .map((s) => (s.from === 'placeholder' ? `${s.contrast} as placeholder` : `${s.contrast} as synthesised`));
        return `${contrast}${from.length > 0 ? ` (conditioned on ${from.join(', ')})` : ''} → ${shortPath(files.image)}`;
      });
      const order = outcome.order.length > 1 ? `in this order: ${steps.join('; then ')}` : steps[0];
      return `${id}: ${outcome.replaced.length > 0 ? 're' : ''}synthesised ${order} (${outcome.seconds.toFixed(1)} s)`;
    }
  }
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

function parseList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidArgumentError(`expected comma-separated run folders, got '${value}'`);
  return items;
}

function parsePositiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${value}'`);
  return n;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}

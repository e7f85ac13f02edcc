import type { Command } from 'commander';
import { Option } from 'commander';
import { CONTRASTS, type Contrast } from '../data/index.js';
import type { CaseOutcome, CompletionEvent } from '../completion/index.js';
import { PLACEHOLDERS, type Placeholder } from '../completion/index.js';
import { describeSampler, parseSamplerSpec } from '../pipelines/index.js';
import { parseContrastOption, parseList } from './optionParsers.js';
import { BUILTIN_HELP, announceBuiltinModels } from './builtinNotice.js';
import { addSamplingOptions, memoryLimitOf, samplerOf, samplesLabel, type SamplingFlags } from './samplingOptions.js';
import { SynthesisProgress, shortPath, summarise } from './synthesisProgress.js';

interface CompleteFlags extends SamplingFlags {
  models: string[];
  out?: string;
  placeholder: Placeholder;
  source?: Contrast;
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
    .description('synthesise the missing contrast(s) of each case with trained runs (cWDM: one run per contrast; ALDM: one run for all); writes <case>_<contrast>.nii.gz (in the '
      + 'case\'s own naming) into the case folder, on the inputs\' grid and header geometry, float32 in the run\'s normalised units, '
      + 'marked synthetic in the header, with a JSON sidecar (model hash, sampler, seed, versions, input checksums). Inputs are '
      + 'never modified; existing files are never replaced (only earlier syntheses, with --force)')
    .argument('[path]', 'a case folder, a data set folder or a manifest (omit with the explicit --t1/--t1ce/--t2/--flair/--pd form)')
    .requiredOption('--models <runs>', `comma-separated run folders (from mrsynth train) ${BUILTIN_HELP}, at most one per target contrast (an ALDM run '
      + 'serves each of its contrasts that no one-target run given serves)`, parseList)
    .option('--out <path>', 'with a data set: write into this folder instead, mirroring the case folders; with explicit files: the output .nii.gz')
    .addOption(new Option('--placeholder <kind>', 'with several contrasts missing, what stands in for a missing condition until it is '
      + 'synthesised (contrasts are completed in a fixed order, each conditioned on the syntheses before it): the voxel-wise mean of '
      + 'the available normalised contrasts, or zeros').choices(PLACEHOLDERS).default('mean-of-available'))
    .option('--source <contrast>', 'with a run serving several targets (ALDM): translate every missing contrast from this one (default: '
      + 'per target, the case\'s contrast whose translation into it scored best on the run\'s sampled validation)', parseContrastOption)
    .option('--force', 'redo cases already completed, replacing their earlier syntheses');
  addSamplingOptions(command, {
    sampler: 'ddim', steps: 'DDIM 50, DDPM the run\'s whole chain', eta: '0', seededBy: 'case id, contrast, sample index',
    samples: 'samples per contrast; with more than one, writes their mean and a <name>_std.nii.gz',
  });
  for (const contrast of CONTRASTS) command.option(`--${contrast} <file>`, `explicit form: the ${contrast} input`);
  command.action(async (path: string | undefined, flags: CompleteFlags) => {
    const who = 'mrsynth complete';
    const files = Object.fromEntries(CONTRASTS.filter((c) => flags[c] !== undefined).map((c) => [c, flags[c]!])) as Partial<Record<Contrast, string>>;
    const explicit = Object.keys(files).length > 0;
    if (explicit === (path !== undefined)) {
      throw new Error(`${who}: give either a case or data set path, or explicit files (--t1 F --t2 F … --out F), got ${explicit ? 'both' : 'neither'}`);
    }
    const sampler = samplerOf(flags, parseSamplerSpec());
    // Loaded here, not at start-up: commands that need no libtorch should not pay for loading it.
    const { completeCases } = await import('../completion/index.js');
    await announceBuiltinModels(flags.models);
    const progress = new SynthesisProgress();
    process.stdout.write(`sampler: ${describeSampler(sampler)}, ${flags.precision}, seed ${flags.seed}, ${flags.samples} sample(s) per contrast\n`);
    let outcomes: CaseOutcome[];
    try {
      outcomes = await completeCases({
        ...(explicit ? { files } : { input: path }),
        runs: flags.models, out: flags.out, sampler, precision: flags.precision, seed: flags.seed, samples: flags.samples, batch: flags.batch,
        placeholder: flags.placeholder, source: flags.source, force: flags.force, allowVoxelSizeMismatch: flags.allowVoxelSizeMismatch, verify: flags.verify,
        memoryLimit: memoryLimitOf(flags), onProgress: (event) => onCompletionEvent(progress, event, flags.samples),
      });
    } finally {
      progress.stop();
    }
    summarise(outcomes, [['completed', 'completed'], ['already-done', 'already done'], ['nothing-to-do', 'with nothing to do'],
      ['refused', 'refused'], ['failed', 'failed']], 'completed');
  });
}

function onCompletionEvent(progress: SynthesisProgress, event: CompletionEvent, samples: number): void {
  switch (event.kind) {
    case 'case':
      progress.caseStarted(event.index, event.of, `${event.caseId} (${event.order.join(' → ')})`);
      break;
    case 'step':
      progress.step(event.step, event.steps, `${event.caseId} ${event.contrast}${samplesLabel(event.sample, event.batch, samples)}`);
      break;
    case 'outcome':
      if (event.outcome.status === 'completed' || event.outcome.status === 'failed') progress.caseFinished();
      progress.print(describeOutcome(event.outcome));
      break;
    default:
      progress.notice(event);
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
      const steps = outcome.order.map(({ contrast, sources, files, translatedFrom }) => {
        if (translatedFrom !== undefined) {
          const why = translatedFrom.chosenBy === 'option' ? 'as asked' : `its best on the run's validation, ${translatedFrom.validationPsnr!.toFixed(1)} dB`;
          return `${contrast} (translated from ${translatedFrom.source}, ${why}) → ${shortPath(files.image)}`;
        }
        const from = sources.filter((s) => s.from !== 'input')
          .map((s) => (s.from === 'placeholder' ? `${s.contrast} as placeholder` : `${s.contrast} as synthesised`));
        return `${contrast}${from.length > 0 ? ` (conditioned on ${from.join(', ')})` : ''} → ${shortPath(files.image)}`;
      });
      const order = outcome.order.length > 1 ? `in this order: ${steps.join('; then ')}` : steps[0];
      return `${id}: ${outcome.replaced.length > 0 ? 're' : ''}synthesised ${order} (${outcome.seconds.toFixed(1)} s)`;
    }
  }
}


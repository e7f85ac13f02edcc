import type { Command } from 'commander';
import { canonicalOrder, type Contrast } from '../data/index.js';
import type { TranslationEvent, TranslationOutcome } from '../completion/index.js';
import { TRANSLATION_SAMPLER, describeSampler } from '../pipelines/index.js';
import { parseContrastOption, parseList } from './optionParsers.js';
import { addSamplingOptions, memoryLimitOf, samplerOf, samplesLabel, type SamplingFlags } from './samplingOptions.js';
import { BUILTIN_HELP, announceBuiltinModels } from './builtinNotice.js';
import { SynthesisProgress, shortPath, summarise } from './synthesisProgress.js';

interface TranslateFlags extends SamplingFlags {
  model: string;
  input?: string;
  source?: Contrast;
  to?: Contrast[] | 'all';
  matrix?: boolean;
  saveSamples?: boolean;
  firstStage?: boolean;
  out?: string;
}

/**
 * `mrsynth translate`: one contrast a case has into others, with a model that serves several targets (ALDM) or a
 * one-condition run. See src/completion/translateCases.ts for what is read, where files go and why.
 */
export function registerTranslateCommand(program: Command): void {
  const command = program.command('translate')
    .description('translate one contrast of each case into others with a trained run (ALDM: any of its contrasts into any other); '
      + 'writes <case>_<target>_from-<source>.nii.gz (in the case\'s own naming) into the case folder, on the source\'s grid and '
      + 'header geometry, float32 in the run\'s normalised units, background at the units\' floor, marked synthetic in the header, '
      + 'with a JSON sidecar (source, target, class, sampler, seed, hashes, preprocessing). Only the source file is read; inputs are '
      + 'never modified; existing files are never replaced (only earlier translations, with --force). A case translated earlier with the '
      + 'same model and settings is skipped, and one stopped partway is continued: only its missing translations are made')
    .argument('[path]', 'a case folder, a data set folder or a manifest (omit with --input FILE)')
    .requiredOption('--model <run>', `the run folder (from mrsynth train, or imported with mrsynth convert) ${BUILTIN_HELP}`)
    .option('--input <file>', 'translate this one scan (of the --source contrast) instead of a case or data set')
    .option('--source <contrast>', 'the contrast to translate from', parseContrastOption)
    .option('--to <contrasts>', 'comma-separated target contrasts, or all: every contrast of the model but the source (default all)',
      (value: string) => (value.trim() === 'all' ? 'all' : parseList(value).map(parseContrastOption)))
    .option('--matrix', 'every ordered pair of distinct contrasts each case has and the model knows (12 for a BraTS case), for eval --matrix')
    .option('--save-samples', 'with --samples N > 1, also write each sample (<name>_sample-K.nii.gz) and their standard deviation (<name>_std.nii.gz)')
    .option('--first-stage', 'no diffusion: decode what the model\'s first stage translates by itself (ALDM: MS-SPADE\'s latent), '
      + 'deterministic and seconds per case; the paper\'s ablation without diffusion, a lower mark for the sampled translation')
    .option('--out <path>', 'with a data set: write into this folder instead, mirroring the case folders; with --input: a folder, or '
      + 'with one target the output .nii.gz')
    .option('--force', 'redo cases already translated (or translated with other settings, which are refused otherwise), replacing their earlier translations');
  addSamplingOptions(command, {
    sampler: 'ddim', steps: 'DDIM 200, as the ALDM reference; DDPM the run\'s whole chain', eta: '1, as the ALDM reference',
    seededBy: 'case id, source, target, sample index', samples: 'samples per translation, whose voxel-wise mean is written',
  });
  command.action(async (path: string | undefined, flags: TranslateFlags) => {
    const who = 'mrsynth translate';
    if ((flags.input === undefined) === (path === undefined)) {
      throw new Error(`${who}: give either a case or data set path, or --input FILE, got ${flags.input === undefined ? 'neither' : 'both'}`);
    }
    if (flags.matrix && flags.input !== undefined) throw new Error(`${who}: --matrix needs cases with several contrasts; --input is one scan`);
    if (flags.matrix && (flags.source !== undefined || flags.to !== undefined)) {
      throw new Error(`${who}: --matrix translates every ordered pair a case has; it takes no --source or --to`);
    }
    if (!flags.matrix && flags.source === undefined) throw new Error(`${who}: give --source C (the contrast to translate from), or --matrix`);
    if (flags.saveSamples && flags.samples < 2) throw new Error(`${who}: --save-samples keeps each of several samples; give --samples N ≥ 2`);
    if (flags.firstStage) {
      const sampling = (['sampler', 'steps', 'eta', 'variance', 'seed', 'samples', 'batch'] as const).filter((name) => command.getOptionValueSource(name) === 'cli');
      if (sampling.length > 0) {
        throw new Error(`${who}: --first-stage samples nothing (it decodes the first stage's translation, the same every time); `
          + `it takes no ${sampling.map((name) => `--${name}`).join(', ')}`);
      }
    }
    const sampler = samplerOf(flags, TRANSLATION_SAMPLER);
    // Loaded here, not at start-up: commands that need no libtorch should not pay for loading it.
    const { translateCases } = await import('../completion/index.js');
    await announceBuiltinModels([flags.model]);
    const progress = new SynthesisProgress();
    process.stdout.write(flags.firstStage
      ? `no sampler: the first stage's translation, decoded; ${flags.precision}\n`
      : `sampler: ${describeSampler(sampler)}, ${flags.precision}, seed ${flags.seed}, ${flags.samples} sample(s) per translation\n`);
    let outcomes: TranslationOutcome[];
    try {
      outcomes = await translateCases({
        ...(flags.input !== undefined ? { file: flags.input } : { input: path }),
        run: flags.model, source: flags.source, targets: flags.to === undefined || flags.to === 'all' ? 'all' : canonicalOrder(flags.to),
        matrix: flags.matrix, out: flags.out, sampler, firstStage: flags.firstStage, precision: flags.precision, seed: flags.seed, samples: flags.samples,
        batch: flags.batch, saveSamples: flags.saveSamples, force: flags.force, allowVoxelSizeMismatch: flags.allowVoxelSizeMismatch, verify: flags.verify,
        memoryLimit: memoryLimitOf(flags), onProgress: (event) => onTranslationEvent(progress, event, flags.samples),
      });
    } finally {
      progress.stop();
    }
    summarise(outcomes, [['translated', 'translated'], ['already-done', 'already done'], ['refused', 'refused'], ['failed', 'failed']], 'translated');
  });
}

function onTranslationEvent(progress: SynthesisProgress, event: TranslationEvent, samples: number): void {
  switch (event.kind) {
    case 'case':
      progress.caseStarted(event.index, event.of, `${event.caseId} (${event.translations.length} translation(s))`);
      break;
    case 'step':
      progress.step(event.step, event.steps, `${event.caseId} ${event.source} → ${event.target}${samplesLabel(event.sample, event.batch, samples)}`);
      break;
    case 'outcome':
      if (event.outcome.status === 'translated' || event.outcome.status === 'failed') progress.caseFinished();
      progress.print(describeTranslation(event.outcome));
      break;
    default:
      progress.notice(event);
  }
}

/** One line per case, saying what was done. */
export function describeTranslation(outcome: TranslationOutcome): string {
  const id = outcome.caseId;
  switch (outcome.status) {
    case 'already-done': return `${id}: already done (${outcome.outputs.map(shortPath).join(', ')}); pass --force to redo it`;
    case 'refused': return `${id}: refused: it ${outcome.reason}`;
    case 'failed': return `${id}: failed: ${outcome.reason}`;
    case 'translated': {
      const pairs = outcome.translations.map(({ source, target, files }) => `${source} → ${target} (${shortPath(files.image)})`);
      return `${id}: ${outcome.replaced.length > 0 ? 're' : ''}translated ${pairs.join(', ')} (${outcome.seconds.toFixed(1)} s)`;
    }
  }
}
